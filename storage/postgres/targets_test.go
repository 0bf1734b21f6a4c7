package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// tgt is a target, as the tests write them.
func tgt(year int, agencyID int64, sector domain.Sector, jobs int) domain.Target {
	return domain.Target{Year: year, AgencyID: agencyID, Sector: sector, Jobs: jobs}
}

func targets(t *testing.T, db *postgres.DB, year int) []domain.Target {
	t.Helper()
	ts, err := db.Targets(context.Background(), year)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestUpsertTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار").ID
	b := mustAgency(t, db, "agri", "جهاد کشاورزی").ID
	sv, in, ag := domain.SectorServices, domain.SectorIndustry, domain.SectorAgriculture

	first := []domain.Target{
		tgt(1405, b, ag, 2400), tgt(1405, a, in, 1311), tgt(1405, a, sv, 1622),
		tgt(1405, a, ag, 925), tgt(1404, a, sv, 1000), tgt(1405, b, sv, 0),
	}
	ins, upd, err := db.UpsertTargets(ctx, first)
	if err != nil || ins != 6 || upd != 0 {
		t.Fatalf("UpsertTargets = %d, %d, %v; want 6 inserted", ins, upd, err)
	}
	want := []domain.Target{
		tgt(1405, a, sv, 1622), tgt(1405, a, in, 1311), tgt(1405, a, ag, 925),
		tgt(1405, b, sv, 0), tgt(1405, b, ag, 2400),
	}
	if got := targets(t, db, 1405); !reflect.DeepEqual(got, want) {
		t.Fatalf("Targets(1405) =\n%+v\nwant\n%+v", got, want)
	}
	if got := targets(t, db, 1404); !reflect.DeepEqual(got, []domain.Target{tgt(1404, a, sv, 1000)}) {
		t.Fatalf("Targets(1404) = %+v", got)
	}
	if got := targets(t, db, 1406); len(got) != 0 {
		t.Fatalf("Targets(1406) = %+v", got)
	}

	// Again, one changed and one new: the unchanged count as neither.
	again := append(first[:len(first):len(first)], tgt(1405, b, in, 5))
	again[0].Jobs = 2500
	ins, upd, err = db.UpsertTargets(ctx, again)
	if err != nil || ins != 1 || upd != 1 {
		t.Fatalf("UpsertTargets again = %d, %d, %v; want 1 inserted, 1 updated", ins, upd, err)
	}
	want = []domain.Target{
		tgt(1405, a, sv, 1622), tgt(1405, a, in, 1311), tgt(1405, a, ag, 925),
		tgt(1405, b, sv, 0), tgt(1405, b, in, 5), tgt(1405, b, ag, 2500),
	}
	if got := targets(t, db, 1405); !reflect.DeepEqual(got, want) {
		t.Fatalf("Targets(1405) =\n%+v\nwant\n%+v", got, want)
	}

	// A bad row, anywhere, and nothing changes.
	for _, c := range []struct {
		bad  domain.Target
		kind domain.Kind
		code string
	}{
		{tgt(1405, a+b+100, sv, 1), domain.KindNotFound, "agency.notfound"},
		{tgt(1405, a, "mining", 1), domain.KindInvalid, "sector.unknown"},
		{tgt(1405, a, "", 1), domain.KindInvalid, "sector.missing"},
		{tgt(1405, a, sv, -1), domain.KindInvalid, "target.jobs"},
		{tgt(0, a, sv, 1), domain.KindInvalid, "target.year"},
		{tgt(1405, b, in, 9), domain.KindInvalid, "target.repeated"},
	} {
		batch := []domain.Target{tgt(1405, a, sv, 1), tgt(1405, b, in, 7), c.bad}
		_, _, err := db.UpsertTargets(ctx, batch)
		wantErr(t, err, c.kind, c.code)
		if got := targets(t, db, 1405); !reflect.DeepEqual(got, want) {
			t.Fatalf("after a failed upsert (%s): %+v", c.code, got)
		}
	}

	// Nothing to do.
	if ins, upd, err := db.UpsertTargets(ctx, nil); err != nil || ins != 0 || upd != 0 {
		t.Fatalf("UpsertTargets(nil) = %d, %d, %v", ins, upd, err)
	}
}

func TestSetTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار").ID

	for _, jobs := range []int{10, 10, 0, 25} {
		if err := db.SetTarget(ctx, tgt(1405, a, domain.SectorIndustry, jobs)); err != nil {
			t.Fatal(err)
		}
		if got := targets(t, db, 1405); !reflect.DeepEqual(got, []domain.Target{tgt(1405, a, domain.SectorIndustry, jobs)}) {
			t.Fatalf("Targets = %+v, want %d jobs", got, jobs)
		}
	}
	wantErr(t, db.SetTarget(ctx, tgt(1405, a+1, domain.SectorIndustry, 1)), domain.KindNotFound, "agency.notfound")
	wantErr(t, db.SetTarget(ctx, tgt(1405, a, "mining", 1)), domain.KindInvalid, "sector.unknown")
	wantErr(t, db.SetTarget(ctx, tgt(1405, a, domain.SectorIndustry, -5)), domain.KindInvalid, "target.jobs")
}
