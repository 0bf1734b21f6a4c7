package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// Sender is the one way messages leave the bot. It obeys 429 retry_after,
// retries transient failures with backoff and notices users who blocked the
// bot, so no caller has to.
type Sender struct {
	api       API
	pacer     *Pacer
	metrics   Metrics
	log       *slog.Logger
	attempts  int
	maxWait   time.Duration
	onBlocked func(ctx context.Context, chatID int64)
}

func NewSender(api API, pacer *Pacer, metrics Metrics, log *slog.Logger, onBlocked func(context.Context, int64)) *Sender {
	return &Sender{api: api, pacer: pacer, metrics: metrics, log: log, attempts: 5, maxWait: time.Minute, onBlocked: onBlocked}
}

// Send sends c, a message, document or photo, paced. The message the
// server made of it is not decoded: nothing needs it, and decoding it was a
// measurable share of every reply's cost.
func (s *Sender) Send(ctx context.Context, chatID int64, c Request) error {
	return s.do(ctx, chatID, c, true)
}

// Request sends c when only success matters (edits, answers, menus).
// Edits count against the flood limits and are paced; answers to button
// presses, chat actions and menus are not.
func (s *Sender) Request(ctx context.Context, chatID int64, c Request) error {
	paced := false
	switch c.(type) {
	case EditText, EditMarkup:
		paced = true
	}
	return s.do(ctx, chatID, c, paced)
}

func (s *Sender) do(ctx context.Context, chatID int64, c Request, paced bool) error {
	backoff := 200 * time.Millisecond
	var err error
	for attempt := 1; attempt <= s.attempts; attempt++ {
		if paced {
			if err := s.pacer.Wait(ctx, chatID); err != nil {
				return err
			}
		}
		err = s.api.Do(ctx, c)
		s.metrics.Sent(methodOf(c), err)
		if err == nil {
			return nil
		}
		wait, retry := s.classify(ctx, chatID, err, backoff)
		if !retry || attempt == s.attempts {
			break
		}
		s.log.Debug("send retry", "chat", chatID, "attempt", attempt, "wait", wait, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	if chatID == 0 {
		return fmt.Errorf("%s: %w", methodOf(c), err)
	}
	return fmt.Errorf("%s to chat %d: %w", methodOf(c), chatID, err)
}

// classify says whether err is worth another attempt and after how long.
func (s *Sender) classify(ctx context.Context, chatID int64, err error, backoff time.Duration) (time.Duration, bool) {
	var ae *APIError
	if !errors.As(err, &ae) {
		if ctx.Err() != nil {
			return 0, false
		}
		return jitter(backoff), true // network failure
	}
	switch {
	case ae.Code == http.StatusTooManyRequests:
		wait := max(ae.RetryAfter, time.Second)
		s.pacer.Pause(time.Now(), wait)
		return wait, wait <= s.maxWait
	case ae.Code == http.StatusForbidden:
		if s.onBlocked != nil && chatID != 0 {
			s.onBlocked(ctx, chatID)
		}
		return 0, false
	case ae.Code >= 500:
		return jitter(backoff), true
	default:
		return 0, false // 400s are our mistake; repeating won't help
	}
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
