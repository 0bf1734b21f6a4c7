package redis_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

func TestClaimFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	rdb := redistest.Client(t)

	claim := func(owner string, wantClaimed, wantDone bool) {
		t.Helper()
		claimed, done, err := s.ClaimUpdate(ctx, 1, owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if claimed != wantClaimed || done != wantDone {
			t.Fatalf("ClaimUpdate(%s) = %v, %v; want %v, %v", owner, claimed, done, wantClaimed, wantDone)
		}
	}
	claim("a", true, false)
	claim("b", false, false) // a holds it
	claim("a", true, false)  // a again: still a's

	if err := s.FinishUpdate(ctx, 1, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	claim("a", false, true)
	claim("b", false, true)
	if ttl := rdb.PTTL(ctx, s.Prefix()+"upd:1").Val(); ttl <= 59*time.Minute {
		t.Fatalf("done TTL = %v, want about 1h", ttl)
	}
	// Finishing twice is harmless; releasing a finished update does nothing.
	if err := s.FinishUpdate(ctx, 1, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUpdate(ctx, 1, "a"); err != nil {
		t.Fatal(err)
	}
	claim("b", false, true)

	if _, _, err := s.ClaimUpdate(ctx, 2, "", time.Minute); err == nil {
		t.Fatal("ClaimUpdate without an owner succeeded")
	}
}

func TestClaimRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)

	if claimed, _, _ := s.ClaimUpdate(ctx, 7, "a", time.Minute); !claimed {
		t.Fatal("a did not claim a free update")
	}
	// b cannot release a's claim.
	if err := s.ReleaseUpdate(ctx, 7, "b"); err != nil {
		t.Fatal(err)
	}
	if claimed, _, _ := s.ClaimUpdate(ctx, 7, "b", time.Minute); claimed {
		t.Fatal("b claimed an update a holds")
	}
	// a's handling failed: it lets go, and a redelivery to b is handled.
	if err := s.ReleaseUpdate(ctx, 7, "a"); err != nil {
		t.Fatal(err)
	}
	if claimed, done, _ := s.ClaimUpdate(ctx, 7, "b", time.Minute); !claimed || done {
		t.Fatalf("b after release: claimed %v, done %v", claimed, done)
	}
}

func TestClaimLeaseLapses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)

	// a crashes while holding the update; its lease runs out.
	if claimed, _, _ := s.ClaimUpdate(ctx, 9, "a", 50*time.Millisecond); !claimed {
		t.Fatal("a did not claim")
	}
	time.Sleep(100 * time.Millisecond)
	if claimed, _, _ := s.ClaimUpdate(ctx, 9, "b", time.Minute); !claimed {
		t.Fatal("b could not claim after a's lease ran out")
	}
	// a was only slow, not dead: its finish still marks the update done,
	// and says someone else was handling it too.
	wantConflict(t, s.FinishUpdate(ctx, 9, "a", time.Hour), "update.taken")
	if _, done, _ := s.ClaimUpdate(ctx, 9, "c", time.Minute); !done {
		t.Fatal("update not done after a finished")
	}
	// b's finish and release find it done and leave it so.
	if err := s.FinishUpdate(ctx, 9, "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUpdate(ctx, 9, "b"); err != nil {
		t.Fatal(err)
	}
	if _, done, _ := s.ClaimUpdate(ctx, 9, "c", time.Minute); !done {
		t.Fatal("update not done after b released")
	}

	// A lapsed claim nobody took over finishes cleanly.
	if claimed, _, _ := s.ClaimUpdate(ctx, 10, "a", 50*time.Millisecond); !claimed {
		t.Fatal("a did not claim")
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.FinishUpdate(ctx, 10, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, done, _ := s.ClaimUpdate(ctx, 10, "b", time.Minute); !done {
		t.Fatal("update 10 not done")
	}
}

func TestClaimConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	const owners = 10

	for id := int64(100); id < 110; id++ {
		var claimed atomic.Int32
		var wg sync.WaitGroup
		begin := make(chan struct{})
		for i := range owners {
			wg.Go(func() {
				<-begin
				ok, _, err := s.ClaimUpdate(ctx, id, "owner"+strconv.Itoa(i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					claimed.Add(1)
				}
			})
		}
		close(begin)
		wg.Wait()
		if claimed.Load() != 1 {
			t.Fatalf("update %d claimed by %d owners", id, claimed.Load())
		}
	}
}
