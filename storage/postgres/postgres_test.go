package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// t0 is a fixed instant; Postgres keeps microseconds, so it has none finer.
var t0 = time.Date(2026, 3, 21, 8, 30, 0, 0, time.UTC)

// cal is the calendar postgrestest opens stores with, Tehran's.
var cal = domain.DefaultCalendar()

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := postgrestest.NewURL(t)
	// Two replicas starting at once, each with its own pool.
	dbs := []*postgres.DB{postgrestest.Open(t, url), postgrestest.Open(t, url)}
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Migrate: %v", i, err)
		}
	}
	// Once more, with nothing to do.
	if err := dbs[0].Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	// The schema is usable.
	if _, err := dbs[1].CreateAgency(ctx, agency("labour", "کار")); err != nil {
		t.Fatalf("CreateAgency after migrate: %v", err)
	}
}

func TestOpenFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:5432/rasad_no_such_db?sslmode=disable", cal); err == nil {
		t.Fatal("Open of a missing database succeeded")
	}
	if _, err := postgres.Open(ctx, "postgres://%zz", cal); err == nil {
		t.Fatal("Open of a malformed URL succeeded")
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// --- helpers shared by the tests of this package ---

func agency(code, nameFa string) domain.Agency {
	return domain.Agency{Code: code, NameFa: nameFa, NameEn: code, Active: true}
}

func mustAgency(t *testing.T, db *postgres.DB, code, nameFa string) domain.Agency {
	t.Helper()
	a, err := db.CreateAgency(context.Background(), agency(code, nameFa))
	if err != nil {
		t.Fatalf("CreateAgency(%s): %v", code, err)
	}
	return a
}

// request is a valid sign-up by user for agencyID.
func request(user, agencyID int64) domain.LiaisonRequest {
	return domain.LiaisonRequest{
		UserID:   user,
		AgencyID: agencyID,
		FullName: "مریم احمدی",
		Position: "کارشناس اشتغال",
		Phone:    domain.Mobile("+989121234567"),
	}
}

func mustUser(t *testing.T, db *postgres.DB, id int64) domain.User {
	t.Helper()
	u, err := db.User(context.Background(), id)
	if err != nil {
		t.Fatalf("User(%d): %v", id, err)
	}
	return u
}

// wantErr fails unless err is a domain error of kind and code.
func wantErr(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	if !errors.Is(err, &domain.Error{Kind: kind, Code: code}) {
		t.Fatalf("error = %v, want %s %q", err, kind, code)
	}
}

// race runs f(0..n-1) in n goroutines released at the same moment.
func race(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}
