package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// Offers made by offer are made at offeredAt and lapse at deadline.
var (
	offeredAt = t0.Add(24 * time.Hour)
	deadline  = offeredAt.Add(48 * time.Hour)
)

// stallRequest is a valid request of this program year by user, for
// markets in that order; not a female head of household.
func stallRequest(nid domain.NationalID, user int64, markets ...int64) domain.StallRequest {
	return domain.StallRequest{
		ProgramYear: year,
		UserID:      user,
		NationalID:  nid,
		FullName:    "مریم احمدی",
		Phone:       "+989121234567",
		Gender:      domain.GenderFemale,
		Category:    domain.ProductFood,
		VendorKind:  domain.VendorStreet,
		Markets:     markets,
	}
}

// stallSeq numbers the people mustStall and mustStalls make, so each test's
// are distinct and made in call order.
var stallSeq atomic.Int64

func mustStall(t *testing.T, db *postgres.DB, r domain.StallRequest) domain.StallRequest {
	t.Helper()
	n := stallSeq.Add(1)
	if r.NationalID == "" {
		r.NationalID = nationalIDs(t, 100_000+int(n), 1)[0]
	}
	if r.UserID == 0 {
		r.UserID = 700_000 + n
	}
	got, err := db.CreateStallRequest(context.Background(), r, t0.Add(time.Duration(n)*time.Second))
	if err != nil {
		t.Fatalf("CreateStallRequest: %v", err)
	}
	return got
}

// mustStalls makes n requests for markets, each by its own person, in
// order of request.
func mustStalls(t *testing.T, db *postgres.DB, n int, markets ...int64) []domain.StallRequest {
	t.Helper()
	rs := make([]domain.StallRequest, n)
	for i := range rs {
		rs[i] = mustStall(t, db, stallRequest("", 0, markets...))
	}
	return rs
}

// firstCome gives the free stalls, lowest first, to waiting in its order.
func firstCome(m domain.Market, taken []int, waiting []domain.StallRequest) []domain.Assignment {
	return firstN(len(waiting))(m, taken, waiting)
}

// firstN is firstCome serving at most n requests.
func firstN(n int) func(domain.Market, []int, []domain.StallRequest) []domain.Assignment {
	return func(m domain.Market, taken []int, waiting []domain.StallRequest) []domain.Assignment {
		var out []domain.Assignment
		stall := 1
		for _, r := range waiting {
			for slices.Contains(taken, stall) {
				stall++
			}
			if stall > m.Capacity || len(out) == n {
				break
			}
			out = append(out, domain.Assignment{RequestID: r.ID, MarketID: m.ID, Stall: stall})
			stall++
		}
		return out
	}
}

// offer allocates marketID with alloc at offeredAt until deadline.
func offer(t *testing.T, db *postgres.DB, marketID int64, alloc func(domain.Market, []int, []domain.StallRequest) []domain.Assignment) []domain.StallRequest {
	t.Helper()
	rs, err := db.AllocateMarket(context.Background(), marketID, year, offeredAt, deadline, alloc)
	if err != nil {
		t.Fatalf("AllocateMarket(%d): %v", marketID, err)
	}
	return rs
}

// utcStall puts r's times in one location so requests compare.
func utcStall(r domain.StallRequest) domain.StallRequest {
	r.CreatedAt = r.CreatedAt.UTC()
	r.Deadline = r.Deadline.UTC()
	return r
}

func sameStall(t *testing.T, got, want domain.StallRequest) {
	t.Helper()
	if !reflect.DeepEqual(utcStall(got), utcStall(want)) {
		t.Fatalf("stall request =\n%+v\nwant\n%+v", got, want)
	}
}

func ids(rs []domain.StallRequest) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func stalls(rs []domain.StallRequest) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Stall
	}
	return out
}

func held(t *testing.T, db *postgres.DB, marketID int64) []domain.StallRequest {
	t.Helper()
	rs, err := db.HeldStalls(context.Background(), marketID, year)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func waitingFor(t *testing.T, db *postgres.DB, marketID int64) []domain.StallRequest {
	t.Helper()
	rs, err := db.WaitingFor(context.Background(), marketID, year)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func mustStallRequest(t *testing.T, db *postgres.DB, id int64) domain.StallRequest {
	t.Helper()
	r, err := db.StallRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCreateStallRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 10), market("b", 10), market("c", 10))
	nids := nationalIDs(t, 0, 2)
	now := t0.Add(time.Hour)

	in := stallRequest(nids[0], 501, ms[1].ID, ms[0].ID)
	in.FemaleHead, in.Category, in.VendorKind = true, domain.ProductHandicrafts, domain.VendorHome
	in.State, in.Stall = domain.StallAllocated, 7 // ignored
	r, err := db.CreateStallRequest(ctx, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 {
		t.Fatal("no id")
	}
	want := in
	want.ID, want.State, want.Stall, want.CreatedAt = r.ID, domain.StallWaiting, 0, now
	sameStall(t, r, want)
	sameStall(t, mustStallRequest(t, db, r.ID), want)
	open, err := db.OpenStallRequest(ctx, year, nids[0])
	if err != nil {
		t.Fatal(err)
	}
	sameStall(t, open, want)

	// The same person again, from another account and for another market:
	// told of the open request.
	got, err := db.CreateStallRequest(ctx, stallRequest(nids[0], 502, ms[2].ID), now.Add(time.Minute))
	wantErr(t, err, domain.KindConflict, "stall.open")
	sameStall(t, got, want)

	// Next program year is another request.
	next := in
	next.ProgramYear = year + 1
	if _, err := db.CreateStallRequest(ctx, next, now); err != nil {
		t.Fatal(err)
	}

	// Markets that do not exist or are inactive: nothing stored.
	c := ms[2]
	c.Active = false
	if err := db.UpdateMarket(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, markets := range [][]int64{{ms[0].ID, 999999}, {c.ID}} {
		_, err = db.CreateStallRequest(ctx, stallRequest(nids[1], 503, markets...), now)
		wantErr(t, err, domain.KindNotFound, "market.notfound")
	}
	_, err = db.CreateStallRequest(ctx, stallRequest(nids[1], 503, ms[0].ID, ms[0].ID), now)
	wantErr(t, err, domain.KindInvalid, "markets.repeated")
	for _, markets := range [][]int64{nil, {1, 2, 3, 4}} {
		_, err = db.CreateStallRequest(ctx, stallRequest(nids[1], 503, markets...), now)
		wantErr(t, err, domain.KindInvalid, "markets.count")
	}
	_, err = db.OpenStallRequest(ctx, year, nids[1])
	wantErr(t, err, domain.KindNotFound, "stall.notfound")
	if rs, _ := db.UserStallRequests(ctx, 503, year); len(rs) != 0 {
		t.Fatalf("refused requests stored: %+v", rs)
	}
	_, err = db.StallRequest(ctx, 999999)
	wantErr(t, err, domain.KindNotFound, "stall.notfound")

	// Once the request is cancelled the person may ask again.
	if _, err := db.CancelStallRequest(ctx, r.ID, 501, now); err != nil {
		t.Fatal(err)
	}
	r2, err := db.CreateStallRequest(ctx, stallRequest(nids[0], 502, ms[0].ID), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r2.ID == r.ID || r2.State != domain.StallWaiting || !slices.Equal(r2.Markets, []int64{ms[0].ID}) {
		t.Fatalf("new request = %+v", r2)
	}
}

func TestCreateStallRequestConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("a", 10))[0]
	nid := nationalIDs(t, 0, 1)[0]

	const n = 8
	got := make([]domain.StallRequest, n)
	errs := make([]error, n)
	race(n, func(i int) {
		got[i], errs[i] = db.CreateStallRequest(ctx, stallRequest(nid, int64(600+i), m.ID), t0)
	})
	created := -1
	for i, err := range errs {
		if err == nil {
			if created >= 0 {
				t.Fatalf("requests %d and %d both created", created, i)
			}
			created = i
		}
	}
	if created < 0 {
		t.Fatalf("none created: %v", errs)
	}
	for i, err := range errs {
		if i == created {
			continue
		}
		wantErr(t, err, domain.KindConflict, "stall.open")
		if got[i].ID != got[created].ID {
			t.Fatalf("conflict names request %d, want %d", got[i].ID, got[created].ID)
		}
	}
}

func TestUserStallRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 10), market("b", 10))
	nids := nationalIDs(t, 0, 2)
	const user = 601

	r1 := mustStall(t, db, stallRequest(nids[0], user, ms[0].ID))
	r1, err := db.CancelStallRequest(ctx, r1.ID, user, t0)
	if err != nil {
		t.Fatal(err)
	}
	r2 := mustStall(t, db, stallRequest(nids[0], user, ms[1].ID, ms[0].ID))
	nextYear := stallRequest(nids[0], user, ms[0].ID)
	nextYear.ProgramYear = year + 1
	mustStall(t, db, nextYear)
	mustStall(t, db, stallRequest(nids[1], user+1, ms[0].ID))

	rs, err := db.UserStallRequests(ctx, user, year)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("UserStallRequests = %+v", rs)
	}
	sameStall(t, rs[0], r2)
	sameStall(t, rs[1], r1)
	if !slices.Equal(rs[0].Markets, []int64{ms[1].ID, ms[0].ID}) || rs[1].State != domain.StallCancelled {
		t.Fatalf("UserStallRequests = %+v", rs)
	}
	if rs, err := db.UserStallRequests(ctx, 999, year); err != nil || len(rs) != 0 {
		t.Fatalf("UserStallRequests(nobody) = %+v, %v", rs, err)
	}
}

func TestWaitingForAndHeldStalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 2), market("b", 5))
	a, b := ms[0].ID, ms[1].ID

	r0 := mustStall(t, db, stallRequest("", 0, a))
	r1 := mustStall(t, db, stallRequest("", 0, b, a))
	r2 := mustStall(t, db, stallRequest("", 0, a, b))
	r3 := mustStall(t, db, stallRequest("", 0, b))
	other := stallRequest("", 0, a)
	other.ProgramYear = year + 1
	mustStall(t, db, other)

	w := waitingFor(t, db, a)
	if !slices.Equal(ids(w), []int64{r0.ID, r1.ID, r2.ID}) {
		t.Fatalf("WaitingFor(a) = %v", ids(w))
	}
	sameStall(t, w[1], r1) // with all its markets
	if h := held(t, db, a); len(h) != 0 {
		t.Fatalf("HeldStalls before allocation = %+v", h)
	}

	offer(t, db, a, firstCome)
	h := held(t, db, a)
	if !slices.Equal(ids(h), []int64{r0.ID, r1.ID}) || !slices.Equal(stalls(h), []int{1, 2}) {
		t.Fatalf("HeldStalls(a) = %+v", h)
	}
	if w := waitingFor(t, db, a); !slices.Equal(ids(w), []int64{r2.ID}) {
		t.Fatalf("WaitingFor(a) = %v", ids(w))
	}
	if w := waitingFor(t, db, b); !slices.Equal(ids(w), []int64{r2.ID, r3.ID}) {
		t.Fatalf("WaitingFor(b) = %v", ids(w))
	}

	// Accepted stalls are still held.
	if _, err := db.RespondToOffer(ctx, r0.ID, r0.UserID, true, offeredAt, ""); err != nil {
		t.Fatal(err)
	}
	h = held(t, db, a)
	if len(h) != 2 || h[0].State != domain.StallAllocated || h[1].State != domain.StallOffered {
		t.Fatalf("HeldStalls(a) = %+v", h)
	}
}

func TestAllocateMarket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 3), market("b", 5))
	a, b := ms[0], ms[1]

	rs := mustStalls(t, db, 5, a.ID)
	other := stallRequest("", 0, a.ID)
	other.ProgramYear = year + 1
	mustStall(t, db, other)
	mustStalls(t, db, 1, b.ID)

	var (
		gotMarket  domain.Market
		gotTaken   []int
		gotWaiting []domain.StallRequest
	)
	spy := func(m domain.Market, taken []int, waiting []domain.StallRequest) []domain.Assignment {
		gotMarket, gotTaken, gotWaiting = m, taken, waiting
		return firstCome(m, taken, waiting)
	}
	out := offer(t, db, a.ID, spy)
	sameMarket(t, gotMarket, a)
	if len(gotTaken) != 0 || !slices.Equal(ids(gotWaiting), ids(rs)) {
		t.Fatalf("allocate got taken %v, waiting %v", gotTaken, ids(gotWaiting))
	}
	sameStall(t, gotWaiting[0], rs[0])
	if len(out) != 3 {
		t.Fatalf("offered %+v", out)
	}
	for i, r := range out {
		want := rs[i]
		want.State, want.MarketID, want.Stall, want.Deadline = domain.StallOffered, a.ID, i+1, deadline
		sameStall(t, r, want)
		sameStall(t, mustStallRequest(t, db, r.ID), want)
	}

	// No stall free: nothing more.
	if out := offer(t, db, a.ID, spy); len(out) != 0 {
		t.Fatalf("offered %+v with no stall free", out)
	}
	if !slices.Equal(gotTaken, []int{1, 2, 3}) || !slices.Equal(ids(gotWaiting), ids(rs[3:])) {
		t.Fatalf("allocate got taken %v, waiting %v", gotTaken, ids(gotWaiting))
	}

	// An allocate that breaks the rules fails the call; nothing is offered.
	waitingB := waitingFor(t, db, b.ID)
	offer(t, db, b.ID, firstN(0))
	mustStalls(t, db, 2, b.ID)
	offer(t, db, b.ID, firstN(1)) // stall 1
	bad := map[string]func(domain.Market, []int, []domain.StallRequest) []domain.Assignment{
		"taken stall": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: 1}}
		},
		"stall 0": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: 0}}
		},
		"beyond capacity": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: m.Capacity + 1}}
		},
		"other market": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: a.ID, Stall: 2}}
		},
		"not waiting": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: 2}, {RequestID: rs[0].ID, MarketID: m.ID, Stall: 3}}
		},
		"request twice": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: 2}, {RequestID: w[0].ID, MarketID: m.ID, Stall: 3}}
		},
		"stall twice": func(m domain.Market, _ []int, w []domain.StallRequest) []domain.Assignment {
			return []domain.Assignment{{RequestID: w[0].ID, MarketID: m.ID, Stall: 2}, {RequestID: w[1].ID, MarketID: m.ID, Stall: 2}}
		},
	}
	for name, f := range bad {
		out, err := db.AllocateMarket(ctx, b.ID, year, offeredAt, deadline, f)
		if err == nil || domain.KindOf(err) != domain.KindInternal || out != nil {
			t.Fatalf("%s: AllocateMarket = %+v, %v; want an internal error", name, out, err)
		}
		if h := held(t, db, b.ID); len(h) != 1 || h[0].ID != waitingB[0].ID {
			t.Fatalf("%s: held after a failed allocation: %+v", name, h)
		}
	}

	// An inactive market offers nothing and asks allocate nothing.
	b.Active = false
	if err := db.UpdateMarket(ctx, b); err != nil {
		t.Fatal(err)
	}
	called := false
	out, err := db.AllocateMarket(ctx, b.ID, year, offeredAt, deadline, func(m domain.Market, taken []int, w []domain.StallRequest) []domain.Assignment {
		called = true
		return firstCome(m, taken, w)
	})
	if err != nil || len(out) != 0 || called {
		t.Fatalf("AllocateMarket(inactive) = %+v, %v; allocate called: %v", out, err, called)
	}

	_, err = db.AllocateMarket(ctx, 999999, year, offeredAt, deadline, firstCome)
	wantErr(t, err, domain.KindNotFound, "market.notfound")
	if _, err := db.AllocateMarket(ctx, a.ID, year, offeredAt, offeredAt, firstCome); err == nil {
		t.Fatal("AllocateMarket with a deadline of now succeeded")
	}
}

func TestAllocateMarketConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 20), market("c", 10), market("d", 10), market("e", 40))
	a, c, d, e := ms[0].ID, ms[1].ID, ms[2].ID, ms[3].ID

	// a: 3 stalls already offered, 30 waiting, 5 operators at once.
	pre := mustStalls(t, db, 3, a)
	offer(t, db, a, firstCome)
	waitA := mustStalls(t, db, 30, a)
	// c and d: 15 requests naming both, both allocated at once.
	both := mustStalls(t, db, 15, c, d)
	// e: 30 waiting of whom 10 are eligible (female heads).
	var waitE []domain.StallRequest
	for i := range 30 {
		r := stallRequest("", 0, e)
		r.FemaleHead = i%3 == 0
		waitE = append(waitE, mustStall(t, db, r))
	}
	femaleHeads := func(m domain.Market, taken []int, w []domain.StallRequest) []domain.Assignment {
		return firstCome(m, taken, slices.DeleteFunc(w, func(r domain.StallRequest) bool { return !r.FemaleHead }))
	}

	type call struct {
		market int64
		alloc  func(domain.Market, []int, []domain.StallRequest) []domain.Assignment
	}
	var calls []call
	for range 5 {
		calls = append(calls, call{a, firstCome}, call{c, firstCome}, call{d, firstCome}, call{e, femaleHeads})
	}
	offered := make([][]domain.StallRequest, len(calls))
	errs := make([]error, len(calls))
	race(len(calls), func(i int) {
		offered[i], errs[i] = db.AllocateMarket(ctx, calls[i].market, year, offeredAt, deadline, calls[i].alloc)
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("AllocateMarket %d: %v", i, err)
		}
	}

	count := map[int64]int{}
	byRequest := map[int64]domain.StallRequest{}
	for _, rs := range offered {
		for _, r := range rs {
			if prev, ok := byRequest[r.ID]; ok {
				t.Fatalf("request %d offered twice: %+v and %+v", r.ID, prev, r)
			}
			byRequest[r.ID] = r
			count[r.MarketID]++
		}
	}
	if count[a] != 17 || count[c]+count[d] != 15 || count[e] != 10 {
		t.Fatalf("offered per market: %v; want a 17, c+d 15, e 10", count)
	}
	for _, m := range []int64{a, c, d, e} {
		h := held(t, db, m)
		seen := map[int]bool{}
		for _, r := range h {
			if seen[r.Stall] {
				t.Fatalf("market %d: stall %d held twice", m, r.Stall)
			}
			seen[r.Stall] = true
		}
	}
	// a: the first 17 of the line, stalls 4..20.
	h := held(t, db, a)
	if !slices.Equal(ids(h), append(ids(pre), ids(waitA[:17])...)) {
		t.Fatalf("held at a: %v", ids(h))
	}
	if w := waitingFor(t, db, a); !slices.Equal(ids(w), ids(waitA[17:])) {
		t.Fatalf("waiting at a: %v", ids(w))
	}
	for _, r := range both {
		if _, ok := byRequest[r.ID]; !ok {
			t.Fatalf("request %d naming c and d offered nothing", r.ID)
		}
	}
	for _, r := range waitE {
		if _, ok := byRequest[r.ID]; ok != r.FemaleHead {
			t.Fatalf("request %d (female head %v) offered: %v", r.ID, r.FemaleHead, ok)
		}
	}
}

// TestStallIndexes checks the table itself: whatever the code does, no
// stall is held twice and a person has one open request a year.
func TestStallIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	m := mustMarkets(t, db, market("a", 10))[0]
	rs := mustStalls(t, db, 2, m.ID)
	offer(t, db, m.ID, firstN(1))

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
		UPDATE stall_requests SET state = 'offered', market_id = $1, stall = 1, offered_at = now(), deadline = now()
		WHERE id = $2`, m.ID, rs[1].ID)
	if code := pgCode(err); code != "23505" {
		t.Fatalf("second holder of stall 1: %v", err)
	}
	_, err = conn.Exec(ctx, `UPDATE stall_requests SET state = 'offered' WHERE id = $1`, rs[1].ID)
	if code := pgCode(err); code != "23514" {
		t.Fatalf("offered without a stall: %v", err)
	}
	_, err = conn.Exec(ctx, `UPDATE stall_requests SET state = 'waiting', national_id = $1 WHERE id = $2`,
		string(rs[0].NationalID), rs[1].ID)
	if code := pgCode(err); code != "23505" {
		t.Fatalf("two open requests: %v", err)
	}
}

func TestRespondToOffer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("a", 2))[0]
	rs := mustStalls(t, db, 4, m.ID)
	offer(t, db, m.ID, firstCome) // rs[0] stall 1, rs[1] stall 2
	now := offeredAt.Add(time.Hour)

	_, err := db.RespondToOffer(ctx, rs[0].ID, rs[1].UserID, true, now, "")
	wantErr(t, err, domain.KindForbidden, "stall.notyours")
	_, err = db.RespondToOffer(ctx, 999999, rs[0].UserID, true, now, "")
	wantErr(t, err, domain.KindNotFound, "stall.notfound")
	got, err := db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, now, "")
	wantErr(t, err, domain.KindConflict, "stall.notoffered")
	if got.State != domain.StallWaiting {
		t.Fatalf("not offered: returned %+v", got)
	}

	// Accepted.
	got, err = db.RespondToOffer(ctx, rs[0].ID, rs[0].UserID, true, now, "")
	if err != nil {
		t.Fatal(err)
	}
	want := rs[0]
	want.State, want.MarketID, want.Stall, want.Deadline = domain.StallAllocated, m.ID, 1, deadline
	sameStall(t, got, want)
	sameStall(t, mustStallRequest(t, db, rs[0].ID), want)
	// A second tap, either button.
	for _, accept := range []bool{true, false} {
		got, err = db.RespondToOffer(ctx, rs[0].ID, rs[0].UserID, accept, now, "")
		wantErr(t, err, domain.KindConflict, "stall.notoffered")
		sameStall(t, got, want)
	}

	// Declined: the stall is free, and the next in line is offered it.
	got, err = db.RespondToOffer(ctx, rs[1].ID, rs[1].UserID, false, now, "")
	if err != nil {
		t.Fatal(err)
	}
	want = rs[1]
	want.State, want.MarketID, want.Stall, want.Deadline = domain.StallDeclined, m.ID, 2, deadline
	sameStall(t, got, want)
	want.MarketID, want.Stall, want.Deadline = 0, 0, time.Time{}
	sameStall(t, mustStallRequest(t, db, rs[1].ID), want)
	if h := held(t, db, m.ID); !slices.Equal(ids(h), []int64{rs[0].ID}) {
		t.Fatalf("held after decline: %v", ids(h))
	}
	if _, err := db.OpenStallRequest(ctx, year, rs[1].NationalID); domain.CodeOf(err) != "stall.notfound" {
		t.Fatalf("a declined request is still open: %v", err)
	}
	out := offer(t, db, m.ID, firstCome)
	if len(out) != 1 || out[0].ID != rs[2].ID || out[0].Stall != 2 {
		t.Fatalf("re-offered %+v", out)
	}

	// Answered at the deadline: expired, and the stall is free.
	got, err = db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, deadline, "")
	wantErr(t, err, domain.KindConflict, "stall.expired")
	want = rs[2]
	want.State, want.MarketID, want.Stall, want.Deadline = domain.StallExpired, m.ID, 2, deadline
	sameStall(t, got, want)
	if r := mustStallRequest(t, db, rs[2].ID); r.State != domain.StallExpired || r.Stall != 0 {
		t.Fatalf("stored %+v", r)
	}
	got, err = db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, now, "")
	wantErr(t, err, domain.KindConflict, "stall.notoffered")
	if got.State != domain.StallExpired {
		t.Fatalf("after expiry: %+v", got)
	}
	if out := offer(t, db, m.ID, firstCome); len(out) != 1 || out[0].ID != rs[3].ID || out[0].Stall != 2 {
		t.Fatalf("re-offered %+v", out)
	}
}

func TestRespondToOfferConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("a", 1))[0]
	r := mustStalls(t, db, 1, m.ID)[0]
	offer(t, db, m.ID, firstCome)

	// Accept and decline tapped at once, twice each.
	got := make([]domain.StallRequest, 4)
	errs := make([]error, 4)
	race(4, func(i int) {
		got[i], errs[i] = db.RespondToOffer(ctx, r.ID, r.UserID, i%2 == 0, offeredAt, "")
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("answers %d and %d both taken", winner, i)
		case err == nil:
			winner = i
		default:
			wantErr(t, err, domain.KindConflict, "stall.notoffered")
		}
	}
	if winner < 0 {
		t.Fatalf("no answer taken: %v", errs)
	}
	wantState := domain.StallDeclined
	if winner%2 == 0 {
		wantState = domain.StallAllocated
	}
	if s := mustStallRequest(t, db, r.ID).State; s != wantState || got[winner].State != wantState {
		t.Fatalf("state %s, returned %s; want %s", s, got[winner].State, wantState)
	}
}

func TestExpireOffers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 4), market("b", 4))
	a, b := ms[0].ID, ms[1].ID
	ra := mustStalls(t, db, 3, a)
	rb := mustStalls(t, db, 1, b)
	early, late := offeredAt.Add(time.Hour), offeredAt.Add(2*time.Hour)
	for _, o := range []struct {
		market int64
		n      int
		until  time.Time
	}{{a, 2, early}, {b, 1, early}, {a, 1, late}} {
		if _, err := db.AllocateMarket(ctx, o.market, year, offeredAt, o.until, firstN(o.n)); err != nil {
			t.Fatal(err)
		}
	}
	// One accepted: it never expires.
	if _, err := db.RespondToOffer(ctx, ra[1].ID, ra[1].UserID, true, offeredAt, ""); err != nil {
		t.Fatal(err)
	}

	if out, err := db.ExpireOffers(ctx, early.Add(-time.Microsecond)); err != nil || len(out) != 0 {
		t.Fatalf("ExpireOffers before any deadline = %+v, %v", out, err)
	}
	out, err := db.ExpireOffers(ctx, early)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.StallRequest{ra[0], rb[0]}
	want[0].MarketID, want[0].Stall = a, 1
	want[1].MarketID, want[1].Stall = b, 1
	if len(out) != 2 {
		t.Fatalf("expired %+v", out)
	}
	for i := range want {
		want[i].State, want[i].Deadline = domain.StallExpired, early
		sameStall(t, out[i], want[i])
		if r := mustStallRequest(t, db, want[i].ID); r.State != domain.StallExpired || r.MarketID != 0 || r.Stall != 0 {
			t.Fatalf("stored %+v", r)
		}
	}
	if out, err := db.ExpireOffers(ctx, early); err != nil || len(out) != 0 {
		t.Fatalf("ExpireOffers again = %+v, %v", out, err)
	}
	if h := held(t, db, a); !slices.Equal(ids(h), []int64{ra[1].ID, ra[2].ID}) {
		t.Fatalf("held at a: %v", ids(h))
	}
	out, err = db.ExpireOffers(ctx, late.Add(time.Hour))
	if err != nil || len(out) != 1 || out[0].ID != ra[2].ID || out[0].Stall != 3 {
		t.Fatalf("ExpireOffers(late) = %+v, %v", out, err)
	}
}

func TestExpireOffersConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("a", 20), market("b", 20))
	for _, m := range ms {
		mustStalls(t, db, 20, m.ID)
		offer(t, db, m.ID, firstCome)
	}

	const n = 2
	out := make([][]domain.StallRequest, n)
	errs := make([]error, n)
	var mu sync.Mutex
	seen := map[int64]int{}
	race(n, func(i int) {
		out[i], errs[i] = db.ExpireOffers(ctx, deadline)
		mu.Lock()
		defer mu.Unlock()
		for _, r := range out[i] {
			seen[r.ID]++
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 40 {
		t.Fatalf("%d requests expired, want 40", len(seen))
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("request %d expired %d times", id, k)
		}
	}
	for _, m := range ms {
		if h := held(t, db, m.ID); len(h) != 0 {
			t.Fatalf("still held: %+v", h)
		}
	}
}

func TestCancelStallRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("a", 1))[0]
	rs := mustStalls(t, db, 2, m.ID)
	offer(t, db, m.ID, firstCome) // rs[0] offered
	now := t0.Add(time.Hour)

	_, err := db.CancelStallRequest(ctx, rs[1].ID, rs[0].UserID, now)
	wantErr(t, err, domain.KindForbidden, "stall.notyours")
	_, err = db.CancelStallRequest(ctx, 999999, rs[1].UserID, now)
	wantErr(t, err, domain.KindNotFound, "stall.notfound")
	got, err := db.CancelStallRequest(ctx, rs[0].ID, rs[0].UserID, now)
	wantErr(t, err, domain.KindConflict, "stall.notwaiting")
	if got.State != domain.StallOffered {
		t.Fatalf("offered request: returned %+v", got)
	}

	got, err = db.CancelStallRequest(ctx, rs[1].ID, rs[1].UserID, now)
	if err != nil {
		t.Fatal(err)
	}
	want := rs[1]
	want.State = domain.StallCancelled
	sameStall(t, got, want)
	sameStall(t, mustStallRequest(t, db, rs[1].ID), want)
	if w := waitingFor(t, db, m.ID); len(w) != 0 {
		t.Fatalf("waiting after cancel: %v", ids(w))
	}
	got, err = db.CancelStallRequest(ctx, rs[1].ID, rs[1].UserID, now)
	wantErr(t, err, domain.KindConflict, "stall.notwaiting")
	sameStall(t, got, want)
}

// TestAllocateMarketWithRule runs the real rule, domain.Allocate, through
// the store: reserved stalls to female heads in order of request, the rest
// by rank then order, and a freed stall to the next in its line.
func TestAllocateMarketWithRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	mk := market("a", 5)
	mk.ReservedShare = 0.4 // stalls 1 and 2
	ms := mustMarkets(t, db, mk, market("other", 5))
	m, other := ms[0], ms[1]

	req := func(femaleHead bool, markets ...int64) domain.StallRequest {
		r := stallRequest("", 0, markets...)
		if !femaleHead {
			r.Gender = domain.GenderMale
		}
		r.FemaleHead = femaleHead
		return mustStall(t, db, r)
	}
	r0 := req(false, m.ID)
	r1 := req(true, other.ID, m.ID)
	r2 := req(false, other.ID, m.ID)
	r3 := req(true, m.ID)
	r4 := req(false, m.ID)
	r5 := req(true, m.ID)
	r6 := req(false, m.ID)

	// Where they stand before any allocation.
	w := waitingFor(t, db, m.ID)
	if p := domain.Position(m, w, r6.ID); p != 5 {
		t.Fatalf("Position(r6) = %d, want 5", p)
	}

	out := offer(t, db, m.ID, domain.Allocate)
	if !slices.Equal(ids(out), []int64{r1.ID, r3.ID, r0.ID, r4.ID, r5.ID}) || !slices.Equal(stalls(out), []int{1, 2, 3, 4, 5}) {
		t.Fatalf("offered %v at stalls %v", ids(out), stalls(out))
	}
	w = waitingFor(t, db, m.ID)
	if !slices.Equal(ids(w), []int64{r2.ID, r6.ID}) {
		t.Fatalf("waiting %v", ids(w))
	}
	if p2, p6 := domain.Position(m, w, r2.ID), domain.Position(m, w, r6.ID); p6 != 1 || p2 != 2 {
		t.Fatalf("positions r6 %d, r2 %d; want 1, 2", p6, p2)
	}

	// A reserved stall declined waits for the next female head; an open
	// one goes to the next in the open line.
	for _, r := range []domain.StallRequest{r1, r4} {
		if _, err := db.RespondToOffer(ctx, r.ID, r.UserID, false, offeredAt, ""); err != nil {
			t.Fatal(err)
		}
	}
	out = offer(t, db, m.ID, domain.Allocate)
	if len(out) != 1 || out[0].ID != r6.ID || out[0].Stall != 4 {
		t.Fatalf("re-offered %+v", out)
	}
	r7 := req(true, m.ID)
	out = offer(t, db, m.ID, domain.Allocate)
	if len(out) != 1 || out[0].ID != r7.ID || out[0].Stall != 1 {
		t.Fatalf("re-offered %+v", out)
	}
}

// pgCode is err's PostgreSQL error code, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Stalls are given for a program year: a stall held last year is free to
// allocate this year.
func TestStallsFreeForANewYear(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	ms := mustMarkets(t, db, market("y-01", 1))
	first := mustStall(t, db, stallRequest("", 0, ms[0].ID))
	if rs := offer(t, db, ms[0].ID, firstCome); len(rs) != 1 || rs[0].ID != first.ID {
		t.Fatalf("offered in %d: %+v", year, rs)
	}
	next := stallRequest("", 0, ms[0].ID)
	next.ProgramYear = year + 1
	second := mustStall(t, db, next)
	rs, err := db.AllocateMarket(context.Background(), ms[0].ID, year+1, offeredAt, deadline, firstCome)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ID != second.ID || rs[0].Stall != 1 {
		t.Fatalf("offered in %d: %+v", year+1, rs)
	}
}
