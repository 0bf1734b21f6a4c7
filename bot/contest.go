package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// What follows a rejection: the record's liaison is told once, with the
// finding, and may contest it once, with a note and a document; an admin
// upholds or overturns it, and the liaison is told. Every step goes
// through RecordCheck, which keeps the audit trail (who, when, what, at
// which stage).
//
// Whoever records a step of checking calls afterCheck with the check
// RecordCheck returned; the sweep in the jobs (TellRejections) tells what
// a crash in between left untold.

// afterCheck does what follows a recorded step of checking ch: a rejection
// is told to the record's liaison. Failing to tell is logged; the sweep
// tries again.
func (b *Bot) afterCheck(ctx context.Context, ch domain.Check) {
	if ch.State != domain.VerifyRejected || ch.Stage != domain.StageDone || !ch.ToldAt.IsZero() {
		return
	}
	if err := b.tellRejection(ctx, ch.PlacementID); err != nil {
		b.log.Warn("tell a rejection", "placement", ch.PlacementID, "err", err)
	}
}

// untoldBatch bounds one sweep; the rest wait a minute.
const untoldBatch = 50

// TellRejections tells the liaisons of rejected records not told yet: the
// sweep of the jobs, which catches a rejection whose recorder died before
// telling.
func (b *Bot) TellRejections(ctx context.Context) error {
	ids, err := b.store.UntoldRejections(ctx, untoldBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := b.tellRejection(ctx, id); err != nil {
			return fmt.Errorf("placement %d: %w", id, err)
		}
	}
	return nil
}

// tellRejection tells placement id's liaison, once whoever calls it and
// however often (ClaimTold decides), that checking rejected it and why,
// with a Contest button. The liaison who registered it is told; a record
// of the command line's, or of a liaison gone, goes to its agency's
// liaisons.
func (b *Bot) tellRejection(ctx context.Context, id int64) error {
	p, err := b.store.Placement(ctx, id)
	if err != nil {
		return fmt.Errorf("load record: %w", err)
	}
	trail, err := b.store.VerifyEvents(ctx, id)
	if err != nil {
		return err
	}
	to, err := b.liaisonsOf(ctx, p.AgencyID, p.LiaisonID)
	if err != nil {
		return err
	}
	told, err := b.store.ClaimTold(ctx, id, b.now())
	if err != nil || !told {
		return err
	}
	if len(to) == 0 {
		// Nobody to tell now; a liaison signing up later sees it on the
		// record's card, with the button.
		b.log.Warn("rejection with no liaison to tell", "placement", id, "agency", p.AgencyID)
		return nil
	}
	for _, u := range to {
		lang := b.langOf(u)
		text := b.cat.T(lang, "contest.rejected", "id", digitsIn(lang, strconv.FormatInt(p.ID, 10)), "name", p.FullName,
			"reason", b.rejectionReason(lang, trail))
		kb := transport.Inline(transport.Row(transport.Button(b.cat.T(lang, "btn.contest"), b.sign.sign(cbContest, ctStart, strconv.FormatInt(p.ID, 10)))))
		b.tell(ctx, u.ID, text, kb)
	}
	return nil
}

// liaisonsOf is who hears about a record of agency: liaison, while they
// are one of its liaisons, or else every liaison of the agency.
func (b *Bot) liaisonsOf(ctx context.Context, agency, liaison int64) ([]domain.User, error) {
	all, err := b.store.UsersWithRole(ctx, domain.RoleLiaison)
	if err != nil {
		return nil, fmt.Errorf("list liaisons: %w", err)
	}
	var out []domain.User
	for _, u := range all {
		if u.LiaisonAgency() != agency {
			continue
		}
		if u.ID == liaison {
			return []domain.User{u}, nil
		}
		out = append(out, u)
	}
	return out, nil
}

// rejectionReason is the finding that rejected a record, as its trail
// has it: "the verifier's call: never worked there", with the note.
func (b *Bot) rejectionReason(lang string, trail []domain.VerifyEvent) string {
	ev, ok := domain.Rejection(trail)
	if !ok {
		return b.cat.T(lang, "contest.reason_unknown")
	}
	stage, outcome := b.cat.T(lang, "stage."+string(ev.Stage)), b.cat.T(lang, "outcome."+string(ev.Outcome))
	if ev.Note != "" {
		return b.cat.T(lang, "contest.reason_note", "stage", stage, "outcome", outcome, "note", ev.Note)
	}
	return b.cat.T(lang, "contest.reason", "stage", stage, "outcome", outcome)
}

// onContest handles "ct|c|<record>", a liaison's Contest, and "ct|u|<record>"
// and "ct|o|<record>", an admin's decision.
func (b *Bot) onContest(c *Ctx, q *transport.CallbackQuery, parts []string) error {
	if len(parts) != 3 {
		return c.stale()
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	switch parts[1] {
	case ctStart:
		return b.startContest(c, id)
	case ctUphold:
		return b.decideContest(c, q, id, domain.OutcomeUpheld)
	case ctOverturn:
		return b.decideContest(c, q, id, domain.OutcomeOverturned)
	}
	return c.stale()
}

// startContest opens the contest form of record id for a liaison of its
// agency, while the rejection may be contested.
func (b *Bot) startContest(c *Ctx, id int64) error {
	if !c.User.Has(domain.RoleLiaison) {
		return b.refuse(c, "button:contest")
	}
	p, ok, err := b.agencyRecord(c, id, "contest")
	if !ok {
		return err
	}
	ch, err := b.store.Check(c, id)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return c.stale()
	case err != nil:
		return fmt.Errorf("load check: %w", err)
	case ch.Stage == domain.StageReview:
		c.answerCallback(c.T("contest.waiting"))
		return nil
	case !ch.Contestable():
		c.answerCallback(c.T("err.verify.not_contestable"))
		return nil
	}
	c.answerCallback("")
	shown := c.digits(strconv.FormatInt(p.ID, 10))
	return b.startFlow(c, "contest", map[string]string{"id": strconv.FormatInt(p.ID, 10),
		"record": c.T("records.item", "id", shown, "name", p.FullName, "date", c.date(p.StartDate))})
}

func (b *Bot) contestFlow() *Flow {
	return &Flow{
		Name: "contest",
		Steps: []Step{
			{Field: "note", Input: InputText, Parse: parseAs(domain.ParseContestNote)},
			{Field: "document", Input: InputDocument,
				Parse:     func(_ *Ctx, fileID string) (string, error) { return fileID, nil },
				Shortcuts: []Shortcut{{Label: "btn.no_document", Text: func(*Ctx) string { return "" }}},
				Show: func(c *Ctx, v string) string {
					if v == "" {
						return c.T("value.none")
					}
					return c.T("contest.document_attached")
				}},
		},
		Begin:  requireRole(domain.RoleLiaison),
		Submit: b.contestSubmit,
		Saved: savedRecord(b.store.VerifyEventBySubmission, func(c *Ctx, ev domain.VerifyEvent) {
			b.tellContestSent(c, ev.PlacementID)
		}),
	}
}

// contestSubmit records the contest under the form's key, so a second
// submit finds the first, and sends it to the admins.
func (b *Bot) contestSubmit(c *Ctx, s *Session) error {
	id, err := parseID(s.Data["id"])
	if err != nil {
		return domain.NotFound("placement.notfound")
	}
	p, err := b.store.Placement(c, id)
	if err != nil {
		return err
	}
	if p.AgencyID != c.User.LiaisonAgency() {
		return domain.Forbidden("placement.agency")
	}
	_, err = b.store.RecordCheck(c, domain.VerifyEvent{PlacementID: id, At: b.now(), By: c.User.ID,
		Stage: domain.StageReview, Outcome: domain.OutcomeContested, Note: s.Answers["note"], Photo: s.Answers["document"],
		Key: submissionKey(c.Chat, s.ID)})
	if err != nil {
		return err
	}
	b.log.Info("rejection contested", "placement", id, "liaison", c.User.ID)
	b.tellContestSent(c, id)
	b.notifyContest(c, p)
	return nil
}

func (b *Bot) tellContestSent(c *Ctx, id int64) {
	b.tell(c, c.Chat, c.T("contest.sent", "id", c.digits(strconv.FormatInt(id, 10))), nil)
}

// notifyContest sends a contest to every admin, with its record, its
// trail, the decision buttons and the liaison's document.
func (b *Bot) notifyContest(ctx context.Context, p domain.Placement) {
	admins, err := b.store.UsersWithRole(ctx, domain.RoleAdmin)
	if err != nil {
		b.log.Error("list admins", "err", err)
		return
	}
	if len(admins) == 0 {
		b.log.Warn("no admin to decide a contest", "placement", p.ID)
	}
	for _, a := range admins {
		if err := b.sendContest(ctx, a.ID, b.langOf(a), p); err != nil {
			b.log.Error("describe contest", "placement", p.ID, "err", err)
			return
		}
	}
}

// sendContest shows the contest of record p to admin chat, in lang.
func (b *Bot) sendContest(ctx context.Context, chat int64, lang string, p domain.Placement) error {
	trail, err := b.store.VerifyEvents(ctx, p.ID)
	if err != nil {
		return err
	}
	agency := b.cat.T(lang, "value.unknown_agency")
	if a, err := b.store.Agency(ctx, p.AgencyID); err == nil {
		agency = a.Name(lang)
	}
	var contest domain.VerifyEvent
	for _, ev := range trail {
		if ev.Outcome == domain.OutcomeContested {
			contest = ev
		}
	}
	id := strconv.FormatInt(p.ID, 10)
	var sb strings.Builder
	sb.WriteString(b.cat.T(lang, "contest.admin", "id", digitsIn(lang, id), "name", p.FullName, "agency", agency,
		"reason", b.rejectionReason(lang, trail), "liaison", b.whoName(ctx, lang, contest.By), "note", contest.Note))
	sb.WriteString(b.trailLines(ctx, lang, trail))
	kb := transport.Inline(transport.Row(
		transport.Button(b.cat.T(lang, "btn.uphold"), b.sign.sign(cbContest, ctUphold, id)),
		transport.Button(b.cat.T(lang, "btn.overturn"), b.sign.sign(cbContest, ctOverturn, id)),
	))
	b.tell(ctx, chat, sb.String(), kb)
	if contest.Photo != "" {
		b.tellRequest(ctx, chat, transport.SendDocument{Chat: chat, FileID: contest.Photo,
			Caption: b.cat.T(lang, "contest.admin_document", "id", digitsIn(lang, id))})
	}
	return nil
}

// trailLines are a record's verification steps, a line each: when, at
// which stage, what was found, by whom, and any note.
func (b *Bot) trailLines(ctx context.Context, lang string, trail []domain.VerifyEvent) string {
	var sb strings.Builder
	for _, ev := range trail {
		sb.WriteString("\n" + b.cat.T(lang, "contest.trail_line", "when", b.when(lang, ev), "stage", b.cat.T(lang, "stage."+string(ev.Stage)),
			"outcome", b.cat.T(lang, "outcome."+string(ev.Outcome)), "who", b.whoName(ctx, lang, ev.By)))
		if ev.Photo != "" {
			sb.WriteString(" 📎")
		}
		if ev.Note != "" && ev.Outcome != domain.OutcomeContested {
			sb.WriteString("\n" + b.cat.T(lang, "contest.trail_note", "note", ev.Note))
		}
	}
	return sb.String()
}

// when shows the time of a step: its Solar Hijri day and hour.
func (b *Bot) when(lang string, ev domain.VerifyEvent) string {
	return b.cal.FormatJalaliLang(ev.At, lang) + " " + digitsIn(lang, b.cal.In(ev.At).Format("15:04"))
}

// whoName names the user id in a trail: the system when 0.
func (b *Bot) whoName(ctx context.Context, lang string, id int64) string {
	if id == 0 {
		return b.cat.T(lang, "trail.system")
	}
	if u, err := b.store.User(ctx, id); err == nil && u.FullName != "" {
		return u.FullName
	}
	return digitsIn(lang, "#"+strconv.FormatInt(id, 10))
}

// tellRequest sends r (a file) to chat as tell sends a text: held while
// the chat's form is being saved, a failure only logged.
func (b *Bot) tellRequest(ctx context.Context, chat int64, r transport.Request) {
	if c, ok := ctx.(*Ctx); ok && c.holding && chat == c.Chat {
		c.held = append(c.held, r)
		return
	}
	if err := b.send.Send(ctx, chat, r); err != nil {
		b.log.Error("file not delivered", "chat", chat, "err", err)
	}
}

// decideContest records an admin's decision on the contest of record id:
// once, whoever presses first; the press's id is the step's key, so the
// same press delivered twice is one decision.
func (b *Bot) decideContest(c *Ctx, q *transport.CallbackQuery, id int64, o domain.Outcome) error {
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:contest-decision")
	}
	_, err := b.store.RecordCheck(c, domain.VerifyEvent{PlacementID: id, At: b.now(), By: c.User.ID,
		Stage: domain.StageReview, Outcome: o, Key: "ct:" + q.ID})
	switch {
	case domain.IsKind(err, domain.KindConflict):
		// Another admin (or a double tap) decided first: say what stands.
		text := c.T("err.verify.not_contested")
		if ch, err := b.store.Check(c, id); err == nil && (ch.LastOutcome == domain.OutcomeUpheld || ch.LastOutcome == domain.OutcomeOverturned) {
			status := c.T("contest.status." + string(ch.LastOutcome))
			text = c.T("contest.already_decided", "status", status)
			b.closeKeyboard(c, q, status)
		}
		c.answerCallback(text)
		return nil
	case domain.IsKind(err, domain.KindNotFound):
		return c.stale()
	case err != nil:
		return err
	}
	b.log.Info("contest decided", "placement", id, "outcome", o, "admin", c.User.ID)
	// Decided: the rest only tells people, and never fails the decision.
	status := c.T("contest.status." + string(o))
	c.answerCallback(status)
	b.closeKeyboard(c, q, status)
	if !b.cfg.EditMessages {
		b.tell(c, c.Chat, c.T("contest.decided", "id", c.digits(strconv.FormatInt(id, 10)), "status", status), nil)
	}
	b.tellDecision(c, id, o)
	return nil
}

// tellDecision tells the liaison who contested record id (or, gone, its
// agency's liaisons) what the admin decided.
func (b *Bot) tellDecision(ctx context.Context, id int64, o domain.Outcome) {
	p, err := b.store.Placement(ctx, id)
	if err != nil {
		b.log.Error("load record after a decision", "placement", id, "err", err)
		return
	}
	trail, err := b.store.VerifyEvents(ctx, id)
	if err != nil {
		b.log.Error("load trail after a decision", "placement", id, "err", err)
		return
	}
	contester := p.LiaisonID
	for _, ev := range trail {
		if ev.Outcome == domain.OutcomeContested {
			contester = ev.By
		}
	}
	to, err := b.liaisonsOf(ctx, p.AgencyID, contester)
	if err != nil {
		b.log.Error("liaisons to tell of a decision", "placement", id, "err", err)
		return
	}
	for _, u := range to {
		lang := b.langOf(u)
		b.tell(ctx, u.ID, b.cat.T(lang, "contest."+string(o), "id", digitsIn(lang, strconv.FormatInt(id, 10)), "name", p.FullName), nil)
	}
}

// maxListedContests bounds /contests; older ones show once these are decided.
const maxListedContests = 20

// cmdContests lists the contests waiting for a decision, for an admin who
// missed them or joined after they were sent.
func (b *Bot) cmdContests(c *Ctx, _ string) error {
	checks, err := b.store.Contested(c)
	if err != nil {
		return fmt.Errorf("list contests: %w", err)
	}
	if len(checks) == 0 {
		return c.reply(c.T("contest.none"), nil)
	}
	if len(checks) > maxListedContests {
		text := c.T("contest.more", "shown", c.digits(strconv.Itoa(maxListedContests)), "total", c.digits(strconv.Itoa(len(checks))))
		if err := c.reply(text, nil); err != nil {
			return err
		}
		checks = checks[:maxListedContests]
	}
	for _, ch := range checks {
		p, err := b.store.Placement(c, ch.PlacementID)
		if err != nil {
			return fmt.Errorf("load record: %w", err)
		}
		if err := b.sendContest(c, c.Chat, c.Lang, p); err != nil {
			return err
		}
	}
	return nil
}

// recordVerification is what a rejected record's card adds for its
// liaison: why, where a contest stands, and whether it may be contested.
func (b *Bot) recordVerification(c *Ctx, p domain.Placement) (string, bool, error) {
	ch, err := b.store.Check(c, p.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		return "", false, nil // rejected before checks were kept
	}
	if err != nil {
		return "", false, fmt.Errorf("load check: %w", err)
	}
	trail, err := b.store.VerifyEvents(c, p.ID)
	if err != nil {
		return "", false, err
	}
	text := "▪️ " + c.T("record.rejection", "reason", b.rejectionReason(c.Lang, trail))
	switch {
	case ch.Stage == domain.StageReview:
		text += "\n" + c.T("contest.waiting")
	case ch.LastOutcome == domain.OutcomeUpheld:
		text += "\n" + c.T("record.contest_upheld")
	}
	return text, ch.Contestable(), nil
}
