package domain

import (
	"cmp"
	"slices"
)

// Stall allocation. A market's stalls 1..Reserved() are reserved for female
// heads of household and go to them in order of request; the other stalls
// go to everyone still waiting (female heads included) by how highly they
// ranked the market, then in order of request. A reserved stall is never
// given to anyone else: one left free waits for the next female head, so a
// declined or expired offer passes to the next in line without the
// reserved share leaking away.
//
// Order of request is CreatedAt, then ID for requests made at the same
// instant. Everything here is pure: the caller reads the market, the taken
// stall numbers and the waiting requests, and stores the offers.

// Allocate gives the free stalls of m to waiting requests. taken are the
// stall numbers of m already offered or allocated (numbers outside
// 1..m.Capacity are ignored); every other stall is free. waiting are the
// requests that wait for a stall and hold none anywhere; those not naming
// m are ignored, and a request ID given twice is served at most once (its
// first copy counts).
//
// Free reserved stalls go, lowest number first, to female heads in order
// of request; free open stalls, lowest number first, to the rest in the
// order of the open line (see Line). Each request gets at most one stall.
// The result is sorted by stall number; nil when nothing is given.
func Allocate(m Market, taken []int, waiting []StallRequest) []Assignment {
	if m.Capacity <= 0 || len(waiting) == 0 {
		return nil
	}
	reserved, open := Line(m, waiting)
	isTaken := make(map[int]bool, len(taken))
	for _, n := range taken {
		isTaken[n] = true
	}
	served := make(map[int64]bool)
	var out []Assignment
	// Stalls are visited only while someone is left to serve, so the work
	// is bounded by the requests and taken stalls, not by the capacity.
	last := m.Reserved()
	next := 0
	for n := 1; n <= last && next < len(reserved); n++ {
		if isTaken[n] {
			continue
		}
		r := reserved[next]
		next++
		served[r.ID] = true
		out = append(out, Assignment{RequestID: r.ID, MarketID: m.ID, Stall: n, Reserved: true})
	}
	next = 0
	for n := last + 1; n <= m.Capacity; n++ {
		for next < len(open) && served[open[next].ID] {
			next++
		}
		if next == len(open) {
			break
		}
		if isTaken[n] {
			continue
		}
		r := open[next]
		next++
		served[r.ID] = true
		out = append(out, Assignment{RequestID: r.ID, MarketID: m.ID, Stall: n})
	}
	return out
}

// Line is the order in which the waiting requests would be served at m.
// reserved is the line for reserved stalls: the female heads of household
// in order of request; nil when m has no reserved stall. open is the line
// for open stalls: everyone, female heads included, first choices before
// second and second before third, each rank in order of request. Requests
// not naming m are left out, and a request ID given twice appears once
// (its first copy). waiting itself is not changed.
func Line(m Market, waiting []StallRequest) (reserved, open []StallRequest) {
	hasReserved := m.Reserved() > 0
	seen := make(map[int64]bool, len(waiting))
	for _, r := range waiting {
		if r.Rank(m.ID) == 0 || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		open = append(open, r)
		if r.FemaleHead && hasReserved {
			reserved = append(reserved, r)
		}
	}
	slices.SortStableFunc(reserved, byRequest)
	slices.SortStableFunc(open, func(a, b StallRequest) int {
		return cmp.Or(cmp.Compare(a.Rank(m.ID), b.Rank(m.ID)), byRequest(a, b))
	})
	return reserved, open
}

// byRequest orders requests by the time they were made, then by ID.
func byRequest(a, b StallRequest) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

// Position is request id's 1-based place in line at m among waiting, or 0
// when it is not in line there (not waiting, or m not among its markets).
//
// It is the number of stalls that must come free, counting the one that
// will be hers, before the request is offered one: the place in the open
// line, or for a female head at a market with reserved stalls the better
// of her places in the reserved and open lines, since she is served by
// whichever line reaches her first. A female head who ranked m first but
// asked late may be nearer the front of the open line than of the reserved
// one, and telling her the worse number would be telling her wrong.
// People ahead in one line may be served from the other, so it is an "at
// most": the honest number to tell a vendor. It holds for now only: a
// later request that ranked m higher goes ahead in the open line. It does
// not count stalls free right now: Allocate serves those at once.
func Position(m Market, waiting []StallRequest, id int64) int {
	reserved, open := Line(m, waiting)
	at := func(line []StallRequest) int {
		return slices.IndexFunc(line, func(r StallRequest) bool { return r.ID == id }) + 1
	}
	pos := at(open)
	if r := at(reserved); r > 0 && r < pos {
		pos = r
	}
	return pos
}
