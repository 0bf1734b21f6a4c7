package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// checkTarget rejects what the table's constraints would, as domain
// errors: Invalid "target.year", "sector.missing", "sector.unknown" or
// "target.jobs".
func checkTarget(t domain.Target) error {
	switch {
	case t.Year <= 0:
		return domain.Invalid("target.year")
	case t.Sector == "":
		return domain.Invalid("sector.missing")
	case !slices.Contains(domain.Sectors, t.Sector):
		return domain.Invalid("sector.unknown")
	case t.Jobs < 0:
		return domain.Invalid("target.jobs")
	}
	return nil
}

// upsertTarget is the statement of UpsertTargets and SetTarget. It returns
// no row when the stored target already is as given, and otherwise whether
// the row was inserted (xmax is 0 for a row version the statement inserted).
const upsertTarget = `
	INSERT INTO targets (year, agency_id, sector, jobs, updated_at)
	VALUES ($1, $2, $3, $4, now())
	ON CONFLICT (year, agency_id, sector) DO UPDATE SET
		jobs       = EXCLUDED.jobs,
		updated_at = EXCLUDED.updated_at
	WHERE targets.jobs <> EXCLUDED.jobs
	RETURNING xmax = 0`

// UpsertTargets stores yearly targets by (year, agency, sector), all in one
// transaction so a failed import changes nothing, and counts what changed:
// targets already as given count as neither inserted nor updated. Targets
// missing from ts are left alone.
//
// Errors: Invalid "target.year", "sector.missing", "sector.unknown",
// "target.jobs" for a row the table would refuse, Invalid "target.repeated"
// if ts names one (year, agency, sector) twice, NotFound "agency.notfound"
// for an agency id that does not exist.
func (db *DB) UpsertTargets(ctx context.Context, ts []domain.Target) (inserted, updated int, err error) {
	type key struct {
		year   int
		agency int64
		sector domain.Sector
	}
	seen := make(map[key]bool, len(ts))
	for _, t := range ts {
		if err := checkTarget(t); err != nil {
			return 0, 0, err
		}
		k := key{t.Year, t.AgencyID, t.Sector}
		if seen[k] {
			return 0, 0, domain.Invalid("target.repeated")
		}
		seen[k] = true
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		inserted, updated = 0, 0
		// One round trip for all rows; each statement's outcome is read in
		// order.
		b := &pgx.Batch{}
		for _, t := range ts {
			b.Queue(upsertTarget, t.Year, t.AgencyID, string(t.Sector), t.Jobs)
		}
		br := tx.SendBatch(ctx, b)
		for range ts {
			var wasInsert bool
			switch err := br.QueryRow().Scan(&wasInsert); {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				_ = br.Close()
				return agencyNotFound(err)
			case wasInsert:
				inserted++
			default:
				updated++
			}
		}
		return br.Close()
	})
	if err != nil {
		return 0, 0, wrap("upsert targets", err)
	}
	return inserted, updated, nil
}

// SetTarget stores one target, as an admin types it; errors as
// UpsertTargets'.
func (db *DB) SetTarget(ctx context.Context, t domain.Target) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	var wasInsert bool
	err := db.pool.QueryRow(ctx, upsertTarget, t.Year, t.AgencyID, string(t.Sector), t.Jobs).Scan(&wasInsert)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return wrap("set target", agencyNotFound(err))
}

// Targets returns the targets of program year year, by agency id and then
// in the order of domain.Sectors.
func (db *DB) Targets(ctx context.Context, year int) ([]domain.Target, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT year, agency_id, sector, jobs FROM targets
		WHERE year = $1
		ORDER BY agency_id, array_position($2::text[], sector)`,
		year, sectorNames())
	if err != nil {
		return nil, fmt.Errorf("postgres: targets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Target, error) {
		var (
			t      domain.Target
			sector string
		)
		err := row.Scan(&t.Year, &t.AgencyID, &sector, &t.Jobs)
		t.Sector = domain.Sector(sector)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: targets: %w", err)
	}
	return ts, nil
}

// sectorNames is domain.Sectors as text, in their order.
func sectorNames() []string {
	out := make([]string, len(domain.Sectors))
	for i, s := range domain.Sectors {
		out[i] = string(s)
	}
	return out
}
