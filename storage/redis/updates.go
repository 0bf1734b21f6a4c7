package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rasad-gov/rasad/domain"
)

// An update key holds "o:<owner>" while an owner handles the update and
// "done" afterwards; the prefix keeps an owner named "done" apart.
const updateDone = "done"

// KEYS[1] update key; ARGV claim value, lease in ms. Returns 1 if the caller
// holds the claim now (new, or already theirs: the lease is renewed), 2 if
// the update was handled, 0 if someone else holds it.
var claimScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 1
end
if v == 'done' then
	return 2
end
if v == ARGV[1] then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return 1
end
return 0
`)

// KEYS[1] update key; ARGV claim value, keep in ms. Marks the update done
// whoever holds it; returns 0 if another owner held it, else 1.
var finishScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if v and v ~= ARGV[1] and v ~= 'done' then
	return 0
end
return 1
`)

// KEYS[1] update key; ARGV claim value. Deletes the key only if the caller
// holds the claim.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

func (s *Store) updateKey(id int64) string { return s.prefix + "upd:" + strconv.FormatInt(id, 10) }

func claimValue(owner string) string { return "o:" + owner }

// ClaimUpdate claims update id for owner (one running copy of the bot, or
// one handler) for lease, so an update delivered twice is handled once.
//
//   - claimed: owner may handle it; it was free, or owner already held it
//     (the lease is renewed).
//   - done: it was handled already; drop it.
//   - neither: another owner is handling it now. If that owner dies, its
//     claim lapses after the lease and a redelivery can claim it.
func (s *Store) ClaimUpdate(ctx context.Context, id int64, owner string, lease time.Duration) (claimed, done bool, err error) {
	if owner == "" || lease < time.Millisecond {
		return false, false, errors.New("redis: claim update: owner and a lease of at least 1ms are required")
	}
	r, err := claimScript.Run(ctx, s.rdb, []string{s.updateKey(id)}, claimValue(owner), lease.Milliseconds()).Int64()
	if err != nil {
		return false, false, fmt.Errorf("redis: claim update: %w", err)
	}
	return r == 1, r == 2, nil
}

// FinishUpdate records that update id was handled, for keep (24h in
// production: longer than Telegram retries a delivery).
//
// The update is marked done in every case, since it was handled. If
// owner's lease had lapsed and another owner had claimed the update, that
// owner is handling it a second time; FinishUpdate then returns a Conflict
// "update.taken" error, worth logging as a sign the lease is too short.
func (s *Store) FinishUpdate(ctx context.Context, id int64, owner string, keep time.Duration) error {
	if keep < time.Millisecond {
		return errors.New("redis: finish update: keep must be at least 1ms")
	}
	r, err := finishScript.Run(ctx, s.rdb, []string{s.updateKey(id)}, claimValue(owner), keep.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("redis: finish update: %w", err)
	}
	if r == 0 {
		return domain.Conflict("update.taken")
	}
	return nil
}

// ReleaseUpdate drops owner's claim on update id because handling failed,
// so a redelivery can try again. A claim owner no longer holds (lapsed,
// taken over, or done) is left alone.
func (s *Store) ReleaseUpdate(ctx context.Context, id int64, owner string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.updateKey(id)}, claimValue(owner)).Err(); err != nil {
		return fmt.Errorf("redis: release update: %w", err)
	}
	return nil
}
