package postgres_test

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// summaryDay is the day the summary tests look at: 17 Khordad 1405, well
// inside the program year.
var summaryDay = cal.Midnight(domain.JalaliDate{Year: 1405, Month: 3, Day: 17})

// at is hh:mm Tehran time on the day days after day, as a UTC instant, so
// nothing relies on the location of the times the store is given.
func at(day time.Time, days, hh, mm int) time.Time {
	y, m, d := day.In(domain.Tehran()).Date()
	return time.Date(y, m, d+days, hh, mm, 0, 0, domain.Tehran()).UTC()
}

// The rows a summary test inserts, as the test's own model of them: the
// expected figures are computed from these in Go, not by SQL.
type (
	seedAgency struct {
		code   string
		active bool
	}
	seedPlacement struct {
		agency    int // index into the agencies
		sector    domain.Sector
		created   time.Time
		withdrawn bool
	}
	seedTarget struct {
		year   int
		agency int
		sector domain.Sector
		jobs   int
	}
	seedStall struct {
		state      domain.RequestState
		femaleHead bool
		created    time.Time
	}
	summaryWorld struct {
		agencies   []seedAgency
		ids        []int64 // agency ids, by index
		placements []seedPlacement
		targets    []seedTarget
		duplicates []time.Time
		stalls     []seedStall
	}
)

// newSummaryWorld describes the rows of the summary tests around
// summaryDay (D): today, yesterday, 8 days ago, last year; withdrawn
// records; registrations at 23:50 and 00:10 Tehran either side of day
// boundaries, which in UTC fall on the other side of midnight.
func newSummaryWorld() summaryWorld {
	D := summaryDay
	y1 := cal.YearStart(1405)
	const (
		labour = iota
		agri
		industry
		heritage
		relief
		housing
		old // inactive
	)
	sv, in, ag := domain.SectorServices, domain.SectorIndustry, domain.SectorAgriculture
	return summaryWorld{
		agencies: []seedAgency{
			{"labour", true}, {"agri", true}, {"industry", true}, {"heritage", true},
			{"relief", true}, {"housing", true}, {"old", false},
		},
		placements: []seedPlacement{
			{labour, sv, at(D, 0, 10, 0), false},
			{labour, in, at(D, 0, 0, 10), false},   // 20:40 UTC the day before
			{labour, sv, at(D, 0, 23, 50), false},  // 20:20 UTC
			{labour, sv, at(D, -1, 23, 50), false}, // yesterday
			{labour, ag, at(D, -1, 12, 0), true},   // withdrawn
			{labour, sv, at(D, 1, 0, 10), false},   // tomorrow, 20:40 UTC on D
			{labour, sv, at(D, -30, 9, 0), false},
			{labour, sv, at(y1, -1, 23, 50), false}, // last day of 1404
			{labour, in, at(y1, 0, 0, 10), false},   // first minutes of 1405
			{labour, sv, at(D, -365, 11, 0), false}, // last year
			{agri, ag, at(D, -5, 8, 0), false},
			{agri, ag, at(D, -40, 8, 0), false},
			{agri, in, at(D, -40, 9, 0), false},
			{industry, in, at(D, -8, 10, 0), false}, // 8 days ago
			{industry, in, at(D, -2, 10, 0), true},  // withdrawn: idle
			{relief, sv, at(D, -6, 0, 10), false},   // first minutes of the week
			{housing, sv, at(D, -7, 23, 50), false}, // last minutes before it
			{old, sv, at(D, 0, 9, 0), false},
			{old, ag, at(D, -400, 9, 0), false},
		},
		targets: []seedTarget{
			{1405, labour, sv, 10}, {1405, labour, in, 5}, {1405, agri, ag, 20},
			{1405, heritage, sv, 3}, {1405, housing, sv, 0}, {1405, old, sv, 5},
			{1404, labour, sv, 100}, {1404, industry, in, 7},
		},
		duplicates: []time.Time{at(D, 0, 0, 10), at(D, 0, 23, 50), at(D, -1, 23, 50), at(D, 1, 0, 10)},
		stalls: []seedStall{
			{domain.StallWaiting, true, at(D, 0, 0, 10)},
			{domain.StallWaiting, false, at(D, -1, 23, 50)},
			{domain.StallWaiting, true, at(D, -10, 9, 0)},
			{domain.StallOffered, true, at(D, -3, 9, 0)},
			{domain.StallOffered, false, at(D, -3, 9, 0)},
			{domain.StallAllocated, true, at(D, -20, 9, 0)},
			{domain.StallAllocated, true, at(D, -20, 9, 0)},
			{domain.StallAllocated, false, at(D, -20, 9, 0)},
			{domain.StallDeclined, true, at(D, 0, 12, 0)},
			{domain.StallExpired, false, at(D, -4, 9, 0)},
			{domain.StallCancelled, true, at(D, -4, 9, 0)},
			{domain.StallAllocated, true, at(D, -380, 9, 0)}, // last year
			{domain.StallWaiting, false, at(D, -380, 9, 0)},  // last year
		},
	}
}

// seed inserts w into the database at dbURL through db, filling w.ids.
func (w *summaryWorld) seed(t *testing.T, db *postgres.DB, dbURL string) {
	t.Helper()
	ctx := context.Background()
	for _, a := range w.agencies {
		w.ids = append(w.ids, mustAgency(t, db, a.code, "سازمان "+a.code).ID)
	}
	for _, a := range w.agencies {
		if !a.active {
			off := agency(a.code, "سازمان "+a.code)
			off.Active = false
			if _, _, err := db.UpsertAgencies(ctx, []domain.Agency{off}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ts []domain.Target
	for _, tg := range w.targets {
		ts = append(ts, domain.Target{Year: tg.year, AgencyID: w.ids[tg.agency], Sector: tg.sector, Jobs: tg.jobs})
	}
	if _, _, err := db.UpsertTargets(ctx, ts); err != nil {
		t.Fatal(err)
	}

	codes := nationalIDs(t, 0, len(w.placements)+len(w.stalls))
	var holder domain.Placement
	for i, sp := range w.placements {
		p := placement(codes[i], w.ids[sp.agency])
		p.ProgramYear = cal.ProgramYear(sp.created)
		p.Sector = sp.sector
		p.StartDate = cal.StartOfDay(sp.created)
		got := mustPlacement(t, db, p, sp.created)
		if sp.withdrawn {
			_, err := db.WithdrawPlacement(ctx, got.ID, got.AgencyID, 1, "اشتباه", sp.created.Add(time.Hour), "")
			if err != nil {
				t.Fatal(err)
			}
		} else {
			holder = got
		}
	}
	for _, at := range w.duplicates {
		err := db.RecordDuplicateAttempt(ctx, domain.DuplicateAttempt{
			NationalID: holder.NationalID, ProgramYear: holder.ProgramYear,
			AgencyID: w.ids[1], HolderID: holder.ID, At: at,
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Stall requests in every state, inserted as they stand.
	m := mustMarkets(t, db, market("summary", 100))[0]
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for i, s := range w.stalls {
		var marketID *int64
		var stall *int
		var offered, due *time.Time
		if s.state == domain.StallOffered || s.state == domain.StallAllocated {
			n := i + 1
			marketID, stall, offered, due = &m.ID, &n, &s.created, &s.created
		}
		gender := domain.GenderMale
		if s.femaleHead {
			gender = domain.GenderFemale
		}
		_, err := conn.Exec(ctx, `
			INSERT INTO stall_requests (program_year, telegram_id, national_id, full_name, phone, gender,
				female_head, category, vendor_kind, state, created_at, updated_at, market_id, stall, offered_at, deadline)
			VALUES ($1, $2, $3, 'مریم احمدی', '+989121234567', $4, $5, 'food', 'street', $6, $7, $7, $8, $9, $10, $11)`,
			cal.ProgramYear(s.created), 900+i, string(codes[len(w.placements)+i]), string(gender),
			s.femaleHead, string(s.state), s.created, marketID, stall, offered, due)
		if err != nil {
			t.Fatalf("stall %d: %v", i, err)
		}
	}
}

// expect is the summary of the Tehran day starting at day, computed from
// the model.
func (w *summaryWorld) expect(day time.Time) domain.Summary {
	end, weekStart := day.AddDate(0, 0, 1), day.AddDate(0, 0, -6)
	year := cal.ProgramYear(day)
	in := func(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }
	s := domain.Summary{
		Day:      day,
		Year:     year,
		BySector: map[domain.Sector]int{domain.SectorServices: 0, domain.SectorIndustry: 0, domain.SectorAgriculture: 0},
	}
	counts := make(map[int]int)
	recent := make(map[int]bool)
	for _, p := range w.placements {
		if p.withdrawn {
			continue
		}
		if in(p.created, day, end) {
			s.Today++
		}
		if cal.ProgramYear(p.created) == year && p.created.Before(end) {
			s.YearTotal++
			s.BySector[p.sector]++
			counts[p.agency]++
		}
		if in(p.created, weekStart, end) {
			recent[p.agency] = true
		}
	}
	for i, a := range w.agencies {
		if !a.active {
			continue
		}
		ap := domain.AgencyProgress{AgencyID: w.ids[i], Code: a.code, NameFa: "سازمان " + a.code, NameEn: a.code, Count: counts[i]}
		for _, tg := range w.targets {
			if tg.agency == i && tg.year == year {
				ap.Target += tg.jobs
			}
		}
		s.Agencies = append(s.Agencies, ap)
	}
	domain.RankAgencies(s.Agencies)
	for _, a := range s.Agencies {
		i := 0
		for w.ids[i] != a.AgencyID {
			i++
		}
		if !recent[i] {
			s.Idle = append(s.Idle, a)
		}
	}
	for _, d := range w.duplicates {
		if in(d, day, end) {
			s.DuplicatesToday++
		}
	}
	for _, r := range w.stalls {
		if in(r.created, day, end) {
			s.StallsNewToday++
		}
		if cal.ProgramYear(r.created) != year {
			continue
		}
		switch r.state {
		case domain.StallWaiting:
			s.StallsWaiting++
		case domain.StallOffered, domain.StallAllocated:
			s.StallsAllocated++
			if r.femaleHead {
				s.AllocatedFemaleHead++
			}
		}
	}
	return s
}

func sameSummary(t *testing.T, got, want domain.Summary) {
	t.Helper()
	if !got.Day.Equal(want.Day) || got.Day.Location() != domain.Tehran() {
		t.Errorf("Day = %v, want %v in Tehran", got.Day, want.Day)
	}
	got.Day, want.Day = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary =\n%+v\nwant\n%+v", got, want)
	}
}

// withTimeZone is dbURL with the session time zone set to zone.
func withTimeZone(dbURL, zone string) string {
	return dbURL + "&timezone=" + url.QueryEscape(zone)
}

func TestSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := postgrestest.NewURL(t)
	db := postgrestest.Open(t, withTimeZone(dbURL, "UTC"))
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := newSummaryWorld()
	w.seed(t, db, dbURL)

	// The model itself, for the main day, worked by hand: labour has 6
	// placements of 1405 to the end of D against 15; agri 3 of 20;
	// heritage 0 of 3; industry, relief and housing 1 each without a
	// target; the inactive agency's 1 counts in the totals only.
	D := summaryDay
	want := w.expect(D)
	if want.Today != 4 || want.YearTotal != 13 || want.DuplicatesToday != 2 ||
		want.StallsNewToday != 2 || want.StallsWaiting != 3 || want.StallsAllocated != 5 || want.AllocatedFemaleHead != 3 {
		t.Fatalf("model: %+v", want)
	}
	var codes, idle []string
	for _, a := range want.Agencies {
		codes = append(codes, a.Code)
	}
	for _, a := range want.Idle {
		idle = append(idle, a.Code)
	}
	if !reflect.DeepEqual(codes, []string{"labour", "agri", "housing", "industry", "relief", "heritage"}) ||
		!reflect.DeepEqual(idle, []string{"housing", "industry", "heritage"}) {
		t.Fatalf("model: agencies %v, idle %v", codes, idle)
	}

	days := []time.Time{
		D, D.AddDate(0, 0, -1), D.AddDate(0, 0, 1), D.AddDate(0, 0, -8),
		cal.YearStart(1405), cal.YearStart(1405).AddDate(0, 0, -1), // the week spans two years
		D.AddDate(0, 0, -365),
	}
	// The server's time zone plays no part: the same figures whatever the
	// session's.
	for _, zone := range []string{"UTC", "Asia/Tehran", "America/Los_Angeles", "Pacific/Kiritimati"} {
		t.Run(zone, func(t *testing.T) {
			zdb := postgrestest.Open(t, withTimeZone(dbURL, zone))
			for _, day := range days {
				// Any instant of the day will do; here the day's
				// midnight as a UTC instant, and a minute before its end.
				for _, arg := range []time.Time{day.UTC(), day.AddDate(0, 0, 1).Add(-time.Minute)} {
					got, err := zdb.Summary(ctx, arg)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%s: today %d, year %d", cal.FormatJalaliNumeric(day), got.Today, got.YearTotal)
					sameSummary(t, got, w.expect(day))
				}
			}
		})
	}
}

func TestSummaryEmpty(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	got, err := db.Summary(context.Background(), summaryDay)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Summary{
		Day:      summaryDay,
		Year:     1405,
		BySector: map[domain.Sector]int{domain.SectorServices: 0, domain.SectorIndustry: 0, domain.SectorAgriculture: 0},
	}
	sameSummary(t, got, want)
	if got.FemaleHeadShare() != 0 {
		t.Fatalf("FemaleHeadShare = %v", got.FemaleHeadShare())
	}
}
