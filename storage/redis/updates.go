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
//
// Every call takes a list of updates: the poller claims and finishes a
// whole getUpdates batch in one round trip each, instead of two per update.
const updateDone = "done"

// claimLua claims update key for claim value owner for lease ms: 1 if the
// caller holds the claim now (new, or already theirs: the lease is
// renewed), 2 if the update was handled, 0 if someone else holds it.
const claimLua = `
local function claim(key, owner, lease)
	local v = redis.call('GET', key)
	if not v then
		redis.call('SET', key, owner, 'PX', lease)
		return 1
	elseif v == 'done' then
		return 2
	elseif v == owner then
		redis.call('PEXPIRE', key, lease)
		return 1
	end
	return 0
end
`

// finishLua marks update key done for keep ms whoever holds it; 1 if
// another owner held it.
const finishLua = `
local function finish(key, owner, keep)
	local v = redis.call('GET', key)
	redis.call('SET', key, 'done', 'PX', keep)
	if v and v ~= owner and v ~= 'done' then
		return 1
	end
	return 0
end
`

// KEYS update keys; ARGV claim value, lease in ms. claim's answer per key.
var claimScript = goredis.NewScript(claimLua + `
local out = {}
for i, key in ipairs(KEYS) do
	out[i] = claim(key, ARGV[1], ARGV[2])
end
return out
`)

// KEYS update keys; ARGV claim value, keep in ms. Marks each update done;
// returns how many another owner held.
var finishScript = goredis.NewScript(finishLua + `
local taken = 0
for _, key in ipairs(KEYS) do
	taken = taken + finish(key, ARGV[1], ARGV[2])
end
return taken
`)

// KEYS update keys; ARGV claim value. Deletes each key the caller holds.
var releaseScript = goredis.NewScript(`
for _, key in ipairs(KEYS) do
	if redis.call('GET', key) == ARGV[1] then
		redis.call('DEL', key)
	end
end
return 0
`)

func (s *Store) updateKey(id int64) string { return s.prefix + "upd:" + strconv.FormatInt(id, 10) }

func (s *Store) updateKeys(ids []int64) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.updateKey(id)
	}
	return keys
}

func claimValue(owner string) string { return "o:" + owner }

// ClaimUpdates claims updates ids for owner (one running copy of the bot,
// or one handling) for lease, so an update delivered twice is handled
// once. For the i-th id:
//
//   - claimed[i]: owner may handle it; it was free, or owner already held
//     it (the lease is renewed).
//   - done[i]: it was handled already; drop it.
//   - neither: another owner is handling it now. If that owner dies, its
//     claim lapses after the lease and a redelivery can claim it.
func (s *Store) ClaimUpdates(ctx context.Context, ids []int64, owner string, lease time.Duration) (claimed, done []bool, err error) {
	if owner == "" || lease < time.Millisecond {
		return nil, nil, errors.New("redis: claim updates: owner and a lease of at least 1ms are required")
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	rs, err := claimScript.Run(ctx, s.rdb, s.updateKeys(ids), claimValue(owner), lease.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, nil, fmt.Errorf("redis: claim updates: %w", err)
	}
	if len(rs) != len(ids) {
		return nil, nil, fmt.Errorf("redis: claim updates: %d answers for %d updates", len(rs), len(ids))
	}
	claimed, done = make([]bool, len(ids)), make([]bool, len(ids))
	for i, r := range rs {
		claimed[i], done[i] = r == 1, r == 2
	}
	return claimed, done, nil
}

// FinishUpdates records that updates ids were handled, for keep (24h in
// production: longer than Telegram retries a delivery).
//
// The updates are marked done in every case, since they were handled. If
// owner's lease on one had lapsed and another owner had claimed it, that
// owner is handling it a second time; FinishUpdates then returns a
// Conflict "update.taken" error, worth logging as a sign the lease is too
// short.
func (s *Store) FinishUpdates(ctx context.Context, ids []int64, owner string, keep time.Duration) error {
	if keep < time.Millisecond {
		return errors.New("redis: finish updates: keep must be at least 1ms")
	}
	if len(ids) == 0 {
		return nil
	}
	taken, err := finishScript.Run(ctx, s.rdb, s.updateKeys(ids), claimValue(owner), keep.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("redis: finish updates: %w", err)
	}
	if taken > 0 {
		return domain.Conflict("update.taken")
	}
	return nil
}

// ReleaseUpdates drops owner's claims on updates ids because they were not
// handled, so a redelivery can try again. A claim owner no longer holds
// (lapsed, taken over, or done) is left alone.
func (s *Store) ReleaseUpdates(ctx context.Context, ids []int64, owner string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := releaseScript.Run(ctx, s.rdb, s.updateKeys(ids), claimValue(owner)).Err(); err != nil {
		return fmt.Errorf("redis: release updates: %w", err)
	}
	return nil
}
