package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// summaryQuery computes the whole daily summary in one statement, so every
// figure comes from one snapshot and one round trip. Its parameters: $1 and
// $2 bound the day [start, end) in the calendar's zone, $3 is the program
// year, $4 the start of the seven days up to the day (for idle agencies).
// Times are timestamptz compared with timestamptz: the server's and
// session's time zones play no part.
//
// The first row carries the totals; each row (one per active agency, or a
// single row with NULL agency columns when there is none) carries one
// agency's progress. Nothing is read row by row into Go, and every part
// can be an index-only scan (see migration 00004):
//
//   - The year up to the end of the day is all of the year's active
//     placements (year_all) less those registered after the day
//     (year_after, from placements_created_active_idx). year_all is
//     counted from placements_agency_sector_year_idx, small because its
//     entries deduplicate, read whole (all years) in group order; for
//     today's summary year_after is empty. The whole costs a pass over a few MB of index
//     rather than over every row of the year. Until the table has been
//     vacuumed (the visibility map set) the planner rightly prefers a
//     parallel scan of the table: slower, but bounded.
//   - The day's placements and the agencies active in the week are ranges
//     of placements_created_active_idx.
//   - Duplicates and stall requests of the day, waiting and held stalls
//     have an index each.
const summaryQuery = `
	WITH year_all AS MATERIALIZED (
		SELECT agency_id, sector, count(*) AS n
		FROM placements
		WHERE program_year = $3 AND withdrawn_at IS NULL
		GROUP BY agency_id, sector
	), year_after AS MATERIALIZED (
		SELECT agency_id, sector, count(*) AS n
		FROM placements
		WHERE program_year = $3 AND created_at >= $2 AND withdrawn_at IS NULL
		GROUP BY agency_id, sector
	), year_counts AS MATERIALIZED (
		SELECT y.agency_id, y.sector, y.n - COALESCE(f.n, 0) AS n
		FROM year_all y
		LEFT JOIN year_after f ON f.agency_id = y.agency_id AND f.sector = y.sector
	), by_agency AS (
		SELECT agency_id, sum(n) AS n FROM year_counts GROUP BY agency_id
	), agency_targets AS (
		SELECT agency_id, sum(jobs) AS jobs FROM targets WHERE year = $3 GROUP BY agency_id
	), recent AS (
		SELECT DISTINCT agency_id FROM placements
		WHERE created_at >= $4 AND created_at < $2 AND withdrawn_at IS NULL
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
			(SELECT COALESCE(sum(n) FILTER (WHERE sector = 'services'), 0) FROM year_counts) AS services,
			(SELECT COALESCE(sum(n) FILTER (WHERE sector = 'industry'), 0) FROM year_counts) AS industry,
			(SELECT COALESCE(sum(n) FILTER (WHERE sector = 'agriculture'), 0) FROM year_counts) AS agriculture,
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
		       r.agency_id IS NULL AS idle
		FROM agencies a
		LEFT JOIN by_agency c ON c.agency_id = a.id
		LEFT JOIN agency_targets t ON t.agency_id = a.id
		LEFT JOIN recent r ON r.agency_id = a.id
		WHERE a.active
	)
	SELECT t.today, t.today_earlier, t.services::bigint, t.industry::bigint, t.agriculture::bigint, t.duplicates,
	       t.stalls_new, t.stalls_waiting, t.stalls_held, t.held_female_head,
	       p.id, p.code, p.name_fa, p.name_en, p.n::bigint, p.target::bigint, p.idle
	FROM totals t
	LEFT JOIN progress p ON true`

// Summary computes the daily summary of the day starting at day
// (midnight in db's calendar; any instant is taken to its day, StartOfDay).
//
// Year is the program year of the day. Today counts the active placements
// registered on the day, TodayEarlier those of them whose job started in
// an earlier program year; YearTotal and BySector (all three sectors, zero
// included) those of the program year registered up to the end of the day.
// Agencies lists every active agency with its count of the same and the sum
// of its targets for the year, ranked by domain.RankAgencies; Idle are
// those of them that registered no active placement in the seven days
// ending with the day, in rank order. DuplicatesToday counts the refused
// registrations of the day, StallsNewToday the stall requests made on it.
// StallsWaiting, StallsAllocated (offered or accepted) and
// AllocatedFemaleHead are the year's stall requests as they stand now: the
// store keeps no history of their states.
//
// Withdrawn placements count nowhere, even if withdrawn after the day.
func (db *DB) Summary(ctx context.Context, day time.Time) (domain.Summary, error) {
	day = db.cal.StartOfDay(day)
	y, m, d := day.Date() // in the calendar's zone
	end := db.cal.Date(y, m, d+1)
	weekStart := db.cal.Date(y, m, d-6)
	s := domain.Summary{
		Day:      day,
		Year:     db.cal.ProgramYear(day),
		BySector: make(map[domain.Sector]int, len(domain.Sectors)),
	}

	rows, err := db.pool.Query(ctx, summaryQuery, day, end, s.Year, weekStart)
	if err != nil {
		return domain.Summary{}, fmt.Errorf("postgres: summary: %w", err)
	}
	defer rows.Close()
	idle := make(map[int64]bool)
	for rows.Next() {
		var (
			services, industry, agriculture int
			id                              *int64
			code, nameFa, nameEn            *string
			count, target                   *int
			isIdle                          *bool
		)
		err := rows.Scan(&s.Today, &s.TodayEarlier, &services, &industry, &agriculture, &s.DuplicatesToday,
			&s.StallsNewToday, &s.StallsWaiting, &s.StallsAllocated, &s.AllocatedFemaleHead,
			&id, &code, &nameFa, &nameEn, &count, &target, &isIdle)
		if err != nil {
			return domain.Summary{}, fmt.Errorf("postgres: summary: %w", err)
		}
		s.BySector[domain.SectorServices] = services
		s.BySector[domain.SectorIndustry] = industry
		s.BySector[domain.SectorAgriculture] = agriculture
		s.YearTotal = services + industry + agriculture
		if id == nil { // no active agency
			continue
		}
		s.Agencies = append(s.Agencies, domain.AgencyProgress{
			AgencyID: *id,
			Code:     *code,
			NameFa:   *nameFa,
			NameEn:   *nameEn,
			Count:    *count,
			Target:   *target,
		})
		idle[*id] = *isIdle
	}
	if err := rows.Err(); err != nil {
		return domain.Summary{}, fmt.Errorf("postgres: summary: %w", err)
	}

	domain.RankAgencies(s.Agencies)
	for _, a := range s.Agencies {
		if idle[a.AgencyID] {
			s.Idle = append(s.Idle, a)
		}
	}
	return s, nil
}
