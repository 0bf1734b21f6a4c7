package bot

import (
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// The summary and allocation hours are wall-clock times in the calendar's
// zone: on the day New York's clocks go forward, 20:00 is still 20:00
// there, though only 19 hours after midnight.
func TestClockOnIsWallClockInTheZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cal := domain.NewCalendar(ny)
	for _, day := range []time.Time{
		time.Date(2026, 3, 8, 1, 0, 0, 0, ny),   // clocks go forward at 02:00
		time.Date(2026, 6, 7, 23, 59, 0, 0, ny), // an ordinary day, late
		time.Date(2026, 6, 8, 3, 0, 0, 0, time.UTC),
	} {
		got, err := clockOn(cal, day, "20:00")
		if err != nil {
			t.Fatal(err)
		}
		y, m, d := day.In(ny).Date()
		if want := time.Date(y, m, d, 20, 0, 0, 0, ny); !got.Equal(want) || got.In(ny).Hour() != 20 {
			t.Errorf("clockOn(%s, 20:00) = %s, want %s", day, got, want)
		}
	}
	if _, err := clockOn(cal, time.Now(), "8pm"); err == nil {
		t.Error(`clockOn accepted "8pm"`)
	}
}

func TestUntilNextMinute(t *testing.T) {
	tehran := domain.Tehran() // +03:30: minutes line up with UTC's
	for _, tt := range []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2026, 6, 7, 19, 59, 30, 0, tehran), 30 * time.Second},
		{time.Date(2026, 6, 7, 19, 59, 59, 999_000_000, tehran), time.Millisecond},
		{time.Date(2026, 6, 7, 20, 0, 0, 0, tehran), time.Minute},
	} {
		if got := untilNextMinute(tt.now); got != tt.want {
			t.Errorf("untilNextMinute(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}
