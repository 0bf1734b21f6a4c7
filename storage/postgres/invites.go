package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

const inviteColumns = `code, agency_id, created_by, created_at, expires_at, used_by, used_at`

func scanInvite(row pgx.Row) (domain.Invite, error) {
	var (
		inv       domain.Invite
		createdBy *int64
		usedBy    *int64
		usedAt    *time.Time
	)
	err := row.Scan(&inv.Code, &inv.AgencyID, &createdBy, &inv.CreatedAt, &inv.ExpiresAt, &usedBy, &usedAt)
	inv.CreatedBy = deref(createdBy)
	inv.UsedBy = deref(usedBy)
	inv.UsedAt = deref(usedAt)
	return inv, err
}

// CreateInvite stores a new, unused invite. A zero CreatedAt means now;
// CreatedBy 0 means the command line.
//
// Errors: Invalid "invite.code" or "invite.expiry" for a missing code or
// expiry; NotFound "agency.notfound" if the agency does not exist or is
// inactive; Conflict "invite.exists" if the code is taken.
func (db *DB) CreateInvite(ctx context.Context, inv domain.Invite) error {
	switch {
	case inv.Code == "":
		return domain.Invalid("invite.code")
	case inv.ExpiresAt.IsZero():
		return domain.Invalid("invite.expiry")
	}
	var createdAt *time.Time
	if !inv.CreatedAt.IsZero() {
		createdAt = &inv.CreatedAt
	}
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO invites (code, agency_id, created_by, created_at, expires_at)
		SELECT $1, id, $3, COALESCE($4, now()), $5 FROM agencies WHERE id = $2 AND active`,
		inv.Code, inv.AgencyID, nullID(inv.CreatedBy), createdAt, inv.ExpiresAt)
	if code, _ := pgError(err); code == codeUniqueViolation {
		return domain.Wrap(domain.KindConflict, "invite.exists", err)
	}
	if err != nil {
		return fmt.Errorf("postgres: create invite: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return domain.NotFound("agency.notfound")
	}
	return nil
}

// Invite returns the invite with code, used or not, or a NotFound
// "invite.notfound" error. Its Usable method says whether it can still be
// redeemed.
func (db *DB) Invite(ctx context.Context, code string) (domain.Invite, error) {
	inv, err := scanInvite(db.pool.QueryRow(ctx, `SELECT `+inviteColumns+` FROM invites WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Invite{}, domain.NotFound("invite.notfound")
	}
	if err != nil {
		return domain.Invite{}, fmt.Errorf("postgres: invite: %w", err)
	}
	return inv, nil
}

// RedeemInvite uses invite code to sign r.UserID up as a liaison without an
// admin: in one transaction it marks the invite used, stores r as a request
// approved by the invite's creator for the invite's agency (r.AgencyID is
// ignored), updates the user's name and phone, and grants the liaison role.
// It returns the stored request.
//
// An invite is redeemed once: of two users redeeming it at once, one wins
// and the other gets Conflict "invite.used". Other errors: NotFound
// "invite.notfound", Conflict "invite.expired", and r.Validate's, checked
// once the agency is known (a failed redemption leaves the invite unused).
// When the invite was already used by r.UserID themselves (a double tap),
// the Conflict "invite.used" error comes with the request it created.
//
// r.Submission, when set, is the key of the conversation redeeming it and
// is stored on the request: if a request was already stored under it (the
// same submit delivered again after a crash, or twice at once), that
// request is returned with a nil error and nothing changes.
func (db *DB) RedeemInvite(ctx context.Context, code string, r domain.LiaisonRequest, now time.Time) (domain.LiaisonRequest, error) {
	if now.IsZero() {
		now = time.Now()
	}
	var out domain.LiaisonRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The row lock taken here makes a concurrent redemption wait for
		// this transaction, then re-check used_at against the committed
		// row and match nothing.
		var createdBy *int64
		err := tx.QueryRow(ctx, `
			UPDATE invites SET used_by = $2, used_at = $3
			WHERE code = $1 AND used_at IS NULL AND expires_at > $3
			RETURNING agency_id, created_by`,
			code, r.UserID, now).Scan(&r.AgencyID, &createdBy)
		if errors.Is(err, pgx.ErrNoRows) {
			if r.Submission != "" {
				// A redemption under this key that committed first (this
				// statement waited for it) is this one's, done.
				own, err := requestBySubmission(ctx, tx, r.Submission)
				if err == nil {
					out = own
					return nil
				}
				if !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
			return whyNotRedeemed(ctx, tx, code, r.UserID, now, &out)
		}
		if err != nil {
			return err
		}
		if err := r.Validate(); err != nil {
			return err
		}
		if err := upsertUser(ctx, tx, r.UserID, r.FullName, string(r.Phone), ""); err != nil {
			return err
		}
		// A request they left pending is overtaken by the invite; left
		// open, an admin approving it later would move them to its agency.
		if _, err := tx.Exec(ctx, `
			UPDATE liaison_requests SET status = 'withdrawn', decided_by = $1, decided_at = $2
			WHERE telegram_id = $1 AND status = 'pending'`, r.UserID, now); err != nil {
			return err
		}
		by := deref(createdBy)
		out, err = scanRequest(tx.QueryRow(ctx, `
			INSERT INTO liaison_requests
				(telegram_id, agency_id, full_name, position, phone, status, invite_code, decided_by, decided_at, created_at,
				 submission)
			VALUES ($1, $2, $3, $4, $5, 'approved', $6, $7, $8, $8, $9)
			RETURNING `+requestColumns,
			r.UserID, r.AgencyID, r.FullName, r.Position, string(r.Phone), code, createdBy, now, nullKey(r.Submission)))
		if err != nil {
			return err
		}
		return grantRole(ctx, tx, r.UserID, domain.Grant{
			Role: domain.RoleLiaison, AgencyID: r.AgencyID, GrantedBy: by, GrantedAt: now,
		})
	})
	db.changedUser(r.UserID)
	if domain.CodeOf(err) == "invite.used" {
		return out, err
	}
	if err != nil {
		return domain.LiaisonRequest{}, wrap("redeem invite", err)
	}
	return out, nil
}

// whyNotRedeemed finds out why invite code could not be redeemed by userID
// at now and returns that as an error; if userID redeemed it earlier, *own
// is set to the request that did.
func whyNotRedeemed(ctx context.Context, tx pgx.Tx, code string, userID int64, now time.Time, own *domain.LiaisonRequest) error {
	inv, err := scanInvite(tx.QueryRow(ctx, `SELECT `+inviteColumns+` FROM invites WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.NotFound("invite.notfound")
	}
	if err != nil {
		return err
	}
	if !inv.UsedAt.IsZero() && inv.UsedBy == userID {
		r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM liaison_requests WHERE invite_code = $1`, code))
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		*own = r
	}
	if err := inv.Usable(now); err != nil {
		return err
	}
	// Usable at now yet not updated: only possible if the row changed
	// between the two statements, which means someone used it.
	return domain.Conflict("invite.used")
}
