package transport

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Poller is the long-polling update loop.
//
// With an Inbox it is pipelined: each batch is accepted into Redis (claimed,
// with its JSON kept until handled), handed to per-chat lanes, and the next
// batch is asked for at once, which confirms the last one to the Bot API
// server while it is still being handled. A chat's updates are still handled
// one at a time and in order; updates of other chats do not wait for a
// whole batch to end. A process that dies leaves what it accepted and did
// not handle in the inbox, and the next one to poll takes it up first.
//
// Without one, or while Redis cannot take a batch, it confirms a batch only
// after all of it was handled.
type Poller struct {
	API        API
	Dispatcher *Dispatcher
	Timeout    time.Duration // long-poll wait
	Logger     *slog.Logger
	// Locks, when set, lets one replica poll at a time; the others stand
	// by and take over when its lease lapses.
	Locks Locks
	Owner string
	// Inbox, when set, keeps accepted updates until they are handled.
	Inbox Inbox
}

// pollerLock is the lease the polling replica holds; it is renewed every
// few seconds, so a replica that died is replaced within pollerLease.
const (
	pollerLock  = "poller"
	pollerLease = 6 * time.Second
)

// maxAccepted bounds the updates accepted and not yet handled: with
// Postgres slow, the poller stops asking for more rather than filling Redis.
const maxAccepted = 1000

// Run polls until ctx ends, then confirms what it handled (or accepted) and
// returns.
func (p *Poller) Run(ctx context.Context) error {
	// A webhook left set by an earlier deployment makes every getUpdates
	// fail with 409; polling is what was configured now. Pending updates
	// are kept.
	if err := p.API.Do(ctx, DeleteWebhook{}); err != nil {
		p.Logger.Warn("delete webhook before polling", "err", err)
	}
	offset, confirmed := 0, 0
	backoff := time.Second
	lead := &leadership{p: p, gained: make(chan struct{}, 1)}
	if p.Locks == nil {
		lead.until.Store(math.MaxInt64)
	} else {
		lead.renew(ctx)
		rctx, stop := context.WithCancel(ctx)
		var renewing sync.WaitGroup
		renewing.Go(func() { lead.hold(rctx) })
		defer func() {
			stop()
			renewing.Wait()
			if err := p.Locks.Release(context.WithoutCancel(ctx), pollerLock, p.Owner); err != nil {
				p.Logger.Warn("release polling lease", "err", err)
			}
		}()
	}
	var lanes *lanes
	if p.Inbox != nil {
		lanes = newLanes(p.Dispatcher, p.Inbox)
	}
	drained := false
	for ctx.Err() == nil {
		if !lead.leading() {
			drained = false // whoever polled meanwhile may have left updates
			select {
			case <-lead.gained:
			case <-ctx.Done():
			}
			continue
		}
		if lanes != nil && !drained {
			if drained = p.drain(ctx); !drained {
				if sleep(ctx, jitter(backoff)) != nil {
					break
				}
				backoff = min(backoff*2, 30*time.Second)
				continue
			}
		}
		if lanes != nil && !lanes.room(ctx) {
			break
		}
		ps, err := p.API.Updates(ctx, offset, 100, p.Timeout)
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
		if len(ps) == 0 {
			continue
		}
		if lanes != nil {
			if lanes.accept(ctx, ps) {
				offset = ps[len(ps)-1].UpdateID + 1
				continue
			}
			// Redis could not take the batch: it is handled before it is
			// confirmed, after what was accepted before it.
			lanes.idle()
		}
		if first := p.Dispatcher.Batch(ctx, updatesOf(ps)); first >= 0 {
			offset = first // shutting down: leave it and later ones for the next process
			break
		}
		offset = ps[len(ps)-1].UpdateID + 1
	}
	if lanes != nil {
		lanes.stop()
	}
	p.Dispatcher.Settle()
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

// drain handles what the inbox holds (left by a process that stopped or
// died, oldest first) before any newer update; false if Redis could not
// say.
func (p *Poller) drain(ctx context.Context) bool {
	bodies, err := p.Inbox.InboxUpdates(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.Logger.Warn("read the inbox", "err", err)
		}
		return false
	}
	var ups []Update
	for _, b := range bodies {
		u, err := DecodeUpdate(b)
		if err != nil {
			p.Logger.Error("dropping an unreadable update from the inbox", "err", err)
			continue
		}
		ups = append(ups, u)
	}
	if len(ups) == 0 {
		return true
	}
	p.Logger.Info("taking up updates accepted and left unhandled", "updates", len(ups))
	p.Dispatcher.Batch(ctx, ups)
	return true
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

func updatesOf(ps []Polled) []Update {
	ups := make([]Update, len(ps))
	for i, p := range ps {
		ups[i] = p.Update
	}
	return ups
}

// leadership is this replica's hold on the polling lease. It is renewed on
// a timer apart from the loop, so a long poll or a slow batch cannot let it
// lapse, and the loop asks it without a round trip to Redis per batch.
type leadership struct {
	p       *Poller
	until   atomic.Int64  // unix nanoseconds the lease is held to; 0 when another replica holds it
	gained  chan struct{} // signalled when this replica takes the lease
	standby bool          // told the log it stands by; only the renewing goroutine touches it
}

func (l *leadership) leading() bool { return time.Now().UnixNano() < l.until.Load() }

// renew holds or takes the lease. A failure to reach Redis keeps what was
// held until it runs out, as it does in Redis.
func (l *leadership) renew(ctx context.Context) {
	start := time.Now()
	held, err := l.p.Locks.Acquire(ctx, pollerLock, l.p.Owner, pollerLease)
	if err != nil {
		if ctx.Err() == nil {
			l.p.Logger.Warn("polling lease", "err", err)
		}
		return
	}
	if !held {
		l.until.Store(0)
		if !l.standby {
			l.standby = true
			l.p.Logger.Warn("another process is polling for updates; this one stands by and takes over if it stops")
		}
		return
	}
	// Counted from before the request: Redis started the lease no earlier.
	l.until.Store(start.Add(pollerLease).UnixNano())
	if l.standby {
		l.standby = false
		l.p.Logger.Info("taking over polling for updates")
	}
	select {
	case l.gained <- struct{}{}:
	default:
	}
}

// hold renews the lease every third of its length until ctx ends.
func (l *leadership) hold(ctx context.Context) {
	t := time.NewTicker(pollerLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.renew(ctx)
		}
	}
}
