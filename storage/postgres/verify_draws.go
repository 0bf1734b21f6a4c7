package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// DrawSample draws the sample of the placements registered from from
// (inclusive) to to (exclusive) that nobody has sampled yet, with seed and
// share (domain.DrawSample), at now by by (0: the weekly job). The drawn
// placements wait for a call from callAt. A period is drawn once: drawing it
// again, or two replicas drawing it at once, returns the first draw and
// false.
func (db *DB) DrawSample(ctx context.Context, from, to time.Time, seed int64, share float64, by int64, now, callAt time.Time) (domain.Draw, bool, error) {
	var (
		d     domain.Draw
		fresh bool
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// One drawer per period; the other waits here, then finds the row.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('verify_draw'), $1::int)`, from.Unix()/86400); err != nil {
			return err
		}
		existing, err := db.drawWhere(ctx, tx, `period_from = $1 AND period_to = $2`, from, to)
		if err == nil {
			d = existing
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT id, agency_id FROM placements
			WHERE created_at >= $1 AND created_at < $2 AND withdrawn_at IS NULL AND verification = 'not_sampled'
			ORDER BY agency_id, id`, from, to)
		if err != nil {
			return err
		}
		var ids, agencies []int64
		d = domain.Draw{From: from, To: to, Seed: seed, Share: share, DrawnAt: now, DrawnBy: by}
		for rows.Next() {
			var c domain.Candidate
			if err := rows.Scan(&c.PlacementID, &c.AgencyID); err != nil {
				return err
			}
			d.Candidates = append(d.Candidates, c)
			ids, agencies = append(ids, c.PlacementID), append(agencies, c.AgencyID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		d.Sample = domain.DrawSample(seed, share, d.Candidates)
		if ids == nil {
			ids, agencies = []int64{}, []int64{}
		}
		sample := d.Sample
		if sample == nil {
			sample = []int64{}
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO verify_draws (period_from, period_to, seed, share, candidates, agencies, sample, drawn_at, drawn_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			from, to, seed, share, ids, agencies, sample, now, nullID(by)).Scan(&d.ID)
		if err != nil {
			return err
		}
		fresh = true
		return db.sample(ctx, tx, sample, d.ID, by, domain.OutcomeDrawn, now, callAt)
	})
	if err != nil {
		return domain.Draw{}, false, wrap("draw sample", err)
	}
	return d, fresh, nil
}

// sample puts placements ids, not yet sampled, in the call queue from
// callAt, under draw drawID (0: none), with an audit row each.
func (db *DB) sample(ctx context.Context, q querier, ids []int64, drawID, by int64, why domain.Outcome, now, callAt time.Time) error {
	_, err := q.Exec(ctx, `
		WITH picked AS (
			UPDATE placements SET verification = 'waiting'
			WHERE id = ANY($1) AND verification = 'not_sampled' AND withdrawn_at IS NULL
			RETURNING id
		), checks AS (
			INSERT INTO verify_checks (placement_id, draw_id, stage, next_at, created_at)
			SELECT id, $2, 'call', $3, $4 FROM picked
		)
		INSERT INTO verify_events (placement_id, at, by, stage, outcome)
		SELECT id, $4, $5, 'sample', $6 FROM picked`,
		ids, nullID(drawID), callAt, now, nullID(by), string(why))
	return err
}

// Draw is draw id with its candidates and sample, for an auditor to redo;
// NotFound "verify.draw_notfound".
func (db *DB) Draw(ctx context.Context, id int64) (domain.Draw, error) {
	d, err := db.drawWhere(ctx, db.pool, `id = $1`, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Draw{}, domain.NotFound("verify.draw_notfound")
	}
	return d, wrap("draw", err)
}

// Draws lists the last limit draws, newest first.
func (db *DB) Draws(ctx context.Context, limit int) ([]domain.Draw, error) {
	rows, err := db.pool.Query(ctx, drawSelect+`ORDER BY period_from DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("draws", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Draw, error) { return scanDraw(row) })
	return out, wrap("draws", err)
}

const drawSelect = `
	SELECT id, period_from, period_to, seed, share, candidates, agencies, sample, drawn_at, COALESCE(drawn_by, 0)
	FROM verify_draws `

func (db *DB) drawWhere(ctx context.Context, q querier, where string, args ...any) (domain.Draw, error) {
	return scanDraw(q.QueryRow(ctx, drawSelect+`WHERE `+where, args...))
}

func scanDraw(row pgx.Row) (domain.Draw, error) {
	var (
		d             domain.Draw
		ids, agencies []int64
	)
	err := row.Scan(&d.ID, &d.From, &d.To, &d.Seed, &d.Share, &ids, &agencies, &d.Sample, &d.DrawnAt, &d.DrawnBy)
	if err != nil {
		return domain.Draw{}, err
	}
	if len(ids) != len(agencies) {
		return domain.Draw{}, fmt.Errorf("draw %d: %d candidates, %d agencies", d.ID, len(ids), len(agencies))
	}
	d.Candidates = make([]domain.Candidate, len(ids))
	for i := range ids {
		d.Candidates[i] = domain.Candidate{PlacementID: ids[i], AgencyID: agencies[i]}
	}
	return d, nil
}
