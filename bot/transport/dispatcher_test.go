package transport

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// One handling of a chat at a time is let in; other chats pass, and a
// waiter gives up when its context ends.
func TestChatGate(t *testing.T) {
	var g chatGate
	ctx := context.Background()
	leave, ok := g.enter(ctx, 1)
	if !ok {
		t.Fatal("an idle chat was not let in")
	}
	if leaveOther, ok := g.enter(ctx, 2); !ok {
		t.Fatal("another chat waited for chat 1")
	} else {
		leaveOther()
	}

	entered := make(chan func())
	go func() {
		next, _ := g.enter(ctx, 1)
		entered <- next
	}()
	select {
	case <-entered:
		t.Fatal("a second handling of chat 1 was let in while the first held it")
	case <-time.After(50 * time.Millisecond):
	}
	leave()
	select {
	case next := <-entered:
		next()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting handling was not let in after the first left")
	}

	leave, _ = g.enter(ctx, 1)
	defer leave()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := g.enter(cctx, 1); ok {
		t.Fatal("a waiter whose context ended was let in")
	}
}

// Update ids that fall far back are logged once: the Bot API server was
// changed or reset. A little disorder (webhook deliveries) is not.
func TestNoteIDWarnsWhenIDsGoBackwards(t *testing.T) {
	var logged bytes.Buffer
	d := &Dispatcher{Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, id := range []int{5000, 5001, 4990, 5002, 12, 13, 14} {
		d.noteID(id)
	}
	if n := strings.Count(logged.String(), "update ids went backwards"); n != 1 || !strings.Contains(logged.String(), "from=5002 to=12") {
		t.Errorf("logged %d warnings:\n%s", n, logged.String())
	}
}
