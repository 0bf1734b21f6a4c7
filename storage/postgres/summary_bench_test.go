package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// bigStore is a store for benchmarks: placements active placements (and 1%
// more withdrawn) of program year 1405 over agencies agencies, registered
// in order through the year, in the three sectors, each agency with a
// target per sector; a duplicate attempt per 50 placements and a stall
// request per 50, in every state. A tenth of the placements are in the
// sample, in every state of checking; two thirds have a mobile, most
// numbers on two or three placements, one on a hundred; one in a hundred
// is at one employer, the rest spread over 5,000. The rows go in by
// INSERT ... SELECT FROM generate_series, without the checks of
// CreatePlacement (national codes are ten digits, not valid ones), then
// the tables are vacuumed and analyzed, as autovacuum would leave them
// after a bulk insert.
//
// It returns the store and its URL, and the last day of the year: the day
// whose summary counts every row. Building a million rows takes a while,
// so only benchmarks use it, and not under -short.
func bigStore(tb testing.TB, placements, agencies int) (*postgres.DB, string, time.Time) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds a large database")
	}
	ctx := context.Background()
	dbURL := postgrestest.NewURL(tb)
	db := postgrestest.Open(tb, dbURL)
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)

	const year = 1405
	start, end := cal.YearStart(year), cal.YearStart(year+1)
	began := time.Now()
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO agencies (code, name_fa, name_en)
		  SELECT 'agency' || i, 'دستگاه ' || i, 'Agency ' || i FROM generate_series(1, $1) i`,
			[]any{agencies}},
		{`INSERT INTO targets (year, agency_id, sector, jobs)
		  SELECT $1, a.id, s, 100 + (a.id * 37 + length(s)) % 900
		  FROM agencies a, unnest(ARRAY['services', 'industry', 'agriculture']) s`,
			[]any{year}},
		{`INSERT INTO markets (code, name_fa, kind, county, weekdays, capacity)
		  SELECT 'market' || i, 'بازار ' || i, 'day', 'varamin', '{6}', 1000 FROM generate_series(1, 50) i`, nil},
		// Registered in order through the year ($2 to $3), so ids follow
		// time as they do in use; agencies and sectors spread over them.
		{`INSERT INTO placements (program_year, national_id, full_name, gender, birth_year, mobile, sector, activity,
		      employer, kind, support, funding, county, area, start_date, agency_id, liaison_id,
		      verification, created_at, updated_at, withdrawn_at)
		  SELECT $1, lpad(i::text, 10, '0'), 'نام ' || i, 'female', 1370,
		         CASE WHEN i % 10007 = 0 THEN '+989350000001'
		              WHEN i % 3 <> 0 THEN '+98912' || lpad((i % 400000)::text, 7, '0') END,
		         (ARRAY['services', 'industry', 'agriculture'])[1 + i % 3], 'خیاطی',
		         CASE WHEN i % 100 = 1 THEN 'کارگاه بزرگ' ELSE 'کارگاه ' || i % 5000 END,
		         'home_business', 'training', 'none', 'varamin', 'rural',
		         (t.created AT TIME ZONE 'Asia/Tehran')::date,
		         (SELECT min(id) FROM agencies) + (i * 7919) % $4, 1000,
		         CASE WHEN i % 10 = 0
		              THEN (ARRAY['waiting', 'confirmed', 'confirmed', 'confirmed', 'rejected', 'unreachable'])[1 + i / 10 % 6]
		              ELSE 'not_sampled' END,
		         t.created, t.created,
		         CASE WHEN i % 100 = 0 THEN t.created + interval '1 day' END
		  FROM generate_series(1::bigint, $5) i,
		       LATERAL (SELECT $2::timestamptz + ($3::timestamptz - $2::timestamptz) * ((i - 0.5) / $5)::float8 AS created) t`,
			[]any{year, start, end, agencies, placements * 100 / 99}},
		{`INSERT INTO duplicate_attempts (national_id, program_year, agency_id, holder_id, at)
		  SELECT national_id, program_year, agency_id, id, created_at + interval '1 hour'
		  FROM placements WHERE id % 50 = 0`, nil},
		{`INSERT INTO stall_requests (program_year, telegram_id, national_id, full_name, phone, gender, female_head,
		      category, vendor_kind, state, created_at, updated_at, market_id, stall, offered_at, deadline)
		  SELECT program_year, id, national_id, full_name, '+989121234567', 'female', id % 3 = 0, 'food', 'street',
		         s.state, created_at, created_at,
		         CASE WHEN s.held THEN (SELECT min(id) FROM markets) + id % 50 END,
		         CASE WHEN s.held THEN id END,
		         CASE WHEN s.held THEN created_at END,
		         CASE WHEN s.held THEN created_at + interval '2 days' END
		  FROM placements,
		       LATERAL (SELECT (ARRAY['waiting', 'offered', 'allocated', 'declined', 'expired', 'cancelled'])[1 + id / 50 % 6] AS state) st,
		       LATERAL (SELECT st.state, st.state IN ('offered', 'allocated') AS held) s
		  WHERE id % 50 = 25`, nil},
		{`VACUUM (ANALYZE) agencies, targets, markets, placements, duplicate_attempts, stall_requests`, nil},
	} {
		if _, err := conn.Exec(ctx, step.sql, step.args...); err != nil {
			tb.Fatalf("bigStore: %v\n%s", err, step.sql)
		}
	}
	tb.Logf("bigStore: %d placements over %d agencies built in %v", placements, agencies, time.Since(began).Round(time.Second))
	return db, dbURL, end.AddDate(0, 0, -1)
}

// BenchmarkSummary1M times the daily summary over a million placements of
// the year and 200 agencies, on the year's last day, when all of them
// count. Run it with -bench Summary1M -benchtime 20x: building the
// database takes some 20 seconds.
func BenchmarkSummary1M(b *testing.B) {
	ctx := context.Background()
	db, _, day := bigStore(b, 1_000_000, 200)

	s, err := db.Summary(ctx, day)
	if err != nil {
		b.Fatal(err)
	}
	if s.Registered() != 1_000_000 || len(s.Agencies) != 200 || s.Today == 0 || s.StallsAllocated == 0 {
		b.Fatalf("summary: year %d, today %d, %d agencies, %d stalls allocated",
			s.Registered(), s.Today, len(s.Agencies), s.StallsAllocated)
	}
	b.Run("Summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Summary(ctx, day); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/summary")
	})
	b.Run("SummaryMidYear", func(b *testing.B) {
		mid := day.AddDate(0, -6, 0)
		for b.Loop() {
			if _, err := db.Summary(ctx, mid); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/summary")
	})
	b.Run("ExportTotalsYear", func(b *testing.B) {
		f := domain.ExportFilter{From: cal.YearStart(1405), To: cal.YearStart(1406)}
		for b.Loop() {
			if _, err := db.ExportTotals(ctx, f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSummaryVerification1M times the daily summary with its
// verification figures and warnings over bigStore's million placements,
// a tenth of them sampled: on the year's last day, near a month's end,
// when the spikes are weighed over nine weeks, and on a day mid-month.
//
//	go test -run '^$' -bench SummaryVerification1M -benchtime 20x ./storage/postgres
func BenchmarkSummaryVerification1M(b *testing.B) {
	ctx := context.Background()
	db, _, last := bigStore(b, 1_000_000, 200)
	mid := cal.Midnight(domain.JalaliDate{Year: 1405, Month: 9, Day: 15})
	for _, c := range []struct {
		name string
		day  time.Time
	}{{"MonthEnd", last}, {"MidMonth", mid}} {
		s, err := db.Summary(ctx, c.day)
		if err != nil {
			b.Fatal(err)
		}
		if s.Sampled == 0 || s.Checked() == 0 || s.Rejected == 0 || len(s.Warnings.Mobiles) != 1 || len(s.Warnings.Employers) != 1 {
			b.Fatalf("%s: checking %+v, warnings %+v", c.name, s.Checking, s.Warnings)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Summary(ctx, c.day); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/summary")
		})
	}
}

// BenchmarkDrawWeek1M times drawing a week's sample, half of every
// agency's placements of the week not sampled yet, over bigStore's
// million placements of a year: some 17,000 candidates in the year's last
// whole week. Each draw is undone, untimed, before the next.
//
//	go test -run '^$' -bench DrawWeek1M -benchtime 20x ./storage/postgres
func BenchmarkDrawWeek1M(b *testing.B) {
	ctx := context.Background()
	db, dbURL, last := bigStore(b, 1_000_000, 200)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	now := last.Add(12 * time.Hour)
	from, to := cal.DrawPeriod(now, 7)
	undo := func(d domain.Draw) {
		_, err := conn.Exec(ctx, `
			WITH events AS (
				DELETE FROM verify_events WHERE placement_id = ANY($2) AND outcome = 'drawn'
			), checks AS (
				DELETE FROM verify_checks WHERE draw_id = $1
			), states AS (
				UPDATE placements SET verification = 'not_sampled' WHERE id = ANY($2)
			)
			SELECT 1`, d.ID, d.Sample)
		if err == nil {
			_, err = conn.Exec(ctx, `DELETE FROM verify_draws WHERE id = $1`, d.ID)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	var d domain.Draw
	for b.Loop() {
		var fresh bool
		d, fresh, err = db.DrawSample(ctx, from, to, 7, 0.5, 0, now, now)
		if err != nil || !fresh {
			b.Fatalf("draw: fresh %v, %v", fresh, err)
		}
		b.StopTimer()
		undo(d)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(d.Candidates)), "candidates")
	b.ReportMetric(float64(len(d.Sample)), "drawn")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/draw")
}
