package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Leases: a named lock held by one owner at a time until it releases it or
// stops renewing it. The bot takes one per chat while it handles an update
// of that chat (so replicas handle a chat's updates one at a time) and one
// named "poller" (so only one replica long-polls).
//
//	<prefix>lock:<name>  string owner, TTL = lease

func (s *Store) lockKey(name string) string { return s.prefix + "lock:" + name }

// KEYS[1] lock; ARGV owner, lease ms. Takes a free lock or renews one the
// owner holds; returns 1 when the owner holds it afterwards.
var acquireScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or v == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 1
end
return 0
`)

// KEYS[1] lock; ARGV owner. Releases the lock only if the owner holds it.
var releaseLockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Acquire takes lock name for owner for lease, or renews it if owner holds
// it already; held reports whether owner holds it now.
func (s *Store) Acquire(ctx context.Context, name, owner string, lease time.Duration) (held bool, err error) {
	if owner == "" || lease < time.Millisecond {
		return false, fmt.Errorf("redis: acquire %s: owner and a lease of at least 1ms are required", name)
	}
	n, err := acquireScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner, lease.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("redis: acquire %s: %w", name, err)
	}
	return n == 1, nil
}

// Release lets go of lock name if owner holds it.
func (s *Store) Release(ctx context.Context, name, owner string) error {
	if err := releaseLockScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("redis: release %s: %w", name, err)
	}
	return nil
}
