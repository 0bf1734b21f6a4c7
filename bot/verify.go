package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Checking placements in the bot, in the national system's three stages:
// the person answers for their own job (/myjob), a verifier calls
// (/verify), an inspector visits (/visit). Each is a flow whose submit
// records one step with RecordCheck under the flow's submission key, so a
// confirm replayed after a crash records it once.

// checkStage is what differs between the verifier's and the inspector's
// flows.
type checkStage struct {
	Flow  string
	Stage domain.Stage
	Role  domain.Role
}

var (
	callStage  = checkStage{Flow: "call", Stage: domain.StageCall, Role: domain.RoleVerifier}
	visitStage = checkStage{Flow: "visit", Stage: domain.StageField, Role: domain.RoleInspector}
	// checkStages are both, for the "next record" button to find its own.
	checkStages = []checkStage{callStage, visitStage}
)

func (b *Bot) callFlow() *Flow {
	return &Flow{
		Name: callStage.Flow,
		Steps: []Step{
			{Field: "outcome", Input: InputChoice, Columns: 2, Choices: b.outcomeChoices(domain.CallOutcomes)},
			noteStep(),
		},
		Begin:  b.checkBegin(callStage),
		Submit: b.checkSubmit(callStage),
		Saved:  b.checkSaved(callStage),
	}
}

// visitFlow records an inspector's visit: what they found, where they
// stood (shared from the phone) and, if they could take one, a photo.
func (b *Bot) visitFlow() *Flow {
	return &Flow{
		Name: visitStage.Flow,
		Steps: []Step{
			{Field: "outcome", Input: InputChoice, Columns: 2, Choices: b.outcomeChoices(domain.FieldOutcomes)},
			{Field: "location", Input: InputLocation},
			{Field: "photo", Input: InputPhoto, Shortcuts: []Shortcut{skipShortcut("btn.no_photo")}},
			noteStep(),
		},
		Begin:  b.checkBegin(visitStage),
		Submit: b.checkSubmit(visitStage),
		Saved:  b.checkSaved(visitStage),
	}
}

// noteStep asks for an optional free note.
func noteStep() Step {
	return Step{Field: "note", Input: InputText, Parse: parseAs(domain.ParseNote),
		Shortcuts: []Shortcut{skipShortcut("btn.skip")},
		Show: func(c *Ctx, v string) string {
			if v == "" {
				return c.T("value.none")
			}
			return v
		}}
}

// outcomeChoices are the buttons of outcomes, labelled "outcome.<value>".
func (b *Bot) outcomeChoices(outcomes []domain.Outcome) func(*Ctx, *Session) ([]Choice, error) {
	return func(c *Ctx, _ *Session) ([]Choice, error) {
		return enumChoices(b.cat, "outcome", outcomes, c.Lang), nil
	}
}

func (b *Bot) cmdVerify(c *Ctx, _ string) error { return b.startFlow(c, callStage.Flow, nil) }
func (b *Bot) cmdVisit(c *Ctx, _ string) error  { return b.startFlow(c, visitStage.Flow, nil) }

// checkBegin takes the next record of the stage's queue into the user's
// hand and shows it: all a verifier needs to call, or an inspector to visit,
// and nothing of any other record.
func (b *Bot) checkBegin(st checkStage) func(*Ctx, *Session) error {
	return func(c *Ctx, s *Session) error {
		chk, err := b.store.NextCheck(c, st.Stage, c.User.ID, b.now(), b.cfg.Verify.Hold)
		if err != nil {
			return err
		}
		p, err := b.store.Placement(c, chk.PlacementID)
		if err != nil {
			return fmt.Errorf("load record in hand: %w", err)
		}
		events, err := b.store.VerifyEvents(c, p.ID)
		if err != nil {
			return fmt.Errorf("load record's checks: %w", err)
		}
		card, err := b.checkCard(c, st, p, chk, events)
		if err != nil {
			return err
		}
		s.Data["record"] = c.digits(strconv.FormatInt(p.ID, 10))
		s.Data["id"] = strconv.FormatInt(p.ID, 10)
		return c.reply(card, nil)
	}
}

// checkCard is the record in a verifier's or inspector's hand. The mobile
// is shown in full: they are to call it.
func (b *Bot) checkCard(c *Ctx, st checkStage, p domain.Placement, chk domain.Check, events []domain.VerifyEvent) (string, error) {
	agency, err := b.store.Agency(c, p.AgencyID)
	if err != nil {
		return "", fmt.Errorf("load agency: %w", err)
	}
	var sb strings.Builder
	sb.WriteString(c.T(st.Flow+".card", "record", c.digits(strconv.FormatInt(p.ID, 10))))
	fields := []string{"name", "mobile", "activity", "employer", "startdate"}
	if st.Stage == domain.StageField {
		fields = append(fields, "county", "district", "area")
	}
	sb.WriteString(b.placementLines(c, p, fields...))
	fmt.Fprintf(&sb, "\n▪️ %s: %s", c.T("check.agency"), agency.Name(c.Lang))
	sb.WriteString("\n\n" + b.checkTrail(c, events))
	if chk.State == domain.VerifyUnreachable {
		sb.WriteString("\n" + c.T("verification.unreachable"))
	}
	return sb.String(), nil
}

// checkTrail lists the earlier steps of a record's check, "none yet" if
// it was only drawn.
func (b *Bot) checkTrail(c *Ctx, events []domain.VerifyEvent) string {
	if !slices.ContainsFunc(events, func(e domain.VerifyEvent) bool { return e.Stage != domain.StageSample }) {
		return c.T("trail.none")
	}
	return c.T("trail.title") + b.trailLines(c, c.Lang, events)
}

func (b *Bot) checkSubmit(st checkStage) func(*Ctx, *Session) error {
	return func(c *Ctx, s *Session) error {
		chk, err := b.recordStep(c, s, st.Stage)
		if err != nil {
			return err
		}
		b.tellChecked(c, st, chk)
		b.afterCheck(c, chk)
		return nil
	}
}

// recordStep records a session's answers as one step, at stage, of the
// check of its record (Data "id"), under the session's submission key.
func (b *Bot) recordStep(c *Ctx, s *Session, stage domain.Stage) (domain.Check, error) {
	id, err := strconv.ParseInt(s.Data["id"], 10, 64)
	if err != nil {
		return domain.Check{}, fmt.Errorf("%s without its record: %w", s.Flow, err)
	}
	return b.store.RecordCheck(c, domain.VerifyEvent{
		PlacementID: id,
		At:          b.now(),
		By:          c.User.ID,
		Stage:       stage,
		Outcome:     domain.Outcome(s.Answers["outcome"]),
		Note:        s.Answers["note"],
		Location:    s.Answers["location"],
		Photo:       s.Answers["photo"],
		Key:         submissionKey(c.Chat, s.ID),
	})
}

// tellChecked says where the record now stands, with the way to the next.
func (b *Bot) tellChecked(c *Ctx, st checkStage, chk domain.Check) {
	text := c.T("check.saved", "record", c.digits(strconv.FormatInt(chk.PlacementID, 10)), "state", c.T("verification."+string(chk.State)))
	if chk.Stage == domain.StageCall && chk.State == domain.VerifyWaiting {
		text += "\n" + c.T("check.again", "date", c.date(chk.NextAt))
	}
	if chk.Stage == domain.StageField && st.Stage == domain.StageCall {
		text += "\n" + c.T("check.to_field")
	}
	kb := transport.Inline(transport.Row(transport.Button(c.T("btn.next_record"), b.sign.sign(cbCheck, st.Flow))))
	b.tell(c, c.Chat, text, kb)
}

func (b *Bot) checkSaved(st checkStage) func(*Ctx, string) (bool, error) {
	return savedRecord(b.store.VerifyEventBySubmission, func(c *Ctx, e domain.VerifyEvent) {
		chk, err := b.store.Check(c, e.PlacementID)
		if err != nil {
			b.log.Error("load check after its step", "record", e.PlacementID, "err", err)
			return
		}
		b.tellChecked(c, st, chk)
	})
}

// onCheckNext is the "next record" button under a saved step.
func (b *Bot) onCheckNext(c *Ctx, parts []string) error {
	i := slices.IndexFunc(checkStages, func(st checkStage) bool { return len(parts) == 2 && parts[1] == st.Flow })
	if i < 0 {
		return c.stale()
	}
	st := checkStages[i]
	if !c.User.Has(st.Role) {
		return b.refuse(c, "button:"+st.Flow)
	}
	c.answerCallback("")
	return b.startFlow(c, st.Flow, nil)
}

// --- the person's own answer ---

func (b *Bot) myjobFlow() *Flow {
	return &Flow{
		Name: "myjob",
		Steps: []Step{
			ownPhoneStep(),
			nationalIDStep(b.matchOwnJob),
			{Field: "outcome", Input: InputChoice, Choices: b.outcomeChoices(domain.PersonOutcomes)},
		},
		Submit: b.myjobSubmit,
		Saved:  savedRecord(b.store.VerifyEventBySubmission, func(c *Ctx, _ domain.VerifyEvent) { b.tellThanks(c) }),
	}
}

func (b *Bot) cmdMyJob(c *Ctx, _ string) error { return b.startFlow(c, "myjob", nil) }

// matchOwnJob finds this year's placement of the national code typed
// whose mobile is the number the person proved theirs with the contact
// button. Either part not matching gets one answer, which does not say
// which: nobody learns whether a code is registered by guessing.
func (b *Bot) matchOwnJob(c *Ctx, s *Session, nid string) error {
	p, err := b.store.PlacementByNationalID(c, b.cal.ProgramYear(b.now()), domain.NationalID(nid))
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return domain.NotFound("myjob.nomatch")
	case err != nil:
		return fmt.Errorf("find own job: %w", err)
	case p.Mobile == "" || p.Mobile != domain.Mobile(s.Answers["phone"]):
		return domain.NotFound("myjob.nomatch")
	}
	agency, err := b.store.Agency(c, p.AgencyID)
	if err != nil {
		return fmt.Errorf("load agency: %w", err)
	}
	s.Data["id"] = strconv.FormatInt(p.ID, 10)
	s.Data["job"] = c.T("myjob.job", "activity", p.Activity, "employer", p.Employer, "agency", agency.Name(c.Lang),
		"date", c.date(p.StartDate))
	return nil
}

func (b *Bot) myjobSubmit(c *Ctx, s *Session) error {
	_, err := b.recordStep(c, s, domain.StagePerson)
	// Checked already, by a call or a visit: their answer is not needed,
	// and nothing about the outcome is theirs to learn.
	if err != nil && domain.CodeOf(err) != "verify.settled" {
		return err
	}
	b.tellThanks(c)
	return nil
}

func (b *Bot) tellThanks(c *Ctx) { b.tell(c, c.Chat, c.T("myjob.thanks"), transport.RemoveKeyboard{}) }

// AskPeople sends each sampled placement's person who has not answered,
// where the platform can (Config.Phone), one message asking them to
// confirm in the bot. The message names no job: the number may have
// changed hands. Each is marked asked before it is sent, so two replicas
// never both send; a send that fails is not tried again.
func (b *Bot) AskPeople(ctx context.Context) error {
	if b.cfg.Phone == nil {
		return nil
	}
	ps, err := b.store.Unasked(ctx, 100)
	if err != nil {
		return err
	}
	link := b.cfg.LinkBase + b.api.Self().UserName + "?start=" + startMyJob
	text := b.cat.T(b.cfg.DefaultLanguage, "myjob.ask", "link", link)
	for _, p := range ps {
		claimed, err := b.store.MarkAsked(ctx, p.ID, b.now())
		if err != nil {
			return err
		}
		if !claimed {
			continue
		}
		if err := b.cfg.Phone.SendText(ctx, p.Mobile, text); err != nil {
			b.log.Warn("ask person by phone", "record", p.ID, "mobile", p.Mobile, "err", err)
		}
	}
	return nil
}

// startMyJob is the /start payload of the link AskPeople sends.
const startMyJob = "myjob"
