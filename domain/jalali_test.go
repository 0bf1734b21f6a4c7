package domain

import (
	"testing"
	"time"
)

func gregorian(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, Tehran())
}

var knownDays = []struct {
	j JalaliDate
	g time.Time
}{
	{JalaliDate{1401, 3, 17}, gregorian(2022, 6, 7)},
	{JalaliDate{1403, 1, 1}, gregorian(2024, 3, 20)},
	{JalaliDate{1404, 1, 1}, gregorian(2025, 3, 21)},
	{JalaliDate{1403, 12, 30}, gregorian(2025, 3, 20)},
	{JalaliDate{1399, 12, 30}, gregorian(2021, 3, 20)},
	{JalaliDate{1405, 1, 1}, gregorian(2026, 3, 21)},
	{JalaliDate{1357, 11, 22}, gregorian(1979, 2, 11)},
	{JalaliDate{1300, 1, 1}, gregorian(1921, 3, 21)},
	{JalaliDate{1396, 1, 1}, gregorian(2017, 3, 21)},
	{JalaliDate{1395, 12, 30}, gregorian(2017, 3, 20)},
	{JalaliDate{1402, 12, 29}, gregorian(2024, 3, 19)},
	{JalaliDate{1404, 10, 11}, gregorian(2026, 1, 1)},
}

func TestKnownDays(t *testing.T) {
	for _, k := range knownDays {
		if got := cal.ToJalali(k.g); got != k.j {
			t.Errorf("ToJalali(%s) = %v, want %v", k.g.Format(time.DateOnly), got, k.j)
		}
		if got := cal.Midnight(k.j); !got.Equal(k.g) {
			t.Errorf("%v.Time() = %s, want %s", k.j, got, k.g)
		}
	}
}

// The Tehran calendar day counts, not the UTC one: 2022-06-06 21:00 UTC is
// already 17 Khordad in Tehran (+04:30 then).
func TestToJalaliUsesTehran(t *testing.T) {
	late := time.Date(2022, 6, 6, 20, 0, 0, 0, time.UTC)
	if got := cal.ToJalali(late); got != (JalaliDate{1401, 3, 17}) {
		t.Errorf("ToJalali(%s) = %v", late, got)
	}
	early := time.Date(2022, 6, 6, 19, 0, 0, 0, time.UTC)
	if got := cal.ToJalali(early); got != (JalaliDate{1401, 3, 16}) {
		t.Errorf("ToJalali(%s) = %v", early, got)
	}
	if got := cal.ToJalali(time.Time{}); got.Valid() {
		t.Errorf("ToJalali(zero) = %v, want invalid", got)
	}
}

// Every day of 1300–1500 maps to a Tehran midnight one day after the
// previous one's, and back to itself.
func TestRoundTrip1300To1500(t *testing.T) {
	prev := cal.Midnight(JalaliDate{1299, 12, 29})
	days := 0
	for y := 1300; y <= 1500; y++ {
		yearDays := 0
		for m := 1; m <= 12; m++ {
			for d := 1; d <= JalaliMonthLength(y, m); d++ {
				jd := JalaliDate{y, m, d}
				tm := cal.Midnight(jd)
				if got := cal.ToJalali(tm); got != jd {
					t.Fatalf("ToJalali(%v.Time()) = %v", jd, got)
				}
				if tm.Location() != Tehran() || !cal.StartOfDay(tm).Equal(tm) {
					t.Fatalf("%v.Time() = %s is not the start of a Tehran day", jd, tm)
				}
				py, pm, pd := prev.Date()
				if want := time.Date(py, pm, pd+1, 0, 0, 0, 0, time.UTC); !sameDate(tm, want) {
					t.Fatalf("%v.Time() = %s, want the day after %s", jd, tm, prev)
				}
				if next := jd.AddDays(1); cal.Midnight(next).Sub(tm) < 22*time.Hour {
					t.Fatalf("%v.AddDays(1) = %v", jd, next)
				}
				prev = tm
				days++
				yearDays++
			}
		}
		if want := 365 + btoi(IsJalaliLeap(y)); yearDays != want {
			t.Fatalf("year %d has %d days, want %d", y, yearDays, want)
		}
	}
	if days != 73414 { // 201 years, 49 of them leap
		t.Errorf("counted %d days", days)
	}
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLeapYears(t *testing.T) {
	for _, y := range []int{1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403, 1408} {
		if !IsJalaliLeap(y) {
			t.Errorf("%d should be leap", y)
		}
	}
	for _, y := range []int{1396, 1400, 1401, 1402, 1404, 1405, 1406, 1407} {
		if IsJalaliLeap(y) {
			t.Errorf("%d should not be leap", y)
		}
	}
	if IsJalaliLeap(-100) || IsJalaliLeap(5000) {
		t.Error("years outside the table must not be leap")
	}
}

func TestJalaliMonthLength(t *testing.T) {
	tests := []struct{ y, m, want int }{
		{1402, 1, 31}, {1402, 6, 31}, {1402, 7, 30}, {1402, 11, 30},
		{1402, 12, 29}, {1403, 12, 30}, {1402, 0, 0}, {1402, 13, 0},
	}
	for _, tt := range tests {
		if got := JalaliMonthLength(tt.y, tt.m); got != tt.want {
			t.Errorf("JalaliMonthLength(%d, %d) = %d, want %d", tt.y, tt.m, got, tt.want)
		}
	}
}

func TestJalaliDateValid(t *testing.T) {
	tests := []struct {
		d    JalaliDate
		want bool
	}{
		{JalaliDate{1401, 3, 17}, true},
		{JalaliDate{1403, 12, 30}, true},
		{JalaliDate{1402, 12, 30}, false},
		{JalaliDate{1402, 7, 31}, false},
		{JalaliDate{1402, 6, 31}, true},
		{JalaliDate{1402, 13, 1}, false},
		{JalaliDate{1402, 0, 1}, false},
		{JalaliDate{1402, 1, 0}, false},
		{JalaliDate{1402, 1, 32}, false},
		{JalaliDate{}, false},
		{JalaliDate{0, 1, 1}, false},
		{JalaliDate{1, 1, 1}, true},
		{JalaliDate{3176, 12, 29}, true},
		{JalaliDate{3177, 1, 1}, false},
	}
	for _, tt := range tests {
		if got := tt.d.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v", tt.d, got)
		}
		if !tt.want && !cal.Midnight(tt.d).IsZero() {
			t.Errorf("%v.Time() of an invalid date is not zero", tt.d)
		}
	}
}

// The conversion holds together over every supported year, not only the
// ones the product uses.
func TestRoundTripAllYears(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	first := j2d(minJalaliYear, 1, 1)
	last := j2d(maxJalaliYear, 12, JalaliMonthLength(maxJalaliYear, 12))
	for jdn := first; jdn <= last; jdn++ {
		y, m, d, ok := d2j(jdn)
		if !ok || !(JalaliDate{y, m, d}).Valid() || j2d(y, m, d) != jdn {
			t.Fatalf("d2j(%d) = %d/%d/%d %v", jdn, y, m, d, ok)
		}
		gy, gm, gd := d2g(jdn)
		if g2d(gy, gm, gd) != jdn {
			t.Fatalf("d2g(%d) = %d-%d-%d", jdn, gy, gm, gd)
		}
	}
}

func TestAddDays(t *testing.T) {
	tests := []struct {
		d    JalaliDate
		n    int
		want JalaliDate
	}{
		{JalaliDate{1403, 12, 30}, 1, JalaliDate{1404, 1, 1}},
		{JalaliDate{1404, 1, 1}, -1, JalaliDate{1403, 12, 30}},
		{JalaliDate{1402, 12, 29}, 1, JalaliDate{1403, 1, 1}},
		{JalaliDate{1401, 6, 31}, 1, JalaliDate{1401, 7, 1}},
		{JalaliDate{1401, 3, 17}, 0, JalaliDate{1401, 3, 17}},
		{JalaliDate{1404, 1, 1}, 365, JalaliDate{1405, 1, 1}},
		{JalaliDate{1, 1, 1}, -1, JalaliDate{}},
		{JalaliDate{1402, 12, 30}, 1, JalaliDate{}},
		{JalaliDate{1401, 1, 1}, int(^uint(0) >> 1), JalaliDate{}},
	}
	for _, tt := range tests {
		if got := tt.d.AddDays(tt.n); got != tt.want {
			t.Errorf("%v.AddDays(%d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
}

func TestParseJalaliDate(t *testing.T) {
	// 1401/03/17 10:00 in Tehran.
	now := time.Date(2022, 6, 7, 10, 0, 0, 0, Tehran())
	// 00:10 on 17 Khordad in Tehran, while UTC is still on the 6th.
	justAfterMidnight := time.Date(2022, 6, 6, 19, 40, 0, 0, time.UTC)
	k17 := gregorian(2022, 6, 7)
	k16 := gregorian(2022, 6, 6)
	tests := []struct {
		name, in string
		now      time.Time
		want     time.Time
		code     string
	}{
		{"slashes", "1401/03/17", now, k17, ""},
		{"persian digits", "۱۴۰۱/۰۳/۱۷", now, k17, ""},
		{"persian short", "۱۴۰۱/۳/۱۷", now, k17, ""},
		{"arabic-indic", "١٤٠١/٣/١٧", now, k17, ""},
		{"dashes", "1401-3-17", now, k17, ""},
		{"dots", "1401.3.17", now, k17, ""},
		{"persian decimal separator", "۱۴۰۱٫۳٫۱۷", now, k17, ""},
		{"spaces around", " 1401 / 3 / 17 ", now, k17, ""},
		{"rlm", "\u200f۱۴۰۱/۳/۱۷\u200f", now, k17, ""},
		{"mixed separators", "1401/3-17", now, k17, ""},
		{"leap day", "1403/12/30", now, gregorian(2025, 3, 20), ""},
		{"today fa", "امروز", now, k17, ""},
		{"today fa arabic yeh spaced", "  امروز ", now, k17, ""},
		{"today en", "Today", now, k17, ""},
		{"yesterday fa", "دیروز", now, k16, ""},
		{"yesterday arabic yeh", "ديروز", now, k16, ""},
		{"yesterday en", "yesterday", now, k16, ""},
		{"today in tehran not utc", "today", justAfterMidnight, k17, ""},
		{"yesterday over nowruz", "yesterday", time.Date(2025, 3, 21, 9, 0, 0, 0, Tehran()), gregorian(2025, 3, 20), ""},
		{"empty", "", now, time.Time{}, "date.format"},
		{"two-digit year", "01/03/17", now, time.Time{}, "date.format"},
		{"three-digit year", "401/03/17", now, time.Time{}, "date.format"},
		{"five-digit year", "14011/03/17", now, time.Time{}, "date.format"},
		{"day first", "17/03/1401", now, time.Time{}, "date.format"},
		{"three-digit month", "1401/003/17", now, time.Time{}, "date.format"},
		{"two fields", "1401/03", now, time.Time{}, "date.format"},
		{"four fields", "1401/03/17/1", now, time.Time{}, "date.format"},
		{"trailing separator", "1401/03/17/", now, time.Time{}, "date.format"},
		{"double separator", "1401//03/17", now, time.Time{}, "date.format"},
		{"space only", "1401 03 17", now, time.Time{}, "date.format"},
		{"no separator", "14010317", now, time.Time{}, "date.format"},
		{"words", "۱۷ خرداد ۱۴۰۱", now, time.Time{}, "date.format"},
		{"tomorrow", "فردا", now, time.Time{}, "date.format"},
		{"month 13", "1401/13/01", now, time.Time{}, "date.range"},
		{"month 0", "1401/0/01", now, time.Time{}, "date.range"},
		{"day 0", "1401/01/00", now, time.Time{}, "date.range"},
		{"day 32", "1401/01/32", now, time.Time{}, "date.range"},
		{"mehr 31", "1401/07/31", now, time.Time{}, "date.range"},
		{"esfand 30 not leap", "1402/12/30", now, time.Time{}, "date.range"},
		{"gregorian", "2022/06/07", now, time.Time{}, "date.year"},
		{"too old", "1299/12/29", now, time.Time{}, "date.year"},
		{"today with a broken clock", "today", time.Time{}, time.Time{}, "date.year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.ParseJalaliDate(tt.in, tt.now)
			wantCode(t, err, tt.code)
			if !got.Equal(tt.want) {
				t.Errorf("ParseJalaliDate(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if err == nil && got.Location() != Tehran() {
				t.Errorf("location = %s", got.Location())
			}
		})
	}
}

func TestFormatJalali(t *testing.T) {
	k17 := time.Date(2022, 6, 7, 15, 30, 0, 0, Tehran())
	if got := cal.FormatJalali(k17); got != "۱۷ خرداد ۱۴۰۱" {
		t.Errorf("FormatJalali = %q", got)
	}
	if got := cal.FormatJalaliLang(k17, "en"); got != "17 Khordad 1401" {
		t.Errorf("FormatJalaliLang en = %q", got)
	}
	if got := cal.FormatJalaliLang(k17, "fa"); got != "۱۷ خرداد ۱۴۰۱" {
		t.Errorf("FormatJalaliLang fa = %q", got)
	}
	if got := cal.FormatJalaliNumeric(k17); got != "1401/03/17" {
		t.Errorf("FormatJalaliNumeric = %q", got)
	}
	months := []struct {
		t      time.Time
		fa, en string
	}{
		{gregorian(2025, 3, 21), "۱ فروردین ۱۴۰۴", "1 Farvardin 1404"},
		{gregorian(2025, 4, 21), "۱ اردیبهشت ۱۴۰۴", "1 Ordibehesht 1404"},
		{gregorian(2025, 7, 1), "۱۰ تیر ۱۴۰۴", "10 Tir 1404"},
		{gregorian(2025, 7, 23), "۱ مرداد ۱۴۰۴", "1 Mordad 1404"},
		{gregorian(2025, 8, 23), "۱ شهریور ۱۴۰۴", "1 Shahrivar 1404"},
		{gregorian(2025, 9, 23), "۱ مهر ۱۴۰۴", "1 Mehr 1404"},
		{gregorian(2025, 10, 23), "۱ آبان ۱۴۰۴", "1 Aban 1404"},
		{gregorian(2025, 11, 22), "۱ آذر ۱۴۰۴", "1 Azar 1404"},
		{gregorian(2025, 12, 22), "۱ دی ۱۴۰۴", "1 Dey 1404"},
		{gregorian(2026, 1, 21), "۱ بهمن ۱۴۰۴", "1 Bahman 1404"},
		{gregorian(2026, 2, 20), "۱ اسفند ۱۴۰۴", "1 Esfand 1404"},
		{gregorian(2025, 3, 20), "۳۰ اسفند ۱۴۰۳", "30 Esfand 1403"},
	}
	for _, m := range months {
		if got := cal.FormatJalali(m.t); got != m.fa {
			t.Errorf("FormatJalali(%s) = %q, want %q", m.t.Format(time.DateOnly), got, m.fa)
		}
		if got := cal.FormatJalaliLang(m.t, "en"); got != m.en {
			t.Errorf("FormatJalaliLang(%s, en) = %q, want %q", m.t.Format(time.DateOnly), got, m.en)
		}
	}
	if got := cal.FormatJalali(time.Time{}); got != "" {
		t.Errorf("FormatJalali(zero) = %q", got)
	}
	if got := cal.FormatJalaliNumeric(time.Time{}); got != "" {
		t.Errorf("FormatJalaliNumeric(zero) = %q", got)
	}
	if got := (JalaliDate{1401, 3, 7}).String(); got != "1401/03/07" {
		t.Errorf("String = %q", got)
	}
}

func TestProgramYear(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int
	}{
		{time.Date(2025, 3, 20, 23, 59, 59, 0, Tehran()), 1403},
		{time.Date(2025, 3, 21, 0, 0, 0, 0, Tehran()), 1404},
		{time.Date(2025, 3, 20, 20, 30, 0, 0, time.UTC), 1404}, // 00:00 Tehran
		{time.Date(2025, 3, 20, 20, 29, 59, 0, time.UTC), 1403},
		{time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), 1405},
	}
	for _, tt := range tests {
		if got := cal.ProgramYear(tt.t); got != tt.want {
			t.Errorf("ProgramYear(%s) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

func TestYearStart(t *testing.T) {
	for _, y := range []int{1399, 1403, 1404, 1405} {
		start := cal.YearStart(y)
		if got := cal.ToJalali(start); got != (JalaliDate{y, 1, 1}) {
			t.Errorf("YearStart(%d) = %s is %v", y, start, got)
		}
		if cal.ProgramYear(start.Add(-time.Second)) != y-1 {
			t.Errorf("the second before YearStart(%d) is not in %d", y, y-1)
		}
	}
	if want := time.Date(2026, 3, 21, 0, 0, 0, 0, Tehran()); !cal.YearStart(1405).Equal(want) {
		t.Errorf("YearStart(1405) = %s", cal.YearStart(1405))
	}
	if !cal.YearStart(0).IsZero() {
		t.Error("YearStart(0) is not zero")
	}
}

func TestStartOfDay(t *testing.T) {
	tests := []struct{ in, want time.Time }{
		{time.Date(2022, 6, 7, 15, 30, 0, 0, Tehran()), gregorian(2022, 6, 7)},
		{time.Date(2022, 6, 6, 20, 0, 0, 0, time.UTC), gregorian(2022, 6, 7)},
		{time.Date(2022, 6, 6, 19, 29, 0, 0, time.UTC), gregorian(2022, 6, 6)},
		{gregorian(2024, 3, 20), gregorian(2024, 3, 20)},
	}
	for _, tt := range tests {
		got := cal.StartOfDay(tt.in)
		if !got.Equal(tt.want) || got.Location() != Tehran() {
			t.Errorf("StartOfDay(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// Midnight did not exist on the day daylight saving began (2 Farvardin
	// 1401 = 2022-03-22, clocks 00:00 → 01:00): the day starts at 01:00.
	dst := cal.StartOfDay(time.Date(2022, 3, 22, 12, 0, 0, 0, Tehran()))
	if h, m, _ := dst.Clock(); dst.Day() != 22 || h != 1 || m != 0 {
		t.Errorf("StartOfDay on the DST day = %s", dst)
	}
}

func TestTehranLoaded(t *testing.T) {
	if Tehran() == nil || Tehran().String() != "Asia/Tehran" {
		t.Fatalf("Tehran = %v", Tehran())
	}
}

// cal is the default calendar, Tehran's, that most tests reckon days in.
var cal = DefaultCalendar()

// A calendar draws its day boundaries in its own zone, not Tehran's: at
// 02:00 UTC on 21 March 2026 it is already Nowruz 1405 in Tehran (05:30)
// but still the last day of 1404 in New York (22:00 the day before).
func TestCalendarHonoursItsZone(t *testing.T) {
	ny := NewCalendar(mustLoadLocation("America/New_York"))
	now := time.Date(2026, 3, 21, 2, 0, 0, 0, time.UTC)
	if got := cal.ToJalali(now); got != (JalaliDate{1405, 1, 1}) {
		t.Fatalf("in Tehran: %v, want 1405/01/01", got)
	}
	if got := ny.ToJalali(now); got != (JalaliDate{1404, 12, 29}) {
		t.Errorf("in New York: %v, want 1404/12/29", got)
	}
	if got, want := ny.ProgramYear(now), 1404; got != want {
		t.Errorf("ProgramYear in New York = %d, want %d", got, want)
	}
	if got, want := ny.StartOfDay(now), time.Date(2026, 3, 20, 0, 0, 0, 0, ny.Location()); !got.Equal(want) || got.Location() != ny.Location() {
		t.Errorf("StartOfDay in New York = %s, want %s", got, want)
	}
	if got, want := ny.YearStart(1405), time.Date(2026, 3, 21, 0, 0, 0, 0, ny.Location()); !got.Equal(want) {
		t.Errorf("YearStart(1405) in New York = %s, want %s", got, want)
	}
	if got, err := ny.ParseJalaliDate("today", now); err != nil || !got.Equal(ny.StartOfDay(now)) {
		t.Errorf(`ParseJalaliDate("today") in New York = %s, %v`, got, err)
	}
	// Tehran's today is tomorrow in New York: a job cannot start then.
	if _, err := ny.ParseStartDate("1405/01/01", now); CodeOf(err) != "startdate.future" {
		t.Errorf("a start date of New York's tomorrow: %v, want startdate.future", err)
	}
	if _, err := cal.ParseStartDate("1405/01/01", now); err != nil {
		t.Errorf("a start date of Tehran's today: %v", err)
	}
	if got := ny.FormatJalaliNumeric(now); got != "1404/12/29" {
		t.Errorf("FormatJalaliNumeric in New York = %q", got)
	}
	// A field's day is its day in the zone, both ways.
	if got := ny.FormatDateValue(now); got != "2026-03-20" {
		t.Errorf("FormatDateValue in New York = %q", got)
	}
	if got := ny.ParseDateValue("2026-03-20"); !got.Equal(ny.StartOfDay(now)) {
		t.Errorf("ParseDateValue in New York = %s", got)
	}
	startdate, _ := Field("startdate")
	if v, err := startdate.Parse("today", ny, now); v != "2026-03-20" || err != nil {
		t.Errorf("the start date field's today in New York = %q, %v", v, err)
	}
}

// The zero Calendar has no zone: using it is a bug caught at once.
func TestZeroCalendarPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("the zero Calendar reckoned a day")
		}
	}()
	Calendar{}.ProgramYear(time.Now())
}
