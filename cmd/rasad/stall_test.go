package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
)

const testMarkets = `code,name_fa,kind,county,district,weekdays,capacity,reserved_share,season_start,season_end
d15-01,روز بازار نمونه ۱ منطقه ۱۵,day,tehran,15,sat;tue,2,0.5,,
d15-02,روز بازار نمونه ۲ منطقه ۱۵,day,tehran,15,mon;thu,80,0.20,,
eslam-01,روز بازار نمونه اسلامشهر,day,eslamshahr,,wed,90,0.20,,
`

// withMarkets loads the test markets: d15-01 has 2 stalls, 1 reserved.
func (h *harness) withMarkets() map[string]domain.Market {
	h.t.Helper()
	ms := must[[]domain.Market](h.t)(csvimport.Markets(strings.NewReader(testMarkets), cal, time.Now()))
	if _, _, err := h.db.UpsertMarkets(context.Background(), ms); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]domain.Market{}
	for _, m := range must[[]domain.Market](h.t)(h.db.Markets(context.Background())) {
		out[m.Code] = m
	}
	return out
}

// requestStall takes a vendor through the whole request for d15-01, then
// d15-02 as second choice.
func requestStall(h *harness, p person, code domain.NationalID, gender string, femaleHead bool) {
	h.t.Helper()
	toRegionStep(h, p, code, gender, femaleHead)
	p.tap(h.T("region.district", "n", "۱۵"))
	m1 := p.expect(h.T("stall.market1.prompt"))
	if len(m1.Buttons()) != 4 { // two markets of district 15, back and cancel
		h.t.Errorf("market buttons %v: want district 15's two", m1.Buttons())
	}
	p.tap("روز بازار نمونه ۱ منطقه ۱۵ (شنبه، سه‌شنبه)")
	p.expect(h.T("stall.market2.prompt"))
	p.tap("روز بازار نمونه ۲ منطقه ۱۵ (دوشنبه، پنجشنبه)")
	p.expect(h.T("stall.review")) // district 15 has no third market to ask for
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("stall.submitted"))
}

// toRegionStep takes a vendor through /stall up to the area step.
func toRegionStep(h *harness, p person, code domain.NationalID, gender string, femaleHead bool) {
	h.t.Helper()
	p.send("/stall")
	p.expect(h.T("stall.phone.prompt"))
	must[int](h.t)(p.ShareContact("+98 912 000 "+fmt.Sprint(1000+p.ID()%9000), p.ID()))
	p.expect(h.T("contact.received"))
	p.expect(h.T("stall.nationalid.prompt"))
	p.send(domain.PersianDigits(string(code)))
	p.expect(h.T("stall.name.prompt"))
	p.send("فاطمه محمدي")
	p.expect(h.T("stall.gender.prompt"))
	p.tap(h.T("gender." + gender))
	if gender == "female" {
		p.expect(h.T("stall.femalehead.prompt"))
		if femaleHead {
			p.tap(h.T("btn.yes"))
		} else {
			p.tap(h.T("btn.no"))
		}
	}
	p.expect(h.T("stall.category.prompt"))
	p.tap(h.T("category.handicrafts"))
	p.expect(h.T("stall.vendorkind.prompt"))
	p.tap(h.T("vendorkind.home"))
	p.expect(h.T("stall.region.prompt"))
}

func TestStallRequestWholeFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.withMarkets()
	p := h.person(8001, "Fatemeh")
	// From /start, as a first-time vendor would.
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.vendor"))
	p.expect(h.T("stall.phone.prompt"))
	must[int](t)(p.ShareContact("09120001111", 999)) // someone else's contact
	p.expect(h.T("err.contact.notown"))
	p.send("/cancel")
	p.expect(h.T("flow.cancelled"))

	code := validCode(t, 801)
	requestStall(h, p, code, "female", true)
	r := must[domain.StallRequest](t)(h.db.OpenStallRequest(context.Background(), 1405, code))
	if r.FullName != "فاطمه محمدی" || !r.FemaleHead || len(r.Markets) != 2 || r.Category != domain.ProductHandicrafts || r.VendorKind != domain.VendorHome {
		t.Errorf("stored request %+v", r)
	}
	p.send("/status")
	st := p.expect(h.T("stall.state.waiting", "date", "۱۷ خرداد ۱۴۰۵"))
	if !strings.Contains(st.Text, h.T("stall.position", "market", "روز بازار نمونه ۱ منطقه ۱۵", "n", "۱")) {
		t.Errorf("status lacks the position:\n%s", st.Text)
	}

	// A second request, from anyone with this code, is not taken.
	p.send("/stall")
	p.expect(h.T("stall.already_open"))
	other := h.person(8002, "Other")
	other.send("/stall")
	other.expect(h.T("stall.phone.prompt"))
	must[int](t)(other.ShareContact("09120002222", other.ID()))
	other.expect(h.T("contact.received"))
	other.expect(h.T("stall.nationalid.prompt"))
	other.send(string(code))
	other.expect(h.T("stall.code_has_open"))

	// Withdrawn from /status, the request frees the code for a new one.
	p.send("/status")
	st = p.expect(h.T("stall.state.waiting", "date", "۱۷ خرداد ۱۴۰۵"))
	p.press(st.ID, h.T("btn.cancel_request"))
	p.expect(h.T("stall.cancelled"))
	if _, err := h.db.OpenStallRequest(context.Background(), 1405, code); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("cancelled request still open: %v", err)
	}
}

// Allocation at a market of 2 stalls, one reserved: the reserved stall goes
// to the female head even though she asked last; the open one to the first
// asker. A decline passes the open stall on; a lapse passes the reserved
// stall only to the next female head.
func TestStallAllocationOffersAndCascade(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	markets := h.withMarkets()
	admin := h.person(adminID, "Operator")
	man1 := h.person(8101, "Man 1")
	man2 := h.person(8102, "Man 2")
	woman := h.person(8103, "Woman, not head")
	head1 := h.person(8104, "Head 1")
	head2 := h.person(8105, "Head 2")
	for i, v := range []struct {
		p      person
		gender string
		head   bool
	}{{man1, "male", false}, {man2, "male", false}, {woman, "female", false}, {head1, "female", true}, {head2, "female", true}} {
		requestStall(h, v.p, validCode(t, 810+i), v.gender, v.head)
		h.clock.Advance(time.Minute)
	}

	summary := openMarket(h, admin, "روز بازار نمونه ۱ منطقه ۱۵")
	if !strings.Contains(summary.Text, "۰ از ۲") {
		t.Errorf("summary before allocation:\n%s", summary.Text)
	}
	admin.press(summary.ID, h.T("btn.allocate"))
	summary = admin.expect(h.T("market.allocated", "n", "۲") + "\n" + h.T("market.full", "market", "روز بازار نمونه ۱ منطقه ۱۵"))

	// Stall 1 (reserved) to head1, stall 2 (open) to man1.
	off1 := head1.expect(h.T("stall.offer"))
	if !strings.Contains(off1.Text, h.T("stall.state.offered", "market", "روز بازار نمونه ۱ منطقه ۱۵", "stall", "۱", "days", "شنبه، سه‌شنبه", "deadline", "")[:20]) {
		t.Errorf("offer text:\n%s", off1.Text)
	}
	off2 := man1.expect(h.T("stall.offer"))
	head1.tap(h.T("btn.accept"))
	head1.expect(strings.Split(h.T("stall.state.allocated"), "{")[0])

	// man1 declines: the open stall passes to the next in line, man2.
	man1.press(off2.ID, h.T("btn.decline"))
	man1.expect(h.T("stall.decline_confirm", "stall", "۲"))
	man1.tap(h.T("btn.decline_confirm"))
	man1.expect(h.T("stall.declined_told"))
	off3 := man2.expect(h.T("stall.offer"))
	admin.expect(h.T("market.full", "market", "روز بازار نمونه ۱ منطقه ۱۵")) // filled again by the decline's run
	// The offer's buttons are gone; a client replaying Accept is refused.
	acceptBtn, _ := off2.Button(h.T("btn.accept"))
	id := must[string](t)(man1.PressData(off2.ID, acceptBtn.Data))
	if a := must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id, wait)); a.Text != h.T("btn.stale") {
		t.Errorf("accepting after declining answered %q", a.Text)
	}

	// man2 lets it lapse: it passes on, again in line order (the woman
	// who is not a head, then head2 for an open stall).
	h.clock.Advance(h.cfg.OfferTTL + time.Minute)
	if err := h.procs[0].bot.ExpireOffers(context.Background()); err != nil {
		t.Fatal(err)
	}
	man2.expect(h.T("stall.offer_lapsed"))
	woman.expect(h.T("stall.offer"))
	admin.expect(h.T("market.full", "market", "روز بازار نمونه ۱ منطقه ۱۵")) // and by the lapse's, once each
	admin.expectNothing(200 * time.Millisecond)
	if a := man2.press(off3.ID, h.T("btn.accept")); a.Text != h.T("btn.stale") && a.Text != h.T("stall.offer_expired") {
		t.Errorf("accepting a lapsed offer answered %q", a.Text)
	}

	held := must[[]domain.StallRequest](t)(h.db.HeldStalls(context.Background(), markets["d15-01"].ID, 1405))
	if len(held) != 2 || held[0].Stall != 1 || !held[0].FemaleHead || held[0].State != domain.StallAllocated || held[1].Stall != 2 {
		t.Errorf("held stalls %+v", held)
	}
	head2.send("/status")
	head2.expect(h.T("stall.state.waiting", "date", "۱۷ خرداد ۱۴۰۵"))
	head1.send("/status")
	head1.expect(strings.Split(h.T("stall.state.allocated"), "{")[0])

	// The operator's export: the market's stalls and its line.
	admin.press(summary.ID, h.T("btn.export"))
	doc, err := admin.Next(wait)
	if err != nil || doc.Document == nil {
		t.Fatalf("export: %+v, %v", doc, err)
	}
	table := must[*xlsx.Table](t)(xlsx.Read(doc.Document.Data, 0))
	defer table.Close()
	if table.Name != h.T("export.stalls") || table.Count != 2 || table.Header[0] != h.T("export.stall") {
		t.Errorf("export sheet %q, %d rows, header %q", table.Name, table.Count, table.Header)
	}
}

func TestOperatorEditsMarket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	markets := h.withMarkets()
	admin := h.person(adminID, "Operator")
	first := openMarket(h, admin, "روز بازار نمونه ۱ منطقه ۱۵")
	admin.press(first.ID, h.T("btn.edit_market"))
	admin.expect(h.T("market_edit.capacity.prompt"))
	admin.send("ده")
	admin.expect(h.T("err.market.capacity"))
	admin.send("۱۰")
	admin.expect(h.T("market_edit.share.prompt"))
	admin.send("۳۰٪")
	review := admin.expect(h.T("market_edit.review", "market", "روز بازار نمونه ۱ منطقه ۱۵"))
	if !strings.Contains(review.Text, "۳۰٪") {
		t.Errorf("review:\n%s", review.Text)
	}
	admin.tap(h.T("btn.confirm"))
	admin.expect(h.T("market.updated"))
	m := must[domain.Market](t)(h.db.Market(context.Background(), markets["d15-01"].ID))
	if m.Capacity != 10 || m.ReservedShare != 0.3 || m.Reserved() != 3 {
		t.Errorf("market after edit: %+v", m)
	}
}
