package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// The sent-log makes the daily summary go to each manager once per day,
// however many copies of the bot run: a sender claims (day, manager) before
// sending and marks the claim sent or failed after. The claim is one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE: of two claimers at the same
// instant one inserts, the other waits for it and then finds the row and
// the WHERE false. ON CONFLICT re-reads the row's latest version, so a
// takeover races no better: one claimer updates, the next sees its claim.
//
// A claim is held for a lease. A sender that dies mid-send leaves its row
// 'sending'; once the lease has passed another may take it over, and the
// lapsed claim counts as a failed attempt. Should the dead sender have got
// the message out before dying, the manager gets it twice: choose a lease
// well above the time a send takes.

// MaxSummaryAttempts is how many failed attempts a summary gets before it
// is given up for the day.
const MaxSummaryAttempts = 5

// maxErrorText bounds a stored failure's text, in bytes.
const maxErrorText = 2000

// ClaimSummary claims the summary of day (its day in the calendar) for manager
// telegramID on behalf of owner (a name unique to the sending process), at
// now, and reports whether owner should send it now. It should if nobody
// had claimed it, if the last claim is 'sending' but older than lease (its
// sender is taken to have died; that counts as a failed attempt), or if it
// failed fewer than MaxSummaryAttempts times. It should not if it was sent,
// is being sent under a live claim, or has failed for good: a lapsed claim
// that was the last attempt leaves the row failed, for FailedSummaries.
//
// Having claimed, the caller sends and then calls MarkSummarySent or
// MarkSummaryFailed.
func (db *DB) ClaimSummary(ctx context.Context, day time.Time, telegramID int64, owner string, lease time.Duration, now time.Time) (bool, error) {
	if owner == "" || lease <= 0 {
		return false, fmt.Errorf("postgres: claim summary: owner %q, lease %v: need an owner and a positive lease", owner, lease)
	}
	// In SET and RETURNING, s.* are the values before the update;
	// lapsed says the row was a claim past its lease.
	var claimed bool
	err := db.pool.QueryRow(ctx, `
		INSERT INTO summary_sends AS s (day, telegram_id, state, attempts, claimed_by, claimed_at)
		VALUES ($1, $2, 'sending', 0, $3, $4)
		ON CONFLICT (day, telegram_id) DO UPDATE SET
			attempts   = s.attempts + (s.state = 'sending')::int,
			last_error = CASE WHEN s.state = 'sending' THEN 'claim by ' || s.claimed_by || ' lapsed' ELSE s.last_error END,
			failed_at  = CASE WHEN s.state = 'sending' THEN EXCLUDED.claimed_at ELSE s.failed_at END,
			state      = CASE WHEN s.attempts + (s.state = 'sending')::int < $6 THEN 'sending' ELSE 'failed' END,
			claimed_by = CASE WHEN s.attempts + (s.state = 'sending')::int < $6 THEN EXCLUDED.claimed_by ELSE s.claimed_by END,
			claimed_at = CASE WHEN s.attempts + (s.state = 'sending')::int < $6 THEN EXCLUDED.claimed_at ELSE s.claimed_at END
		WHERE (s.state = 'sending' AND s.claimed_at < $5)
		   OR (s.state = 'failed' AND s.attempts < $6)
		RETURNING state = 'sending'`,
		db.date(day), telegramID, owner, now, now.Add(-lease), MaxSummaryAttempts).Scan(&claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: claim summary: %w", err)
	}
	return claimed, nil
}

// MarkSummarySent records that the summary of day went to telegramID at
// now. Marking a sent summary again changes nothing; one marked failed (its
// claim lapsed, yet its sender got it out) becomes sent. A summary never
// claimed is NotFound "summary.notclaimed".
func (db *DB) MarkSummarySent(ctx context.Context, day time.Time, telegramID int64, now time.Time) error {
	return db.markSummary(ctx, "mark summary sent", `
		UPDATE summary_sends SET state = 'sent', sent_at = $3
		WHERE day = $1 AND telegram_id = $2 AND state <> 'sent'`,
		db.date(day), telegramID, now)
}

// MarkSummaryFailed records that sending the summary of day to telegramID
// failed at now with errText: one more failed attempt. The summary can be
// claimed again until it has failed MaxSummaryAttempts times. Only a claim
// being sent is marked: for one already sent or marked failed (a claim
// that lapsed and was taken over or given up) it changes nothing. A summary
// never claimed is NotFound "summary.notclaimed".
func (db *DB) MarkSummaryFailed(ctx context.Context, day time.Time, telegramID int64, errText string, now time.Time) error {
	errText = errorText(errText)
	return db.markSummary(ctx, "mark summary failed", `
		UPDATE summary_sends SET state = 'failed', attempts = attempts + 1, last_error = $3, failed_at = $4
		WHERE day = $1 AND telegram_id = $2 AND state = 'sending'`,
		db.date(day), telegramID, errText, now)
}

// errorText is s as a text column takes it: valid UTF-8 without NULs, at
// most maxErrorText bytes (a rune cut at the end is dropped).
func errorText(s string) string {
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// markSummary runs update, whose first two parameters are the day and the
// manager, and tells a row left alone from a row that does not exist.
func (db *DB) markSummary(ctx context.Context, op, update string, args ...any) error {
	var exists bool
	err := db.pool.QueryRow(ctx, `
		WITH upd AS (`+update+` RETURNING 1)
		SELECT EXISTS (SELECT FROM upd)
		    OR EXISTS (SELECT FROM summary_sends WHERE day = $1 AND telegram_id = $2)`,
		args...).Scan(&exists)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if !exists {
		return domain.NotFound("summary.notclaimed")
	}
	return nil
}

// FailedSummaries returns the summaries of day whose last attempt failed,
// by manager: those still to be retried (fewer than MaxSummaryAttempts
// attempts) and those given up.
func (db *DB) FailedSummaries(ctx context.Context, day time.Time) ([]domain.SummaryFailure, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT telegram_id, attempts, COALESCE(last_error, '')
		FROM summary_sends
		WHERE day = $1 AND state = 'failed'
		ORDER BY telegram_id`, db.date(day))
	if err != nil {
		return nil, fmt.Errorf("postgres: failed summaries: %w", err)
	}
	fs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.SummaryFailure, error) {
		var f domain.SummaryFailure
		err := row.Scan(&f.TelegramID, &f.Attempts, &f.LastError)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: failed summaries: %w", err)
	}
	return fs, nil
}

// Managers returns the users the daily summary goes to: active users
// holding the manager role who have not muted it, each with all their
// roles, ordered by Telegram id.
func (db *DB) Managers(ctx context.Context) ([]domain.User, error) {
	users, err := db.queryUsers(ctx, `
		SELECT u.telegram_id, u.full_name, COALESCE(u.phone, ''), COALESCE(u.language, ''), u.active, u.created_at,
		       r.role, r.agency_id, r.granted_by, r.granted_at
		FROM users u
		JOIN user_roles r ON r.telegram_id = u.telegram_id
		WHERE u.active AND NOT u.summary_muted
		  AND u.telegram_id IN (SELECT telegram_id FROM user_roles WHERE role = $1)
		ORDER BY u.telegram_id`, string(domain.RoleManager))
	if err != nil {
		return nil, fmt.Errorf("postgres: managers: %w", err)
	}
	return users, nil
}

// SetSummaryMuted stops (muted) or resumes the daily summary for user
// telegramID, or returns NotFound "user.notfound". A muted manager can
// still ask for a summary.
func (db *DB) SetSummaryMuted(ctx context.Context, telegramID int64, muted bool) error {
	return db.updateUser(ctx, "set summary muted", telegramID,
		`UPDATE users SET summary_muted = $2, updated_at = now() WHERE telegram_id = $1`, muted)
}

// SummaryMuted reports whether user telegramID has muted the daily
// summary, or returns NotFound "user.notfound".
func (db *DB) SummaryMuted(ctx context.Context, telegramID int64) (bool, error) {
	var muted bool
	err := db.pool.QueryRow(ctx, `SELECT summary_muted FROM users WHERE telegram_id = $1`, telegramID).Scan(&muted)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, domain.NotFound("user.notfound")
	}
	if err != nil {
		return false, fmt.Errorf("postgres: summary muted: %w", err)
	}
	return muted, nil
}
