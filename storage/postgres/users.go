package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// UpsertUser records a user who talked to the bot. A new user starts active
// and, without a language, with none: the bot speaks its default to them.
// For a known user it updates the name,
// phone and language, but an empty value keeps the stored one: a later
// update that lacks the phone must not forget it. Active is left to
// SetActive.
func (db *DB) UpsertUser(ctx context.Context, u domain.User) error {
	if err := upsertUser(ctx, db.pool, u.ID, u.FullName, string(u.Phone), u.Language); err != nil {
		return fmt.Errorf("postgres: upsert user: %w", err)
	}
	db.changedUser(u.ID)
	return nil
}

func upsertUser(ctx context.Context, q querier, id int64, fullName, phone, lang string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO users (telegram_id, full_name, phone, language)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''))
		ON CONFLICT (telegram_id) DO UPDATE SET
			full_name  = COALESCE(NULLIF($2, ''), users.full_name),
			phone      = COALESCE(NULLIF($3, ''), users.phone),
			language   = COALESCE(NULLIF($4, ''), users.language),
			updated_at = now()`,
		id, fullName, phone, lang)
	return err
}

// User returns the user with Telegram id id and the roles they hold, or a
// NotFound "user.notfound" error.
func (db *DB) User(ctx context.Context, id int64) (domain.User, error) {
	now := time.Now()
	u, ok, gen := db.users.get(id, now)
	if ok {
		return u, nil
	}
	users, err := db.queryUsers(ctx, `
		SELECT u.telegram_id, u.full_name, COALESCE(u.phone, ''), COALESCE(u.language, ''), u.active, u.created_at,
		       r.role, r.agency_id, r.granted_by, r.granted_at
		FROM users u
		LEFT JOIN user_roles r ON r.telegram_id = u.telegram_id
		WHERE u.telegram_id = $1
		ORDER BY u.telegram_id`, id)
	if err != nil {
		return domain.User{}, fmt.Errorf("postgres: user: %w", err)
	}
	if len(users) == 0 {
		return domain.User{}, domain.NotFound("user.notfound")
	}
	db.users.put(users[0], gen, now)
	return users[0], nil
}

// UsersWithRole returns the active users holding role r, each with all their
// roles, ordered by Telegram id. Inactive users (who blocked the bot) are
// left out: nothing can be sent to them.
func (db *DB) UsersWithRole(ctx context.Context, r domain.Role) ([]domain.User, error) {
	users, err := db.queryUsers(ctx, `
		SELECT u.telegram_id, u.full_name, COALESCE(u.phone, ''), COALESCE(u.language, ''), u.active, u.created_at,
		       r.role, r.agency_id, r.granted_by, r.granted_at
		FROM users u
		JOIN user_roles r ON r.telegram_id = u.telegram_id
		WHERE u.active
		  AND u.telegram_id IN (SELECT telegram_id FROM user_roles WHERE role = $1)
		ORDER BY u.telegram_id`, string(r))
	if err != nil {
		return nil, fmt.Errorf("postgres: users with role %s: %w", r, err)
	}
	return users, nil
}

// queryUsers runs a query returning one row per (user, grant), ordered by
// user, with NULL grant columns for a user without roles, and folds the rows
// into users.
func (db *DB) queryUsers(ctx context.Context, sql string, args ...any) ([]domain.User, error) {
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []domain.User
	for rows.Next() {
		var (
			u         domain.User
			phone     string
			role      *string
			agencyID  *int64
			grantedBy *int64
			grantedAt *time.Time
		)
		if err := rows.Scan(&u.ID, &u.FullName, &phone, &u.Language, &u.Active, &u.CreatedAt,
			&role, &agencyID, &grantedBy, &grantedAt); err != nil {
			return nil, err
		}
		u.Phone = domain.Mobile(phone)
		if n := len(users); n == 0 || users[n-1].ID != u.ID {
			users = append(users, u)
		}
		if role != nil {
			last := &users[len(users)-1]
			last.Grants = append(last.Grants, domain.Grant{
				Role:      domain.Role(*role),
				AgencyID:  deref(agencyID),
				GrantedBy: deref(grantedBy),
				GrantedAt: *grantedAt,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Grants in the order menus show roles.
	for i := range users {
		slices.SortFunc(users[i].Grants, func(a, b domain.Grant) int {
			return slices.Index(domain.Roles, a.Role) - slices.Index(domain.Roles, b.Role)
		})
	}
	return users, nil
}

// GrantRole gives user userID the role in g, creating a bare user row if the
// user has not talked to the bot yet (roles can be granted from the command
// line first). Granting a role again replaces the grant, so granting
// liaison again moves the user to g.AgencyID. A zero g.GrantedAt means now.
//
// A liaison grant needs an agency (Invalid "liaison.agency") that exists
// (NotFound "agency.notfound"); other roles take none (Invalid
// "grant.agency").
func (db *DB) GrantRole(ctx context.Context, userID int64, g domain.Grant) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		return grantRole(ctx, tx, userID, g)
	})
	db.changedUser(userID)
	return wrap("grant "+string(g.Role), err)
}

func grantRole(ctx context.Context, q querier, userID int64, g domain.Grant) error {
	switch {
	case !slices.Contains(domain.Roles, g.Role):
		return domain.Invalid("role.unknown")
	case g.Role == domain.RoleLiaison && g.AgencyID == 0:
		return domain.Invalid("liaison.agency")
	case g.Role != domain.RoleLiaison && g.AgencyID != 0:
		return domain.Invalid("grant.agency")
	}
	if _, err := q.Exec(ctx, `INSERT INTO users (telegram_id) VALUES ($1) ON CONFLICT DO NOTHING`, userID); err != nil {
		return err
	}
	var grantedAt *time.Time
	if !g.GrantedAt.IsZero() {
		grantedAt = &g.GrantedAt
	}
	_, err := q.Exec(ctx, `
		INSERT INTO user_roles (telegram_id, role, agency_id, granted_by, granted_at)
		VALUES ($1, $2, $3, $4, COALESCE($5, now()))
		ON CONFLICT (telegram_id, role) DO UPDATE SET
			agency_id  = EXCLUDED.agency_id,
			granted_by = EXCLUDED.granted_by,
			granted_at = EXCLUDED.granted_at`,
		userID, string(g.Role), nullID(g.AgencyID), nullID(g.GrantedBy), grantedAt)
	if code, _ := pgError(err); code == codeForeignKeyViolation {
		return domain.Wrap(domain.KindNotFound, "agency.notfound", err)
	}
	return err
}

// RevokeRole takes role r from user userID, or returns NotFound
// "role.notheld" if they do not hold it.
func (db *DB) RevokeRole(ctx context.Context, userID int64, r domain.Role) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM user_roles WHERE telegram_id = $1 AND role = $2`, userID, string(r))
	if err != nil {
		return fmt.Errorf("postgres: revoke %s: %w", r, err)
	}
	db.changedUser(userID)
	if tag.RowsAffected() == 0 {
		return domain.NotFound("role.notheld")
	}
	return nil
}

// SetLanguage sets the language the bot speaks to user id.
func (db *DB) SetLanguage(ctx context.Context, id int64, lang string) error {
	return db.updateUser(ctx, "set language", id, `UPDATE users SET language = $2, updated_at = now() WHERE telegram_id = $1`, lang)
}

// SetActive records whether the bot can reach user id: false once they
// blocked it, true when they come back.
func (db *DB) SetActive(ctx context.Context, id int64, active bool) error {
	return db.updateUser(ctx, "set active", id, `UPDATE users SET active = $2, updated_at = now() WHERE telegram_id = $1`, active)
}

// updateUser runs sql on user id ($1; value is $2).
func (db *DB) updateUser(ctx context.Context, op string, id int64, sql string, value any) error {
	tag, err := db.pool.Exec(ctx, sql, id, value)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	db.changedUser(id)
	if tag.RowsAffected() == 0 {
		return domain.NotFound("user.notfound")
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
