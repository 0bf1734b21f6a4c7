package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rasad-gov/rasad/domain"
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

// KEYS lock, update key[, state]; ARGV owner, its claim value, lease ms.
// Takes (or renews) the lock and then claims the update; {-1} if another
// owner holds the lock (nothing else done), else {claim's answer}, followed
// by the state's data and version when the update was claimed and a state
// key was given.
var lockClaimScript = goredis.NewScript(claimLua + `
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then
	return {-1}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
local r = claim(KEYS[2], ARGV[2], ARGV[3])
if r ~= 1 or #KEYS < 3 then
	return {r}
end
local st = redis.call('HMGET', KEYS[3], 'd', 'v')
return {r, st[1], st[2]}
`)

// KEYS lock, update key; ARGV owner, its claim value, keep ms. Marks the
// update done and releases the lock if owner holds it; 1 if another owner
// had claimed the update.
var finishUnlockScript = goredis.NewScript(finishLua + `
local taken = finish(KEYS[2], ARGV[2], ARGV[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('DEL', KEYS[1])
end
return taken
`)

// LockAndClaim is the start of handling one update of a chat (a webhook
// delivery) in one round trip: it takes lock for owner, or renews it, and
// once held claims update id for owner as ClaimUpdates does. locked is
// false while another owner holds the lock; then nothing else was done.
//
// Once the update is claimed it also reads state (a key as LoadState
// takes; "" for none): whoever changes a chat's state holds its lock, so
// what is read under the lock is what the handling starts from.
func (s *Store) LockAndClaim(ctx context.Context, lock string, id int64, owner string, lease time.Duration, state string) (locked, claimed, done bool, data []byte, version int64, err error) {
	if owner == "" || lease < time.Millisecond {
		return false, false, false, nil, 0, fmt.Errorf("redis: lock and claim %s: owner and a lease of at least 1ms are required", lock)
	}
	keys := []string{s.lockKey(lock), s.updateKey(id)}
	if state != "" {
		keys = append(keys, s.stateKey(state))
	}
	rs, err := lockClaimScript.Run(ctx, s.rdb, keys, owner, claimValue(owner), lease.Milliseconds()).Slice()
	if err != nil {
		return false, false, false, nil, 0, fmt.Errorf("redis: lock and claim %s: %w", lock, err)
	}
	r, _ := rs[0].(int64)
	if len(rs) == 3 {
		if data, version, err = stateOf(rs[1:]); err != nil {
			return false, false, false, nil, 0, fmt.Errorf("redis: lock and claim %s: %w", lock, err)
		}
	}
	return r >= 0, r == 1, r == 2, data, version, nil
}

// FinishAndUnlock is the end of handling one update of a chat in one round
// trip: FinishUpdates for id, then Release of lock. Its Conflict
// "update.taken" is FinishUpdates'.
func (s *Store) FinishAndUnlock(ctx context.Context, lock string, id int64, owner string, keep time.Duration) error {
	if keep < time.Millisecond {
		return errors.New("redis: finish and unlock: keep must be at least 1ms")
	}
	taken, err := finishUnlockScript.Run(ctx, s.rdb, []string{s.lockKey(lock), s.updateKey(id)}, owner, claimValue(owner), keep.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("redis: finish and unlock %s: %w", lock, err)
	}
	if taken > 0 {
		return domain.Conflict("update.taken")
	}
	return nil
}

// Release lets go of lock name if owner holds it.
func (s *Store) Release(ctx context.Context, name, owner string) error {
	if err := releaseLockScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("redis: release %s: %w", name, err)
	}
	return nil
}
