package main

import (
	"strings"
	"testing"
	"time"
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
