package redis_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/redis"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

// One update at a time, as a webhook delivery is claimed.
func claimOne(ctx context.Context, s *redis.Store, id int64, owner string, lease time.Duration) (claimed, done bool, err error) {
	c, d, err := s.ClaimUpdates(ctx, []int64{id}, owner, lease)
	if err != nil {
		return false, false, err
	}
	return c[0], d[0], nil
}

func finishOne(ctx context.Context, s *redis.Store, id int64, owner string, keep time.Duration) error {
	return s.FinishUpdates(ctx, []int64{id}, owner, keep)
}

func releaseOne(ctx context.Context, s *redis.Store, id int64, owner string) error {
	return s.ReleaseUpdates(ctx, []int64{id}, owner)
}

func TestClaimFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	rdb := redistest.Client(t)

	claim := func(owner string, wantClaimed, wantDone bool) {
		t.Helper()
		claimed, done, err := claimOne(ctx, s, 1, owner, time.Minute)
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

	if err := finishOne(ctx, s, 1, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	claim("a", false, true)
	claim("b", false, true)
	if ttl := rdb.PTTL(ctx, s.Prefix()+"upd:1").Val(); ttl <= 59*time.Minute {
		t.Fatalf("done TTL = %v, want about 1h", ttl)
	}
	// Finishing twice is harmless; releasing a finished update does nothing.
	if err := finishOne(ctx, s, 1, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := releaseOne(ctx, s, 1, "a"); err != nil {
		t.Fatal(err)
	}
	claim("b", false, true)

	if _, _, err := claimOne(ctx, s, 2, "", time.Minute); err == nil {
		t.Fatal("ClaimUpdate without an owner succeeded")
	}
}

func TestClaimRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)

	if claimed, _, _ := claimOne(ctx, s, 7, "a", time.Minute); !claimed {
		t.Fatal("a did not claim a free update")
	}
	// b cannot release a's claim.
	if err := releaseOne(ctx, s, 7, "b"); err != nil {
		t.Fatal(err)
	}
	if claimed, _, _ := claimOne(ctx, s, 7, "b", time.Minute); claimed {
		t.Fatal("b claimed an update a holds")
	}
	// a's handling failed: it lets go, and a redelivery to b is handled.
	if err := releaseOne(ctx, s, 7, "a"); err != nil {
		t.Fatal(err)
	}
	if claimed, done, _ := claimOne(ctx, s, 7, "b", time.Minute); !claimed || done {
		t.Fatalf("b after release: claimed %v, done %v", claimed, done)
	}
}

func TestClaimLeaseLapses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)

	// a crashes while holding the update; its lease runs out.
	if claimed, _, _ := claimOne(ctx, s, 9, "a", 50*time.Millisecond); !claimed {
		t.Fatal("a did not claim")
	}
	time.Sleep(100 * time.Millisecond)
	if claimed, _, _ := claimOne(ctx, s, 9, "b", time.Minute); !claimed {
		t.Fatal("b could not claim after a's lease ran out")
	}
	// a was only slow, not dead: its finish still marks the update done,
	// and says someone else was handling it too.
	wantConflict(t, finishOne(ctx, s, 9, "a", time.Hour), "update.taken")
	if _, done, _ := claimOne(ctx, s, 9, "c", time.Minute); !done {
		t.Fatal("update not done after a finished")
	}
	// b's finish and release find it done and leave it so.
	if err := finishOne(ctx, s, 9, "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := releaseOne(ctx, s, 9, "b"); err != nil {
		t.Fatal(err)
	}
	if _, done, _ := claimOne(ctx, s, 9, "c", time.Minute); !done {
		t.Fatal("update not done after b released")
	}

	// A lapsed claim nobody took over finishes cleanly.
	if claimed, _, _ := claimOne(ctx, s, 10, "a", 50*time.Millisecond); !claimed {
		t.Fatal("a did not claim")
	}
	time.Sleep(100 * time.Millisecond)
	if err := finishOne(ctx, s, 10, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, done, _ := claimOne(ctx, s, 10, "b", time.Minute); !done {
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
				ok, _, err := claimOne(ctx, s, id, "owner"+strconv.Itoa(i), time.Minute)
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

// A batch is claimed in one call: each update free, done or held elsewhere
// gets its own answer, and finishing or releasing the batch touches only
// what the owner holds.
func TestClaimBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	if _, _, err := claimOne(ctx, s, 2, "other", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := finishOne(ctx, s, 3, "other", time.Hour); err != nil {
		t.Fatal(err)
	}
	ids := []int64{1, 2, 3, 4}
	claimed, done, err := s.ClaimUpdates(ctx, ids, "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wantClaimed, wantDone := []bool{true, false, false, true}, []bool{false, false, true, false}
	for i := range ids {
		if claimed[i] != wantClaimed[i] || done[i] != wantDone[i] {
			t.Fatalf("update %d: claimed %v done %v, want %v %v", ids[i], claimed[i], done[i], wantClaimed[i], wantDone[i])
		}
	}
	// a handled 1 and leaves 4; releasing 2 (other's) changes nothing.
	if err := s.FinishUpdates(ctx, []int64{1}, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUpdates(ctx, []int64{2, 4}, "a"); err != nil {
		t.Fatal(err)
	}
	claimed, done, err = s.ClaimUpdates(ctx, ids, "b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wantClaimed, wantDone = []bool{false, false, false, true}, []bool{true, false, true, false}
	for i := range ids {
		if claimed[i] != wantClaimed[i] || done[i] != wantDone[i] {
			t.Fatalf("after: update %d: claimed %v done %v, want %v %v", ids[i], claimed[i], done[i], wantClaimed[i], wantDone[i])
		}
	}
	// Finishing a batch of which one was claimed by another says so, and
	// marks all done.
	wantConflict(t, s.FinishUpdates(ctx, []int64{4, 5}, "a", time.Hour), "update.taken")
	if _, done, _ := s.ClaimUpdates(ctx, []int64{4, 5}, "c", time.Minute); !done[0] || !done[1] {
		t.Fatalf("done = %v after finishing", done)
	}
	if c, d, err := s.ClaimUpdates(ctx, nil, "a", time.Minute); err != nil || c != nil || d != nil {
		t.Fatalf("empty batch: %v %v %v", c, d, err)
	}
}

// Accepted updates stay in the inbox, oldest first, until finished; one
// accepted again after it was handled leaves it; a released one stays for
// the next process.
func TestAcceptKeepsUpdatesUntilFinished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	bodies := func(ids ...int64) [][]byte {
		out := make([][]byte, len(ids))
		for i, id := range ids {
			out[i] = []byte(`{"update_id":` + strconv.FormatInt(id, 10) + `}`)
		}
		return out
	}
	inbox := func(want ...int64) {
		t.Helper()
		got, err := s.InboxUpdates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w := bodies(want...); len(got) != len(w) {
			t.Fatalf("inbox holds %q, want %q", got, w)
		} else {
			for i := range w {
				if string(got[i]) != string(w[i]) {
					t.Fatalf("inbox holds %q, want %q", got, w)
				}
			}
		}
	}

	claimed, done, err := s.AcceptUpdates(ctx, []int64{12, 9, 100}, bodies(12, 9, 100), "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !claimed[0] || !claimed[1] || !claimed[2] || done[0] || done[1] || done[2] {
		t.Fatalf("accepting free updates: claimed %v, done %v", claimed, done)
	}
	inbox(9, 12, 100) // by id, not by the order accepted

	if err := s.FinishUpdates(ctx, []int64{12}, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUpdates(ctx, []int64{100}, "a"); err != nil {
		t.Fatal(err)
	}
	inbox(9, 100)

	// Polled again (the offset was never confirmed): the handled one is
	// dropped from the inbox, the held one is not another's to take.
	claimed, done, err = s.AcceptUpdates(ctx, []int64{9, 12, 100}, bodies(9, 12, 100), "b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if claimed[0] || done[0] || claimed[1] || !done[1] || !claimed[2] {
		t.Fatalf("accepting again: claimed %v, done %v; want 9 held by a, 12 done, 100 free", claimed, done)
	}
	inbox(9, 100)
	// b finishing 9 while a held it is reported, and done all the same.
	if err := s.FinishUpdates(ctx, []int64{9, 100}, "b", time.Hour); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("finishing another's update: %v, want a conflict", err)
	}
	inbox()

	if _, _, err := s.AcceptUpdates(ctx, []int64{1}, nil, "a", time.Minute); err == nil {
		t.Fatal("accepted an update without its body")
	}
}

// Update ids are a Bot API server's: a bot on another server (or a reset
// one) starts them again, and its updates must not be taken for those
// handled on the first. ForBot keeps each bot and server's claims and inbox
// apart, and takes over the inbox kept before scoping.
func TestForBotKeepsServersApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redistest.New(t)
	// Accepted before scoping, not yet handled.
	if _, _, err := s.AcceptUpdates(ctx, []int64{7}, [][]byte{[]byte(`{"update_id":7}`)}, "old", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUpdates(ctx, []int64{7}, "old"); err != nil {
		t.Fatal(err)
	}
	telegram := must[*redis.Store](t)(s.ForBot(ctx, "42@api.telegram.org"))
	bale := must[*redis.Store](t)(s.ForBot(ctx, "42@tapi.bale.ai"))
	if bodies := must[[][]byte](t)(telegram.InboxUpdates(ctx)); len(bodies) != 1 || string(bodies[0]) != `{"update_id":7}` {
		t.Fatalf("the first scope's inbox = %q, want the update accepted before scoping", bodies)
	}
	if bodies := must[[][]byte](t)(bale.InboxUpdates(ctx)); len(bodies) != 0 {
		t.Fatalf("another scope's inbox = %q, want it empty", bodies)
	}
	if claimed, _, err := claimOne(ctx, telegram, 100, "a", time.Minute); err != nil || !claimed {
		t.Fatalf("claim on telegram: %v %v", claimed, err)
	}
	if err := finishOne(ctx, telegram, 100, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if claimed, done, err := claimOne(ctx, bale, 100, "b", time.Minute); err != nil || !claimed || done {
		t.Fatalf("update 100 on another server: claimed %v done %v %v, want a new update", claimed, done, err)
	}
	if _, done, err := claimOne(ctx, telegram, 100, "c", time.Minute); err != nil || !done {
		t.Fatalf("update 100 again on telegram: done %v %v, want done", done, err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
