package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// The store draws day boundaries in the zone of the calendar it was opened
// with, not Tehran's: a start date is stored as its day there and read
// back as midnight there, and a summary's day is that zone's day. At 02:00
// UTC it is already the next day in Tehran (05:30) but still the day
// before in New York (22:00).
func TestStoreReckonsDaysInItsCalendar(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nyCal := domain.NewCalendar(newYork)
	tehranDB, url := postgrestest.NewWithURL(t)
	ny := postgrestest.OpenIn(t, url, nyCal)

	a := mustAgency(t, ny, "labour", "کار")
	in := placement(nationalIDs(t, 0, 1)[0], a.ID)
	in.StartDate = time.Date(2026, 4, 5, 2, 0, 0, 0, time.UTC) // 4 April in New York, 5 April in Tehran
	created := time.Date(2026, 6, 7, 2, 0, 0, 0, time.UTC)     // 6 June in New York, 7 June in Tehran
	p := mustPlacement(t, ny, in, created)

	got, err := ny.Placement(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 4, 4, 0, 0, 0, 0, newYork); !got.StartDate.Equal(want) || got.StartDate.Location() != newYork {
		t.Errorf("StartDate read in New York = %v, want %v", got.StartDate, want)
	}
	// The same row through a Tehran store: the day stored is New York's.
	got, err = tehranDB.Placement(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if y, m, d := got.StartDate.Date(); y != 2026 || m != 4 || d != 4 {
		t.Errorf("StartDate read in Tehran = %v, want 2026-04-04", got.StartDate)
	}

	for _, tc := range []struct {
		name string
		db   *postgres.DB
		day  time.Time
		want int
	}{
		{"6 June in New York", ny, time.Date(2026, 6, 6, 12, 0, 0, 0, newYork), 1},
		{"7 June in New York", ny, time.Date(2026, 6, 7, 12, 0, 0, 0, newYork), 0},
		{"7 June in Tehran", tehranDB, time.Date(2026, 6, 7, 12, 0, 0, 0, domain.Tehran()), 1},
	} {
		s, err := tc.db.Summary(ctx, tc.day)
		if err != nil || s.Today != tc.want {
			t.Errorf("summary of %s: Today = %d, %v; want %d", tc.name, s.Today, err, tc.want)
		}
	}
}

// A store without a calendar would reckon days in no zone at all.
func TestOpenWithoutCalendarFails(t *testing.T) {
	t.Parallel()
	if _, err := postgres.Open(context.Background(), postgrestest.URL(), domain.Calendar{}); err == nil {
		t.Error("Open with the zero Calendar succeeded")
	}
}
