package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

const requestColumns = `id, telegram_id, agency_id, full_name, position, phone, status,
	COALESCE(invite_code, ''), decided_by, decided_at, created_at, COALESCE(submission, '')`

// constraintRequestSubmission is the unique index on liaison requests'
// submission keys, as a unique violation names it.
const constraintRequestSubmission = "liaison_requests_submission"

func scanRequest(row pgx.Row) (domain.LiaisonRequest, error) {
	var (
		r         domain.LiaisonRequest
		phone     string
		decidedBy *int64
		decidedAt *time.Time
	)
	err := row.Scan(&r.ID, &r.UserID, &r.AgencyID, &r.FullName, &r.Position, &phone, &r.Status,
		&r.InviteCode, &decidedBy, &decidedAt, &r.CreatedAt, &r.Submission)
	r.Phone = domain.Mobile(phone)
	r.DecidedBy = deref(decidedBy)
	r.DecidedAt = deref(decidedAt)
	return r, err
}

// CreateLiaisonRequest stores r as a pending request and returns it with its
// id. The applicant's user row takes the name and phone they gave.
//
// r.Submission, when set, is the key of the conversation submitting it: if
// a request was already stored under it (the same submit delivered again
// after a crash, or twice at once), that request is returned, as it now
// stands, with a nil error and nothing written.
//
// Errors: r.Validate's; NotFound "agency.notfound" if the agency does not
// exist or is inactive; Conflict "liaison.pending" if the user already has
// a pending request.
func (db *DB) CreateLiaisonRequest(ctx context.Context, r domain.LiaisonRequest) (domain.LiaisonRequest, error) {
	if err := r.Validate(); err != nil {
		return domain.LiaisonRequest{}, err
	}
	var createdAt *time.Time
	if !r.CreatedAt.IsZero() {
		createdAt = &r.CreatedAt
	}
	var out domain.LiaisonRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := upsertUser(ctx, tx, r.UserID, r.FullName, string(r.Phone), ""); err != nil {
			return err
		}
		// No check for an existing pending request first: two taps at once
		// would both pass it. The partial unique index decides instead.
		var err error
		out, err = scanRequest(tx.QueryRow(ctx, `
			INSERT INTO liaison_requests (telegram_id, agency_id, full_name, position, phone, created_at, submission)
			SELECT $1, id, $3, $4, $5, COALESCE($6, now()), $7 FROM agencies WHERE id = $2 AND active
			RETURNING `+requestColumns,
			r.UserID, r.AgencyID, r.FullName, r.Position, string(r.Phone), createdAt, nullKey(r.Submission)))
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.NotFound("agency.notfound")
		}
		if violates(err, "liaison_requests_one_pending") {
			return domain.Wrap(domain.KindConflict, "liaison.pending", err)
		}
		return err
	})
	db.changedUser(r.UserID)
	// A repeated submit collides with its own request: on the pending one
	// while it waits, on the submission key once it is decided. Either
	// insert waited for the request to commit, so a new statement sees it.
	if r.Submission != "" && (domain.CodeOf(err) == "liaison.pending" || violates(err, constraintRequestSubmission)) {
		if own, ownErr := db.LiaisonRequestBySubmission(ctx, r.Submission); ownErr == nil {
			return own, nil
		} else if !domain.IsKind(ownErr, domain.KindNotFound) {
			return domain.LiaisonRequest{}, ownErr
		}
	}
	if err != nil {
		return domain.LiaisonRequest{}, wrap("create liaison request", err)
	}
	return out, nil
}

// LiaisonRequestBySubmission returns the request stored by the submit with
// key, in whatever state it now is, or a NotFound "liaison.notfound" error
// (also for the empty key, which is no submit's).
func (db *DB) LiaisonRequestBySubmission(ctx context.Context, key string) (domain.LiaisonRequest, error) {
	if key == "" {
		return domain.LiaisonRequest{}, domain.NotFound("liaison.notfound")
	}
	r, err := requestBySubmission(ctx, db.pool, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.LiaisonRequest{}, domain.NotFound("liaison.notfound")
	}
	if err != nil {
		return domain.LiaisonRequest{}, fmt.Errorf("postgres: liaison request by submission: %w", err)
	}
	return r, nil
}

// requestBySubmission returns the request stored under key, or
// pgx.ErrNoRows.
func requestBySubmission(ctx context.Context, q querier, key string) (domain.LiaisonRequest, error) {
	return scanRequest(q.QueryRow(ctx, `SELECT `+requestColumns+` FROM liaison_requests WHERE submission = $1`, key))
}

// LiaisonRequest returns request id, or a NotFound "liaison.notfound" error.
func (db *DB) LiaisonRequest(ctx context.Context, id int64) (domain.LiaisonRequest, error) {
	r, err := scanRequest(db.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM liaison_requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.LiaisonRequest{}, domain.NotFound("liaison.notfound")
	}
	if err != nil {
		return domain.LiaisonRequest{}, fmt.Errorf("postgres: liaison request: %w", err)
	}
	return r, nil
}

// PendingLiaisonRequest returns user userID's pending request, or a NotFound
// "liaison.notfound" error if they have none.
func (db *DB) PendingLiaisonRequest(ctx context.Context, userID int64) (domain.LiaisonRequest, error) {
	r, err := scanRequest(db.pool.QueryRow(ctx, `
		SELECT `+requestColumns+` FROM liaison_requests WHERE telegram_id = $1 AND status = 'pending'`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.LiaisonRequest{}, domain.NotFound("liaison.notfound")
	}
	if err != nil {
		return domain.LiaisonRequest{}, fmt.Errorf("postgres: pending liaison request: %w", err)
	}
	return r, nil
}

// PendingLiaisonRequests returns every pending request, oldest first: the
// admins' queue.
func (db *DB) PendingLiaisonRequests(ctx context.Context) ([]domain.LiaisonRequest, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+requestColumns+` FROM liaison_requests WHERE status = 'pending' ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending liaison requests: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.LiaisonRequest, error) {
		return scanRequest(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: pending liaison requests: %w", err)
	}
	return rs, nil
}

// DecideLiaisonRequest approves or rejects pending request id on behalf of
// admin by, and on approval makes the applicant a liaison of the requested
// agency. It returns the decided request.
//
// Only the first decision counts. If the request was already decided, it
// returns the request as it stands (who decided what, and when) together
// with a Conflict "liaison.decided" error, so a second admin or a double tap
// can be told. A request that does not exist is NotFound "liaison.notfound".
func (db *DB) DecideLiaisonRequest(ctx context.Context, id int64, approve bool, by int64, now time.Time) (domain.LiaisonRequest, error) {
	status := domain.RequestRejected
	if approve {
		status = domain.RequestApproved
	}
	if now.IsZero() {
		now = time.Now()
	}
	var out domain.LiaisonRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// A concurrent decision holds the row lock until it commits; this
		// UPDATE then re-checks status against the committed row and
		// matches nothing.
		var err error
		out, err = scanRequest(tx.QueryRow(ctx, `
			UPDATE liaison_requests SET status = $2, decided_by = $3, decided_at = $4
			WHERE id = $1 AND status = 'pending'
			RETURNING `+requestColumns,
			id, string(status), nullID(by), now))
		if errors.Is(err, pgx.ErrNoRows) {
			// Each statement sees what was committed before it started, so
			// this reads the winning decision.
			out, err = scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM liaison_requests WHERE id = $1`, id))
			if errors.Is(err, pgx.ErrNoRows) {
				return domain.NotFound("liaison.notfound")
			}
			if err != nil {
				return err
			}
			return domain.Conflict("liaison.decided")
		}
		if err != nil || !approve {
			return err
		}
		return grantRole(ctx, tx, out.UserID, domain.Grant{
			Role: domain.RoleLiaison, AgencyID: out.AgencyID, GrantedBy: by, GrantedAt: now,
		})
	})
	db.changedUser(out.UserID) // 0 when nothing was decided: harmless
	if domain.CodeOf(err) == "liaison.decided" {
		return out, err
	}
	if err != nil {
		return domain.LiaisonRequest{}, wrap("decide liaison request", err)
	}
	return out, nil
}
