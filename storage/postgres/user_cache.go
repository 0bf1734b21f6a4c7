package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// The bot looks up the user behind every update, and users change rarely
// (a role granted, a language switched), so User answers from memory while
// the process listens to Postgres's user_changed notifications (see
// migration 00006): a change, by this process or any other writer, drops
// the cached copy. While not listening (not started, or the connection
// lost) nothing is cached, so nothing can go stale unheard.

const (
	userChannel = "user_changed"
	// userCacheTTL bounds how long a copy is trusted even while listening.
	userCacheTTL = time.Minute
	// userCacheMax bounds memory: past it the cache starts over.
	userCacheMax = 50_000
)

type userCache struct {
	mu    sync.Mutex
	live  bool   // listening: a change will be heard
	gen   uint64 // counts changes heard, so a lookup that raced one is not kept
	users map[int64]cachedUser
}

type cachedUser struct {
	u  domain.User
	at time.Time
}

// get returns a copy of the cached user, or the generation a lookup from the
// database must present to put.
func (c *userCache) get(id int64, now time.Time) (u domain.User, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[id]
	if !ok || !c.live || now.Sub(e.at) > userCacheTTL {
		return domain.User{}, false, c.gen
	}
	u = e.u
	u.Grants = slices.Clone(u.Grants) // callers may change theirs
	return u, true, c.gen
}

// put keeps u unless a change was heard since its lookup began.
func (c *userCache) put(u domain.User, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if len(c.users) >= userCacheMax {
		clear(c.users)
	}
	u.Grants = slices.Clone(u.Grants)
	c.users[u.ID] = cachedUser{u: u, at: now}
}

// forget drops user id after a change to them.
func (c *userCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.users, id)
}

// reset empties the cache and says whether changes are heard from now on.
func (c *userCache) reset(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.live = live
	clear(c.users)
}

// changedUser is called after a write to user id or their roles commits:
// the writing process forgets at once, the others when notified.
func (db *DB) changedUser(id int64) { db.users.forget(id) }

// CacheUsers keeps users in memory while listening for their changes on a
// connection of its own, reconnecting after a failure, until ctx ends. It
// returns once the first attempt to listen succeeded or failed; the
// returned wait blocks until it has stopped.
func (db *DB) CacheUsers(ctx context.Context, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	first := make(chan struct{})
	wg.Go(func() {
		var once sync.Once
		started := func() { once.Do(func() { close(first) }) }
		defer started()
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			heard, err := db.listenUsers(ctx, started)
			db.users.reset(false)
			started()
			if ctx.Err() != nil {
				return
			}
			if heard {
				backoff = 100 * time.Millisecond
			}
			log.Warn("user cache off: not listening for changes", "err", err, "retry", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	})
	<-first
	return wg.Wait
}

// listenUsers listens until the connection fails or ctx ends, calling
// listening once it does; heard says whether it got that far.
func (db *DB) listenUsers(ctx context.Context, listening func()) (heard bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+userChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	// Changes made before LISTEN took effect were not heard: start empty.
	db.users.reset(true)
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		id, perr := strconv.ParseInt(n.Payload, 10, 64)
		if perr != nil {
			db.users.reset(true) // not ours to read: forget everyone
			continue
		}
		db.users.forget(id)
	}
}
