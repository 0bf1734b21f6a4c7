// Package postgres stores Rasad's users, roles, agencies, liaison requests and
// invites in PostgreSQL.
//
// Every method takes its own connection from the pool; methods that change
// more than one row do so in one transaction. Not-found and conflict outcomes
// are returned as *domain.Error values so the bot can phrase them; anything
// else is an internal error wrapped with the operation that failed.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/rasad-gov/rasad/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is Rasad's PostgreSQL store. It is safe for concurrent use.
type DB struct {
	pool  *pgxpool.Pool
	users *userCache // see user_cache.go
	// cal draws day boundaries: a DATE column holds an instant's day in
	// its zone, and is read back as midnight there.
	cal domain.Calendar
}

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN; pgxpool settings such as pool_max_conns may be given in it) and
// checks that it answers. Days are reckoned by cal, the deployment's
// calendar.
func Open(ctx context.Context, url string, cal domain.Calendar) (*DB, error) {
	if cal.IsZero() {
		return nil, errors.New("postgres: open: a calendar without a zone")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{pool: pool, users: &userCache{users: map[int64]cachedUser{}}, cal: cal}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection. Methods must not be called afterwards.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations that have not been applied yet.
//
// goose holds a session-level advisory lock (scoped to this database) while
// it works, so replicas starting at the same time take turns: the first
// applies the migrations, the others find nothing left to do.
func (db *DB) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	// The lock is polled; poll every second for up to ten minutes rather than
	// goose's default of every five seconds, so a waiting replica starts soon
	// after the one migrating is done.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	// The *sql.DB borrows connections from the pool; closing it leaves the
	// pool open.
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, r := range results {
		slog.InfoContext(ctx, "postgres: migration applied",
			"version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// querier is what both the pool and a transaction offer, so helpers such as
// grantRole run alone or inside a larger transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a transaction, committing if it returns nil. fn's error is
// returned as it is, so domain errors reach the caller unchanged; callers
// add the "postgres: <op>" context.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// A no-op after Commit. Not cancelled with ctx, so the connection goes
	// back to the pool clean rather than being closed.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// PostgreSQL error codes the store turns into domain errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// pgError reports err's PostgreSQL error code and constraint name, if it is
// one.
func pgError(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// wrap adds the failed operation to an internal error. Domain errors are
// returned as they are: their code is the whole message.
func wrap(op string, err error) error {
	if err == nil || domain.KindOf(err) != domain.KindInternal {
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// nullKey maps the empty submission key, used for "no key" (bulk imports,
// the command line), to NULL.
func nullKey(key string) *string {
	if key == "" {
		return nil
	}
	return &key
}

// violates reports whether err is a unique violation of index constraint.
// On a submission index it means the submit was made before under the same
// key: the caller then returns what that first submit stored.
func violates(err error, constraint string) bool {
	code, c := pgError(err)
	return code == codeUniqueViolation && c == constraint
}

// nullID maps the zero id, used for "nobody" (the command line), to NULL.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
