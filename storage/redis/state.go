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

// Versions are drawn from one counter (<prefix>stateseq) rather than counted
// per key, so a version is never reused: a writer holding a version from a
// state that was deleted or expired can never overwrite a newer state that
// happens to have reached the same count.
//
// KEYS[1] state hash, KEYS[2] counter; ARGV data, expected version, TTL in
// ms. Returns the new version, or 0 if the stored version is not the
// expected one (an absent state has version 0).
var saveScript = goredis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[2]) then
	return 0
end
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', v)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return v
`)

// KEYS[1] state hash; ARGV expected version. Returns 1 if the state had
// that version and is now gone, else 0.
var deleteScript = goredis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[1]) then
	return 0
end
redis.call('DEL', KEYS[1])
return 1
`)

func (s *Store) stateKey(key string) string { return s.prefix + "state:" + key }

// LoadState returns the data stored under key and its version, or nil and
// version 0 if there is none (never saved, deleted or expired).
func (s *Store) LoadState(ctx context.Context, key string) (data []byte, version int64, err error) {
	vals, err := s.rdb.HMGet(ctx, s.stateKey(key), "d", "v").Result()
	if err != nil {
		return nil, 0, fmt.Errorf("redis: load state: %w", err)
	}
	if data, version, err = stateOf(vals); err != nil {
		return nil, 0, fmt.Errorf("redis: load state: %w", err)
	}
	return data, version, nil
}

// stateOf reads the answer to HMGET d v.
func stateOf(vals []any) (data []byte, version int64, err error) {
	d, _ := vals[0].(string)
	v, ok := vals[1].(string)
	if !ok {
		return nil, 0, nil
	}
	version, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("bad version %q", v)
	}
	return []byte(d), version, nil
}

// LoadStates is LoadState for several keys in one round trip.
func (s *Store) LoadStates(ctx context.Context, keys []string) (data [][]byte, versions []int64, err error) {
	cmds := make([]*goredis.SliceCmd, len(keys))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.HMGet(ctx, s.stateKey(key), "d", "v")
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("redis: load states: %w", err)
	}
	data, versions = make([][]byte, len(keys)), make([]int64, len(keys))
	for i, cmd := range cmds {
		if data[i], versions[i], err = stateOf(cmd.Val()); err != nil {
			return nil, nil, fmt.Errorf("redis: load states: %w", err)
		}
	}
	return data, versions, nil
}

// SaveState stores data under key if its version is still expect (0: there
// must be no state), keeps it for ttl from now, and returns the new
// version. Versions only grow, but not necessarily by one.
//
// If the state changed since it was loaded it returns a Conflict
// "state.changed" error and stores nothing: load it again, reapply the
// change and save again.
func (s *Store) SaveState(ctx context.Context, key string, data []byte, expect int64, ttl time.Duration) (newVersion int64, err error) {
	if ttl < time.Millisecond {
		return 0, errors.New("redis: save state: ttl must be at least 1ms")
	}
	v, err := saveScript.Run(ctx, s.rdb, []string{s.stateKey(key), s.prefix + "stateseq"},
		data, expect, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: save state: %w", err)
	}
	if v == 0 {
		return 0, domain.Conflict("state.changed")
	}
	return v, nil
}

// DeleteState removes the state under key if its version is still expect,
// or returns a Conflict "state.changed" error. Deleting a state that does
// not exist with expect 0 succeeds.
func (s *Store) DeleteState(ctx context.Context, key string, expect int64) error {
	ok, err := deleteScript.Run(ctx, s.rdb, []string{s.stateKey(key)}, expect).Int64()
	if err != nil {
		return fmt.Errorf("redis: delete state: %w", err)
	}
	if ok == 0 {
		return domain.Conflict("state.changed")
	}
	return nil
}
