package transport

import (
	"context"
	"slices"
	"sync"
	"time"
)

// lanes handle accepted updates: one lane per chat with updates waiting,
// which takes them one at a time and in order, while other chats' lanes run
// beside it. Claims of updates not yet handled are renewed together, and
// handled ones are marked done in the update log in as few calls as the
// pace allows.
type lanes struct {
	d     *Dispatcher
	inbox Inbox
	token string // every claim the lanes make

	renewing sync.Mutex // held by a renewal of the claims, and by a release

	mu      sync.Mutex
	chats   map[int64]*lane    // chats with updates queued or being handled
	held    map[int64]struct{} // claimed here and not yet finished or released
	waiting int                // updates accepted and not yet handled
	changed chan struct{}      // closed and replaced whenever waiting drops

	running  sync.WaitGroup // lane goroutines
	finished chan int64     // handled updates to mark done
	stopped  chan struct{}  // ends the renewal
	helpers  sync.WaitGroup // the renewal and the marking
}

type lane struct{ queue []accepted }

// accepted is one update handed to a lane with what its claim said.
type accepted struct {
	ctx     context.Context
	u       Update
	st      *State // its chat's state read with the batch, or nil
	claimed bool
	done    bool
}

func newLanes(d *Dispatcher, inbox Inbox) *lanes {
	l := &lanes{
		d: d, inbox: inbox, token: d.token(),
		chats:    map[int64]*lane{},
		held:     map[int64]struct{}{},
		changed:  make(chan struct{}),
		finished: make(chan int64, maxAccepted),
		stopped:  make(chan struct{}),
	}
	l.helpers.Go(l.mark)
	l.helpers.Go(l.renew)
	return l
}

// accept claims a polled batch and keeps it in the inbox, then hands each
// update to its chat's lane; false, with nothing handed out, if Redis
// could not take it.
func (l *lanes) accept(ctx context.Context, ps []Polled) bool {
	for _, p := range ps {
		l.d.noteID(p.UpdateID)
	}
	// An update delivered again while a lane still has it is this
	// process's already: the claim would say so, and it would run twice.
	l.mu.Lock()
	ps = slices.DeleteFunc(slices.Clone(ps), func(p Polled) bool {
		_, ours := l.held[int64(p.UpdateID)]
		return ours
	})
	l.mu.Unlock()
	if len(ps) == 0 {
		return true
	}
	ids := make([]int64, len(ps))
	bodies := make([][]byte, len(ps))
	for i, p := range ps {
		ids[i], bodies[i] = int64(p.UpdateID), p.Raw
	}
	// States are read while the batch is accepted, for chats with
	// nothing in their lane: a busy lane's state will have changed by
	// the time its turn comes.
	var idle []Update
	l.mu.Lock()
	for _, p := range ps {
		if _, busy := l.chats[chatKey(p.Update)]; !busy {
			idle = append(idle, p.Update)
		}
	}
	l.mu.Unlock()
	prepared := l.d.prepare(ctx, idle)
	claimed, done, err := l.inbox.AcceptUpdates(context.WithoutCancel(ctx), ids, bodies, l.token, l.d.Lease)
	states := prepared()
	if err != nil {
		l.d.Logger.Warn("accept updates", "err", err)
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, p := range ps {
		if claimed[i] {
			l.held[ids[i]] = struct{}{}
		}
		chat := chatKey(p.Update)
		a := accepted{ctx: ctx, u: p.Update, claimed: claimed[i], done: done[i]}
		if st := states[chat]; st != nil && !a.done {
			a.st = st // the chat's first update to be handled; later ones read their own
			delete(states, chat)
		}
		l.push(chat, a)
	}
	return true
}

// push queues a on its chat's lane, starting the lane if it was idle.
// l.mu is held.
func (l *lanes) push(chat int64, a accepted) {
	l.waiting++
	if ln, busy := l.chats[chat]; busy {
		ln.queue = append(ln.queue, a)
		return
	}
	ln := &lane{queue: []accepted{a}}
	l.chats[chat] = ln
	l.running.Add(1)
	l.d.workers.Run(func() {
		defer l.running.Done()
		l.run(chat, ln)
	})
}

// run handles a lane's updates until it is empty. Once the poller stops,
// updates not yet begun are released and stay in the inbox for the next
// process; so are the rest of a chat's after one that could not be handled.
func (l *lanes) run(chat int64, ln *lane) {
	stopping := false
	for {
		l.mu.Lock()
		if len(ln.queue) == 0 {
			delete(l.chats, chat)
			l.mu.Unlock()
			return
		}
		a := ln.queue[0]
		ln.queue = ln.queue[1:]
		l.mu.Unlock()

		stopping = stopping || a.ctx.Err() != nil
		ok := true
		if !stopping {
			switch {
			case a.done:
			case a.claimed:
				ok = l.d.handleClaimed(a.ctx, a.u, a.st)
			default:
				ok = l.d.deliver(a.ctx, a.u, a.st, nil) // held elsewhere, or claimed by nobody
			}
		}
		id := int64(a.u.UpdateID)
		switch {
		case stopping || !ok:
			stopping = true
			if a.claimed {
				l.release(id)
			}
		case a.claimed:
			l.finished <- id
		}
		l.mu.Lock()
		l.waiting--
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
}

// release gives back the claim of an update left for the next process.
// It waits for a renewal under way, which would otherwise take the claim
// again after it was given back.
func (l *lanes) release(id int64) {
	l.renewing.Lock()
	defer l.renewing.Unlock()
	l.mu.Lock()
	delete(l.held, id)
	l.mu.Unlock()
	if err := l.d.Log.ReleaseUpdates(context.Background(), []int64{id}, l.token); err != nil {
		l.d.Logger.Warn("release update", "update", id, "err", err)
	}
}

// mark marks handled updates done (which takes them out of the inbox),
// as many at once as have finished since the last call.
func (l *lanes) mark() {
	for id := range l.finished {
		ids := []int64{id}
	more:
		for {
			select {
			case id, ok := <-l.finished:
				if !ok {
					break more
				}
				ids = append(ids, id)
			default:
				break more
			}
		}
		if err := l.d.Log.FinishUpdates(context.Background(), ids, l.token, l.d.Keep); err != nil {
			// Handled but not recorded: the next process takes them up
			// from the inbox, and shows each flow's current step rather
			// than applying them twice.
			l.d.Logger.Warn("finish updates", "updates", len(ids), "err", err)
		}
		l.mu.Lock()
		for _, id := range ids {
			delete(l.held, id)
		}
		l.mu.Unlock()
	}
}

// renew keeps the claims of updates waiting in the lanes, so a slow chat's
// cannot lapse and be taken up by another process as left behind.
func (l *lanes) renew() {
	t := time.NewTicker(l.d.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stopped:
			return
		case <-t.C:
		}
		l.renewOnce()
	}
}

func (l *lanes) renewOnce() {
	l.renewing.Lock()
	defer l.renewing.Unlock()
	l.mu.Lock()
	ids := make([]int64, 0, len(l.held))
	for id := range l.held {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if _, _, err := l.d.Log.ClaimUpdates(context.Background(), ids, l.token, l.d.Lease); err != nil {
		l.d.Logger.Warn("renew update claims", "err", err)
	}
}

// room waits while maxAccepted updates are waiting; false if ctx ended.
func (l *lanes) room(ctx context.Context) bool {
	for {
		l.mu.Lock()
		if l.waiting < maxAccepted {
			l.mu.Unlock()
			return true
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// idle waits until every lane is empty.
func (l *lanes) idle() {
	for {
		l.mu.Lock()
		if l.waiting == 0 {
			l.mu.Unlock()
			return
		}
		changed := l.changed
		l.mu.Unlock()
		<-changed
	}
}

// stop waits for the lanes to end (what was begun is finished, the rest
// released) and their updates to be marked.
func (l *lanes) stop() {
	l.running.Wait()
	close(l.finished)
	close(l.stopped)
	l.helpers.Wait()
}
