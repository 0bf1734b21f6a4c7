package domain

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// The market every allocation test allocates: id 7.
const mid = 7

var allocBase = time.Date(2026, 4, 1, 9, 0, 0, 0, Tehran())

func mkt(capacity int, share float64) Market {
	return Market{ID: mid, Code: "d15-01", Capacity: capacity, ReservedShare: share}
}

// req is request id made at minute t; rank is where market 7 stands among
// its preferences (1–3; 0 for not at all).
func req(id int64, t int, femaleHead bool, rank int) StallRequest {
	markets := []int64{101, 102, 103}
	if rank > 0 {
		markets[rank-1] = mid
	}
	return StallRequest{
		ID: id, FemaleHead: femaleHead, Markets: markets, State: StallWaiting,
		CreatedAt: allocBase.Add(time.Duration(t) * time.Minute),
	}
}

// fh is a female head of household's request, man anyone else's.
func fh(id int64, t, rank int) StallRequest  { return req(id, t, true, rank) }
func man(id int64, t, rank int) StallRequest { return req(id, t, false, rank) }

// given lists assignments as "stall:request" with a trailing "r" for a
// reserved stall: "1:5r 3:2".
func given(as []Assignment) string {
	s := ""
	for i, a := range as {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%d", a.Stall, a.RequestID)
		if a.Reserved {
			s += "r"
		}
	}
	return s
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name    string
		m       Market
		taken   []int
		waiting []StallRequest
		want    string
	}{
		{"more female heads than reserved stalls: the extra compete for open stalls by preference",
			mkt(5, 0.4), nil, // stalls 1–2 reserved, 3–5 open
			[]StallRequest{fh(1, 1, 1), fh(2, 2, 2), fh(3, 3, 1), fh(4, 4, 1), man(5, 0, 2), man(6, 5, 1)},
			// 1 and 2 asked first (2 chose this market second: the reserved
			// line is by time alone); 3, 4 and 6 chose it first, so man 5,
			// who asked earliest but chose it second, waits.
			"1:1r 2:2r 3:3 4:4 5:6"},
		{"fewer female heads than reserved stalls: the rest stay free",
			mkt(10, 0.5), nil, // 1–5 reserved
			[]StallRequest{man(1, 0, 1), fh(2, 1, 1), man(3, 2, 1)},
			"1:2r 6:1 7:3"},
		{"reserved stalls stay free while men wait unserved",
			mkt(4, 0.5), nil, // 1–2 reserved, 3–4 open
			[]StallRequest{man(1, 0, 1), fh(2, 1, 3), man(3, 2, 1), man(4, 3, 1), man(5, 4, 1)},
			"1:2r 3:1 4:3"},
		{"female head served from open stalls once the reserved ones are taken",
			mkt(5, 0.4), []int{1, 2},
			[]StallRequest{man(1, 2, 1), fh(2, 1, 1), fh(3, 0, 2)},
			"3:2 4:1 5:3"},
		{"first choices before second, second before third",
			mkt(3, 0), nil,
			[]StallRequest{man(1, 1, 2), man(2, 3, 1), man(3, 2, 1), man(4, 0, 3)},
			"1:3 2:2 3:1"},
		{"preference beats time, time beats ID",
			mkt(3, 0), nil,
			[]StallRequest{man(9, 0, 2), man(5, 4, 1), man(8, 2, 1)},
			"1:8 2:5 3:9"},
		{"same time: lower ID first",
			mkt(2, 0), nil,
			[]StallRequest{man(5, 1, 1), man(3, 1, 1), man(4, 1, 1)},
			"1:3 2:4"},
		{"same time: lower ID first among female heads too",
			mkt(4, 0.5), nil,
			[]StallRequest{fh(5, 1, 2), fh(3, 1, 1), fh(4, 1, 3)},
			"1:3r 2:4r 3:5"},
		{"capacity 0", mkt(0, 0.2), nil, []StallRequest{fh(1, 0, 1), man(2, 0, 1)}, ""},
		{"negative capacity", mkt(-3, 0.2), nil, []StallRequest{fh(1, 0, 1)}, ""},
		{"no requests", mkt(10, 0.2), nil, nil, ""},
		{"share 0: female heads take their turn in the open line",
			mkt(3, 0), nil,
			[]StallRequest{man(1, 0, 1), fh(2, 1, 2), fh(3, 2, 1), man(4, 3, 1)},
			"1:1 2:3 3:4"},
		{"share 1: every stall reserved, men get none",
			mkt(3, 1), nil,
			[]StallRequest{man(1, 0, 1), fh(2, 1, 2), man(3, 2, 1)},
			"1:2r"},
		{"share 1 with enough female heads",
			mkt(2, 1), nil,
			[]StallRequest{fh(3, 2, 1), fh(2, 1, 2), fh(1, 3, 1)},
			"1:2r 2:3r"},
		{"all stalls taken", mkt(4, 0.5), []int{4, 3, 2, 1}, []StallRequest{fh(1, 0, 1), man(2, 0, 1)}, ""},
		{"lowest free numbers first; taken numbers out of range and repeated ignored",
			mkt(10, 0.3), []int{1, 3, 3, 4, 0, -1, 11, 99}, // 1–3 reserved: 2 free; 5.. open
			[]StallRequest{fh(1, 0, 1), fh(2, 1, 1), man(3, 2, 1)},
			"2:1r 5:2 6:3"},
		{"requests not naming the market are ignored",
			mkt(4, 0.5), nil,
			[]StallRequest{fh(1, 0, 0), man(2, 0, 0), man(3, 1, 2), fh(4, 2, 3)},
			"1:4r 3:3"},
		{"a duplicated request ID gets one stall",
			mkt(4, 0.5), nil,
			[]StallRequest{fh(1, 0, 1), fh(1, 0, 1), man(2, 1, 1), man(2, 1, 1), man(3, 2, 1)},
			"1:1r 3:2 4:3"},
		{"a duplicated ID counts as its first copy",
			mkt(4, 0.5), nil,
			[]StallRequest{man(1, 5, 1), fh(1, 0, 1), man(2, 1, 1)},
			"3:2 4:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.waiting)
			got := Allocate(tt.m, tt.taken, tt.waiting)
			if given(got) != tt.want {
				t.Errorf("Allocate = %q, want %q", given(got), tt.want)
			}
			if tt.want == "" && got != nil {
				t.Errorf("Allocate = %#v, want nil", got)
			}
			for _, a := range got {
				if a.MarketID != mid {
					t.Errorf("assignment %+v names market %d", a, a.MarketID)
				}
			}
			if !reflect.DeepEqual(before, tt.waiting) {
				t.Error("Allocate changed waiting")
			}
		})
	}
}

// TestAllocateCascade follows offers declined and let lapse: a freed
// reserved stall passes to the next female head and to nobody else, an
// open stall to the next in line.
func TestAllocateCascade(t *testing.T) {
	m := mkt(4, 0.5) // 1–2 reserved, 3–4 open
	waiting := []StallRequest{
		fh(1, 1, 1), fh(2, 2, 1), fh(3, 3, 2), fh(4, 4, 1), man(5, 0, 1), man(6, 5, 1),
	}
	held := map[int]int64{} // stall → request
	remaining := func() []StallRequest {
		var out []StallRequest
		for _, r := range waiting {
			holds := false
			for _, id := range held {
				holds = holds || id == r.ID
			}
			if !holds {
				out = append(out, r)
			}
		}
		return out
	}
	taken := func() []int {
		var out []int
		for n := range held {
			out = append(out, n)
		}
		return out
	}
	step := func(name, want string) {
		t.Helper()
		got := Allocate(m, taken(), remaining())
		if given(got) != want {
			t.Fatalf("%s: Allocate = %q, want %q", name, given(got), want)
		}
		for _, a := range got {
			held[a.Stall] = a.RequestID
		}
	}
	free := func(stall int, id int64) {
		t.Helper()
		if held[stall] != id {
			t.Fatalf("stall %d held by %d, want %d", stall, held[stall], id)
		}
		delete(held, stall)
		waiting = slices.DeleteFunc(waiting, func(r StallRequest) bool { return r.ID == id })
	}
	position := func(id int64, want int) {
		t.Helper()
		if got := Position(m, remaining(), id); got != want {
			t.Errorf("Position(%d) = %d, want %d", id, got, want)
		}
	}

	step("first run", "1:1r 2:2r 3:5 4:4")
	// Waiting: female head 3 (this market her second choice) and man 6.
	position(3, 1)
	position(6, 1)

	free(1, 1) // female head 1 declines
	step("reserved stall declined", "1:3r")
	position(6, 1)

	free(3, 5) // man 5 lets his offer lapse
	step("open stall expired", "3:6")

	free(2, 2) // female head 2 declines; only men are waiting
	waiting = append(waiting, man(7, 10, 1), man(8, 11, 1))
	step("reserved stall kept for female heads", "")
	position(7, 1)

	waiting = append(waiting, fh(9, 12, 3))
	position(9, 1)
	step("a female head asking later gets it", "2:9r")

	free(4, 4) // female head 4 declines her open stall
	step("open stall to the next man", "4:7")
	position(8, 1)
}

func TestLineAndPosition(t *testing.T) {
	waiting := []StallRequest{
		fh(1, 1, 2), fh(2, 2, 1), man(3, 3, 1), man(4, 0, 3), man(5, 0, 0), fh(6, 0, 0),
		man(3, 3, 1), // duplicate
	}
	ids := func(rs []StallRequest) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name           string
		m              Market
		reserved, open []int64
		positions      map[int64]int
	}{
		{"with reserved stalls", mkt(10, 0.2), []int64{1, 2}, []int64{2, 3, 1, 4},
			// 1 is first in the reserved line; 2 is second there but first
			// in the open line: told the better place.
			map[int64]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 0, 6: 0, 99: 0}},
		{"no reserved stalls", mkt(10, 0), nil, []int64{2, 3, 1, 4},
			map[int64]int{1: 3, 2: 1, 3: 2, 4: 4, 5: 0, 6: 0}},
		{"capacity 0", mkt(0, 0.2), nil, []int64{2, 3, 1, 4},
			map[int64]int{1: 3, 2: 1, 3: 2, 4: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reserved, open := Line(tt.m, waiting)
			if !slices.Equal(ids(reserved), tt.reserved) || !slices.Equal(ids(open), tt.open) {
				t.Errorf("Line = %v, %v; want %v, %v", ids(reserved), ids(open), tt.reserved, tt.open)
			}
			for id, want := range tt.positions {
				if got := Position(tt.m, waiting, id); got != want {
					t.Errorf("Position(%d) = %d, want %d", id, got, want)
				}
			}
		})
	}
	if r, o := Line(mkt(10, 0.2), nil); r != nil || o != nil {
		t.Errorf("Line of nobody = %v, %v", r, o)
	}
	if Position(mkt(10, 0.2), nil, 1) != 0 {
		t.Error("Position in an empty line should be 0")
	}
}

// TestAllocateProperties checks Allocate's rules on random markets,
// requests and taken stalls against a line worked out independently.
func TestAllocateProperties(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		rng := rand.New(rand.NewPCG(seed, 0x5ad))
		for iter := range 100 {
			m, taken, waiting := randomAllocation(rng)
			t.Run(fmt.Sprintf("seed%d/%d", seed, iter), func(t *testing.T) {
				checkAllocation(t, m, taken, waiting)
			})
		}
	}
}

func randomAllocation(rng *rand.Rand) (Market, []int, []StallRequest) {
	m := mkt(rng.IntN(61), rng.Float64())
	switch rng.IntN(5) {
	case 0:
		m.ReservedShare = 0
	case 1:
		m.ReservedShare = 1
	case 2:
		m.ReservedShare = DefaultReservedShare
	}
	var taken []int
	takeP := rng.Float64()
	for n := 1; n <= m.Capacity; n++ {
		if rng.Float64() < takeP {
			taken = append(taken, n)
		}
	}
	if rng.IntN(4) == 0 {
		taken = append(taken, 0, -1, m.Capacity+1)
		if len(taken) > 3 {
			taken = append(taken, taken[0]) // a repeat
		}
	}
	rng.Shuffle(len(taken), func(i, j int) { taken[i], taken[j] = taken[j], taken[i] })

	n := rng.IntN(50)
	ids := rng.Perm(n + 1)[:n] // distinct, in random order
	var waiting []StallRequest
	for _, id := range ids {
		rank := 1 + rng.IntN(3)
		if rng.IntN(10) == 0 {
			rank = 0 // names other markets only
		}
		r := req(int64(id), rng.IntN(12), rng.IntN(3) == 0, rank)
		if rng.IntN(3) == 0 { // fewer than three preferences
			r.Markets = slices.DeleteFunc(r.Markets, func(x int64) bool { return x == 103 })
		}
		waiting = append(waiting, r)
		if rng.IntN(15) == 0 { // the same request twice
			waiting = append(waiting, r)
		}
	}
	return m, taken, waiting
}

func checkAllocation(t *testing.T, m Market, taken []int, waiting []StallRequest) {
	t.Helper()
	var before []StallRequest
	for _, r := range waiting {
		r.Markets = slices.Clone(r.Markets)
		before = append(before, r)
	}
	got := Allocate(m, taken, waiting)
	if !reflect.DeepEqual(before, waiting) {
		t.Fatal("Allocate changed waiting")
	}

	isTaken := map[int]bool{}
	for _, n := range taken {
		isTaken[n] = true
	}
	byID := map[int64]StallRequest{}
	for _, r := range waiting {
		if _, dup := byID[r.ID]; !dup && r.Rank(m.ID) > 0 {
			byID[r.ID] = r
		}
	}
	var freeReserved, freeOpen []int
	for n := 1; n <= m.Capacity; n++ {
		switch {
		case isTaken[n]:
		case n <= m.Reserved():
			freeReserved = append(freeReserved, n)
		default:
			freeOpen = append(freeOpen, n)
		}
	}

	stallOf := map[int64]Assignment{}
	var nReserved, nOpen int
	for i, a := range got {
		if i > 0 && a.Stall <= got[i-1].Stall {
			t.Fatalf("stalls not strictly increasing: %s", given(got))
		}
		if a.Stall < 1 || a.Stall > m.Capacity || isTaken[a.Stall] {
			t.Fatalf("stall %d given: capacity %d, taken %v", a.Stall, m.Capacity, taken)
		}
		if a.MarketID != m.ID || a.Reserved != m.IsReserved(a.Stall) {
			t.Fatalf("assignment %+v in market of %d reserved", a, m.Reserved())
		}
		r, ok := byID[a.RequestID]
		if !ok {
			t.Fatalf("stall %d given to request %d, not waiting for this market", a.Stall, a.RequestID)
		}
		if _, twice := stallOf[a.RequestID]; twice {
			t.Fatalf("request %d given two stalls: %s", a.RequestID, given(got))
		}
		stallOf[a.RequestID] = a
		if a.Reserved {
			nReserved++
			if !r.FemaleHead {
				t.Fatalf("reserved stall %d given to request %d, not a female head", a.Stall, r.ID)
			}
		} else {
			nOpen++
		}
	}

	// The reserved line, worked out here: female heads by time, then ID.
	var femaleHeads, everyone []StallRequest
	for _, r := range byID {
		everyone = append(everyone, r)
		if r.FemaleHead {
			femaleHeads = append(femaleHeads, r)
		}
	}
	slices.SortFunc(femaleHeads, func(a, b StallRequest) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if want := min(len(freeReserved), len(femaleHeads)); nReserved != want {
		t.Fatalf("%d reserved stalls given, want %d (free %v, female heads %d)", nReserved, want, freeReserved, len(femaleHeads))
	}
	for i, r := range femaleHeads[:nReserved] {
		if a := stallOf[r.ID]; !a.Reserved || a.Stall != freeReserved[i] {
			t.Fatalf("female head %d, %dth in line, got %+v; want reserved stall %d", r.ID, i+1, a, freeReserved[i])
		}
	}

	// The open line: everyone not served a reserved stall, by rank, time, ID.
	everyone = slices.DeleteFunc(everyone, func(r StallRequest) bool { return stallOf[r.ID].Reserved })
	slices.SortFunc(everyone, func(a, b StallRequest) int {
		if c := cmp.Compare(a.Rank(m.ID), b.Rank(m.ID)); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if want := min(len(freeOpen), len(everyone)); nOpen != want {
		t.Fatalf("%d open stalls given, want %d (free %d, waiting %d): stalls wasted or invented", nOpen, want, len(freeOpen), len(everyone))
	}
	for i, r := range everyone {
		a, served := stallOf[r.ID]
		switch {
		case i < nOpen && (!served || a.Stall != freeOpen[i]):
			t.Fatalf("request %d, %dth in the open line, got %+v; want stall %d", r.ID, i+1, a, freeOpen[i])
		case i >= nOpen && served:
			t.Fatalf("request %d, %dth in the open line, served before someone ahead", r.ID, i+1)
		}
	}

	// Line and Position agree with the lines worked out here.
	reserved, open := Line(m, waiting)
	if m.Reserved() == 0 && reserved != nil || m.Reserved() > 0 && len(reserved) != len(femaleHeads) {
		t.Fatalf("reserved line of %d, want %d female heads", len(reserved), len(femaleHeads))
	}
	if len(open) != len(byID) {
		t.Fatalf("open line of %d, want %d", len(open), len(byID))
	}
	for i, r := range open {
		p := Position(m, waiting, r.ID)
		if p < 1 || p > i+1 || !r.FemaleHead && p != i+1 {
			t.Fatalf("Position(%d) = %d, %dth in the open line", r.ID, p, i+1)
		}
	}
	if got != nil && len(got) == 0 {
		t.Fatal("empty non-nil result")
	}
}
