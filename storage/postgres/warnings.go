package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// The summary's warnings of one mobile on many placements and one employer
// with many placements in a day. Each query lists domain.WarnListed groups,
// the most placements first, and counts the rest; every listed group
// carries the agencies that registered it, the most first, as three
// arrays (ids, Persian and English names).

// agenciesOf aggregates the agencies of the placements a group's rows,
// by agency, hold: a subquery over a relation g(agency_id, n).
const agenciesOf = `
	SELECT array_agg(a.id ORDER BY g.n DESC, a.id), array_agg(a.name_fa ORDER BY g.n DESC, a.id),
	       array_agg(a.name_en ORDER BY g.n DESC, a.id)
	FROM g JOIN agencies a ON a.id = g.agency_id`

// sharedMobilesQuery: $1 the program year, $2 the end of the day, $3
// domain.WarnSharedMobile, $4 domain.WarnListed. The counting is an
// index-only scan of placements_mobile_idx (00010).
const sharedMobilesQuery = `
	WITH shared AS MATERIALIZED (
		SELECT mobile, count(*) AS n FROM placements
		WHERE program_year = $1 AND mobile IS NOT NULL AND withdrawn_at IS NULL AND created_at < $2
		GROUP BY mobile
		HAVING count(*) > $3
	), listed AS (
		SELECT mobile, n FROM shared ORDER BY n DESC, mobile LIMIT $4
	)
	SELECT l.mobile, l.n, (SELECT count(*) FROM shared) - (SELECT count(*) FROM listed), ag.*
	FROM listed l, LATERAL (
		WITH g AS (
			SELECT agency_id, count(*) AS n FROM placements
			WHERE program_year = $1 AND mobile = l.mobile AND withdrawn_at IS NULL AND created_at < $2
			GROUP BY agency_id
		)` + agenciesOf + `
	) ag
	ORDER BY l.n DESC, l.mobile`

// busyEmployersQuery: $1 and $2 bound the day, $3 domain.WarnEmployerDay,
// $4 domain.WarnListed. An employer is known by its name with case,
// spaces and half-spaces (ZWNJ) set aside, so "سالن یاس", "سالن‌یاس" and
// "سالنیاس" are one; it is shown as most of its placements write it. The
// day's placements are a range of placements_created_active_idx.
const busyEmployersQuery = `
	WITH day AS MATERIALIZED (
		SELECT translate(lower(employer), ' ' || U&'\200C', '') AS key, employer, agency_id
		FROM placements
		WHERE created_at >= $1 AND created_at < $2 AND withdrawn_at IS NULL
	), busy AS MATERIALIZED (
		SELECT key, mode() WITHIN GROUP (ORDER BY employer) AS employer, count(*) AS n
		FROM day GROUP BY key
		HAVING count(*) >= $3
	), listed AS (
		SELECT key, employer, n FROM busy ORDER BY n DESC, employer LIMIT $4
	)
	SELECT l.employer, l.n, (SELECT count(*) FROM busy) - (SELECT count(*) FROM listed), ag.*
	FROM listed l, LATERAL (
		WITH g AS (
			SELECT agency_id, count(*) AS n FROM day WHERE key = l.key GROUP BY agency_id
		)` + agenciesOf + `
	) ag
	ORDER BY l.n DESC, l.employer`

// warningGroup is one row of either query.
type warningGroup struct {
	label    string
	n, more  int
	agencies []domain.Agency
}

func queryWarningGroups(ctx context.Context, q querier, sql string, args ...any) ([]warningGroup, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (warningGroup, error) {
		var (
			g      warningGroup
			ids    []int64
			fa, en []string
		)
		if err := row.Scan(&g.label, &g.n, &g.more, &ids, &fa, &en); err != nil {
			return g, err
		}
		if len(fa) != len(ids) || len(en) != len(ids) {
			return g, fmt.Errorf("warning %d agencies, %d and %d names", len(ids), len(fa), len(en))
		}
		for i, id := range ids {
			g.agencies = append(g.agencies, domain.Agency{ID: id, NameFa: fa[i], NameEn: en[i]})
		}
		return g, nil
	})
}

// summaryWarnings finds the shared mobiles of program year year up to
// end, and the busy employers of the day [day, end). The spikes come from
// the summary query, which counts each agency's weeks anyway.
func (db *DB) summaryWarnings(ctx context.Context, q querier, day, end time.Time, year int) (domain.Warnings, error) {
	var w domain.Warnings
	mobiles, err := queryWarningGroups(ctx, q, sharedMobilesQuery, year, end, domain.WarnSharedMobile, domain.WarnListed)
	if err != nil {
		return w, fmt.Errorf("shared mobiles: %w", err)
	}
	for _, g := range mobiles {
		w.Mobiles = append(w.Mobiles, domain.SharedMobile{Mobile: domain.Mobile(g.label), Placements: g.n, Agencies: g.agencies})
		w.MoreMobiles = g.more
	}
	employers, err := queryWarningGroups(ctx, q, busyEmployersQuery, day, end, domain.WarnEmployerDay, domain.WarnListed)
	if err != nil {
		return w, fmt.Errorf("busy employers: %w", err)
	}
	for _, g := range employers {
		w.Employers = append(w.Employers, domain.BusyEmployer{Employer: g.label, Placements: g.n, Agencies: g.agencies})
		w.MoreEmployers = g.more
	}
	return w, nil
}
