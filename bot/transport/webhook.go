package transport

import (
	"context"
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Webhook receives updates pushed by the Bot API server. Telegram proves
// itself with the secret in the X-Telegram-Bot-Api-Secret-Token header; Bale
// sends no header, so there the secret is the last segment of the path.
// Each update is handed to the dispatcher (claims make a redelivered one a
// no-op) and the request is answered as soon as it is handled or after
// MaxWait, whichever comes first, so the server's connection is not held
// by a slow update; what is still running finishes in the background.
type Webhook struct {
	Dispatcher   *Dispatcher
	Secret       string
	SecretInPath bool
	MaxWait      time.Duration
	Logger       *slog.Logger
	// Life bounds the handling of what was received: cancelled at
	// shutdown, it stops retries and waits that would outlive the process.
	Life context.Context

	wg sync.WaitGroup
}

// SecretHeader is where Telegram puts the webhook secret.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBytes bounds a webhook body; real updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	given := r.Header.Get(SecretHeader)
	if w.SecretInPath {
		given = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	}
	if subtle.ConstantTimeCompare([]byte(given), []byte(w.Secret)) != 1 {
		w.Logger.Warn("webhook request without the secret refused", "remote", r.RemoteAddr)
		http.Error(rw, "forbidden", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpdateBytes+1))
	if err != nil || len(body) > maxUpdateBytes {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	u, err := DecodeUpdate(body)
	if err != nil {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	// Answered once the update was handled, without waiting for it to be
	// marked done: the server sends a chat's next update only after the
	// answer, and the next one waits here for the chat anyway.
	handled := make(chan struct{})
	answer := sync.OnceFunc(func() { close(handled) })
	w.wg.Add(1)
	w.Dispatcher.workers.Run(func() {
		defer w.wg.Done()
		defer answer()
		// Detached from the request: the update is handled even after the
		// server was answered, until the process stops.
		if !w.Dispatcher.Deliver(w.Life, u, answer) {
			w.Logger.Error("update received but not handled before shutdown", "update", u.UpdateID)
		}
	})
	t := time.NewTimer(w.MaxWait)
	defer t.Stop()
	select {
	case <-handled:
	case <-t.C:
	case <-r.Context().Done():
	}
	rw.WriteHeader(http.StatusOK)
}

// Wait blocks until every update received has been handled, or ctx ends,
// for a graceful shutdown after the HTTP server stopped taking requests.
func (w *Webhook) Wait(ctx context.Context) error { return WaitGroup(ctx, &w.wg) }

// WaitGroup waits for wg, or for ctx to end first.
func WaitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
