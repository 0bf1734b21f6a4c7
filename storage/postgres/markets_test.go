package postgres_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// market is a valid day market in Tehran's district 12.
func market(code string, capacity int) domain.Market {
	return domain.Market{
		Code:          code,
		NameFa:        "بازار " + code,
		NameEn:        code,
		Kind:          domain.MarketDay,
		County:        domain.TehranCounty,
		District:      12,
		Weekdays:      []time.Weekday{time.Saturday, time.Tuesday},
		Capacity:      capacity,
		ReservedShare: domain.DefaultReservedShare,
		Active:        true,
	}
}

// mustMarkets stores active markets ms and returns them with their ids.
func mustMarkets(t *testing.T, db *postgres.DB, ms ...domain.Market) []domain.Market {
	t.Helper()
	ctx := context.Background()
	if _, _, err := db.UpsertMarkets(ctx, ms); err != nil {
		t.Fatalf("UpsertMarkets: %v", err)
	}
	all, err := db.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(ms)
	for i := range out {
		j := slices.IndexFunc(all, func(m domain.Market) bool { return m.Code == out[i].Code })
		if j < 0 {
			t.Fatalf("market %s not listed", out[i].Code)
		}
		out[i].ID = all[j].ID
	}
	return out
}

// utcMarket puts m's dates in one location so markets compare.
func utcMarket(m domain.Market) domain.Market {
	m.SeasonStart = m.SeasonStart.UTC()
	m.SeasonEnd = m.SeasonEnd.UTC()
	return m
}

func sameMarket(t *testing.T, got, want domain.Market) {
	t.Helper()
	if !reflect.DeepEqual(utcMarket(got), utcMarket(want)) {
		t.Fatalf("market =\n%+v\nwant\n%+v", got, want)
	}
}

func TestUpsertMarkets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	upsert := func(ms []domain.Market, wantIns, wantUpd int) {
		t.Helper()
		ins, upd, err := db.UpsertMarkets(ctx, ms)
		if err != nil {
			t.Fatal(err)
		}
		if ins != wantIns || upd != wantUpd {
			t.Fatalf("UpsertMarkets = %d inserted, %d updated; want %d, %d", ins, upd, wantIns, wantUpd)
		}
	}
	day := market("narmak", 120)
	park := market("laleh-park", 40)
	park.Kind = domain.MarketPark
	park.County = "shemiranat"
	park.District = 0
	park.Weekdays = []time.Weekday{time.Thursday, time.Friday}
	park.ReservedShare = 0.25
	park.SeasonStart = time.Date(2026, 4, 21, 0, 0, 0, 0, domain.Tehran())
	park.SeasonEnd = time.Date(2026, 9, 22, 0, 0, 0, 0, domain.Tehran())
	upsert([]domain.Market{day, park}, 2, 0)
	upsert([]domain.Market{day, park}, 0, 0)

	ms := mustMarkets(t, db, day, park)
	for _, want := range ms {
		got, err := db.Market(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameMarket(t, got, want)
	}

	// One changed in every field an import carries, one new.
	day.NameFa, day.NameEn, day.Kind = "روز بازار نارمک", "Narmak", domain.MarketFixed
	day.District, day.Weekdays, day.Capacity, day.ReservedShare = 8, []time.Weekday{time.Monday}, 150, 0.3
	upsert([]domain.Market{day, park, market("tajrish", 30)}, 1, 1)
	got, err := db.Market(ctx, ms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	day.ID = ms[0].ID
	sameMarket(t, got, day)

	// A bad row fails the whole import, naming the market.
	bad := market("bad", 10)
	bad.Weekdays = nil
	_, _, err = db.UpsertMarkets(ctx, []domain.Market{market("new", 10), bad})
	wantErr(t, err, domain.KindInvalid, "market.weekdays")
	if all, _ := db.Markets(ctx); len(all) != 3 {
		t.Fatalf("a failed import stored something: %+v", all)
	}
}

func TestUpsertMarketsCapacityHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("narmak", 5))[0]
	mustStalls(t, db, 3, m.ID)
	offer(t, db, m.ID, firstCome) // stalls 1..3

	other := market("tajrish", 10)
	m.Capacity = 2
	_, _, err := db.UpsertMarkets(ctx, []domain.Market{other, m})
	wantErr(t, err, domain.KindConflict, "market.capacity_held")
	if all, _ := db.Markets(ctx); len(all) != 1 {
		t.Fatalf("a refused import stored something: %+v", all)
	}
	// Down to the highest held stall is fine.
	m.Capacity = 3
	if _, _, err := db.UpsertMarkets(ctx, []domain.Market{m}); err != nil {
		t.Fatal(err)
	}
}

func TestMarketsOrderAndActive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	rey := market("rey-1", 10)
	rey.County, rey.District, rey.NameFa = "rey", 0, "الف"
	d3 := market("d3", 10)
	d3.District, d3.NameFa = 3, "ی"
	d12b := market("d12b", 10)
	d12b.NameFa = "پ" // پ sorts before ت in Persian, after it in code points
	d12a := market("d12a", 10)
	d12a.NameFa = "ت"
	pardis := market("pardis-1", 10)
	pardis.County, pardis.District = "pardis", 0
	gone := market("gone", 10)
	ms := mustMarkets(t, db, pardis, d12a, rey, gone, d12b, d3)
	gone = ms[3]
	gone.Active = false
	if err := db.UpdateMarket(ctx, gone); err != nil {
		t.Fatal(err)
	}

	all, err := db.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range all {
		codes = append(codes, m.Code)
	}
	want := []string{"d3", "d12b", "d12a", "rey-1", "pardis-1"}
	if !slices.Equal(codes, want) {
		t.Fatalf("Markets = %v, want %v", codes, want)
	}
	// An inactive market is still found by id.
	got, err := db.Market(ctx, gone.ID)
	if err != nil || got.Active {
		t.Fatalf("Market(inactive) = %+v, %v", got, err)
	}
	_, err = db.Market(ctx, 999999)
	wantErr(t, err, domain.KindNotFound, "market.notfound")
}

func TestUpdateMarket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("narmak", 10))[0]

	want := m
	want.NameFa, want.NameEn = "روز بازار نارمک", "Narmak day market"
	want.Weekdays = []time.Weekday{time.Sunday, time.Wednesday}
	want.Capacity, want.ReservedShare = 12, 0.125
	want.Active = false
	in := want
	// Code, kind, county and district are not changed.
	in.Code, in.Kind, in.District = "other", domain.MarketFixed, 5
	if err := db.UpdateMarket(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := db.Market(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameMarket(t, got, want)

	bad := want
	bad.Capacity = -1
	wantErr(t, db.UpdateMarket(ctx, bad), domain.KindInvalid, "market.capacity")
	missing := want
	missing.ID = 999999
	wantErr(t, db.UpdateMarket(ctx, missing), domain.KindNotFound, "market.notfound")

	// Stalls 1..4 held: the capacity may not drop below 4.
	want.Active = true
	if err := db.UpdateMarket(ctx, want); err != nil {
		t.Fatal(err)
	}
	mustStalls(t, db, 4, m.ID)
	offer(t, db, m.ID, firstCome)
	low := want
	low.Capacity = 3
	wantErr(t, db.UpdateMarket(ctx, low), domain.KindConflict, "market.capacity_held")
	if got, _ := db.Market(ctx, m.ID); got.Capacity != 12 {
		t.Fatalf("capacity = %d after a refused update", got.Capacity)
	}
	low.Capacity = 4
	if err := db.UpdateMarket(ctx, low); err != nil {
		t.Fatal(err)
	}
}
