package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Placement registration: the national code first, checked for duplicates
// at once, then every field of domain.PlacementFields, a review, and a confirm
// that Postgres de-duplicates. The same form, pre-filled, corrects a record.

func (b *Bot) placementFlow() *Flow {
	f := &Flow{Name: "placement", Begin: b.placementBegin, Submit: b.placementSubmit, Saved: b.placementSaved}
	for _, pf := range domain.PlacementFields {
		st := b.fieldStep(pf)
		if pf.Key == domain.FieldNationalID {
			st.Check = b.checkNationalID
			st.Show = func(c *Ctx, v string) string { return c.digits(v) }
		}
		f.Steps = append(f.Steps, st)
	}
	return f
}

func (b *Bot) placementBegin(c *Ctx, s *Session) error {
	if c.User.LiaisonAgency() == 0 {
		return domain.Forbidden("placement.liaison")
	}
	return nil
}

// checkNationalID tells at once, before any more typing, that a person is
// already placed this year: by this agency (offering the record to correct)
// or by another (naming it and the date; the attempt is kept).
func (b *Bot) checkNationalID(c *Ctx, s *Session, value string) error {
	if s.Data["edit"] != "" && value == s.Data["edit_code"] {
		return nil // correcting a record without changing its code
	}
	now := b.now()
	// The year the job will count in is known only with its start date, so
	// this early look is at this year; the confirm is checked by Postgres
	// for the start date's year. A correction looks in its record's year.
	year := b.cal.ProgramYear(now)
	if y, err := strconv.Atoi(s.Data["edit_year"]); err == nil {
		year = y
	}
	held, err := b.store.PlacementByNationalID(c, year, domain.NationalID(value))
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("check national code: %w", err)
	}
	d := domain.Duplicate{Existing: held, SameAgency: held.AgencyID == c.User.LiaisonAgency()}
	if !d.SameAgency {
		b.cfg.Metrics.DuplicateBlocked()
		attempt := domain.DuplicateAttempt{NationalID: held.NationalID, ProgramYear: held.ProgramYear,
			AgencyID: c.User.LiaisonAgency(), LiaisonID: c.User.ID, HolderID: held.ID, At: now}
		if err := b.store.RecordDuplicateAttempt(c, attempt); err != nil {
			return fmt.Errorf("record duplicate attempt: %w", err)
		}
	}
	if s.Data["edit"] != "" {
		// Correcting a record into someone else's code: refuse, ask again.
		return domain.Conflict("placement.code_taken")
	}
	b.tellDuplicate(c, d)
	return ErrEndFlow
}

// tellDuplicate explains a duplicate: your own record (with a button to open
// it) or another agency's (who and when).
func (b *Bot) tellDuplicate(c *Ctx, d domain.Duplicate) {
	p := d.Existing
	if d.SameAgency {
		kb := transport.Inline(transport.Row(
			transport.Button(c.T("btn.open_record"), b.sign.sign(cbRecord, recOpen, strconv.FormatInt(p.ID, 10)))))
		b.tell(c, c.Chat, c.T("placement.duplicate_own", "name", p.FullName, "date", c.date(p.CreatedAt)), kb)
		return
	}
	agency := c.T("value.unknown_agency")
	if a, err := b.store.Agency(c, p.AgencyID); err == nil {
		agency = a.Name(c.Lang)
	}
	b.tell(c, c.Chat, c.T("placement.duplicate_other", "agency", agency, "date", c.date(p.CreatedAt)), b.nextKeyboard(c, 0))
}

func (b *Bot) placementSubmit(c *Ctx, s *Session) error {
	now := b.now()
	if edit := s.Data["edit"]; edit != "" {
		id, err := parseID(edit)
		if err != nil {
			return domain.NotFound("placement.notfound")
		}
		return b.saveCorrection(c, s, id, now)
	}
	p := domain.PlacementFromValues(b.cal, s.Answers)
	// A job counts in the program year it started: a late registration
	// after Nowruz of a job begun before it belongs to last year, where
	// the same person may already be placed.
	p.AgencyID, p.LiaisonID, p.ProgramYear = c.User.LiaisonAgency(), c.User.ID, b.cal.ProgramYear(p.StartDate)
	p.Submission = submissionKey(c.Chat, s.ID)
	if errs := p.Check(b.cal, now); len(errs) > 0 {
		return errs[0] // an answer no longer valid (a start date now too old): back to the review
	}
	saved, err := b.store.CreatePlacement(c, p, now)
	if d, ok := domain.AsDuplicate(err); ok {
		// Someone registered the code between the check and the confirm.
		if !d.SameAgency {
			b.cfg.Metrics.DuplicateBlocked()
		}
		b.tellDuplicate(c, d)
		return nil
	}
	if err != nil {
		return err
	}
	b.tellPlacementSaved(c, saved)
	return nil
}

func (b *Bot) tellPlacementSaved(c *Ctx, p domain.Placement) {
	b.tell(c, c.Chat, c.T("placement.saved", "id", c.digits(strconv.FormatInt(p.ID, 10)), "name", p.FullName), b.nextKeyboard(c, p.ID))
}

// placementSaved tells of the registration or correction stored under key.
func (b *Bot) placementSaved(c *Ctx, key string) (bool, error) {
	changes, err := b.store.ChangesBySubmission(c, key)
	if err != nil {
		return false, err
	}
	if len(changes) > 0 && changes[0].Field != changeWithdrawn {
		b.tellCorrected(c, changes[0].PlacementID, len(changes))
		return true, nil
	}
	return savedRecord(b.store.PlacementBySubmission, b.tellPlacementSaved)(c, key)
}

// changeWithdrawn is the audit trail's field of a withdrawal.
const changeWithdrawn = "withdrawn"

// nextKeyboard offers what a liaison usually does next.
func (b *Bot) nextKeyboard(c *Ctx, record int64) transport.InlineKeyboard {
	row := []transport.InlineButton{transport.Button(c.T("btn.register_another"), b.sign.sign(cbRegister))}
	if record != 0 {
		row = append(row, transport.Button(c.T("btn.open_record"), b.sign.sign(cbRecord, recOpen, strconv.FormatInt(record, 10))))
	} else {
		row = append(row, transport.Button(c.T("btn.records"), b.sign.sign(cbRecord, recList, "0")))
	}
	return transport.Inline(row)
}

// saveCorrection applies the fields this correction changed to the record as
// it is now, so two liaisons correcting one record do not undo each other,
// and checks it as of the record's own year.
func (b *Bot) saveCorrection(c *Ctx, s *Session, id int64, now time.Time) error {
	current, err := b.store.Placement(c, id)
	if err != nil {
		return err
	}
	var orig map[string]string
	if err := json.Unmarshal([]byte(s.Data["orig"]), &orig); err != nil {
		return fmt.Errorf("correction without its original: %w", err)
	}
	changed := false
	for _, f := range domain.PlacementFields {
		v, ok := s.Answers[f.Key]
		if f.Skipped(s.Answers) {
			v, ok = "", true // no longer asked (funding now none): cleared
		}
		if ok && v != orig[f.Key] {
			f.Set(&current, b.cal, v)
			changed = true
		}
	}
	if !changed {
		b.tell(c, c.Chat, c.T("record.unchanged"), b.nextKeyboard(c, id))
		return nil
	}
	current.AgencyID = c.User.LiaisonAgency()
	if errs := current.Check(b.cal, b.cal.CheckedAt(current.ProgramYear, now)); len(errs) > 0 {
		return errs[0]
	}
	saved, changes, err := b.store.UpdatePlacement(c, current, c.User.ID, now, submissionKey(c.Chat, s.ID))
	if d, ok := domain.AsDuplicate(err); ok {
		b.tellDuplicate(c, d)
		return nil
	}
	if err != nil {
		return err
	}
	b.tellCorrected(c, saved.ID, len(changes))
	return nil
}

func (b *Bot) tellCorrected(c *Ctx, id int64, changes int) {
	b.tell(c, c.Chat, c.N("record.corrected", changes, "id", c.digits(strconv.FormatInt(id, 10)), "count", c.digits(strconv.Itoa(changes))), b.nextKeyboard(c, id))
}

func (b *Bot) cmdRegister(c *Ctx, _ string) error { return b.startFlow(c, "placement", nil) }

func (b *Bot) onRegisterAnother(c *Ctx) error {
	if !c.User.Has(domain.RoleLiaison) {
		return b.refuse(c, "button:register")
	}
	c.answerCallback("")
	return b.startFlow(c, "placement", nil)
}

// describePlacement is a record as a liaison reads it.
func (b *Bot) describePlacement(c *Ctx, p domain.Placement) string {
	var sb strings.Builder
	sb.WriteString(c.T("record.title", "id", c.digits(strconv.FormatInt(p.ID, 10)), "date", c.date(p.CreatedAt)))
	sb.WriteString(b.placementLines(c, p))
	sb.WriteString("\n▪️ " + c.T("record.verification") + ": " + c.T("verification."+string(p.Verification)))
	return sb.String()
}

// placementLines are a record's fields, one "▪️ label: value" line each:
// those named, or all.
func (b *Bot) placementLines(c *Ctx, p domain.Placement, fields ...string) string {
	var sb strings.Builder
	a := p.Values(b.cal)
	for _, f := range b.flows["placement"].Steps {
		v, ok := a[f.Field]
		if !ok || (len(fields) > 0 && !slices.Contains(fields, f.Field)) {
			continue
		}
		shown, _ := b.show(c, nil, f, v)
		fmt.Fprintf(&sb, "\n▪️ %s: %s", c.T("placement."+f.Field+".label"), shown)
	}
	return sb.String()
}
