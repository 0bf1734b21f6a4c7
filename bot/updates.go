package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Handler handles one update. It returns an error only for failures worth
// another attempt (a database or Redis away for a moment); everything the user
// did wrong is answered inside and is not an error.
type Handler interface {
	Handle(ctx context.Context, u tgbotapi.Update) error
	// GiveUp tells the user their update could not be handled after every retry.
	GiveUp(ctx context.Context, u tgbotapi.Update, err error)
}

// Dispatcher handles updates at least once and, through the UpdateLog, at
// most once: each update is claimed under a lease before it is handled and
// marked done after, so a redelivered one is skipped and one whose handler
// died is taken up again once the lease runs out.
type Dispatcher struct {
	Handler Handler
	Log     UpdateLog
	Owner   string        // this process, so its own claims can be told apart
	Lease   time.Duration // how long a claim holds against a crashed owner
	Keep    time.Duration // how long done updates are remembered (Telegram keeps undelivered ones 24h)
	Retries []time.Duration
	Logger  *slog.Logger
	Timeout time.Duration // per update
}

// Batch handles updates of one chat in order and of different chats at once,
// returning when all are handled (or given up). Handling is detached from
// ctx's cancellation so a shutdown finishes what it started.
func (d *Dispatcher) Batch(ctx context.Context, ups []tgbotapi.Update) {
	ctx = context.WithoutCancel(ctx)
	var order []int64
	byChat := map[int64][]tgbotapi.Update{}
	for _, u := range ups {
		k := chatKey(u)
		if _, ok := byChat[k]; !ok {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], u)
	}
	var wg sync.WaitGroup
	for _, k := range order {
		wg.Go(func() {
			for _, u := range byChat[k] {
				d.One(ctx, u)
			}
		})
	}
	wg.Wait()
}

// One handles a single update with claim, retries and give-up.
func (d *Dispatcher) One(ctx context.Context, u tgbotapi.Update) {
	id := int64(u.UpdateID)
	log := d.Logger.With("update", u.UpdateID)
	var err error
	for attempt := 0; ; attempt++ {
		err = d.attempt(ctx, u, id)
		if err == nil || errors.Is(err, errDone) {
			return
		}
		if attempt >= len(d.Retries) {
			break
		}
		wait := d.Retries[attempt]
		if errors.Is(err, errBusy) {
			wait = max(wait, time.Second)
		} else {
			log.Warn("update failed, will retry", "attempt", attempt+1, "wait", wait, "err", err)
		}
		if sleep(ctx, wait) != nil {
			return
		}
	}
	log.Error("update given up", "err", err)
	gctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	d.Handler.GiveUp(gctx, u, err)
}

var (
	errDone = errors.New("update already handled")
	errBusy = errors.New("update being handled elsewhere")
)

func (d *Dispatcher) attempt(ctx context.Context, u tgbotapi.Update, id int64) error {
	claimed, done, err := d.Log.ClaimUpdate(ctx, id, d.Owner, d.Lease)
	switch {
	case err != nil:
		return fmt.Errorf("claim update: %w", err)
	case done:
		return errDone
	case !claimed:
		return errBusy
	}
	hctx, cancel := context.WithTimeout(ctx, d.Timeout)
	err = d.Handler.Handle(hctx, u)
	cancel()
	if err != nil {
		if rerr := d.Log.ReleaseUpdate(ctx, id, d.Owner); rerr != nil {
			d.Logger.Warn("release update", "update", id, "err", rerr)
		}
		return err
	}
	if err := d.Log.FinishUpdate(ctx, id, d.Owner, d.Keep); err != nil {
		// Handled but not recorded: a redelivery would be handled again,
		// which state versions and idempotent saves make harmless.
		d.Logger.Warn("finish update", "update", id, "err", err)
	}
	return nil
}

// chatKey groups updates that must be handled in order.
func chatKey(u tgbotapi.Update) int64 {
	if c := u.FromChat(); c != nil {
		return c.ID
	}
	if s := u.SentFrom(); s != nil {
		return s.ID
	}
	return 0
}

// Poller is the long-polling update loop: it confirms an update's offset only
// after the whole batch it came in was handled, and backs off on errors.
type Poller struct {
	API        API
	Dispatcher *Dispatcher
	Timeout    time.Duration // long-poll wait
	Logger     *slog.Logger
}

// Run polls until ctx ends, then confirms what it handled and returns.
func (p *Poller) Run(ctx context.Context) error {
	offset, confirmed := 0, 0
	backoff := time.Second
	for ctx.Err() == nil {
		ups, err := p.API.Updates(ctx, offset, 100, p.Timeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait := p.errorWait(err, backoff)
			p.Logger.Warn("get updates failed", "err", err, "wait", wait)
			backoff = min(backoff*2, 30*time.Second)
			if sleep(ctx, wait) != nil {
				break
			}
			continue
		}
		backoff = time.Second
		confirmed = offset
		if len(ups) == 0 {
			continue
		}
		p.Dispatcher.Batch(ctx, ups)
		offset = ups[len(ups)-1].UpdateID + 1
	}
	if offset != confirmed {
		// Confirm the last batch so a restart does not see it again.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := p.API.Updates(cctx, offset, 1, 0); err != nil {
			p.Logger.Warn("confirm offset at shutdown", "err", err)
		}
	}
	return nil
}

func (p *Poller) errorWait(err error, backoff time.Duration) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case http.StatusTooManyRequests:
			return max(ae.RetryAfter, time.Second)
		case http.StatusConflict:
			// Another process polls, or a webhook is set: wait it out.
			return 5 * time.Second
		}
	}
	return jitter(backoff)
}
