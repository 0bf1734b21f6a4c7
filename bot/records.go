package bot

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// A liaison's own agency's records: listed newest first, opened, corrected
// field by field (the placement form, pre-filled) or withdrawn with a
// reason. Every button names a record id; the record's agency is checked on
// every press, so no button reaches another agency's record.

const recordsPage = 8

func (b *Bot) cmdRecords(c *Ctx, _ string) error { return b.listRecords(c, 0) }

func (b *Bot) listRecords(c *Ctx, offset int) error {
	ps, total, err := b.store.AgencyPlacements(c, c.User.LiaisonAgency(), recordsPage, offset)
	if err != nil {
		return fmt.Errorf("list records: %w", err)
	}
	if total == 0 {
		return c.reply(c.T("records.none"), nil)
	}
	text := c.T("records.title", "from", c.digits(strconv.Itoa(offset+1)), "to", c.digits(strconv.Itoa(offset+len(ps))), "total", c.digits(strconv.Itoa(total)))
	var rows [][]transport.InlineButton
	for _, p := range ps {
		label := c.T("records.item", "id", c.digits(strconv.FormatInt(p.ID, 10)), "name", p.FullName, "date", c.date(p.StartDate))
		rows = append(rows, transport.Row(transport.Button(label, b.sign.sign(cbRecord, recOpen, strconv.FormatInt(p.ID, 10)))))
	}
	var nav []transport.InlineButton
	if offset > 0 {
		nav = append(nav, transport.Button(c.T("btn.newer"), b.sign.sign(cbRecord, recList, strconv.Itoa(max(offset-recordsPage, 0)))))
	}
	if offset+len(ps) < total {
		nav = append(nav, transport.Button(c.T("btn.older"), b.sign.sign(cbRecord, recList, strconv.Itoa(offset+recordsPage))))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return c.reply(text, transport.Inline(rows...))
}

// onRecord handles "rec|list|<offset>", "rec|open|<id>", "rec|fix|<id>",
// "rec|field|<id>|<field>" and "rec|wd|<id>".
func (b *Bot) onRecord(c *Ctx, parts []string) error {
	if !c.User.Has(domain.RoleLiaison) {
		return b.refuse(c, "button:record")
	}
	if len(parts) < 3 {
		return c.stale()
	}
	if parts[1] == recList {
		offset, err := strconv.Atoi(parts[2])
		if err != nil || offset < 0 {
			return c.stale()
		}
		c.answerCallback("")
		return b.listRecords(c, offset)
	}
	n, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	p, ok, err := b.agencyRecord(c, n, "record")
	switch {
	case !ok:
		return err
	case p.Withdrawn():
		c.answerCallback(c.T("record.withdrawn"))
		return nil
	}
	c.answerCallback("")
	id := strconv.FormatInt(p.ID, 10)
	switch parts[1] {
	case recOpen:
		text := b.describePlacement(c, p)
		rows := [][]transport.InlineButton{transport.Row(
			transport.Button(c.T("btn.correct"), b.sign.sign(cbRecord, recFix, id)),
			transport.Button(c.T("btn.withdraw"), b.sign.sign(cbRecord, recWithdraw, id)),
		)}
		if p.Verification == domain.VerifyRejected {
			why, contestable, err := b.recordVerification(c, p)
			if err != nil {
				return err
			}
			if why != "" {
				text += "\n" + why
			}
			if contestable {
				rows = append(rows, transport.Row(transport.Button(c.T("btn.contest"), b.sign.sign(cbContest, ctStart, id))))
			}
		}
		rows = append(rows, transport.Row(transport.Button(c.T("btn.records"), b.sign.sign(cbRecord, recList, "0"))))
		return c.reply(text, transport.Inline(rows...))
	case recFix:
		return b.chooseFieldToCorrect(c, p)
	case recField:
		if len(parts) != 4 {
			return c.stale()
		}
		orig, err := json.Marshal(p.Values(b.cal))
		if err != nil {
			return err
		}
		data := map[string]string{"edit": id, "edit_code": string(p.NationalID), "edit_year": strconv.Itoa(p.ProgramYear), "orig": string(orig)}
		return b.startFlowAt(c, "placement", data, p.Values(b.cal), parts[3])
	case recWithdraw:
		return b.startFlow(c, "withdraw", map[string]string{"id": id, "record": c.T("records.item", "id", c.digits(id), "name", p.FullName, "date", c.date(p.StartDate))})
	}
	return nil
}

func (b *Bot) chooseFieldToCorrect(c *Ctx, p domain.Placement) error {
	id := strconv.FormatInt(p.ID, 10)
	a := p.Values(b.cal)
	var rows [][]transport.InlineButton
	var row []transport.InlineButton
	for _, f := range domain.PlacementFields {
		if _, ok := a[f.Key]; !ok {
			continue // not asked for this record (no district outside Tehran)
		}
		row = append(row, transport.Button(c.T("placement."+f.Key+".label"), b.sign.sign(cbRecord, recField, id, f.Key)))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return c.reply(c.T("record.choose_field"), transport.Inline(rows...))
}

// withdrawFlow takes a record back, with the reason kept in the audit trail.
func (b *Bot) withdrawFlow() *Flow {
	return &Flow{
		Name:  "withdraw",
		Steps: []Step{{Field: "reason", Input: InputText, Parse: parseAs(domain.ParseTitle)}},
		Submit: func(c *Ctx, s *Session) error {
			id, _ := strconv.ParseInt(s.Data["id"], 10, 64)
			p, err := b.store.WithdrawPlacement(c, id, c.User.LiaisonAgency(), c.User.ID, s.Answers["reason"], b.now(), submissionKey(c.Chat, s.ID))
			if err != nil {
				return err
			}
			b.tellWithdrawn(c, p)
			return nil
		},
		Saved: func(c *Ctx, key string) (bool, error) {
			changes, err := b.store.ChangesBySubmission(c, key)
			if err != nil || len(changes) == 0 || changes[0].Field != changeWithdrawn {
				return false, err
			}
			p, err := b.store.Placement(c, changes[0].PlacementID)
			if err != nil {
				return false, err
			}
			b.tellWithdrawn(c, p)
			return true, nil
		},
	}
}

func (b *Bot) tellWithdrawn(c *Ctx, p domain.Placement) {
	b.tell(c, c.Chat, c.T("record.withdrawn_done", "id", c.digits(strconv.FormatInt(p.ID, 10)), "name", p.FullName), nil)
}

// agencyRecord loads record id for a liaison of its agency. ok is false
// when the press has been answered instead (a record gone, another
// agency's: refused as action), with err what to return.
func (b *Bot) agencyRecord(c *Ctx, id int64, action string) (p domain.Placement, ok bool, err error) {
	p, err = b.store.Placement(c, id)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return p, false, c.stale()
	case err != nil:
		return p, false, fmt.Errorf("load record: %w", err)
	case p.AgencyID != c.User.LiaisonAgency():
		return p, false, b.refuse(c, action+":of-agency-"+strconv.FormatInt(p.AgencyID, 10)+":"+strconv.FormatInt(p.ID, 10))
	}
	return p, true, nil
}
