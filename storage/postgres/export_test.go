package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// exportFixture is a store holding placements of three agencies over two
// program years, one withdrawn, and targets; names are by the tests' labels.
type exportFixture struct {
	db      *postgres.DB
	a, b, c domain.Agency // labour, agri, industry (made inactive)
	p       map[string]domain.Placement
}

func newExportFixture(t *testing.T) exportFixture {
	t.Helper()
	ctx := context.Background()
	db := postgrestest.New(t)
	f := exportFixture{
		db: db,
		a:  mustAgency(t, db, "labour", "کار"),
		b:  mustAgency(t, db, "agri", "جهاد کشاورزی"),
		c:  mustAgency(t, db, "industry", "صنعت"),
		p:  make(map[string]domain.Placement),
	}
	D := summaryDay
	y1 := cal.YearStart(1405)
	sv, in, ag := domain.SectorServices, domain.SectorIndustry, domain.SectorAgriculture
	codes := nationalIDs(t, 0, 9)
	for i, r := range []struct {
		label          string
		agency         domain.Agency
		sector         domain.Sector
		start, created time.Time
	}{
		{"p1", f.a, sv, at(D, -10, 0, 0), at(D, -10, 10, 0)},
		{"p2", f.a, sv, at(D, -10, 0, 0), at(D, -9, 10, 0)}, // same start date, later id
		{"p3", f.a, in, at(D, -5, 0, 0), at(D, -5, 10, 0)},
		{"p4", f.b, ag, at(D, -5, 0, 0), at(D, -4, 10, 0)},
		{"p5", f.b, ag, at(D, 0, 0, 0), at(D, 0, 10, 0)},    // withdrawn
		{"p6", f.a, sv, at(y1, -9, 0, 0), at(y1, 4, 10, 0)}, // started in 1404, registered in 1405
		{"p7", f.c, sv, at(D, -1, 0, 0), at(D, -1, 10, 0)},
		{"p8", f.a, ag, at(D, -400, 0, 0), at(D, -400, 10, 0)}, // 1404
		{"p9", f.b, sv, at(D, 0, 0, 0), at(D, 0, 11, 0)},
	} {
		p := placement(codes[i], r.agency.ID)
		p.Sector, p.StartDate, p.ProgramYear = r.sector, r.start, cal.ProgramYear(r.created)
		f.p[r.label] = mustPlacement(t, db, p, r.created)
	}
	p5 := f.p["p5"]
	if _, err := db.WithdrawPlacement(ctx, p5.ID, p5.AgencyID, 1, "اشتباه", p5.CreatedAt, ""); err != nil {
		t.Fatal(err)
	}
	_, _, err := db.UpsertTargets(ctx, []domain.Target{
		tgt(1405, f.a.ID, sv, 10), tgt(1405, f.a.ID, in, 5), tgt(1405, f.b.ID, ag, 20), tgt(1405, f.b.ID, in, 7),
		tgt(1405, f.b.ID, sv, 0), tgt(1405, f.c.ID, sv, 3), tgt(1405, f.c.ID, in, 4), tgt(1404, f.a.ID, sv, 100),
	})
	if err != nil {
		t.Fatal(err)
	}
	off := agency("industry", "صنعت")
	off.Active = false
	if _, _, err := db.UpsertAgencies(ctx, []domain.Agency{off}); err != nil {
		t.Fatal(err)
	}
	// Checking: p2's job was never there, p3's is; p9 waits for a call.
	callCheck(t, db, f.p["p2"].ID, domain.OutcomeNever, exportCheckedAt)
	callCheck(t, db, f.p["p3"].ID, domain.OutcomeWorks, exportCheckedAt.Add(time.Hour))
	if _, err := db.AddToSample(ctx, f.p["p9"].ID, 0, 0, 1, exportCheckedAt, exportCheckedAt); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"p2", "p3", "p9"} {
		if f.p[l], err = db.Placement(ctx, f.p[l].ID); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// exportCheckedAt is when the export fixture's first check is recorded.
var exportCheckedAt = at(summaryDay, 0, 15, 0)

// callCheck samples placement id at the instant at and has a verifier's
// call find outcome, as the checking does it.
func callCheck(t *testing.T, db *postgres.DB, id int64, outcome domain.Outcome, at time.Time) domain.Check {
	t.Helper()
	ctx := context.Background()
	const verifier = 4242
	if _, err := db.AddToSample(ctx, id, 0, 0, 1, at, at); err != nil {
		t.Fatal(err)
	}
	c, err := db.NextCheck(ctx, domain.StageCall, verifier, at, time.Hour)
	if err != nil || c.PlacementID != id {
		t.Fatalf("NextCheck = %+v, %v; want placement %d", c, err, id)
	}
	c, err = db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: at, By: verifier, Stage: domain.StageCall, Outcome: outcome})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExportPlacements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newExportFixture(t)
	D := summaryDay
	y1 := cal.YearStart(1405)
	names := map[int64]string{f.a.ID: "کار", f.b.ID: "جهاد کشاورزی", f.c.ID: "صنعت"}
	checks := map[string]domain.ExportRow{
		"p2": {Stage: domain.StageDone, LastOutcome: domain.OutcomeNever, CheckedAt: exportCheckedAt},
		"p3": {Stage: domain.StageDone, LastOutcome: domain.OutcomeWorks, CheckedAt: exportCheckedAt.Add(time.Hour)},
		"p9": {Stage: domain.StageCall},
	}
	if f.p["p2"].Verification != domain.VerifyRejected || f.p["p3"].Verification != domain.VerifyConfirmed ||
		f.p["p9"].Verification != domain.VerifyWaiting {
		t.Fatalf("fixture: p2 %s, p3 %s, p9 %s", f.p["p2"].Verification, f.p["p3"].Verification, f.p["p9"].Verification)
	}

	for _, c := range []struct {
		name   string
		filter domain.ExportFilter
		want   []string
	}{
		{"all", domain.ExportFilter{}, []string{"p8", "p6", "p1", "p2", "p3", "p4", "p7", "p9"}},
		{"dates", domain.ExportFilter{From: at(D, -10, 0, 0), To: at(D, -1, 0, 0)}, []string{"p1", "p2", "p3", "p4"}},
		// A bound is its Tehran day, whatever the instant's location.
		{"from", domain.ExportFilter{From: at(D, -5, 0, 0).UTC()}, []string{"p3", "p4", "p7", "p9"}},
		{"from noon", domain.ExportFilter{From: at(D, -6, 12, 0)}, []string{"p3", "p4", "p7", "p9"}},
		{"to", domain.ExportFilter{To: y1}, []string{"p8", "p6"}},
		{"agency", domain.ExportFilter{AgencyID: f.a.ID}, []string{"p8", "p6", "p1", "p2", "p3"}},
		{"sector", domain.ExportFilter{Sector: domain.SectorServices}, []string{"p6", "p1", "p2", "p7", "p9"}},
		{"all filters", domain.ExportFilter{From: y1, To: at(D, 1, 0, 0), AgencyID: f.a.ID, Sector: domain.SectorServices},
			[]string{"p1", "p2"}},
		{"empty range", domain.ExportFilter{From: D, To: D}, nil},
		{"reversed range", domain.ExportFilter{From: D, To: at(D, -30, 0, 0)}, nil},
		{"no such agency", domain.ExportFilter{AgencyID: f.c.ID + 100}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := f.db.ExportPlacements(ctx, c.filter, func(r domain.ExportRow) error {
				p, agencyFa := r.Placement, r.AgencyFa
				label := ""
				for l, q := range f.p {
					if q.ID == p.ID {
						label = l
					}
				}
				if label == "" {
					t.Fatalf("unknown placement %d", p.ID)
				}
				stored, err := f.db.Placement(ctx, p.ID) // the pool has a connection to spare
				if err != nil {
					t.Fatal(err)
				}
				samePlacement(t, p, stored)
				if agencyFa != names[p.AgencyID] {
					t.Fatalf("%s: agency name %q, want %q", label, agencyFa, names[p.AgencyID])
				}
				if w := checks[label]; r.Stage != w.Stage || r.LastOutcome != w.LastOutcome || !r.CheckedAt.Equal(w.CheckedAt) {
					t.Fatalf("%s: checking %s, %s, %v; want %+v", label, r.Stage, r.LastOutcome, r.CheckedAt, w)
				}
				got = append(got, label)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("exported %v, want %v", got, c.want)
			}
		})
	}

	// fn's error stops the export at once and comes back as it is.
	stop := errors.New("disk full")
	calls := 0
	err := f.db.ExportPlacements(ctx, domain.ExportFilter{}, func(domain.ExportRow) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || err != stop || calls != 2 {
		t.Fatalf("ExportPlacements = %v after %d calls, want the callback's error after 2", err, calls)
	}
	// The connection went back to the pool in a usable state.
	if err := f.db.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	err = f.db.ExportPlacements(ctx, domain.ExportFilter{Sector: "mining"}, func(domain.ExportRow) error {
		t.Fatal("called")
		return nil
	})
	wantErr(t, err, domain.KindInvalid, "sector.unknown")
}

func TestExportTotals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newExportFixture(t)
	D := summaryDay
	y1 := cal.YearStart(1405)
	sv, in, ag := domain.SectorServices, domain.SectorIndustry, domain.SectorAgriculture
	total := func(a domain.Agency, s domain.Sector, count, target int) domain.ExportTotal {
		return domain.ExportTotal{AgencyID: a.ID, AgencyFa: a.NameFa, AgencyEn: a.NameEn, Sector: s, Count: count, Target: target}
	}
	// p2 (labour, services) is rejected: it counts no more, p3 (labour,
	// industry) is confirmed, p9 (agri, services) waits.
	checked := func(t domain.ExportTotal, c domain.Checking) domain.ExportTotal {
		t.Checking = c
		return t
	}
	rejected, confirmed, waiting := domain.Checking{Sampled: 1, Rejected: 1}, domain.Checking{Sampled: 1, Confirmed: 1}, domain.Checking{Sampled: 1}

	// Persian alphabetical order of agencies (ج, ص, ک), then sector order.
	for _, c := range []struct {
		name   string
		filter domain.ExportFilter
		want   []domain.ExportTotal
	}{
		// 1405's placements and targets; the inactive agency is listed for
		// what it placed, not for its target alone.
		{"year", domain.ExportFilter{From: y1, To: cal.YearStart(1406)}, []domain.ExportTotal{
			checked(total(f.b, sv, 1, 0), waiting), total(f.b, in, 0, 7), total(f.b, ag, 1, 20),
			total(f.c, sv, 1, 3),
			checked(total(f.a, sv, 1, 10), rejected), checked(total(f.a, in, 1, 5), confirmed),
		}},
		// Open: the start dates span 1404 and 1405, whose targets add up.
		{"all", domain.ExportFilter{}, []domain.ExportTotal{
			checked(total(f.b, sv, 1, 0), waiting), total(f.b, in, 0, 7), total(f.b, ag, 1, 20),
			total(f.c, sv, 1, 3),
			checked(total(f.a, sv, 2, 110), rejected), checked(total(f.a, in, 1, 5), confirmed), total(f.a, ag, 1, 0),
		}},
		{"before 1405", domain.ExportFilter{To: y1}, []domain.ExportTotal{
			total(f.a, sv, 1, 100), total(f.a, ag, 1, 0),
		}},
		{"agency", domain.ExportFilter{From: y1, AgencyID: f.b.ID}, []domain.ExportTotal{
			checked(total(f.b, sv, 1, 0), waiting), total(f.b, in, 0, 7), total(f.b, ag, 1, 20),
		}},
		{"sector", domain.ExportFilter{From: at(D, -5, 0, 0), To: at(D, 1, 0, 0), Sector: in}, []domain.ExportTotal{
			total(f.b, in, 0, 7), checked(total(f.a, in, 1, 5), confirmed),
		}},
		{"nothing placed", domain.ExportFilter{From: cal.YearStart(1406)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.db.ExportTotals(ctx, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("totals =\n%+v\nwant\n%+v", got, c.want)
			}
			// The counts agree with the export: its rows are every
			// placement registered, rejected ones too.
			counts := map[[2]any]int{}
			err = f.db.ExportPlacements(ctx, c.filter, func(r domain.ExportRow) error {
				counts[[2]any{r.AgencyID, r.Sector}]++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, tot := range got {
				if n := counts[[2]any{tot.AgencyID, tot.Sector}]; n != tot.Count+tot.Rejected {
					t.Errorf("%d/%s: count %d and %d rejected, exported %d", tot.AgencyID, tot.Sector, tot.Count, tot.Rejected, n)
				}
				delete(counts, [2]any{tot.AgencyID, tot.Sector})
			}
			if len(counts) != 0 {
				t.Errorf("exported but not totalled: %v", counts)
			}
		})
	}

	_, err := f.db.ExportTotals(ctx, domain.ExportFilter{Sector: "mining"})
	wantErr(t, err, domain.KindInvalid, "sector.unknown")
}
