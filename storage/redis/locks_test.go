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
