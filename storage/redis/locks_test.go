package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

func TestLockOneOwnerAtATime(t *testing.T) {
	t.Parallel()
	s := redistest.New(t)
	ctx := context.Background()
	if held, err := s.Acquire(ctx, "chat:1", "a", time.Minute); err != nil || !held {
		t.Fatalf("a: %v %v", held, err)
	}
	if held, _ := s.Acquire(ctx, "chat:1", "b", time.Minute); held {
		t.Fatal("b took a lock a holds")
	}
	if held, _ := s.Acquire(ctx, "chat:1", "a", time.Minute); !held {
		t.Fatal("a could not renew its own lock")
	}
	if err := s.Release(ctx, "chat:1", "b"); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.Acquire(ctx, "chat:1", "b", time.Minute); held {
		t.Fatal("b released a's lock")
	}
	if err := s.Release(ctx, "chat:1", "a"); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.Acquire(ctx, "chat:1", "b", time.Minute); !held {
		t.Fatal("b could not take a released lock")
	}
}

func TestLockLapses(t *testing.T) {
	t.Parallel()
	s := redistest.New(t)
	ctx := context.Background()
	if held, _ := s.Acquire(ctx, "poller", "a", 50*time.Millisecond); !held {
		t.Fatal("a")
	}
	time.Sleep(120 * time.Millisecond) // Redis expires the key on its own clock
	if held, _ := s.Acquire(ctx, "poller", "b", time.Minute); !held {
		t.Fatal("b could not take a lapsed lock")
	}
}

// Of many owners racing for one lock, exactly one holds it.
func TestLockRace(t *testing.T) {
	t.Parallel()
	s := redistest.New(t)
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if held, err := s.Acquire(context.Background(), "race", string(rune('a'+i)), time.Minute); err == nil && held {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d owners hold the lock", won.Load())
	}
}

// A webhook delivery takes its chat's lock and its claim in one call and
// gives both back in one call; a held lock stops the claim from happening.
func TestLockAndClaim(t *testing.T) {
	t.Parallel()
	s := redistest.New(t)
	ctx := context.Background()
	// The chat's state is read with the claim: none yet.
	locked, claimed, done, data, version, err := s.LockAndClaim(ctx, "chat:1", 5, "a", time.Minute, "chat-state:1")
	if err != nil || !locked || !claimed || done || data != nil || version != 0 {
		t.Fatalf("a: locked %v claimed %v done %v state %q v%d err %v", locked, claimed, done, data, version, err)
	}
	saved, err := s.SaveState(ctx, "chat-state:1", []byte("step 2"), 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// b waits for the chat, and its update 6 is not claimed meanwhile.
	if locked, claimed, _, data, _, _ := s.LockAndClaim(ctx, "chat:1", 6, "b", time.Minute, "chat-state:1"); locked || claimed || data != nil {
		t.Fatalf("b took a held chat: locked %v claimed %v", locked, claimed)
	}
	if c, _, _ := s.ClaimUpdates(ctx, []int64{6}, "c", time.Minute); !c[0] {
		t.Fatal("b's refused attempt claimed update 6")
	}
	if err := s.ReleaseUpdates(ctx, []int64{6}, "c"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAndUnlock(ctx, "chat:1", 5, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	// The chat is free and update 5 done: b gets the chat, and a
	// redelivery of 5 is seen as done.
	locked, claimed, done, _, _, err = s.LockAndClaim(ctx, "chat:1", 5, "b", time.Minute, "chat-state:1")
	if err != nil || !locked || claimed || !done {
		t.Fatalf("b after a: locked %v claimed %v done %v err %v", locked, claimed, done, err)
	}
	// b's next update starts from the state a saved.
	_, claimed, _, data, version, err = s.LockAndClaim(ctx, "chat:1", 9, "b", time.Minute, "chat-state:1")
	if err != nil || !claimed || string(data) != "step 2" || version != saved {
		t.Fatalf("b's update 9: claimed %v state %q v%d (saved v%d) err %v", claimed, data, version, saved, err)
	}
	// Finishing an update another owner claimed says so; the lock is
	// released only by its owner.
	if _, _, err := s.ClaimUpdates(ctx, []int64{7}, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, s.FinishAndUnlock(ctx, "chat:1", 7, "a", time.Hour), "update.taken")
	if held, _ := s.Acquire(ctx, "chat:1", "a", time.Minute); held {
		t.Fatal("a's finish released b's lock")
	}
	if err := s.FinishAndUnlock(ctx, "chat:1", 8, "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.Acquire(ctx, "chat:1", "a", time.Minute); !held {
		t.Fatal("b's finish did not release its lock")
	}
}
