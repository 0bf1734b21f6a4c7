package bot

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// Offers: allocation gives a vendor a stall to accept or decline before a
// deadline; a decline or a lapse passes the stall to the next in line (the
// reserved share kept, since reserved stalls are numbered apart). Operators
// run allocation per market and watch occupancy, lines and the reserved share.

// onOffer handles "of|a|<request>" (accept) and "of|d|<request>" (decline).
func (b *Bot) onOffer(c *Ctx, parts []string) error {
	if len(parts) != 3 || (parts[1] != offerAccept && parts[1] != offerDecline) {
		return c.stale()
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	accept := parts[1] == offerAccept
	r, err := b.store.RespondToOffer(c, id, c.User.ID, accept, b.now(), c.callback.ID)
	switch {
	case domain.IsKind(err, domain.KindForbidden):
		return b.refuse(c, "button:offer-of-another")
	case domain.CodeOf(err) == "stall.expired":
		c.answerCallback(c.T("stall.offer_expired"))
		b.reallocate(c, r.MarketID, true)
		return nil
	case domain.IsKind(err, domain.KindConflict), domain.IsKind(err, domain.KindNotFound):
		return c.stale() // answered already (a double tap), or withdrawn
	case err != nil:
		return err
	}
	// Answered: from here on only telling and passing the stall on.
	c.answerCallback(c.T("stall.answer." + parts[1]))
	b.closeKeyboard(c, c.callback, c.T("stall.answer."+parts[1]))
	if accept {
		b.tell(c, c.Chat, b.describeRequest(c, r), nil)
		return nil
	}
	b.tell(c, c.Chat, c.T("stall.declined_told"), nil)
	b.reallocate(c, r.MarketID, true)
	return nil
}

// reallocate offers a market's free stalls to the next in line, tells those
// offered, and tells operators when this filled the market, or left free
// stalls (freed: a stall was just given back) with nobody in line.
func (b *Bot) reallocate(ctx context.Context, marketID int64, freed bool) []domain.StallRequest {
	if marketID == 0 {
		return nil
	}
	now := b.now()
	offered, err := b.store.AllocateMarket(ctx, marketID, b.cal.ProgramYear(now), now, now.Add(b.cfg.OfferTTL), domain.Allocate)
	if err != nil {
		b.log.Error("allocate market", "market", marketID, "err", err)
		return nil
	}
	for _, r := range offered {
		b.tellOffer(ctx, r)
	}
	if len(offered) > 0 || freed {
		b.checkMarket(ctx, marketID)
	}
	return offered
}

// tellOffer writes an offer to its vendor, in their language.
func (b *Bot) tellOffer(ctx context.Context, r domain.StallRequest) {
	u, err := b.store.User(ctx, r.UserID)
	if err != nil {
		b.log.Error("load vendor", "request", r.ID, "err", err)
		return
	}
	lang := b.langOf(u)
	vc := &Ctx{Context: ctx, b: b, User: u, Known: true, Chat: u.ID, Lang: lang}
	text := b.cat.T(lang, "stall.offer") + "\n\n" + b.describeRequest(vc, r)
	b.tell(ctx, u.ID, text, b.offerKeyboard(lang, r))
}

// checkMarket tells operators a market is full, or has free stalls and
// nobody waiting.
func (b *Bot) checkMarket(ctx context.Context, marketID int64) {
	m, err := b.store.Market(ctx, marketID)
	if err != nil {
		b.log.Error("load market", "market", marketID, "err", err)
		return
	}
	held, err := b.store.HeldStalls(ctx, marketID, b.cal.ProgramYear(b.now()))
	if err != nil {
		b.log.Error("held stalls", "market", marketID, "err", err)
		return
	}
	waiting, err := b.store.WaitingFor(ctx, marketID, b.cal.ProgramYear(b.now()))
	if err != nil {
		b.log.Error("waiting requests", "market", marketID, "err", err)
		return
	}
	key := ""
	switch {
	case len(held) >= m.Capacity:
		key = "market.full"
	case len(waiting) == 0:
		key = "market.line_empty"
	default:
		return
	}
	admins, err := b.store.UsersWithRole(ctx, domain.RoleAdmin)
	if err != nil {
		b.log.Error("list admins", "err", err)
		return
	}
	for _, a := range admins {
		lang := b.langOf(a)
		free := digitsIn(lang, strconv.Itoa(m.Capacity-len(held)))
		b.tell(ctx, a.ID, b.cat.N(lang, key, m.Capacity-len(held), "market", digitsIn(lang, m.Name(lang)), "free", free), nil)
	}
}

// ExpireOffers lapses offers past their deadline, tells their vendors and
// passes the stalls on. serve runs it every minute; tests call it after
// moving the clock.
func (b *Bot) ExpireOffers(ctx context.Context) error {
	expired, err := b.store.ExpireOffers(ctx, b.now())
	if err != nil {
		return fmt.Errorf("expire offers: %w", err)
	}
	var markets []int64
	for _, r := range expired {
		if u, err := b.store.User(ctx, r.UserID); err == nil {
			b.tell(ctx, u.ID, b.cat.T(b.langOf(u), "stall.offer_lapsed"), nil)
		}
		if !slices.Contains(markets, r.MarketID) {
			markets = append(markets, r.MarketID)
		}
	}
	for _, m := range markets {
		b.reallocate(ctx, m, true)
	}
	return nil
}

// AllocateAll runs allocation for every market, for the daily run.
func (b *Bot) AllocateAll(ctx context.Context) error {
	markets, err := b.store.Markets(ctx)
	if err != nil {
		return fmt.Errorf("list markets: %w", err)
	}
	for _, m := range markets {
		b.reallocate(ctx, m.ID, false)
	}
	return nil
}

// cmdMarkets shows operators each market's occupancy, line and reserved share.
func (b *Bot) cmdMarkets(c *Ctx, _ string) error {
	markets, err := b.store.Markets(c)
	if err != nil {
		return err
	}
	if len(markets) == 0 {
		return c.reply(c.T("market.none"), nil)
	}
	for _, m := range markets {
		text, err := b.marketSummary(c, m)
		if err != nil {
			return err
		}
		id := strconv.FormatInt(m.ID, 10)
		kb := transport.Inline(transport.Row(
			transport.Button(c.T("btn.allocate"), b.sign.sign(cbMarket, mkAllocate, id)),
			transport.Button(c.T("btn.export"), b.sign.sign(cbMarket, mkExport, id)),
			transport.Button(c.T("btn.edit_market"), b.sign.sign(cbMarket, mkEdit, id)),
		))
		if err := c.reply(text, kb); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bot) marketSummary(c *Ctx, m domain.Market) (string, error) {
	held, err := b.store.HeldStalls(c, m.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return "", err
	}
	waiting, err := b.store.WaitingFor(c, m.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return "", err
	}
	offered, reservedHeld := 0, 0
	for _, r := range held {
		if r.State == domain.StallOffered {
			offered++
		}
		if m.IsReserved(r.Stall) {
			reservedHeld++
		}
	}
	n := func(i int) string { return c.digits(strconv.Itoa(i)) }
	return c.T("market.summary", "market", b.marketLabel(c, m), "held", n(len(held)), "capacity", n(m.Capacity),
		"offered", n(offered), "reserved_held", n(reservedHeld), "reserved", n(m.Reserved()), "waiting", n(len(waiting))), nil
}

// onMarket handles "mk|al|<id>" (allocate) and "mk|ex|<id>" (export).
func (b *Bot) onMarket(c *Ctx, parts []string) error {
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:market")
	}
	if len(parts) != 3 {
		return c.stale()
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	m, err := b.store.Market(c, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return c.stale()
	}
	if err != nil {
		return err
	}
	c.answerCallback("")
	switch parts[1] {
	case mkAllocate:
		offered := b.reallocate(c, m.ID, false)
		text, err := b.marketSummary(c, m)
		if err != nil {
			return err
		}
		return c.reply(c.N("market.allocated", len(offered), "n", c.digits(strconv.Itoa(len(offered))))+"\n\n"+text, nil)
	case mkExport:
		return b.exportMarket(c, m)
	case mkEdit:
		return b.startFlow(c, "market_edit", map[string]string{"id": parts[2], "market": b.marketTitle(c, m)})
	}
	return c.stale()
}

// exportMarket sends a market's stalls and line as a spreadsheet.
func (b *Bot) exportMarket(c *Ctx, m domain.Market) error {
	held, err := b.store.HeldStalls(c, m.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return err
	}
	waiting, err := b.store.WaitingFor(c, m.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return err
	}
	col := func(key string) xlsx.Column { return xlsx.Column{Header: c.T("export." + key)} }
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf,
		xlsx.Sheet{Name: c.T("export.stalls"), RTL: c.Lang == "fa", Columns: []xlsx.Column{
			col("stall"), col("reserved"), col("name"), col("nationalid"), col("phone"), col("femalehead"), col("state"), col("deadline")}},
		xlsx.Sheet{Name: c.T("export.line"), RTL: c.Lang == "fa", Columns: []xlsx.Column{
			col("position"), col("name"), col("nationalid"), col("phone"), col("femalehead"), col("rank"), col("date")}},
	)
	if err != nil {
		return err
	}
	yes := func(v bool) string {
		if v {
			return c.T("btn.yes")
		}
		return c.T("btn.no")
	}
	slices.SortFunc(held, func(a, b domain.StallRequest) int { return a.Stall - b.Stall })
	for _, r := range held {
		if err := w.AddRow(0, xlsx.Cell{Value: r.Stall}, xlsx.Cell{Value: yes(m.IsReserved(r.Stall))}, xlsx.Cell{Value: r.FullName},
			xlsx.Cell{Value: string(r.NationalID)}, xlsx.Cell{Value: r.Phone.Local()}, xlsx.Cell{Value: yes(r.FemaleHead)},
			xlsx.Cell{Value: c.T("stall.state_short." + string(r.State))}, xlsx.Cell{Value: b.cal.FormatJalaliNumeric(r.Deadline)}); err != nil {
			return err
		}
	}
	reserved, open := domain.Line(m, waiting)
	line := append(slices.Clone(reserved), open...)
	seen := map[int64]bool{}
	pos := 0
	for _, r := range line {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		pos++
		if err := w.AddRow(1, xlsx.Cell{Value: pos}, xlsx.Cell{Value: r.FullName}, xlsx.Cell{Value: string(r.NationalID)},
			xlsx.Cell{Value: r.Phone.Local()}, xlsx.Cell{Value: yes(r.FemaleHead)}, xlsx.Cell{Value: r.Rank(m.ID)},
			xlsx.Cell{Value: b.cal.FormatJalaliNumeric(r.CreatedAt)}); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: "market-" + m.Code + ".xlsx", Bytes: buf.Bytes()}}
	doc.Caption = b.marketTitle(c, m)
	err = b.send.Send(c, c.Chat, doc)
	return err
}

// marketEditFlow changes a market's capacity and reserved share; names,
// place and days come with imports.
func (b *Bot) marketEditFlow() *Flow {
	return &Flow{
		Name: "market_edit",
		Steps: []Step{
			{Field: "capacity", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) {
				n, err := domain.ParseCapacity(s)
				return strconv.Itoa(n), err
			}, Show: func(c *Ctx, v string) string { return c.digits(v) }},
			{Field: "share", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) {
				v, err := domain.ParseShare(s)
				return strconv.FormatFloat(v, 'f', -1, 64), err
			}, Show: func(c *Ctx, v string) string {
				f, _ := strconv.ParseFloat(v, 64)
				return c.digits(strconv.FormatFloat(f*100, 'f', -1, 64)) + "٪"
			}},
		},
		Begin: requireAdmin,
		Submit: func(c *Ctx, s *Session) error {
			id, err := parseID(s.Data["id"])
			if err != nil {
				return domain.NotFound("market.notfound")
			}
			m, err := b.store.Market(c, id)
			if err != nil {
				return err
			}
			m.Capacity, _ = strconv.Atoi(s.Answers["capacity"])
			m.ReservedShare, _ = strconv.ParseFloat(s.Answers["share"], 64)
			if err := m.Validate(); err != nil {
				return err
			}
			if err := b.store.UpdateMarket(c, m); err != nil {
				return err
			}
			text, err := b.marketSummary(c, m)
			if err != nil {
				return err
			}
			b.tell(c, c.Chat, c.T("market.updated")+"\n\n"+text, nil)
			// More stalls may have come free: offer them.
			b.reallocate(c, m.ID, false)
			return nil
		},
	}
}
