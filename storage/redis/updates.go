package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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

// KEYS the inbox, then update keys; ARGV claim value, keep in ms, then the
// updates' ids. Marks each update done and takes it out of the inbox;
// returns how many another owner held.
var finishScript = goredis.NewScript(finishLua + `
local taken = 0
for i = 2, #KEYS do
	taken = taken + finish(KEYS[i], ARGV[1], ARGV[2])
	redis.call('HDEL', KEYS[1], ARGV[i + 1])
end
return taken
`)

// KEYS the inbox, then update keys; ARGV claim value, lease in ms, then
// each update's id and body. Claims each update as claimScript does and
// keeps its body in the inbox until it is finished; one already handled
// leaves the inbox.
var acceptScript = goredis.NewScript(claimLua + `
local out = {}
for i = 2, #KEYS do
	local r = claim(KEYS[i], ARGV[1], ARGV[2])
	local id, body = ARGV[2 * i - 1], ARGV[2 * i]
	if r == 2 then
		redis.call('HDEL', KEYS[1], id)
	else
		redis.call('HSET', KEYS[1], id, body)
	end
	out[i - 1] = r
end
return out
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

func (s *Store) updateKey(id int64) string { return s.upd + strconv.FormatInt(id, 10) }

func (s *Store) updateKeys(ids []int64) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.updateKey(id)
	}
	return keys
}

func claimValue(owner string) string { return "o:" + owner }

func (s *Store) inboxKey() string { return s.inbox }

// claimAnswers turns the scripts' answers per update into claimed and done.
func claimAnswers(rs []int64, n int) (claimed, done []bool, err error) {
	if len(rs) != n {
		return nil, nil, fmt.Errorf("%d answers for %d updates", len(rs), n)
	}
	claimed, done = make([]bool, n), make([]bool, n)
	for i, r := range rs {
		claimed[i], done[i] = r == 1, r == 2
	}
	return claimed, done, nil
}

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
	if claimed, done, err = claimAnswers(rs, len(ids)); err != nil {
		return nil, nil, fmt.Errorf("redis: claim updates: %w", err)
	}
	return claimed, done, nil
}

// AcceptUpdates claims polled updates as ClaimUpdates does and keeps each
// one's body (its JSON) in the inbox until FinishUpdates, so the poller
// may confirm them to the Bot API server before they are handled: a
// process that dies with them unhandled leaves them to InboxUpdates.
func (s *Store) AcceptUpdates(ctx context.Context, ids []int64, bodies [][]byte, owner string, lease time.Duration) (claimed, done []bool, err error) {
	if owner == "" || lease < time.Millisecond {
		return nil, nil, errors.New("redis: accept updates: owner and a lease of at least 1ms are required")
	}
	if len(ids) != len(bodies) {
		return nil, nil, fmt.Errorf("redis: accept updates: %d ids for %d bodies", len(ids), len(bodies))
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	keys := make([]string, 0, len(ids)+1)
	keys = append(append(keys, s.inboxKey()), s.updateKeys(ids)...)
	args := make([]any, 0, 2+2*len(ids))
	args = append(args, claimValue(owner), lease.Milliseconds())
	for i, id := range ids {
		args = append(args, id, bodies[i])
	}
	rs, err := acceptScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, nil, fmt.Errorf("redis: accept updates: %w", err)
	}
	if claimed, done, err = claimAnswers(rs, len(ids)); err != nil {
		return nil, nil, fmt.Errorf("redis: accept updates: %w", err)
	}
	return claimed, done, nil
}

// InboxUpdates returns the bodies of accepted updates not yet finished,
// oldest first: left by a process that stopped or died before handling
// them, or being handled now.
func (s *Store) InboxUpdates(ctx context.Context) ([][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.inboxKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: inbox updates: %w", err)
	}
	type entry struct {
		id   int64
		body string
	}
	entries := make([]entry, 0, len(all))
	for field, body := range all {
		id, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: inbox updates: field %q is not an update id", field)
		}
		entries = append(entries, entry{id, body})
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	bodies := make([][]byte, len(entries))
	for i, e := range entries {
		bodies[i] = []byte(e.body)
	}
	return bodies, nil
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
	keys := make([]string, 0, len(ids)+1)
	keys = append(append(keys, s.inboxKey()), s.updateKeys(ids)...)
	args := make([]any, 0, 2+len(ids))
	args = append(args, claimValue(owner), keep.Milliseconds())
	for _, id := range ids {
		args = append(args, id)
	}
	taken, err := finishScript.Run(ctx, s.rdb, keys, args...).Int64()
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
