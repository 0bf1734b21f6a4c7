package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
)

// A vendor whose account already has an open request hears so at /stall,
// with the request's status and what they can do with it, before being
// asked for a phone or a national code.
func TestStallWithOpenRequestToldAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.withMarkets()
	p := h.person(8201, "Vendor")
	requestStall(h, p, validCode(t, 821), "male", false)

	p.send("/stall")
	m := p.expect(h.T("stall.already_open"))
	if want := h.T("stall.state.waiting", "date", "۱۷ خرداد ۱۴۰۵"); !strings.Contains(m.Text, want) {
		t.Errorf("open request told without its status %q:\n%s", want, m.Text)
	}
	if _, ok := m.Button(h.T("btn.cancel_request")); !ok {
		t.Errorf("open request told without its cancel button: %v", m.Buttons())
	}
	p.expectNothing(200 * time.Millisecond)
}

// A market step whose only answer would be "no other market" is not asked:
// not after both markets of district 15, nor after Eslamshahr's only one.
func TestStallSkipsMarketChoiceWithOnlyNone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.withMarkets()
	p := h.person(8211, "Vendor")
	toRegionStep(h, p, validCode(t, 822), "male", false)
	p.tap(h.T("region.district", "n", "۱۵"))
	p.expect(h.T("stall.market1.prompt"))
	p.tap("روز بازار نمونه ۱ منطقه ۱۵ (شنبه، سه‌شنبه)")
	p.expect(h.T("stall.market2.prompt"))
	p.tap("روز بازار نمونه ۲ منطقه ۱۵ (دوشنبه، پنجشنبه)")
	review := p.expect(h.T("stall.review"))
	if strings.Contains(review.Text, h.T("stall.market3.label")) {
		t.Errorf("review shows a third choice nobody was asked:\n%s", review.Text)
	}

	// Changing the area from the review forgets the old area's markets.
	p.tap(h.T("btn.edit", "field", h.T("stall.region.label")))
	p.expect(h.T("stall.region.prompt"))
	p.tap("اسلامشهر")
	p.expect(h.T("stall.market1.prompt"))
	p.tap("روز بازار نمونه اسلامشهر (چهارشنبه)")
	review = p.expect(h.T("stall.review"))
	if strings.Contains(review.Text, "منطقه ۱۵") || strings.Contains(review.Text, h.T("stall.market2.label")) {
		t.Errorf("review after changing the area:\n%s", review.Text)
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("stall.submitted"))
}

// A park bazaar whose season is over is not offered for requests; one whose
// season is still to come is, saying when it opens, and allocation offers
// no stall there until it does.
func TestStallParkBazaarSeason(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.withMarkets()
	parks := must[[]domain.Market](t)(csvimport.Markets(strings.NewReader(
		`code,name_fa,kind,county,district,weekdays,capacity,reserved_share,season_start,season_end
p15-old,بازارچه بهاره بوستان منطقه ۱۵,park,tehran,15,thu;fri,10,0.2,1405/01/01,1405/01/15
p15-new,بازارچه تابستانه بوستان منطقه ۱۵,park,tehran,15,thu;fri,10,0.2,1405/04/01,1405/04/10
`), cal, time.Now()))
	must[int](t)(func() (int, error) { n, _, err := h.db.UpsertMarkets(context.Background(), parks); return n, err }())

	p := h.person(8221, "Vendor")
	toRegionStep(h, p, validCode(t, 823), "male", false)
	p.tap(h.T("region.district", "n", "۱۵"))
	m1 := p.expect(h.T("stall.market1.prompt"))
	summer := "بازارچه تابستانه بوستان منطقه ۱۵ (پنجشنبه، جمعه؛ از ۱ تیر ۱۴۰۵ تا ۱۰ تیر ۱۴۰۵)"
	if _, ok := m1.Button(summer); !ok {
		t.Errorf("the summer bazaar is not offered with its season: %v", m1.Buttons())
	}
	for _, b := range m1.Buttons() {
		if strings.Contains(b, "بهاره") {
			t.Errorf("a bazaar whose season is over is offered: %q", b)
		}
	}
	p.tap(summer)
	p.expect(h.T("stall.market2.prompt"))
	p.tap(h.T("btn.no_more_markets"))
	p.expect(h.T("stall.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("stall.submitted"))

	// Before the season, allocation offers nothing and says why.
	admin := h.person(adminID, "Operator")
	card := openMarket(h, admin, "بازارچه تابستانه")
	admin.press(card.ID, h.T("btn.allocate"))
	admin.expect(h.T("market.out_of_season"))
	p.expectNothing(300 * time.Millisecond)

	// On its first day, the stall is offered.
	h.clock.Advance(15 * 24 * time.Hour) // 17 Khordad to 1 Tir
	card = openMarket(h, admin, "بازارچه تابستانه")
	admin.press(card.ID, h.T("btn.allocate"))
	p.expect(h.T("stall.offer"))
}

// openMarket shows an operator the card of the market named name, from
// the pages of /markets.
func openMarket(h *harness, admin person, name string) fakeapi.Message {
	h.t.Helper()
	admin.send("/markets")
	for {
		list := admin.expect(strings.Split(h.T("market.list"), "(")[0])
		for _, label := range list.Buttons() {
			if strings.Contains(label, name) {
				admin.press(list.ID, label)
				return admin.expect(name)
			}
		}
		if _, ok := list.Button(h.T("btn.page_next")); !ok {
			h.t.Fatalf("no market %q in /markets", name)
		}
		admin.press(list.ID, h.T("btn.page_next"))
	}
}

// «نمی‌خواهم» asks once before declining, and going back shows the offer
// again; after a decline the vendor hears, and /status says, how to ask
// again.
func TestStallDeclineAsksFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	markets := h.withMarkets()
	p := h.person(8231, "Vendor")
	requestStall(h, p, validCode(t, 824), "male", false)
	admin := h.person(adminID, "Operator")
	admin.press(openMarket(h, admin, "روز بازار نمونه ۱ منطقه ۱۵").ID, h.T("btn.allocate"))
	offer := p.expect(h.T("stall.offer"))

	p.press(offer.ID, h.T("btn.decline"))
	p.expect(h.T("stall.decline_confirm", "stall", "۲"))
	held := must[[]domain.StallRequest](t)(h.db.HeldStalls(context.Background(), markets["d15-01"].ID, 1405))
	if len(held) != 1 || held[0].State != domain.StallOffered {
		t.Fatalf("asking to confirm changed the offer: %+v", held)
	}
	p.tap(h.T("btn.back"))
	p.expect(h.T("stall.offer"))
	p.tap(h.T("btn.decline"))
	p.expect(h.T("stall.decline_confirm", "stall", "۲"))
	p.tap(h.T("btn.decline_confirm"))
	told := p.expect(h.T("stall.declined_told"))
	if !strings.Contains(told.Text, h.T("stall.again")) {
		t.Errorf("decline without what to do next:\n%s", told.Text)
	}
	p.send("/status")
	st := p.expect(h.T("stall.state.declined", "date", "۱۷ خرداد ۱۴۰۵"))
	if !strings.Contains(st.Text, h.T("stall.again")) {
		t.Errorf("status of a declined request without what to do next:\n%s", st.Text)
	}
}

// /markets is one message with a button per market, a page at a time; an
// operator's allocation is answered with one message that says what was
// offered, then what the market is left with, on the card with its buttons.
func TestMarketsListedInPagesAndAllocationToldOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.withMarkets()
	more := "code,name_fa,kind,county,district,weekdays,capacity,reserved_share,season_start,season_end\n"
	for i := range 7 {
		more += fmt.Sprintf("x%d,روز بازار افزوده %d,day,eslamshahr,,wed,10,0.2,,\n", i, i)
	}
	extra := must[[]domain.Market](t)(csvimport.Markets(strings.NewReader(more), cal, time.Now()))
	must[int](t)(func() (int, error) { n, _, err := h.db.UpsertMarkets(context.Background(), extra); return n, err }())
	p := h.person(8241, "Vendor")
	requestStall(h, p, validCode(t, 825), "male", false)

	admin := h.person(adminID, "Operator")
	admin.send("/markets")
	list := admin.expect(h.T("market.list", "from", "۱", "to", "۸", "total", "۱۰"))
	if got := len(list.Buttons()); got != 9 { // 8 markets and the next page
		t.Errorf("first page has %d buttons: %v", got, list.Buttons())
	}
	admin.expectNothing(200 * time.Millisecond)
	admin.press(list.ID, h.T("btn.page_next"))
	page2 := admin.expect(h.T("market.list", "from", "۹", "to", "۱۰", "total", "۱۰"))
	if _, ok := page2.Button(h.T("btn.page_prev")); !ok || len(page2.Buttons()) != 3 {
		t.Errorf("second page: %v", page2.Buttons())
	}

	card := openMarket(h, admin, "روز بازار نمونه ۲ منطقه ۱۵")
	admin.press(card.ID, h.T("btn.allocate"))
	p.expect(h.T("stall.offer"))
	got := admin.expect(h.T("market.allocated", "n", "۱"))
	notice := h.T("market.line_empty", "market", "روز بازار نمونه ۲ منطقه ۱۵", "free", "۷۹")
	if i := strings.Index(got.Text, notice); i < strings.Index(got.Text, h.T("market.allocated", "n", "۱")) {
		t.Errorf("allocation's reply lacks %q after what was offered:\n%s", notice, got.Text)
	}
	for _, label := range []string{"btn.allocate", "btn.export", "btn.edit_market", "btn.markets"} {
		if _, ok := got.Button(h.T(label)); !ok {
			t.Errorf("the updated card lacks %q: %v", h.T(label), got.Buttons())
		}
	}
	admin.expectNothing(300 * time.Millisecond)
}

// /invite's list of agencies can be cancelled, as every form's first step
// can, and cancelling makes no link.
func TestInviteCanBeCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/invite")
	choose := admin.expect(h.T("admin.invite_choose"))
	admin.press(choose.ID, h.T("btn.cancel"))
	admin.expect(h.T("flow.cancelled"))
	admin.expectNothing(200 * time.Millisecond)
	if _, ok := must[fakeapi.Message](t)(admin.WaitEdit(choose.ID, wait)).Button(labourFa); ok {
		t.Errorf("the cancelled list still offers its agencies")
	}
}
