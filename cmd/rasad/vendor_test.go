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
