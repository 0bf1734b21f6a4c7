package transport

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer keeps outgoing messages under the platform's flood limits: about 30
// a second overall and one a second in a chat, with short bursts allowed,
// as Telegram documents. Bursts matter: a reply is often two messages (a
// sentence, then the next question) and must not wait a second between them.
// A nil *Pacer does not pace (a self-hosted Bot API server has no limits).
type Pacer struct {
	global *rate.Limiter
	chat   rate.Limit
	burst  int

	mu     sync.Mutex
	chats  map[int64]*chatLimiter
	swept  time.Time
	paused time.Time // a 429 holds every message back until then
}

type chatLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

// NewPacer paces to perSecond messages overall and perChat a second in one
// chat with bursts of burst; perSecond 0 means no pacing at all.
func NewPacer(perSecond, perChat float64, burst int) *Pacer {
	if perSecond <= 0 {
		return nil
	}
	return &Pacer{
		global: rate.NewLimiter(rate.Limit(perSecond), max(int(perSecond), 1)),
		chat:   rate.Limit(perChat),
		burst:  max(burst, 1),
		chats:  map[int64]*chatLimiter{},
	}
}

// Wait blocks until a message to chat may go, or ctx ends.
func (p *Pacer) Wait(ctx context.Context, chat int64) error {
	if p == nil {
		return nil
	}
	d, cancel := p.reserve(chat, time.Now())
	if d == 0 {
		return nil
	}
	if err := sleep(ctx, d); err != nil {
		cancel()
		return err
	}
	return nil
}

// reserve books a message to chat at now and says how long it must wait;
// cancel gives the booking back if the caller gives up.
func (p *Pacer) reserve(chat int64, now time.Time) (time.Duration, func()) {
	var per *rate.Reservation
	if chat != 0 && p.chat > 0 {
		per = p.chatLimiter(chat, now).ReserveN(now, 1)
	}
	all := p.global.ReserveN(now, 1)
	d := all.DelayFrom(now)
	if per != nil {
		d = max(d, per.DelayFrom(now))
	}
	p.mu.Lock()
	d = max(d, p.paused.Sub(now))
	p.mu.Unlock()
	return d, func() {
		all.CancelAt(now)
		if per != nil {
			per.CancelAt(now)
		}
	}
}

func (p *Pacer) chatLimiter(chat int64, now time.Time) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Forget chats quiet for a minute, so the map does not grow with every
	// user ever written to; their limiter would be full again anyway.
	if now.Sub(p.swept) > time.Minute {
		for id, c := range p.chats {
			if now.Sub(c.used) > time.Minute {
				delete(p.chats, id)
			}
		}
		p.swept = now
	}
	c, ok := p.chats[chat]
	if !ok {
		c = &chatLimiter{lim: rate.NewLimiter(p.chat, p.burst)}
		p.chats[chat] = c
	}
	c.used = now
	return c.lim
}

// Pause holds every message back until now+d: a 429's retry_after is the
// platform saying the whole bot sends too fast, not one message.
func (p *Pacer) Pause(now time.Time, d time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := now.Add(d); until.After(p.paused) {
		p.paused = until
	}
}
