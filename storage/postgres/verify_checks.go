package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// The checking queues: a sampled placement waits in verify_checks for a
// call or a visit; each step is one row of verify_events; the state is
// placements.verification. Every change goes through RecordCheck, which
// applies the domain's rule (domain.Check.Apply) inside one transaction.

const checkColumns = `c.placement_id, COALESCE(c.draw_id, 0), p.verification, c.stage, c.attempts, c.next_at,
	COALESCE(c.held_by, 0), c.held_until, c.last_outcome, c.asked_at, c.told_at`

func scanCheck(row pgx.Row) (domain.Check, error) {
	var (
		c                      domain.Check
		heldUntil, asked, told *time.Time
	)
	err := row.Scan(&c.PlacementID, &c.DrawID, &c.State, &c.Stage, &c.Attempts, &c.NextAt,
		&c.HeldBy, &heldUntil, &c.LastOutcome, &asked, &told)
	c.HeldUntil, c.AskedAt, c.ToldAt = deref(heldUntil), deref(asked), deref(told)
	return c, err
}

// Check is placement id's check; NotFound "verify.not_sampled" when it was
// never sampled.
func (db *DB) Check(ctx context.Context, id int64) (domain.Check, error) {
	c, err := scanCheck(db.pool.QueryRow(ctx, `
		SELECT `+checkColumns+` FROM verify_checks c JOIN placements p ON p.id = c.placement_id
		WHERE c.placement_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Check{}, domain.NotFound("verify.not_sampled")
	}
	return c, wrap("check", err)
}

// AddToSample puts placement id, or when id is 0 every placement of agency
// agencyID in program year, in the sample at now on behalf of admin by; they
// wait for a call from callAt. Placements sampled already stay as they are.
// It returns how many were added.
func (db *DB) AddToSample(ctx context.Context, id, agencyID int64, year int, by int64, now, callAt time.Time) (int, error) {
	var ids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id FROM placements
			WHERE verification = 'not_sampled' AND withdrawn_at IS NULL
			  AND (id = $1 OR ($1 = 0 AND agency_id = $2 AND program_year = $3))
			FOR NO KEY UPDATE`, id, agencyID, year)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		return db.sample(ctx, tx, ids, 0, by, domain.OutcomeAdded, now, callAt)
	})
	return len(ids), wrap("add to sample", err)
}

// NextCheck hands holder the next record waiting at stage (StageCall or
// StageField) and holds it for them until now+hold: two holders never get
// the same record, and one left open goes back to the queue when the hold
// ends. A holder who already has one in hand gets that one again. Records
// due first come first. NotFound "verify.queue_empty" when none is due.
func (db *DB) NextCheck(ctx context.Context, stage domain.Stage, holder int64, now time.Time, hold time.Duration) (domain.Check, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `
		WITH mine AS (
			SELECT placement_id FROM verify_checks
			WHERE stage = $1 AND held_by = $2 AND held_until > $3
			LIMIT 1
		), next AS (
			SELECT c.placement_id FROM verify_checks c JOIN placements p ON p.id = c.placement_id
			WHERE c.stage = $1 AND c.next_at <= $3 AND (c.held_until IS NULL OR c.held_until <= $3)
			  AND p.withdrawn_at IS NULL AND NOT EXISTS (SELECT 1 FROM mine)
			ORDER BY c.next_at, c.placement_id
			LIMIT 1
			FOR UPDATE OF c SKIP LOCKED
		)
		UPDATE verify_checks SET held_by = $2, held_until = $4
		WHERE placement_id = (SELECT placement_id FROM mine UNION ALL SELECT placement_id FROM next LIMIT 1)
		RETURNING placement_id`,
		string(stage), holder, now, now.Add(hold)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Check{}, domain.NotFound("verify.queue_empty")
	}
	if err != nil {
		return domain.Check{}, wrap("next check", err)
	}
	return db.Check(ctx, id)
}

// RecordCheck records ev, one step of checking its placement at ev.At, and
// returns the check as it then stands (domain.Check.Apply decides). A
// verifier's or inspector's step needs the record in their hand. A person's
// answer about a placement never sampled samples it. A step whose ev.Key was
// recorded before is not recorded again: the check is returned as it stands.
//
// Errors: those of Apply; NotFound "verify.not_sampled"; Conflict
// "verify.not_held" when the record is in someone else's hand.
func (db *DB) RecordCheck(ctx context.Context, ev domain.VerifyEvent) (domain.Check, error) {
	var out domain.Check
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if ev.Key != "" {
			var done bool
			err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM verify_events WHERE key = $1)`, ev.Key).Scan(&done)
			if err != nil {
				return err
			}
			if done {
				var err error
				out, err = db.lockedCheck(ctx, tx, ev.PlacementID)
				return err
			}
		}
		if ev.Stage == domain.StagePerson {
			// The person may answer about a record nobody drew.
			err := db.sample(ctx, tx, []int64{ev.PlacementID}, 0, ev.By, domain.OutcomeAdded, ev.At, ev.At)
			if err != nil {
				return err
			}
		}
		c, err := db.lockedCheck(ctx, tx, ev.PlacementID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.NotFound("verify.not_sampled")
		}
		if err != nil {
			return err
		}
		if (ev.Stage == domain.StageCall || ev.Stage == domain.StageField) && c.Stage == ev.Stage && c.HeldBy != ev.By {
			return domain.Conflict("verify.not_held")
		}
		if out, err = c.Apply(ev.Stage, ev.Outcome, ev.At); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH chk AS (
				UPDATE verify_checks SET stage = $2, attempts = $3, next_at = $4, last_outcome = $5,
					held_by = NULL, held_until = NULL
				WHERE placement_id = $1
			), state AS (
				UPDATE placements SET verification = $6 WHERE id = $1
			)
			INSERT INTO verify_events (placement_id, at, by, stage, outcome, note, location, photo, key)
			VALUES ($1, $7, $8, $9, $5, $10, $11, $12, $13)`,
			out.PlacementID, string(out.Stage), out.Attempts, out.NextAt, string(out.LastOutcome), string(out.State),
			ev.At, nullID(ev.By), string(ev.Stage), ev.Note, ev.Location, ev.Photo, nullKey(ev.Key))
		if violates(err, "verify_events_key") {
			// The same step, recorded at this instant by another delivery.
			return errRetryKey
		}
		return err
	})
	if errors.Is(err, errRetryKey) {
		return db.Check(ctx, ev.PlacementID)
	}
	if err != nil {
		return domain.Check{}, wrap("record check", err)
	}
	return out, nil
}

// errRetryKey rolls back a step recorded meanwhile under the same key.
var errRetryKey = errors.New("step recorded under its key meanwhile")

func (db *DB) lockedCheck(ctx context.Context, tx pgx.Tx, id int64) (domain.Check, error) {
	return scanCheck(tx.QueryRow(ctx, `
		SELECT `+checkColumns+` FROM verify_checks c JOIN placements p ON p.id = c.placement_id
		WHERE c.placement_id = $1 FOR NO KEY UPDATE OF c, p`, id))
}

const eventColumns = `placement_id, at, COALESCE(by, 0), stage, outcome, note, location, photo, COALESCE(key, '')`

func scanEvent(row pgx.Row) (domain.VerifyEvent, error) {
	var e domain.VerifyEvent
	err := row.Scan(&e.PlacementID, &e.At, &e.By, &e.Stage, &e.Outcome, &e.Note, &e.Location, &e.Photo, &e.Key)
	return e, err
}

// VerifyEvents is placement id's audit trail, oldest first.
func (db *DB) VerifyEvents(ctx context.Context, id int64) ([]domain.VerifyEvent, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+eventColumns+` FROM verify_events WHERE placement_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, wrap("verify events", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.VerifyEvent, error) { return scanEvent(row) })
	return out, wrap("verify events", err)
}

// VerifyEventBySubmission is the step recorded under key; NotFound
// "verify.event_notfound".
func (db *DB) VerifyEventBySubmission(ctx context.Context, key string) (domain.VerifyEvent, error) {
	e, err := scanEvent(db.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM verify_events WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.VerifyEvent{}, domain.NotFound("verify.event_notfound")
	}
	return e, wrap("verify event by submission", err)
}

// ClaimTold marks placement id's rejection as told to its liaison at now
// and reports whether this caller should tell: true once per rejection.
func (db *DB) ClaimTold(ctx context.Context, id int64, now time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `
		WITH told AS (
			UPDATE verify_checks c SET told_at = $2
			FROM placements p
			WHERE c.placement_id = $1 AND p.id = c.placement_id AND p.verification = 'rejected' AND c.told_at IS NULL
			RETURNING c.placement_id
		)
		INSERT INTO verify_events (placement_id, at, stage, outcome)
		SELECT placement_id, $2, 'done', 'told' FROM told`, id, now)
	if err != nil {
		return false, wrap("claim told", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UntoldRejections lists placements rejected and not yet told to their
// liaison, at most limit.
func (db *DB) UntoldRejections(ctx context.Context, limit int) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT c.placement_id FROM verify_checks c JOIN placements p ON p.id = c.placement_id
		WHERE p.verification = 'rejected' AND c.told_at IS NULL AND c.stage = 'done'
		ORDER BY c.placement_id LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("untold rejections", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("untold rejections", err)
}

// Contested lists the checks whose rejection awaits an admin's decision.
func (db *DB) Contested(ctx context.Context) ([]domain.Check, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+checkColumns+` FROM verify_checks c JOIN placements p ON p.id = c.placement_id
		WHERE c.stage = 'review' ORDER BY c.placement_id`)
	if err != nil {
		return nil, wrap("contested", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Check, error) { return scanCheck(row) })
	return out, wrap("contested", err)
}

// Unasked lists sampled placements, with a mobile, waiting for their first
// call, whose person was neither sent a message nor has answered; at most
// limit.
func (db *DB) Unasked(ctx context.Context, limit int) ([]domain.Placement, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+placementColumns+` FROM placements
		WHERE id IN (
			SELECT c.placement_id FROM verify_checks c JOIN placements p ON p.id = c.placement_id
			WHERE c.asked_at IS NULL AND c.stage = 'call' AND c.attempts = 0 AND c.last_outcome = ''
			  AND p.mobile IS NOT NULL AND p.withdrawn_at IS NULL
			ORDER BY c.placement_id LIMIT $1)
		ORDER BY id`, limit)
	if err != nil {
		return nil, wrap("unasked", err)
	}
	out, err := db.collectPlacements(rows)
	return out, wrap("unasked", err)
}

// MarkAsked records that placement id's person was sent one message at
// now, and reports whether it was not recorded before.
func (db *DB) MarkAsked(ctx context.Context, id int64, now time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `
		WITH asked AS (
			UPDATE verify_checks SET asked_at = $2 WHERE placement_id = $1 AND asked_at IS NULL
			RETURNING placement_id
		)
		INSERT INTO verify_events (placement_id, at, stage, outcome)
		SELECT placement_id, $2, 'person', 'asked' FROM asked`, id, now)
	if err != nil {
		return false, wrap("mark asked", err)
	}
	return tag.RowsAffected() == 1, nil
}
