package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/rasad-gov/rasad/domain"
)

// exportWhere is the WHERE clause selecting f's active placements, with its
// arguments numbered from $1. Only the conditions f sets are written, so
// each filter gets the plan that suits it. Dates are f's days in db's
// calendar.
func (db *DB) exportWhere(f domain.ExportFilter) (string, []any, error) {
	if f.Sector != "" && !slices.Contains(domain.Sectors, f.Sector) {
		return "", nil, domain.Invalid("sector.unknown")
	}
	conds := []string{"withdrawn_at IS NULL"}
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("start_date >= ?", db.date(f.From))
	}
	if !f.To.IsZero() {
		add("start_date < ?", db.date(f.To))
	}
	if f.AgencyID != 0 {
		add("agency_id = ?", f.AgencyID)
	}
	if f.Sector != "" {
		add("sector = ?", string(f.Sector))
	}
	return strings.Join(conds, " AND "), args, nil
}

// checkSteps are the outcomes a step of checking records (RecordCheck),
// as against drawing, asking the person and telling the liaison: an
// export's "checked on" is the time of the last of them.
var checkSteps = func() []string {
	out := []string{string(domain.OutcomeContested)}
	for _, st := range []domain.Stage{domain.StagePerson, domain.StageCall, domain.StageField, domain.StageReview} {
		for _, o := range domain.StageOutcomes(st) {
			if !slices.Contains(out, string(o)) {
				out = append(out, string(o))
			}
		}
	}
	return out
}()

// ExportPlacements calls fn with each active placement whose start date is
// in [f.From, f.To) (their days in db's calendar; a zero bound is open),
// of agency f.AgencyID and sector f.Sector when they are set, with its agency's
// Persian name and its checking (domain.ExportRow), in order of start date
// and then id. Rows are read from the
// database as fn consumes them, never gathered, so an export of any size
// holds one row at a time; the connection is held until the last.
//
// An error from fn stops the export and is returned as it is. An unknown
// sector is Invalid "sector.unknown".
func (db *DB) ExportPlacements(ctx context.Context, f domain.ExportFilter, fn func(r domain.ExportRow) error) error {
	where, args, err := db.exportWhere(f)
	if err != nil {
		return err
	}
	// Stopping early cancels the query rather than reading the rest of
	// its rows to the end (the connection is then replaced).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Only a sampled placement has a check to look up: the condition on
	// the outer row is tested once, before the lookup.
	rows, err := db.pool.Query(ctx, `
		SELECT `+placementColumns+`, (SELECT a.name_fa FROM agencies a WHERE a.id = placements.agency_id),
		       COALESCE(v.stage, ''), COALESCE(v.outcome, ''), v.at
		FROM placements
		LEFT JOIN LATERAL (
			SELECT c.stage, c.last_outcome,
			       (SELECT max(e.at) FROM verify_events e
			        WHERE e.placement_id = c.placement_id AND e.outcome = ANY($`+strconv.Itoa(len(args)+1)+`))
			FROM verify_checks c
			WHERE c.placement_id = placements.id AND placements.verification <> 'not_sampled'
		) v (stage, outcome, at) ON true
		WHERE `+where+`
		ORDER BY start_date, id`, append(args, checkSteps)...)
	if err != nil {
		return fmt.Errorf("postgres: export placements: %w", err)
	}
	defer rows.Close()
	var (
		r         domain.ExportRow
		checkedAt *time.Time
	)
	scanner := db.newPlacementScanner()
	for rows.Next() {
		p, err := scanner.scan(scanAround{row: rows, after: []any{&r.AgencyFa, &r.Stage, &r.LastOutcome, &checkedAt}})
		if err != nil {
			return fmt.Errorf("postgres: export placements: %w", err)
		}
		r.Placement, r.CheckedAt = p, time.Time{}
		if checkedAt != nil {
			r.CheckedAt = *checkedAt
		}
		if err := fn(r); err != nil {
			cancel()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: export placements: %w", err)
	}
	return nil
}

// ExportTotals counts the placements ExportPlacements would give for f by
// agency and sector that count toward a target (a rejected one does not),
// with their checking (rejected ones included) and the agency's target in
// that sector summed over the program years f's dates span. A bound left open is taken from
// the placements found: with no From, the years start at the earliest
// start date's; with no To they end at the latest's. A sector with a
// target but nothing placed is listed too, for active agencies, with a
// count of 0; one with neither is not.
//
// Totals come in Persian alphabetical order of agency, then in the order
// of domain.Sectors. An unknown sector is Invalid "sector.unknown".
func (db *DB) ExportTotals(ctx context.Context, f domain.ExportFilter) ([]domain.ExportTotal, error) {
	where, args, err := db.exportWhere(f)
	if err != nil {
		return nil, err
	}
	years, err := db.exportYears(ctx, f, where, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: export totals: %w", err)
	}

	// Targets are narrowed like the placements.
	n := len(args)
	targetConds := "year = ANY($" + strconv.Itoa(n+1) + ")"
	args = append(args, years)
	if f.AgencyID != 0 {
		targetConds += " AND agency_id = $" + strconv.Itoa(n+2)
		args = append(args, f.AgencyID)
	}
	if f.Sector != "" {
		targetConds += " AND sector = $" + strconv.Itoa(len(args)+1)
		args = append(args, string(f.Sector))
	}
	counting := "$" + strconv.Itoa(len(args)+1)
	args = append(args, countingStates)
	rows, err := db.pool.Query(ctx, `
		WITH counts AS (
			SELECT agency_id, sector,
			       count(*) FILTER (WHERE verification = ANY(`+counting+`)) AS n,
			       count(*) FILTER (WHERE verification <> 'not_sampled') AS sampled,
			       count(*) FILTER (WHERE verification = 'confirmed') AS confirmed,
			       count(*) FILTER (WHERE NOT verification = ANY(`+counting+`)) AS rejected
			FROM placements
			WHERE `+where+`
			GROUP BY agency_id, sector
		), goals AS (
			SELECT agency_id, sector, sum(jobs) AS jobs FROM targets
			WHERE `+targetConds+`
			GROUP BY agency_id, sector
		)
		SELECT a.id, a.name_fa, a.name_en, COALESCE(c.sector, g.sector),
		       COALESCE(c.n, 0), COALESCE(g.jobs, 0)::bigint,
		       COALESCE(c.sampled, 0), COALESCE(c.confirmed, 0), COALESCE(c.rejected, 0)
		FROM counts c
		FULL JOIN goals g ON g.agency_id = c.agency_id AND g.sector = c.sector
		JOIN agencies a ON a.id = COALESCE(c.agency_id, g.agency_id)
		WHERE c.n IS NOT NULL OR (a.active AND g.jobs > 0)`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: export totals: %w", err)
	}
	defer rows.Close()
	var out []domain.ExportTotal
	for rows.Next() {
		var (
			t      domain.ExportTotal
			sector string
		)
		if err := rows.Scan(&t.AgencyID, &t.AgencyFa, &t.AgencyEn, &sector, &t.Count, &t.Target,
			&t.Sampled, &t.Confirmed, &t.Rejected); err != nil {
			return nil, fmt.Errorf("postgres: export totals: %w", err)
		}
		t.Sector = domain.Sector(sector)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: export totals: %w", err)
	}
	c := collate.New(language.Persian)
	slices.SortFunc(out, func(a, b domain.ExportTotal) int {
		return cmp.Or(
			c.CompareString(a.AgencyFa, b.AgencyFa),
			cmp.Compare(a.AgencyID, b.AgencyID),
			slices.Index(domain.Sectors, a.Sector)-slices.Index(domain.Sectors, b.Sector),
		)
	})
	return out, nil
}

// exportYears lists the program years from f.From's to that of the last
// day before f.To, open bounds taken from the start dates of the
// placements where selects. It is empty when the range is.
func (db *DB) exportYears(ctx context.Context, f domain.ExportFilter, where string, args []any) ([]int32, error) {
	var lo, hi int
	if !f.From.IsZero() {
		lo = db.cal.ProgramYear(f.From)
	}
	if !f.To.IsZero() {
		// The last day of the range: the day before To's.
		y, m, d := db.cal.In(f.To).Date()
		hi = db.cal.ProgramYear(db.cal.Date(y, m, d-1))
	}
	if f.From.IsZero() || f.To.IsZero() {
		var first, last pgtype.Date
		err := db.pool.QueryRow(ctx, `SELECT min(start_date), max(start_date) FROM placements WHERE `+where,
			args...).Scan(&first, &last)
		if err != nil {
			return nil, err
		}
		switch {
		case !first.Valid && lo == 0 && hi == 0:
			return nil, nil
		case !first.Valid && lo == 0:
			lo = hi
		case !first.Valid && hi == 0:
			hi = lo
		}
		if lo == 0 {
			lo = db.cal.ProgramYear(db.day(first))
		}
		if hi == 0 {
			hi = db.cal.ProgramYear(db.day(last))
		}
	}
	var years []int32
	for y := lo; y <= hi; y++ {
		years = append(years, int32(y))
	}
	return years, nil
}
