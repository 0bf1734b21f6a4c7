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

// onOffer handles "of|a|<request>" (accept), "of|q|<request>" (asks to
// confirm a decline), "of|d|<request>" (decline) and "of|k|<request>" (not
// declining: the offer again).
func (b *Bot) onOffer(c *Ctx, parts []string) error {
	if len(parts) != 3 {
		return c.stale()
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	switch parts[1] {
	case offerAccept, offerDecline:
	case offerAsk, offerKeep:
		return b.askDecline(c, id, parts[1] == offerAsk)
	default:
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
	b.tell(c, c.Chat, c.T("stall.declined_told")+"\n"+c.T("stall.again"), nil)
	b.reallocate(c, r.MarketID, true)
	return nil
}

// askDecline asks a vendor to confirm declining the offer on their request
// id, since a decline cannot be undone; or, ask false, shows the offer
// again. Either replaces the pressed message's buttons.
func (b *Bot) askDecline(c *Ctx, id int64, ask bool) error {
	reqs, err := b.store.UserStallRequests(c, c.User.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return fmt.Errorf("list requests: %w", err)
	}
	i := slices.IndexFunc(reqs, func(r domain.StallRequest) bool { return r.ID == id && r.State == domain.StallOffered })
	if i < 0 {
		return c.stale() // answered meanwhile, lapsed, or not theirs
	}
	r := reqs[i]
	c.answerCallback("")
	b.closeKeyboard(c, c.callback, "")
	if !ask {
		return c.reply(c.T("stall.offer")+"\n\n"+b.describeRequest(c, r), b.offerKeyboard(c.Lang, r))
	}
	rid := strconv.FormatInt(r.ID, 10)
	return c.reply(c.T("stall.decline_confirm", "stall", c.digits(strconv.Itoa(r.Stall))), transport.Inline(transport.Row(
		transport.Button(c.T("btn.decline_confirm"), b.sign.sign(cbOffer, offerDecline, rid)),
		transport.Button(c.T("btn.back"), b.sign.sign(cbOffer, offerKeep, rid)),
	)))
}

// offerStalls offers market marketID's free stalls to the next in line
// and tells those offered.
func (b *Bot) offerStalls(ctx context.Context, marketID int64) ([]domain.StallRequest, error) {
	now := b.now()
	offered, err := b.store.AllocateMarket(ctx, marketID, b.cal.ProgramYear(now), now, now.Add(b.cfg.OfferTTL), domain.Allocate)
	if err != nil {
		return nil, fmt.Errorf("allocate market %d: %w", marketID, err)
	}
	for _, r := range offered {
		b.tellOffer(ctx, r)
	}
	return offered, nil
}

// reallocate offers a market's free stalls to the next in line, tells those
// offered, and tells operators when this filled the market, or left free
// stalls (freed: a stall was just given back) with nobody in line. It runs
// on its own (a decline, a lapse, the daily run): an operator's own
// allocation is told by allocateReport instead.
func (b *Bot) reallocate(ctx context.Context, marketID int64, freed bool) {
	if marketID == 0 {
		return
	}
	offered, err := b.offerStalls(ctx, marketID)
	if err != nil {
		b.log.Error("allocate market", "market", marketID, "err", err)
		return
	}
	if len(offered) > 0 || freed {
		b.checkMarket(ctx, marketID)
	}
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

// marketState is a market with the stalls offered or allocated there this
// year and its line.
type marketState struct {
	m             domain.Market
	held, waiting []domain.StallRequest
}

func (b *Bot) loadMarketState(ctx context.Context, m domain.Market) (marketState, error) {
	year := b.cal.ProgramYear(b.now())
	held, err := b.store.HeldStalls(ctx, m.ID, year)
	if err != nil {
		return marketState{}, fmt.Errorf("held stalls: %w", err)
	}
	waiting, err := b.store.WaitingFor(ctx, m.ID, year)
	if err != nil {
		return marketState{}, fmt.Errorf("waiting requests: %w", err)
	}
	return marketState{m: m, held: held, waiting: waiting}, nil
}

// notice is what operators should hear of the market in lang: that it is
// full, or has free stalls and nobody waiting; "" otherwise.
func (b *Bot) notice(lang string, st marketState) string {
	key := ""
	switch {
	case len(st.held) >= st.m.Capacity:
		key = "market.full"
	case len(st.waiting) == 0:
		key = "market.line_empty"
	default:
		return ""
	}
	free := st.m.Capacity - len(st.held)
	return b.cat.N(lang, key, free, "market", digitsIn(lang, st.m.Name(lang)), "free", digitsIn(lang, strconv.Itoa(free)))
}

// checkMarket tells operators a market is full, or has free stalls and
// nobody waiting.
func (b *Bot) checkMarket(ctx context.Context, marketID int64) {
	m, err := b.store.Market(ctx, marketID)
	if err != nil {
		b.log.Error("load market", "market", marketID, "err", err)
		return
	}
	st, err := b.loadMarketState(ctx, m)
	if err != nil {
		b.log.Error("market state", "market", marketID, "err", err)
		return
	}
	if b.notice(b.cfg.DefaultLanguage, st) == "" {
		return
	}
	admins, err := b.store.UsersWithRole(ctx, domain.RoleAdmin)
	if err != nil {
		b.log.Error("list admins", "err", err)
		return
	}
	for _, a := range admins {
		b.tell(ctx, a.ID, b.notice(b.langOf(a), st), nil)
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
			lang := b.langOf(u)
			b.tell(ctx, u.ID, b.cat.T(lang, "stall.offer_lapsed")+"\n"+b.cat.T(lang, "stall.again"), nil)
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

// marketsPage is how many markets one message of /markets lists.
const marketsPage = 8

// cmdMarkets lists the markets, a page at a time, each a button to its
// card.
func (b *Bot) cmdMarkets(c *Ctx, _ string) error { return b.listMarkets(c, 0) }

func (b *Bot) listMarkets(c *Ctx, offset int) error {
	markets, err := b.store.Markets(c)
	if err != nil {
		return err
	}
	if len(markets) == 0 {
		return c.reply(c.T("market.none"), nil)
	}
	if offset >= len(markets) { // markets closed since the page was shown
		offset = (len(markets) - 1) / marketsPage * marketsPage
	}
	page := markets[offset:min(offset+marketsPage, len(markets))]
	n := func(i int) string { return c.digits(strconv.Itoa(i)) }
	text := c.T("market.list", "from", n(offset+1), "to", n(offset+len(page)), "total", n(len(markets)))
	var rows [][]transport.InlineButton
	for _, m := range page {
		rows = append(rows, transport.Row(transport.Button(b.marketTitle(c, m), b.sign.sign(cbMarket, mkOpen, strconv.FormatInt(m.ID, 10)))))
	}
	var nav []transport.InlineButton
	if offset > 0 {
		nav = append(nav, transport.Button(c.T("btn.page_prev"), b.sign.sign(cbMarket, mkList, strconv.Itoa(max(offset-marketsPage, 0)))))
	}
	if offset+len(page) < len(markets) {
		nav = append(nav, transport.Button(c.T("btn.page_next"), b.sign.sign(cbMarket, mkList, strconv.Itoa(offset+marketsPage))))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return c.reply(text, transport.Inline(rows...))
}

// replyCard sends market m's card: its occupancy, line and reserved share
// with what an operator can do there, under lead when it is not empty.
func (b *Bot) replyCard(c *Ctx, m domain.Market, lead string) error {
	st, err := b.loadMarketState(c, m)
	if err != nil {
		return err
	}
	offered, reservedHeld := 0, 0
	for _, r := range st.held {
		if r.State == domain.StallOffered {
			offered++
		}
		if m.IsReserved(r.Stall) {
			reservedHeld++
		}
	}
	n := func(i int) string { return c.digits(strconv.Itoa(i)) }
	text := c.T("market.summary", "market", b.marketLabel(c, m), "held", n(len(st.held)), "capacity", n(m.Capacity),
		"offered", n(offered), "reserved_held", n(reservedHeld), "reserved", n(m.Reserved()), "waiting", n(len(st.waiting)))
	if lead != "" {
		text = lead + "\n\n" + text
	}
	id := strconv.FormatInt(m.ID, 10)
	return c.reply(text, transport.Inline(
		transport.Row(
			transport.Button(c.T("btn.allocate"), b.sign.sign(cbMarket, mkAllocate, id)),
			transport.Button(c.T("btn.export"), b.sign.sign(cbMarket, mkExport, id)),
			transport.Button(c.T("btn.edit_market"), b.sign.sign(cbMarket, mkEdit, id)),
		),
		transport.Row(transport.Button(c.T("btn.markets"), b.sign.sign(cbMarket, mkList, "0"))),
	))
}

// allocateReport offers market m's free stalls for the operator who asked
// and says in one piece what came of it: how many were offered and, after
// that, whether the market is full or has free stalls nobody waits for.
func (b *Bot) allocateReport(c *Ctx, m domain.Market) (report string, offered int, err error) {
	if !m.InSeason(b.now()) {
		return c.T("market.out_of_season"), 0, nil
	}
	rs, err := b.offerStalls(c, m.ID)
	if err != nil {
		return "", 0, err
	}
	report = c.N("market.allocated", len(rs), "n", c.digits(strconv.Itoa(len(rs))))
	st, err := b.loadMarketState(c, m)
	if err != nil {
		return "", 0, err
	}
	if notice := b.notice(c.Lang, st); notice != "" {
		report += "\n" + notice
	}
	return report, len(rs), nil
}

// onMarket handles "mk|ls|<offset>" (a page of the list), "mk|op|<id>"
// (a market's card), "mk|al|<id>" (allocate), "mk|ex|<id>" (export) and
// "mk|ed|<id>" (change capacity and share).
func (b *Bot) onMarket(c *Ctx, parts []string) error {
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:market")
	}
	if len(parts) != 3 {
		return c.stale()
	}
	if parts[1] == mkList {
		offset, err := strconv.Atoi(parts[2])
		if err != nil || offset < 0 {
			return c.stale()
		}
		c.answerCallback("")
		return b.listMarkets(c, offset)
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
	case mkOpen:
		return b.replyCard(c, m, "")
	case mkAllocate:
		report, _, err := b.allocateReport(c, m)
		if err != nil {
			return err
		}
		// The card comes again, updated: the old one's buttons go.
		b.closeKeyboard(c, c.callback, "")
		return b.replyCard(c, m, report)
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
			// Saved: from here on nothing fails the submit. More stalls
			// may have come free: offer them, and say so in one message.
			lead := c.T("market.updated")
			report, offered, err := b.allocateReport(c, m)
			if err != nil {
				b.log.Error("allocate after market edit", "market", m.ID, "err", err)
			} else if offered > 0 {
				lead += "\n" + report
			}
			if err := b.replyCard(c, m, lead); err != nil {
				b.log.Error("market card after edit", "market", m.ID, "err", err)
			}
			return nil
		},
	}
}
