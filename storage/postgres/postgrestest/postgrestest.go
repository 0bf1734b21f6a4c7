// Package postgrestest gives each test its own freshly migrated PostgreSQL
// database, so test packages (and parallel tests) never share rows.
//
// The server is TEST_DATABASE_URL, by default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable; its role must be
// allowed to create databases. Databases are named rasad_t_<random> and
// dropped when the test ends.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

// DefaultURL is the server used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL returns the admin connection URL: TEST_DATABASE_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New returns a store on a new, migrated database that is dropped when tb
// ends.
func New(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, _ := NewWithURL(tb)
	return db
}

// NewWithURL is New, also returning the database's URL, for tests that
// reach it with connections of their own.
func NewWithURL(tb testing.TB) (*postgres.DB, string) {
	tb.Helper()
	url := NewURL(tb)
	db := Open(tb, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("postgrestest: %v", err)
	}
	return db, url
}

// Open opens a store on the database at url, reckoning days in the
// default zone (Tehran), and closes it when tb ends.
func Open(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	return OpenIn(tb, url, domain.DefaultCalendar())
}

// OpenIn is Open with the days reckoned by cal.
func OpenIn(tb testing.TB, url string, cal domain.Calendar) *postgres.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, url, cal)
	if err != nil {
		tb.Fatalf("postgrestest: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

// NewURL creates a new, empty database, not migrated, and returns its URL.
// The database is dropped when tb ends, even if connections to it are still
// open.
func NewURL(tb testing.TB) string {
	tb.Helper()
	admin := URL()
	name := "rasad_t_" + randomHex(8)
	if err := exec(admin, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("postgrestest: create database: %v", err)
	}
	tb.Cleanup(func() {
		if err := exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("postgrestest: drop database %s: %v", name, err)
		}
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("postgrestest: %v", err)
	}
	return u
}

// exec runs one statement on its own short-lived connection, so no admin
// connection stays open for the length of a test.
func exec(connURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns connURL pointing at database name instead. It takes a
// URL or a key=value DSN.
func withDatabase(connURL, name string) (string, error) {
	if strings.HasPrefix(connURL, "postgres://") || strings.HasPrefix(connURL, "postgresql://") {
		u, err := url.Parse(connURL)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In a DSN a later key overrides an earlier one.
	return connURL + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
