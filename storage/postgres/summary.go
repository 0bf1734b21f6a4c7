package postgres

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// summaryQuery computes the whole daily summary but its warnings in one
// statement, so every figure comes from one round trip. Its parameters:
// $1 and $2 bound the day [start, end) in the calendar's zone, $3 is the
// program year, $4 the start of the seven days up to the day (for idle
// agencies), $5 where the registrations weighed for a month-end spike
// start ($4 itself when the day is not near a month's end), $6 the
// verification states that count toward a target
// (domain.Verification.Counts). Times are timestamptz compared with
// timestamptz: the server's and session's time zones play no part.
//
// The first row carries the totals; each row (one per active agency, or a
// single row with NULL agency columns when there is none) carries one
// agency's progress. Nothing is read row by row into Go, and every part
// can be an index-only scan (see migrations 00004 and 00011):
//
//   - The year up to the end of the day is all of the year's active
//     placements (year_all) less those registered after the day
//     (year_after, from placements_created_active_idx), both by agency,
//     sector and verification state. year_all is counted from
//     placements_agency_sector_year_idx, small because its entries
//     deduplicate, read whole (all years) in group order; for today's
//     summary year_after is empty. The whole costs a pass over a few MB
//     of index rather than over every row of the year. Until the table
//     has been vacuumed (the visibility map set) the planner rightly
//     prefers a parallel scan of the table: slower, but bounded.
//   - The day's placements and each agency's registrations in the week
//     (and, near a month's end, the weeks before it) are ranges of
//     placements_created_active_idx.
//   - Duplicates and stall requests of the day, waiting and held stalls
//     have an index each.
//
// States are as they stand now: the store keeps no history of them, so a
// past day's summary counts the rejections made since.
const summaryQuery = `
	WITH year_all AS MATERIALIZED (
		SELECT agency_id, sector, verification, count(*) AS n
		FROM placements
		WHERE program_year = $3 AND withdrawn_at IS NULL
		GROUP BY agency_id, sector, verification
	), year_after AS MATERIALIZED (
		SELECT agency_id, sector, verification, count(*) AS n
		FROM placements
		WHERE program_year = $3 AND created_at >= $2 AND withdrawn_at IS NULL
		GROUP BY agency_id, sector, verification
	), year_counts AS MATERIALIZED (
		SELECT y.agency_id, y.sector, y.verification = ANY($6) AS counts,
		       y.verification <> 'not_sampled' AS sampled, y.verification = 'confirmed' AS confirmed,
		       y.n - COALESCE(f.n, 0) AS n
		FROM year_all y
		LEFT JOIN year_after f ON f.agency_id = y.agency_id AND f.sector = y.sector AND f.verification = y.verification
	), by_agency AS (
		SELECT agency_id,
		       COALESCE(sum(n) FILTER (WHERE counts), 0) AS n,
		       COALESCE(sum(n) FILTER (WHERE sampled), 0) AS sampled,
		       COALESCE(sum(n) FILTER (WHERE confirmed), 0) AS confirmed,
		       COALESCE(sum(n) FILTER (WHERE NOT counts), 0) AS rejected
		FROM year_counts GROUP BY agency_id
	), agency_targets AS (
		SELECT agency_id, sum(jobs) AS jobs FROM targets WHERE year = $3 GROUP BY agency_id
	), weeks AS (
		SELECT agency_id,
		       count(*) FILTER (WHERE created_at >= $4) AS week,
		       count(*) FILTER (WHERE created_at < $4) AS earlier
		FROM placements
		WHERE created_at >= $5 AND created_at < $2 AND withdrawn_at IS NULL
		GROUP BY agency_id
	), held AS (
		SELECT count(*) AS n, count(*) FILTER (WHERE female_head) AS female_head
		FROM stall_requests
		WHERE program_year = $3 AND state IN ('offered', 'allocated')
	), totals AS (
		SELECT
			(SELECT count(*) FROM placements
			 WHERE created_at >= $1 AND created_at < $2 AND withdrawn_at IS NULL) AS today,
			(SELECT count(*) FROM placements
			 WHERE created_at >= $1 AND created_at < $2 AND withdrawn_at IS NULL AND program_year < $3) AS today_earlier,
			(SELECT COALESCE(sum(n) FILTER (WHERE counts AND sector = 'services'), 0) FROM year_counts) AS services,
			(SELECT COALESCE(sum(n) FILTER (WHERE counts AND sector = 'industry'), 0) FROM year_counts) AS industry,
			(SELECT COALESCE(sum(n) FILTER (WHERE counts AND sector = 'agriculture'), 0) FROM year_counts) AS agriculture,
			(SELECT COALESCE(sum(sampled), 0) FROM by_agency) AS sampled,
			(SELECT COALESCE(sum(confirmed), 0) FROM by_agency) AS confirmed,
			(SELECT COALESCE(sum(rejected), 0) FROM by_agency) AS rejected,
			(SELECT count(*) FROM duplicate_attempts WHERE at >= $1 AND at < $2) AS duplicates,
			(SELECT count(*) FROM stall_requests WHERE created_at >= $1 AND created_at < $2) AS stalls_new,
			(SELECT count(*) FROM stall_requests WHERE program_year = $3 AND state = 'waiting') AS stalls_waiting,
			held.n AS stalls_held,
			held.female_head AS held_female_head
		FROM held
	), progress AS (
		SELECT a.id, a.code, a.name_fa, a.name_en,
		       COALESCE(c.n, 0) AS n,
		       COALESCE(t.jobs, 0) AS target,
		       COALESCE(c.sampled, 0) AS sampled,
		       COALESCE(c.confirmed, 0) AS confirmed,
		       COALESCE(c.rejected, 0) AS rejected,
		       COALESCE(w.week, 0) AS week,
		       COALESCE(w.earlier, 0) AS earlier
		FROM agencies a
		LEFT JOIN by_agency c ON c.agency_id = a.id
		LEFT JOIN agency_targets t ON t.agency_id = a.id
		LEFT JOIN weeks w ON w.agency_id = a.id
		WHERE a.active
	)
	SELECT t.today, t.today_earlier, t.services::bigint, t.industry::bigint, t.agriculture::bigint,
	       t.sampled::bigint, t.confirmed::bigint, t.rejected::bigint, t.duplicates,
	       t.stalls_new, t.stalls_waiting, t.stalls_held, t.held_female_head,
	       p.id, p.code, p.name_fa, p.name_en, p.n::bigint, p.target::bigint,
	       p.sampled::bigint, p.confirmed::bigint, p.rejected::bigint, p.week, p.earlier
	FROM totals t
	LEFT JOIN progress p ON true`

// countingStates are the verification states that count toward a target,
// as summaryQuery and the export's totals are given them.
var countingStates = func() []string {
	var out []string
	for _, v := range domain.Verifications {
		if v.Counts() {
			out = append(out, string(v))
		}
	}
	return out
}()

// Summary computes the daily summary of the day starting at day
// (midnight in db's calendar; any instant is taken to its day, StartOfDay).
//
// Year is the program year of the day. Today counts the active placements
// registered on the day, rejected ones too, TodayEarlier those of them
// whose job started in an earlier program year; YearTotal and BySector
// (all three sectors, zero included) those of the program year registered
// up to the end of the day that count: a rejected placement counts toward
// no target. Checking is how far the checking of the same placements,
// rejected ones included, has gone.
// Agencies lists every active agency with its count of the same, its
// checking, and the sum of its targets for the year, ranked by
// domain.RankAgencies; Idle are those of them that registered no active
// placement in the seven days ending with the day, in rank order.
// DuplicatesToday counts the refused registrations of the day,
// StallsNewToday the stall requests made on it. StallsWaiting,
// StallsAllocated (offered or accepted) and AllocatedFemaleHead are the
// year's stall requests as they stand now, and so are verification
// states: the store keeps no history of them. Warnings are as
// summaryWarnings finds them.
//
// Withdrawn placements count nowhere, even if withdrawn after the day.
func (db *DB) Summary(ctx context.Context, day time.Time) (domain.Summary, error) {
	day = db.cal.StartOfDay(day)
	y, m, d := day.Date() // in the calendar's zone
	end := db.cal.Date(y, m, d+1)
	weekStart := db.cal.Date(y, m, d-6)
	spikeFrom := weekStart
	if db.cal.MonthEnd(day) {
		spikeFrom = db.cal.Date(y, m, d-6-7*domain.WarnSpikeWeeks)
	}
	s := domain.Summary{
		Day:      day,
		Year:     db.cal.ProgramYear(day),
		BySector: make(map[domain.Sector]int, len(domain.Sectors)),
	}

	// The warnings are read alongside, on a connection of their own: they
	// share no figure with the rest, and the summary then takes as long as
	// the longer of the two rather than both.
	var (
		warnings domain.Warnings
		warnErr  error
		wg       sync.WaitGroup
	)
	wg.Go(func() { warnings, warnErr = db.summaryWarnings(ctx, db.pool, day, end, s.Year) })
	weeks, err := db.summaryFigures(ctx, &s, end, weekStart, spikeFrom)
	wg.Wait()
	if err = cmp.Or(err, warnErr); err != nil {
		return domain.Summary{}, fmt.Errorf("postgres: summary: %w", err)
	}

	domain.RankAgencies(s.Agencies)
	idle := make(map[int64]bool)
	for _, w := range weeks {
		idle[w.Agency.ID] = w.Week == 0
	}
	for _, a := range s.Agencies {
		if idle[a.AgencyID] {
			s.Idle = append(s.Idle, a)
		}
	}
	s.Warnings = warnings
	s.Warnings.Spikes, s.Warnings.MoreSpikes = domain.Listed(db.cal.MonthEndSpikes(day, weeks))
	return s, nil
}

// summaryFigures runs summaryQuery for s.Day and fills s in with its
// figures, agencies unranked; it returns each agency's registrations in the
// week and the weeks before, for the spikes.
func (db *DB) summaryFigures(ctx context.Context, s *domain.Summary, end, weekStart, spikeFrom time.Time) ([]domain.MonthEndSpike, error) {
	rows, err := db.pool.Query(ctx, summaryQuery, s.Day, end, s.Year, weekStart, spikeFrom, countingStates)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var weeks []domain.MonthEndSpike
	for rows.Next() {
		var (
			services, industry, agriculture int
			id                              *int64
			code, nameFa, nameEn            *string
			count, target, week, earlier    *int
			sampled, confirmed, rejected    *int
		)
		err := rows.Scan(&s.Today, &s.TodayEarlier, &services, &industry, &agriculture,
			&s.Sampled, &s.Confirmed, &s.Rejected, &s.DuplicatesToday,
			&s.StallsNewToday, &s.StallsWaiting, &s.StallsAllocated, &s.AllocatedFemaleHead,
			&id, &code, &nameFa, &nameEn, &count, &target, &sampled, &confirmed, &rejected, &week, &earlier)
		if err != nil {
			return nil, err
		}
		s.BySector[domain.SectorServices] = services
		s.BySector[domain.SectorIndustry] = industry
		s.BySector[domain.SectorAgriculture] = agriculture
		s.YearTotal = services + industry + agriculture
		if id == nil { // no active agency
			continue
		}
		a := domain.AgencyProgress{
			AgencyID: *id,
			Code:     *code,
			NameFa:   *nameFa,
			NameEn:   *nameEn,
			Count:    *count,
			Target:   *target,
			Checking: domain.Checking{Sampled: *sampled, Confirmed: *confirmed, Rejected: *rejected},
		}
		s.Agencies = append(s.Agencies, a)
		weeks = append(weeks, domain.MonthEndSpike{
			Agency: domain.Agency{ID: a.AgencyID, NameFa: a.NameFa, NameEn: a.NameEn},
			Week:   *week, Earlier: *earlier,
		})
	}
	return weeks, rows.Err()
}
