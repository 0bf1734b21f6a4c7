package redis_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/redis"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

func wantConflict(t *testing.T, err error, code string) {
	t.Helper()
	if !errors.Is(err, &domain.Error{Kind: domain.KindConflict, Code: code}) {
		t.Fatalf("error = %v, want conflict %q", err, code)
	}
}

func TestStateCAS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	const ttl = time.Hour

	data, v, err := s.LoadState(ctx, "chat:1")
	if err != nil || data != nil || v != 0 {
		t.Fatalf("LoadState of nothing = %q, %d, %v", data, v, err)
	}
	// Only "must not exist" creates it.
	_, err = s.SaveState(ctx, "chat:1", []byte("a"), 5, ttl)
	wantConflict(t, err, "state.changed")
	v1, err := s.SaveState(ctx, "chat:1", []byte("a"), 0, ttl)
	if err != nil || v1 <= 0 {
		t.Fatalf("create = %d, %v", v1, err)
	}
	_, err = s.SaveState(ctx, "chat:1", []byte("b"), 0, ttl)
	wantConflict(t, err, "state.changed")

	data, v, err = s.LoadState(ctx, "chat:1")
	if err != nil || string(data) != "a" || v != v1 {
		t.Fatalf("LoadState = %q, %d, %v; want a, %d", data, v, err, v1)
	}
	v2, err := s.SaveState(ctx, "chat:1", []byte("b"), v1, ttl)
	if err != nil || v2 <= v1 {
		t.Fatalf("update = %d, %v (after %d)", v2, err, v1)
	}
	// A writer still holding v1 loses.
	_, err = s.SaveState(ctx, "chat:1", []byte("stale"), v1, ttl)
	wantConflict(t, err, "state.changed")

	// Keys are independent; empty data is data.
	if _, err := s.SaveState(ctx, "chat:2", []byte{}, 0, ttl); err != nil {
		t.Fatal(err)
	}
	if data, v, _ := s.LoadState(ctx, "chat:2"); data == nil || len(data) != 0 || v == 0 {
		t.Fatalf("empty state = %q, %d", data, v)
	}

	// Binary data survives.
	bin := []byte{0, 1, 2, 0xff, '\n', 0}
	v3, err := s.SaveState(ctx, "chat:1", bin, v2, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if data, _, _ := s.LoadState(ctx, "chat:1"); string(data) != string(bin) {
		t.Fatalf("binary state = %q", data)
	}

	// Delete is compare-and-delete too.
	wantConflict(t, s.DeleteState(ctx, "chat:1", v2), "state.changed")
	if err := s.DeleteState(ctx, "chat:1", v3); err != nil {
		t.Fatal(err)
	}
	if data, v, _ := s.LoadState(ctx, "chat:1"); data != nil || v != 0 {
		t.Fatalf("after delete = %q, %d", data, v)
	}
	if err := s.DeleteState(ctx, "chat:1", 0); err != nil {
		t.Fatalf("deleting nothing: %v", err)
	}
	wantConflict(t, s.DeleteState(ctx, "chat:1", v3), "state.changed")

	// A new state under the same key never reuses a version, so a writer
	// from before the delete cannot overwrite it.
	for range 3 {
		v, err := s.SaveState(ctx, "chat:1", []byte("new"), 0, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if v == v1 || v == v2 || v == v3 {
			t.Fatalf("version %d reused", v)
		}
		if err := s.DeleteState(ctx, "chat:1", v); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := s.SaveState(ctx, "chat:3", []byte("x"), 0, 0); err == nil {
		t.Fatal("SaveState without a TTL succeeded")
	}
}

func TestStateTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	rdb := redistest.Client(t)
	key := s.Prefix() + "state:chat:1"

	v, err := s.SaveState(ctx, "chat:1", []byte("a"), 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL after save = %v, want about 1h", ttl)
	}
	// Every save starts the TTL again.
	rdb.PExpire(ctx, key, time.Minute)
	v, err = s.SaveState(ctx, "chat:1", []byte("b"), v, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= time.Hour {
		t.Fatalf("TTL after second save = %v, want about 2h", ttl)
	}
	// A failed save leaves the TTL alone.
	_, err = s.SaveState(ctx, "chat:1", []byte("c"), v+1000, 3*time.Hour)
	wantConflict(t, err, "state.changed")
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 2*time.Hour {
		t.Fatalf("TTL after failed save = %v", ttl)
	}

	// Expiry, for real.
	v2, err := s.SaveState(ctx, "chat:2", []byte("a"), 0, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if data, v, err := s.LoadState(ctx, "chat:2"); err != nil || data != nil || v != 0 {
		t.Fatalf("expired state = %q, %d, %v", data, v, err)
	}
	// Gone means gone: the old version no longer matches, 0 does.
	_, err = s.SaveState(ctx, "chat:2", []byte("b"), v2, time.Hour)
	wantConflict(t, err, "state.changed")
	if _, err := s.SaveState(ctx, "chat:2", []byte("b"), 0, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func TestStateConcurrentIncrements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	const n = 50

	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				if attempt == 1000 {
					t.Error("no progress after 1000 attempts")
					return
				}
				data, v, err := s.LoadState(ctx, "counter")
				if err != nil {
					t.Error(err)
					return
				}
				count := 0
				if data != nil {
					count, _ = strconv.Atoi(string(data))
				}
				_, err = s.SaveState(ctx, "counter", []byte(strconv.Itoa(count+1)), v, time.Minute)
				if err == nil {
					return
				}
				if domain.CodeOf(err) != "state.changed" {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	data, _, err := s.LoadState(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != strconv.Itoa(n) {
		t.Fatalf("counter = %s, want %d", data, n)
	}
}

func TestStateOneOfConcurrentSavesWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	const n = 20

	for _, start := range []string{"absent", "present"} {
		var expect int64
		if start == "present" {
			v, err := s.SaveState(ctx, "k", []byte("base"), 0, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			expect = v
		}
		var won, lost atomic.Int32
		var winner atomic.Int64
		var wg sync.WaitGroup
		begin := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-begin
				_, err := s.SaveState(ctx, "k", []byte(strconv.Itoa(i)), expect, time.Minute)
				switch {
				case err == nil:
					won.Add(1)
					winner.Store(int64(i))
				case domain.CodeOf(err) == "state.changed":
					lost.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(begin)
		wg.Wait()
		if won.Load() != 1 || lost.Load() != n-1 {
			t.Fatalf("%s: %d won, %d lost", start, won.Load(), lost.Load())
		}
		data, v, _ := s.LoadState(ctx, "k")
		if string(data) != strconv.FormatInt(winner.Load(), 10) {
			t.Fatalf("%s: stored %q, winner %d", start, data, winner.Load())
		}
		if err := s.DeleteState(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A short deadline cuts go-redis's dial retries short.
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if _, err := redis.Open(short, "redis://127.0.0.1:1/0", "x:"); err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	_, err := redis.Open(ctx, "redis://:secret@127.0.0.1:6379/notanumber\x7f", "x:")
	if err == nil {
		t.Fatal("Open of a bad URL succeeded")
	}
	if s := err.Error(); strings.Contains(s, "secret") {
		t.Fatalf("error shows the password: %s", s)
	}
	s := redistest.New(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// Several states load in one call, each as LoadState would give it.
func TestLoadStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	v1, err := s.SaveState(ctx, "chat:1", []byte("one"), 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v3, err := s.SaveState(ctx, "chat:3", []byte{}, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	data, versions, err := s.LoadStates(ctx, []string{"chat:1", "chat:2", "chat:3"})
	if err != nil {
		t.Fatal(err)
	}
	if string(data[0]) != "one" || versions[0] != v1 || data[1] != nil || versions[1] != 0 || data[2] == nil || len(data[2]) != 0 || versions[2] != v3 {
		t.Fatalf("LoadStates = %q %v", data, versions)
	}
	if data, versions, err := s.LoadStates(ctx, nil); err != nil || len(data) != 0 || len(versions) != 0 {
		t.Fatalf("no keys: %q %v %v", data, versions, err)
	}
}
