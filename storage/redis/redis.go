// Package redis keeps short-lived shared state in Redis: versioned blobs
// (the bot's conversation state, which it serializes itself; this package
// knows nothing of its shape) and claims on Telegram update ids, so that
// several copies of the bot handle each update once.
//
// Key layout, all under the prefix given to Open (e.g. "rasad:"):
//
//	<prefix>state:<key>  hash {d: data, v: version}; TTL refreshed by each save
//	<prefix>stateseq     counter that versions are drawn from; no TTL
//	<prefix>upd:<bot>:<id>  string "o:<owner>" while claimed (TTL = lease),
//	                     "done" once handled (TTL = keep)
//	<prefix>inbox:<bot>  hash {update id: update JSON}: polled updates
//	                     accepted and not yet finished; no TTL
//
// <bot> (ForBot) names the bot and its Bot API server: update ids are the
// server's, and start again on another one. A store not scoped by ForBot
// uses upd:<id> and inbox.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	goredis "github.com/redis/go-redis/v9"
)

// Store is Rasad's Redis store. It is safe for concurrent use.
type Store struct {
	rdb    *goredis.Client
	prefix string
	upd    string // update keys' prefix
	inbox  string // the inbox's key
}

// Open connects to the Redis server at url (redis:// or rediss://) and
// checks that it answers. Every key the store uses starts with prefix, so
// several deployments or tests can share a server.
func Open(ctx context.Context, url, prefix string) (*Store, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: do not echo it.
		return nil, fmt.Errorf("redis: parse url: %w", errRedacted(err))
	}
	s := &Store{rdb: goredis.NewClient(opts), prefix: prefix, upd: prefix + "upd:", inbox: prefix + "inbox"}
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, err
	}
	return s, nil
}

// ForBot is s with its update claims and inbox kept for bot, which names
// one bot on one Bot API server (its id and the server's host): another
// server's update ids start again, and would be taken for updates already
// handled. The first time, an inbox kept before scoping moves under bot,
// so updates accepted and not yet handled are not left behind. The two
// share their connections: close only s.
func (s *Store) ForBot(ctx context.Context, bot string) (*Store, error) {
	scoped := *s
	scoped.upd = s.prefix + "upd:" + bot + ":"
	scoped.inbox = s.prefix + "inbox:" + bot
	if err := s.rdb.RenameNX(ctx, s.inbox, scoped.inbox).Err(); err != nil && !isNoSuchKey(err) {
		return nil, fmt.Errorf("redis: move the inbox under %s: %w", bot, err)
	}
	return &scoped, nil
}

// isNoSuchKey reports RENAME's error for a source key that does not exist.
func isNoSuchKey(err error) bool { return err != nil && err.Error() == "ERR no such key" }

// Close closes the connections. Methods must not be called afterwards.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Prefix is the prefix of every key the store uses.
func (s *Store) Prefix() string { return s.prefix }

// errRedacted drops the URL, which may hold a password, from a URL parse
// error.
func errRedacted(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
