package transport

import (
	"testing"
	"time"
)

// The pacer's bookings are checked at chosen instants, not by sleeping.
func TestPacerPerChatAndOverall(t *testing.T) {
	p := NewPacer(30, 1, 3)
	t0 := time.Unix(1_700_000_000, 0)
	var waits []time.Duration
	for range 5 {
		d, _ := p.reserve(42, t0)
		waits = append(waits, d)
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("one chat, 5 at once: waits %v, want %v", waits, want)
		}
	}
	// Another chat is not held up by the first (the overall budget has room).
	if d, _ := p.reserve(43, t0); d != 0 {
		t.Errorf("another chat waits %v", d)
	}
	// 30 a second overall: the 31st message at one instant waits for a token.
	q := NewPacer(30, 1, 3)
	var last time.Duration
	for chat := range int64(31) {
		last, _ = q.reserve(chat+1, t0)
	}
	if last <= 0 || last > 40*time.Millisecond {
		t.Errorf("31st message overall waits %v, want about 1/30 s", last)
	}
	// A second later the chat's budget has refilled by one.
	if d, _ := p.reserve(44, t0); d != 0 {
		t.Fatal(d)
	}
	for range 2 {
		p.reserve(44, t0)
	}
	if d, _ := p.reserve(44, t0.Add(time.Second)); d != 0 {
		t.Errorf("after a second: wait %v", d)
	}
}

func TestPacerCancelGivesTheBookingBack(t *testing.T) {
	p := NewPacer(30, 1, 1)
	t0 := time.Unix(1_700_000_000, 0)
	p.reserve(7, t0)
	d, cancel := p.reserve(7, t0)
	if d != time.Second {
		t.Fatalf("second message waits %v", d)
	}
	cancel()
	if d, _ := p.reserve(7, t0); d != time.Second {
		t.Errorf("after a cancelled booking the next waits %v, want 1s", d)
	}
}

func TestNilPacerDoesNotPace(t *testing.T) {
	if p := NewPacer(0, 1, 3); p != nil {
		t.Fatal("rate 0 should mean no pacing")
	}
	var p *Pacer
	if err := p.Wait(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
}

// After a 429 every chat waits out retry_after, not just the refused one.
func TestPacerPauseHoldsEveryChat(t *testing.T) {
	p := NewPacer(30, 1, 3)
	t0 := time.Unix(1_700_000_000, 0)
	p.Pause(t0, 5*time.Second)
	if d, _ := p.reserve(99, t0.Add(time.Second)); d != 4*time.Second {
		t.Errorf("another chat during the pause waits %v, want 4s", d)
	}
	if d, _ := p.reserve(98, t0.Add(6*time.Second)); d != 0 {
		t.Errorf("after the pause: %v", d)
	}
	p.Pause(t0, time.Second) // a shorter pause does not cut a longer one
	if d, _ := p.reserve(97, t0.Add(2*time.Second)); d != 3*time.Second {
		t.Errorf("shorter pause: %v", d)
	}
}
