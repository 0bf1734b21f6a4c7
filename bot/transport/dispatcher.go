package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// Handler is the conversation as the runtime drives it.
//
// A chat's conversation state is read ahead of its update where that saves
// a round trip: for a polled batch all its chats' states at once (Prepare),
// and in webhook mode together with the chat's lock (under StateKey). What
// was read is passed to Handle explicitly; the runtime never looks inside.
type Handler interface {
	// StateKey names where chat's conversation state is stored, so the
	// runtime can read it together with the chat's lock.
	StateKey(chat int64) string
	// Prepare reads the states of chats in one round trip, in their order;
	// nil if it could not, and then each update reads its own.
	Prepare(ctx context.Context, chats []int64) []State
	// Handle handles one update, starting from st when it is not nil (its
	// chat's state as read ahead of it) and reading the state itself
	// otherwise. It returns an error only for failures worth another
	// attempt (a database or Redis away for a moment); everything the user
	// did wrong is answered inside and is not an error.
	Handle(ctx context.Context, u Update, st *State) error
	// GiveUp tells the user their update could not be handled after every retry.
	GiveUp(ctx context.Context, u Update, err error)
}

// State is a chat's stored conversation state as read ahead of handling its
// update, opaque to the runtime. Data is nil when the chat has none.
type State struct {
	Data    []byte
	Version int64
}

// Dispatcher handles updates at least once and, through the UpdateLog, at
// most once: each update is claimed under a lease before it is handled and
// marked done after, so a redelivered one is skipped and one whose handler
// died is taken up again once the lease runs out.
type Dispatcher struct {
	Handler Handler
	Log     UpdateLog
	Owner   string          // this process, so its own claims can be told apart
	Lease   time.Duration   // how long a claim holds against a crashed owner
	Keep    time.Duration   // how long done updates are remembered (Telegram keeps undelivered ones 24h)
	Retries []time.Duration // waits between attempts after a failure
	Logger  *slog.Logger
	Timeout time.Duration // per update
	// Locks, when set, serializes a chat's updates across replicas (webhook
	// mode spreads one chat's updates over them).
	Locks Locks
	// Metrics, when set, counts updates, their handling time and how many
	// are in flight.
	Metrics Metrics

	workers  Workers
	settling sync.WaitGroup // the last batch's marking in the update log
	newest   atomic.Int64   // the highest update id seen, for noteIDs
	chats    chatGate       // chats whose update this process handles now, with Locks
}

// chatGate lets one handling of a chat at a time into its section in this
// process; the Redis lock does the same across processes, but waiting for
// it means polling Redis.
type chatGate struct {
	mu   sync.Mutex
	busy map[int64]chan struct{} // closed when the chat is left
}

// enter waits until no other handling here holds chat, then holds it;
// false if ctx ended first.
func (g *chatGate) enter(ctx context.Context, chat int64) (leave func(), ok bool) {
	for {
		g.mu.Lock()
		left, busy := g.busy[chat]
		if !busy {
			if g.busy == nil {
				g.busy = map[int64]chan struct{}{}
			}
			mine := make(chan struct{})
			g.busy[chat] = mine
			g.mu.Unlock()
			return func() {
				g.mu.Lock()
				delete(g.busy, chat)
				g.mu.Unlock()
				close(mine)
			}, true
		}
		g.mu.Unlock()
		select {
		case <-left:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// Workers runs work (a batch's chats, a webhook's updates, acknowledgements)
// on goroutines kept from one piece of work to the next: a new goroutine for
// each grew its stack from scratch each time, which the load benchmark's
// profile put at 7% of the bot's CPU.
type Workers struct {
	once sync.Once
	jobs chan func() // unbuffered: a send succeeds when a worker is idle
}

// workerIdle is how long a worker waits for more work before it ends.
const workerIdle = time.Minute

func (w *Workers) Run(fn func()) {
	w.once.Do(func() { w.jobs = make(chan func()) })
	select {
	case w.jobs <- fn:
	default:
		go w.work(fn)
	}
}

func (w *Workers) work(fn func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		fn()
		idle.Reset(workerIdle)
		select {
		case fn = <-w.jobs:
		case <-idle.C:
			return
		}
	}
}

func (d *Dispatcher) metrics() Metrics {
	if d.Metrics == nil {
		return NopMetrics{}
	}
	return d.Metrics
}

// Batch handles updates of one chat in order and of different chats at once.
// It returns the id of the first update left unhandled because ctx ended
// (the poller must not confirm it or anything after it), or -1. Handling
// itself is detached from ctx's cancellation, so a shutdown finishes what
// it started.
//
// The whole batch is claimed in one call and marked done in one call after
// it was handled, so the update log costs two Redis round trips per batch
// rather than two per update. Neither is waited for on its own: the
// sessions are loaded while the claim is made, and the marking runs while
// the poller asks for the next batch (Settle waits for it). Polled batches
// are handled one after another, so every round trip between two of them
// is time no update is handled in.
func (d *Dispatcher) Batch(ctx context.Context, ups []Update) (firstUnhandled int) {
	for _, u := range ups {
		d.noteID(u.UpdateID)
	}
	d.Settle() // the previous batch's marks land before this batch claims
	hctx := context.WithoutCancel(ctx)
	token := d.token()
	ids := make([]int64, len(ups))
	for i, u := range ups {
		ids[i] = int64(u.UpdateID)
	}
	prepared := d.prepare(ctx, ups)
	claimed, done, err := d.Log.ClaimUpdates(hctx, ids, token, d.Lease)
	states := prepared()
	if err != nil {
		// Redis away for a moment: each update claims on its own, with
		// retries.
		d.Logger.Warn("claim updates", "err", err)
		claimed, done = make([]bool, len(ups)), make([]bool, len(ups))
	}
	var held []int64
	for i, id := range ids {
		if claimed[i] {
			held = append(held, id)
		}
	}
	stop := d.keepAlive(hctx, func(ctx context.Context) error {
		_, _, err := d.Log.ClaimUpdates(ctx, held, token, d.Lease)
		return err
	})

	var order []int64
	byChat := map[int64][]int{}
	for i, u := range ups {
		k := chatKey(u)
		if _, ok := byChat[k]; !ok {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], i)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		finished []int64 // claimed here and handled: marked done below
	)
	firstUnhandled = -1
	for _, k := range order {
		wg.Add(1)
		d.workers.Run(func() {
			defer wg.Done()
			st := states[k] // for the chat's first update handled; later ones read their own
			for _, i := range byChat[k] {
				u := ups[i]
				var ok bool
				switch {
				case done[i]:
					ok = true
				case claimed[i]:
					ok = d.handleClaimed(ctx, u, st)
					st = nil
				default:
					ok = d.deliver(ctx, u, st, nil) // held elsewhere, or the claim failed
					st = nil
				}
				mu.Lock()
				if ok && claimed[i] {
					finished = append(finished, ids[i])
				}
				if !ok && (firstUnhandled < 0 || u.UpdateID < firstUnhandled) {
					firstUnhandled = u.UpdateID
				}
				mu.Unlock()
				if !ok {
					return // the rest of this chat waits, in order, for redelivery
				}
			}
		})
	}
	wg.Wait()
	d.settling.Go(func() {
		// The claims are renewed until they are marked, so a slow Redis
		// cannot let them lapse in between, and not after: a renewal
		// would take a released claim again.
		if err := d.Log.FinishUpdates(hctx, finished, token, d.Keep); err != nil {
			// Handled but not recorded: a redelivery would be taken up
			// again, and shows the flow's current step rather than
			// applying twice when the session's last change was this
			// update's.
			d.Logger.Warn("finish updates", "err", err)
		}
		stop()
		if len(finished) < len(held) {
			left := slices.DeleteFunc(slices.Clone(held), func(id int64) bool { return slices.Contains(finished, id) })
			if err := d.Log.ReleaseUpdates(hctx, left, token); err != nil {
				d.Logger.Warn("release updates", "err", err)
			}
		}
	})
	return firstUnhandled
}

// prepare starts reading the states of ups' chats (Handler.Prepare) while
// the caller claims them; the returned func waits for them, by chat.
func (d *Dispatcher) prepare(ctx context.Context, ups []Update) (wait func() map[int64]*State) {
	var chats []int64
	for _, u := range ups {
		if k := chatKey(u); k != 0 && !slices.Contains(chats, k) {
			chats = append(chats, k)
		}
	}
	if len(chats) == 0 {
		return func() map[int64]*State { return nil }
	}
	prepared := make(chan []State, 1)
	go func() { prepared <- d.Handler.Prepare(ctx, chats) }()
	return func() map[int64]*State {
		states := <-prepared
		if len(states) != len(chats) {
			return nil
		}
		byChat := make(map[int64]*State, len(chats))
		for i, chat := range chats {
			byChat[chat] = &states[i]
		}
		return byChat
	}
}

// Settle waits until the last batch's updates are marked done (or
// released) in the update log.
func (d *Dispatcher) Settle() { d.settling.Wait() }

// token names one handling (or one batch) in claims and chat locks: two
// deliveries of one update, or two updates of one chat, arriving at the
// same process wait for each other too.
func (d *Dispatcher) token() string { return d.Owner + "/" + rand.Text()[:10] }

// idsBackwards is how far below the newest id seen an update id must fall
// to be taken for another server's: webhook deliveries can come a little
// out of order, but never by a thousand.
const idsBackwards = 1000

// noteID warns when update ids fall back: the Bot API server behind the
// bot was changed or reset, and if its updates share the update log with
// the old server's (Log not scoped to the server), real updates are
// skipped as already handled.
func (d *Dispatcher) noteID(id int) {
	for {
		newest := d.newest.Load()
		switch {
		case newest != 0 && int64(id) < newest-idsBackwards:
			if !d.newest.CompareAndSwap(newest, int64(id)) {
				continue
			}
			d.Logger.Warn("update ids went backwards: the Bot API server was changed or reset",
				"from", newest, "to", id)
		case int64(id) > newest:
			if !d.newest.CompareAndSwap(newest, int64(id)) {
				continue
			}
		}
		return
	}
}

// track counts an update for the metrics; the returned func ends it.
func (d *Dispatcher) track(u Update) (end func()) {
	kind, m, start := updateKind(u), d.metrics(), time.Now()
	m.Received(kind)
	m.InFlight(1)
	return func() {
		m.InFlight(-1)
		m.Handled(kind, time.Since(start))
	}
}

// handleClaimed handles an update this process claimed with its batch: the
// claim is kept across retries and marked done by the batch. It returns
// false only when ctx ended before the update could be handled.
func (d *Dispatcher) handleClaimed(ctx context.Context, u Update, st *State) bool {
	defer d.track(u)()
	return d.retry(ctx, u, func(hctx context.Context) error {
		tctx, cancel := context.WithTimeout(hctx, d.Timeout)
		defer cancel()
		// The first attempt starts from the state read ahead; a retry
		// reads it again.
		first := st
		st = nil
		return d.handle(tctx, u, first)
	})
}

// One handles a single update with claim, retries and give-up. It returns
// false only when ctx ended before the update could be handled.
func (d *Dispatcher) One(ctx context.Context, u Update) bool {
	return d.deliver(ctx, u, nil, nil)
}

// Deliver is One that calls handled (when not nil) as soon as the update
// was handled, before it is marked done and its chat's lock given back: a
// webhook answers the server then, and the chat's next update, handed to
// this process, waits here for the lock instead of polling Redis for it.
func (d *Dispatcher) Deliver(ctx context.Context, u Update, handled func()) bool {
	return d.deliver(ctx, u, nil, handled)
}

// deliver is Deliver starting from st, the chat's state read ahead, when
// it is not nil.
func (d *Dispatcher) deliver(ctx context.Context, u Update, st *State, handled func()) bool {
	d.noteID(u.UpdateID)
	d.Settle()
	defer d.track(u)()
	c := &claim{d: d, ids: []int64{int64(u.UpdateID)}, token: d.token(), handled: handled, state: st}
	if chat := chatKey(u); d.Locks != nil && chat != 0 {
		leave, ok := d.chats.enter(ctx, chat)
		if !ok {
			return false
		}
		defer leave() // after the Redis lock is given back, below
		// Held across retries, so a later update of the chat cannot be
		// applied while this one waits to be tried again.
		c.chat, c.lock = chat, "chat:"+strconv.FormatInt(chat, 10)
		if !d.lockChat(ctx, c) {
			return false
		}
		hctx := context.WithoutCancel(ctx)
		c.stopLock = sync.OnceFunc(d.keepAlive(hctx, func(ctx context.Context) error {
			_, err := d.Locks.Acquire(ctx, c.lock, c.token, d.Lease)
			return err
		}))
		defer func() {
			c.stopLock()
			if c.locked {
				if err := d.Locks.Release(hctx, c.lock, c.token); err != nil {
					d.Logger.Warn("release chat lock", "update", u.UpdateID, "err", err)
				}
			}
		}()
	}
	return d.retry(ctx, u, func(hctx context.Context) error { return d.attempt(hctx, u, c) })
}

// claim is one handling's hold on one update, and on its chat's lock when
// replicas share the chats.
type claim struct {
	d     *Dispatcher
	ids   []int64
	token string

	handled  func() // called once the update was handled, or nil
	chat     int64
	lock     string // the chat's lock, or ""
	locked   bool   // the lock is held
	state    *State // the chat's state read ahead (with the lock), for the first handling
	stopLock func()
	// taken is the claim's state as the lock was taken with it, for the
	// first attempt; later attempts claim on their own.
	taken *[2]bool // claimed, done
}

func (c *claim) claim(ctx context.Context) (claimed, done bool, err error) {
	if t := c.taken; t != nil {
		c.taken = nil
		return t[0], t[1], nil
	}
	cl, dn, err := c.d.Log.ClaimUpdates(ctx, c.ids, c.token, c.d.Lease)
	if err != nil {
		return false, false, err
	}
	return cl[0], dn[0], nil
}

// finish marks the update done, letting go of the chat's lock in the same
// round trip.
func (c *claim) finish(ctx context.Context) error {
	if !c.locked {
		return c.d.Log.FinishUpdates(ctx, c.ids, c.token, c.d.Keep)
	}
	c.stopLock() // a renewal after the release would take the lock again
	err := c.d.Locks.FinishAndUnlock(ctx, c.lock, c.ids[0], c.token, c.d.Keep)
	if err == nil || domain.IsKind(err, domain.KindConflict) {
		c.locked = false
	}
	return err
}

// retry runs try until it succeeds or the update is given up (true), or
// ctx ends while waiting to try again (false).
func (d *Dispatcher) retry(ctx context.Context, u Update, try func(context.Context) error) bool {
	log := d.Logger.With("update", u.UpdateID)
	hctx := context.WithoutCancel(ctx)
	var (
		failures  int
		busySince time.Time
	)
	for {
		err := try(hctx)
		var wait time.Duration
		switch {
		case err == nil, errors.Is(err, errDone):
			return true
		case errors.Is(err, errPanic):
			// Recorded as done: redelivering it would panic again, forever.
			log.Error("update handler panicked", "err", err)
			d.giveUp(hctx, u, err)
			return true
		case errors.Is(err, errBusy):
			// Another handling has it and renews its claim while it works;
			// a dead one's claim lapses after the lease.
			if busySince.IsZero() {
				busySince = time.Now()
			}
			if time.Since(busySince) > d.Timeout+2*d.Lease {
				log.Error("update held elsewhere for too long, skipping")
				return true
			}
			wait = min(d.Lease/4, time.Second)
		default:
			if failures == len(d.Retries) {
				log.Error("update given up", "err", err)
				d.giveUp(hctx, u, err)
				return true
			}
			wait = d.Retries[failures]
			failures++
			log.Warn("update failed, will retry", "attempt", failures, "wait", wait, "err", err)
		}
		if sleep(ctx, wait) != nil {
			return false
		}
	}
}

var (
	errDone  = errors.New("update already handled")
	errBusy  = errors.New("update being handled elsewhere")
	errPanic = errors.New("update handler panicked")
)

func (d *Dispatcher) giveUp(ctx context.Context, u Update, err error) {
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d.Handler.GiveUp(gctx, u, err)
}

// attempt claims one update, handles it and marks it done, or releases the
// claim after a failure so a redelivery elsewhere can try it.
func (d *Dispatcher) attempt(ctx context.Context, u Update, c *claim) (err error) {
	claimed, done, err := c.claim(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("claim update: %w", err)
	case done:
		return errDone
	case !claimed:
		return errBusy
	}
	hctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	stop := d.keepAlive(hctx, func(ctx context.Context) error {
		_, _, err := d.Log.ClaimUpdates(ctx, c.ids, c.token, d.Lease)
		return err
	})
	st := c.state // a retry reads the state again
	c.state = nil
	err = d.handle(hctx, u, st)
	stop()
	if err != nil && !errors.Is(err, errPanic) {
		if rerr := d.Log.ReleaseUpdates(ctx, c.ids, c.token); rerr != nil {
			d.Logger.Warn("release update", "update", u.UpdateID, "err", rerr)
		}
		return err
	}
	if c.handled != nil {
		c.handled()
	}
	if ferr := c.finish(ctx); ferr != nil {
		// Handled but not recorded: a redelivery would be taken up again,
		// and shows the flow's current step rather than applying twice
		// when the session's last change was this update's.
		d.Logger.Warn("finish update", "update", u.UpdateID, "err", ferr)
	}
	return err
}

// lockChat waits for the chat's lock while another handling (here or on
// another replica) has an earlier update of the chat, or Redis is away for
// a moment, and claims the update with it; false means ctx ended first.
func (d *Dispatcher) lockChat(ctx context.Context, c *claim) bool {
	wait := 5 * time.Millisecond
	for {
		locked, claimed, done, data, version, err := d.Locks.LockAndClaim(ctx, c.lock, c.ids[0], c.token, d.Lease, d.Handler.StateKey(c.chat))
		if err != nil && ctx.Err() == nil {
			d.Logger.Warn("lock chat", "err", err)
		}
		if locked {
			c.locked, c.taken = true, &[2]bool{claimed, done}
			if claimed {
				c.state = &State{Data: data, Version: version}
			}
			return true
		}
		if sleep(ctx, wait) != nil {
			return false
		}
		wait = min(wait*2, 200*time.Millisecond)
	}
}

// handle runs the handler, turning a panic into an error so one bad update
// cannot take the process down.
func (d *Dispatcher) handle(ctx context.Context, u Update, st *State) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, r, debug.Stack())
		}
	}()
	return d.Handler.Handle(ctx, u, st)
}

// keepAlive renews a lease every third of its length until stopped, so
// leases can be short and a crashed process's work is taken up soon. It
// runs on a timer rather than a goroutine of its own: most handlings end
// long before the first renewal, and a goroutine and ticker for each
// webhook update showed in the load benchmark's profile.
func (d *Dispatcher) keepAlive(ctx context.Context, renew func(context.Context) error) (stop func()) {
	var (
		mu      sync.Mutex // held while renewing, so stop waits for a renewal under way
		stopped bool
		t       *time.Timer
	)
	mu.Lock() // t is set before the first renewal reads it
	defer mu.Unlock()
	t = time.AfterFunc(d.Lease/3, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		if err := renew(ctx); err != nil {
			d.Logger.Warn("renew lease", "err", err)
		}
		t.Reset(d.Lease / 3)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

// chatKey groups updates that must be handled in order.
func chatKey(u Update) int64 {
	if c := u.FromChat(); c != nil {
		return c.ID
	}
	return 0
}
