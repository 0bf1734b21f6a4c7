package main

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

// The dispatcher's at-least-once, at-most-once handling against real Redis,
// with a handler scripted per test.

type scriptedHandler struct {
	handle  func(n int) error // n counts calls from 1
	calls   atomic.Int32
	gaveUp  atomic.Int32
	mu      sync.Mutex
	gaveErr error
}

func (h *scriptedHandler) StateKey(chat int64) string { return "test:" + strconv.FormatInt(chat, 10) }

func (h *scriptedHandler) Prepare(context.Context, []int64) []transport.State { return nil }

func (h *scriptedHandler) Handle(ctx context.Context, u transport.Update, _ *transport.State) error {
	return h.handle(int(h.calls.Add(1)))
}

func (h *scriptedHandler) GiveUp(ctx context.Context, u transport.Update, err error) {
	h.gaveUp.Add(1)
	h.mu.Lock()
	h.gaveErr = err
	h.mu.Unlock()
}

func newTestDispatcher(t *testing.T, h transport.Handler, owner string) *transport.Dispatcher {
	return &transport.Dispatcher{
		Handler: h,
		Log:     redistest.New(t),
		Owner:   owner,
		Lease:   300 * time.Millisecond,
		Keep:    time.Hour,
		Retries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
		Logger:  slog.New(slog.DiscardHandler),
		Timeout: 5 * time.Second,
	}
}

func textUpdate(id int) transport.Update {
	return transport.Update{UpdateID: id, Message: &transport.Message{Chat: &transport.Chat{ID: 7, Type: "private"}, From: &transport.User{ID: 7}, Text: "x"}}
}

func TestDispatcherRetriesThenHandlesOnce(t *testing.T) {
	t.Parallel()
	h := &scriptedHandler{handle: func(n int) error {
		if n < 3 {
			return errors.New("postgres away")
		}
		return nil
	}}
	d := newTestDispatcher(t, h, "a")
	if !d.One(context.Background(), textUpdate(1)) {
		t.Fatal("not handled")
	}
	if d.One(context.Background(), textUpdate(1)); h.calls.Load() != 3 || h.gaveUp.Load() != 0 {
		t.Errorf("calls %d, gave up %d; want 3 calls (2 failures, 1 success) and no give-up", h.calls.Load(), h.gaveUp.Load())
	}
}

func TestDispatcherGivesUpAndTellsTheUser(t *testing.T) {
	t.Parallel()
	h := &scriptedHandler{handle: func(int) error { return errors.New("redis away") }}
	d := newTestDispatcher(t, h, "a")
	d.One(context.Background(), textUpdate(2))
	if h.calls.Load() != 4 || h.gaveUp.Load() != 1 {
		t.Errorf("calls %d, gave up %d; want 4 attempts and one give-up", h.calls.Load(), h.gaveUp.Load())
	}
}

// A panicking handler does not take the process down, the user is told, and
// the update is not handled again (a redelivery would panic forever).
func TestDispatcherSurvivesPanic(t *testing.T) {
	t.Parallel()
	h := &scriptedHandler{handle: func(int) error { panic("boom") }}
	d := newTestDispatcher(t, h, "a")
	d.One(context.Background(), textUpdate(3))
	d.One(context.Background(), textUpdate(3))
	if h.calls.Load() != 1 || h.gaveUp.Load() != 1 {
		t.Errorf("calls %d, gave up %d; want 1 and 1", h.calls.Load(), h.gaveUp.Load())
	}
}

// Held by another process that renews its claim while it works: wait, and
// skip once it is done, without handling it a second time.
func TestDispatcherWaitsForAnotherOwner(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := &scriptedHandler{handle: func(int) error { <-release; return nil }}
	other := &scriptedHandler{handle: func(int) error { return nil }}
	d1 := newTestDispatcher(t, slow, "one")
	d2 := newTestDispatcher(t, other, "two")
	d2.Log = d1.Log // one Redis, one prefix: two replicas
	done := make(chan bool)
	go func() { done <- d1.One(context.Background(), textUpdate(4)) }()
	eventually(t, "the first to start", func() bool { return slow.calls.Load() == 1 })
	go func() { time.Sleep(time.Second); close(release) }() // outlives the 300ms lease: renewal must hold it
	if !d2.One(context.Background(), textUpdate(4)) {
		t.Fatal("second owner abandoned the update")
	}
	<-done
	if other.calls.Load() != 0 {
		t.Error("the update was handled twice")
	}
}

// Shutting down while waiting to retry leaves the update for redelivery.
func TestDispatcherLeavesUpdateAtShutdown(t *testing.T) {
	t.Parallel()
	h := &scriptedHandler{handle: func(int) error { return errors.New("down") }}
	d := newTestDispatcher(t, h, "a")
	d.Retries = []time.Duration{time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if first := d.Batch(ctx, []transport.Update{textUpdate(5), textUpdate(6)}); first != 5 {
		t.Errorf("first unhandled = %d, want 5", first)
	}
	if h.gaveUp.Load() != 0 {
		t.Error("gave up at shutdown instead of leaving it for the next process")
	}
}

// A batch is claimed and finished as a whole: delivered again in a later
// batch, its updates are skipped, and only the new one is handled.
func TestDispatcherBatchHandlesOnce(t *testing.T) {
	t.Parallel()
	h := &scriptedHandler{handle: func(int) error { return nil }}
	d := newTestDispatcher(t, h, "a")
	other := textUpdate(12)
	other.Message.Chat = &transport.Chat{ID: 8, Type: "private"}
	ups := []transport.Update{textUpdate(10), textUpdate(11), other}
	if first := d.Batch(context.Background(), ups); first != -1 || h.calls.Load() != 3 {
		t.Fatalf("first batch: first unhandled %d, %d calls; want -1 and 3", first, h.calls.Load())
	}
	if first := d.Batch(context.Background(), append(ups, textUpdate(13))); first != -1 || h.calls.Load() != 4 {
		t.Fatalf("redelivered batch: first unhandled %d, %d calls; want -1 and 4", first, h.calls.Load())
	}
	// Another replica's one-at-a-time handling sees them done too.
	if !d.One(context.Background(), textUpdate(11)) || h.calls.Load() != 4 {
		t.Fatalf("One after the batch: %d calls, want 4", h.calls.Load())
	}
}

// Two updates of one chat in one polled batch: the batch's sessions are
// loaded once, before either is handled, and the second update must see
// what the first saved, not the session as it was loaded.
func TestBatchSecondUpdateOfAChatSeesTheFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	p := h.liaison(6200, "L", "labour")
	h.procs[0].stop(t)
	p.send("/register")
	p.send(string(validCode(t, 78)))

	api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
	b := must[*bot.Bot](t)(newBot(ctx, h.cfg, h.log, h.db, h.rs, api))
	polled := must[[]transport.Polled](t)(api.Updates(ctx, 0, 100, 0))
	if len(polled) != 2 {
		t.Fatalf("got %d updates, want the command and the code", len(polled))
	}
	ups := []transport.Update{polled[0].Update, polled[1].Update}
	d := newDispatcher(b, h.rs, h.log, "batch-test", h.cfg.ClaimLease)
	if first := d.Batch(ctx, ups); first != -1 {
		t.Fatalf("first unhandled = %d", first)
	}
	p.expect(h.T("placement.nationalid.prompt"))
	p.expect(h.T("placement.name.prompt"))
}
