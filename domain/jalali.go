package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "time/tzdata" // the zone must load on hosts without zoneinfo (scratch images)
)

// DefaultZone names the zone Rasad draws day boundaries in unless
// configured otherwise.
const DefaultZone = "Asia/Tehran"

var tehran = mustLoadLocation(DefaultZone)

// Tehran is the Asia/Tehran zone: the default of configuration, and the
// zone tests write their instants in. Code that draws a day boundary takes
// its zone from a Calendar, made from configuration, not from here.
func Tehran() *time.Location { return tehran }

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("domain: load " + name + ": " + err.Error())
	}
	return loc
}

// Calendar reckons days in one time zone: the Solar Hijri day an instant
// falls on, midnight at the start of a day, the program year. The zone is
// configuration (TIME_ZONE), so a Calendar is made once from it and handed
// to whatever draws a day boundary: the bot, the store, the rules that
// judge a date against now.
//
// The zero Calendar has no zone, and using it panics: a zone forgotten is
// a bug to see at once, not a day silently reckoned in UTC.
type Calendar struct{ loc *time.Location }

// NewCalendar is the calendar of zone loc.
func NewCalendar(loc *time.Location) Calendar {
	if loc == nil {
		panic("domain: NewCalendar without a zone")
	}
	return Calendar{loc}
}

// DefaultCalendar is the calendar of DefaultZone, for tests and tools that
// have no configuration.
func DefaultCalendar() Calendar { return Calendar{tehran} }

// Location is c's zone.
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		panic("domain: a Calendar without a zone was used; make it with NewCalendar")
	}
	return c.loc
}

// IsZero reports whether c is the zero Calendar, which has no zone.
func (c Calendar) IsZero() bool { return c.loc == nil }

// In is t on c's clocks.
func (c Calendar) In(t time.Time) time.Time { return t.In(c.Location()) }

// Date is midnight at the start of the Gregorian day y-m-d in c's zone,
// the values normalized as by time.Date (day 0 is the month's day before).
func (c Calendar) Date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, c.Location())
}

// JalaliDate is a day of the Solar Hijri calendar (1401/03/17).
type JalaliDate struct{ Year, Month, Day int }

// The years the calendar arithmetic covers without edge effects.
const (
	minJalaliYear = 1
	maxJalaliYear = 3176
)

// Typed years outside this window are refused: a four-digit year such as
// 2022 is a Gregorian date, not one six centuries ahead.
const (
	minTypedYear = 1300
	maxTypedYear = 1799
)

var (
	monthsFa = [12]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}
	monthsEn = [12]string{"Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand"}
)

// ToJalali is the Solar Hijri day t falls on in c's zone. Instants outside
// the supported years (1–3176) give the zero JalaliDate, which is not Valid.
func (c Calendar) ToJalali(t time.Time) JalaliDate {
	y, m, d := c.In(t).Date()
	return JalaliOf(y, m, d)
}

// JalaliOf is the Solar Hijri day of the Gregorian day y-m-d, wherever it
// is; days outside the supported years give the zero JalaliDate.
func JalaliOf(y int, m time.Month, d int) JalaliDate {
	if y < 600 || y > 3900 { // keeps the arithmetic far from overflow
		return JalaliDate{}
	}
	jy, jm, jd, ok := d2j(g2d(y, int(m), d))
	if !ok || jy < minJalaliYear || jy > maxJalaliYear {
		return JalaliDate{}
	}
	return JalaliDate{jy, jm, jd}
}

// Midnight is midnight in c's zone at the start of d, or the zero Time if
// d is not Valid. On a daylight-saving day when midnight did not exist (in
// Tehran, some before 2023) it is the first instant of the day (01:00).
func (c Calendar) Midnight(d JalaliDate) time.Time {
	if !d.Valid() {
		return time.Time{}
	}
	gy, gm, gd := d2g(j2d(d.Year, d.Month, d.Day))
	return c.Date(gy, time.Month(gm), gd)
}

// Valid reports whether d is a day that exists in a supported year.
func (d JalaliDate) Valid() bool {
	return d.Year >= minJalaliYear && d.Year <= maxJalaliYear &&
		d.Month >= 1 && d.Month <= 12 &&
		d.Day >= 1 && d.Day <= JalaliMonthLength(d.Year, d.Month)
}

// AddDays is the day n days after d (before, for negative n); the zero
// JalaliDate if d is not Valid or the result leaves the supported years.
func (d JalaliDate) AddDays(n int) JalaliDate {
	const span = (maxJalaliYear + 1) * 366 // more days than the supported years hold
	if !d.Valid() || n > span || n < -span {
		return JalaliDate{}
	}
	jy, jm, jd, ok := d2j(j2d(d.Year, d.Month, d.Day) + n)
	r := JalaliDate{jy, jm, jd}
	if !ok || !r.Valid() {
		return JalaliDate{}
	}
	return r
}

// String is the numeric form, "1401/03/17".
func (d JalaliDate) String() string {
	return fmt.Sprintf("%04d/%02d/%02d", d.Year, d.Month, d.Day)
}

// IsJalaliLeap reports whether Esfand of year has 30 days.
func IsJalaliLeap(year int) bool {
	_, _, leap, ok := jalCal(year)
	return ok && leap == 0
}

// JalaliMonthLength is the number of days of month in year: 31 in months
// 1–6, 30 in 7–11, 29 or (leap) 30 in 12; 0 for a month that does not exist.
func JalaliMonthLength(year, month int) int {
	switch {
	case month >= 1 && month <= 6:
		return 31
	case month >= 7 && month <= 11:
		return 30
	case month == 12 && IsJalaliLeap(year):
		return 30
	case month == 12:
		return 29
	}
	return 0
}

// ParseJalaliDate reads a date as typed: 1401/03/17, ۱۴۰۱/۳/۱۷, 1401-3-17,
// 1401.3.17 (spaces around separators allowed), or امروز/today and
// دیروز/yesterday relative to now's day in c's zone. The result is
// midnight in c's zone. Whether the day is acceptable (not in the future,
// within the year) is for the caller to decide.
func (c Calendar) ParseJalaliDate(s string, now time.Time) (time.Time, error) {
	n := strings.ToLower(Normalize(s))
	switch n {
	case "امروز", "today":
		return c.relativeDay(now, 0)
	case "دیروز", "yesterday":
		return c.relativeDay(now, -1)
	}
	f, ok := splitDate(n)
	if !ok || len(f[0]) != 4 || len(f[1]) > 2 || len(f[2]) > 2 {
		return time.Time{}, Invalid("date.format")
	}
	// Fields are 1–4 ASCII digits, so Atoi cannot fail.
	y, _ := strconv.Atoi(f[0])
	m, _ := strconv.Atoi(f[1])
	d, _ := strconv.Atoi(f[2])
	if y < minTypedYear || y > maxTypedYear {
		return time.Time{}, Invalid("date.year")
	}
	jd := JalaliDate{y, m, d}
	if !jd.Valid() {
		return time.Time{}, Invalid("date.range")
	}
	return c.Midnight(jd), nil
}

func (c Calendar) relativeDay(now time.Time, days int) (time.Time, error) {
	d := c.ToJalali(now).AddDays(days)
	if d.Year < minTypedYear || d.Year > maxTypedYear {
		return time.Time{}, Invalid("date.year")
	}
	return c.Midnight(d), nil
}

// splitDate splits normalized "y<sep>m<sep>d" into its three digit runs;
// Normalize has already reduced white space to single spaces.
func splitDate(s string) (f [3]string, ok bool) {
	for i := range f {
		j := 0
		for j < len(s) && isASCIIDigit(rune(s[j])) {
			j++
		}
		if j == 0 {
			return f, false
		}
		f[i], s = s[:j], s[j:]
		if i == len(f)-1 {
			break
		}
		s = strings.TrimPrefix(s, " ")
		r, size := utf8.DecodeRuneInString(s)
		if !isDateSep(r) {
			return f, false
		}
		s = strings.TrimPrefix(s[size:], " ")
	}
	return f, s == ""
}

// isDateSep accepts '/', '-', '.', the Persian keyboard's decimal
// separator '٫', and the slashes and dashes phones substitute.
func isDateSep(r rune) bool {
	switch r {
	case '/', '.', '\\', '٫', '\u2044', '\u2215', '\uff0f':
		return true
	}
	return isDash(r)
}

// FormatJalali writes t's day in c's zone in Persian: "۱۷ خرداد ۱۴۰۱".
func (c Calendar) FormatJalali(t time.Time) string { return c.FormatJalaliLang(t, "fa") }

// FormatJalaliLang writes t's day in c's zone in Persian, or for lang "en"
// in English: "17 Khordad 1401". Days outside the supported years give "".
func (c Calendar) FormatJalaliLang(t time.Time, lang string) string {
	d := c.ToJalali(t)
	if !d.Valid() {
		return ""
	}
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", d.Day, monthsEn[d.Month-1], d.Year)
	}
	return PersianDigits(strconv.Itoa(d.Day)) + " " + monthsFa[d.Month-1] + " " + PersianDigits(strconv.Itoa(d.Year))
}

// FormatJalaliNumeric writes t's day in c's zone as "1401/03/17", the form
// ParseJalaliDate reads back; "" outside the supported years.
func (c Calendar) FormatJalaliNumeric(t time.Time) string {
	d := c.ToJalali(t)
	if !d.Valid() {
		return ""
	}
	return d.String()
}

// ProgramYear is the Solar Hijri year of t in c's zone: the program year
// starts on 1 Farvardin.
func (c Calendar) ProgramYear(t time.Time) int { return c.ToJalali(t).Year }

// YearStart is midnight in c's zone on 1 Farvardin of year.
func (c Calendar) YearStart(year int) time.Time { return c.Midnight(JalaliDate{year, 1, 1}) }

// StartOfDay is midnight at the start of t's day in c's zone.
func (c Calendar) StartOfDay(t time.Time) time.Time {
	y, m, d := c.In(t).Date()
	return c.Date(y, m, d)
}

// The conversion below is the arithmetic of jalaali-js
// (github.com/jalaali/jalaali-js), which follows Borkowski's "breaks"
// method. JS's div (~~(a/b)) and mod are truncating, like Go's / and %.
// Day numbers are Julian Day Numbers.

// breaks are the Jalali years in which the 33-year leap cycle shifts.
var breaks = [...]int{
	-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178,
}

// jalCal gives, for Jalali year jy, the Gregorian year gy in which it
// starts, the day in March of 1 Farvardin, and leap: the number of years
// since the last leap year (0 means jy is leap).
func jalCal(jy int) (gy, march, leap int, ok bool) {
	if jy < breaks[0] || jy >= breaks[len(breaks)-1] {
		return 0, 0, 0, false
	}
	gy = jy + 621
	leapJ := -14
	jp := breaks[0]
	jump := 0
	for _, jm := range breaks[1:] {
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += n/33*8 + (n%33+3)/4
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	leapG := gy/4 - (gy/100+1)*3/4 - 150
	march = 20 + leapJ - leapG
	if jump-n < 6 {
		n = n - jump + (jump+4)/33*33
	}
	leap = ((n+1)%33 - 1) % 4
	if leap == -1 {
		leap = 4
	}
	return gy, march, leap, true
}

// j2d is the day number of a Jalali date whose year jalCal accepts.
func j2d(jy, jm, jd int) int {
	gy, march, _, _ := jalCal(jy)
	return g2d(gy, 3, march) + (jm-1)*31 - jm/7*(jm-7) + jd - 1
}

// d2j is the Jalali date of day number jdn.
func d2j(jdn int) (jy, jm, jd int, ok bool) {
	gy, _, _ := d2g(jdn)
	jy = gy - 621
	_, march, leap, ok := jalCal(jy)
	if !ok {
		return 0, 0, 0, false
	}
	k := jdn - g2d(gy, 3, march)
	if k >= 0 {
		if k <= 185 {
			return jy, 1 + k/31, k%31 + 1, true
		}
		k -= 186
	} else {
		jy--
		k += 179
		if leap == 1 {
			k++
		}
	}
	return jy, 7 + k/30, k%30 + 1, true
}

// g2d is the day number of a Gregorian date.
func g2d(gy, gm, gd int) int {
	d := (gy+(gm-8)/6+100100)*1461/4 + (153*((gm+9)%12)+2)/5 + gd - 34840408
	return d - (gy+100100+(gm-8)/6)/100*3/4 + 752
}

// d2g is the Gregorian date of day number jdn.
func d2g(jdn int) (gy, gm, gd int) {
	j := 4*jdn + 139361631
	j += (4*jdn+183187720)/146097*3/4*4 - 3908
	i := j%1461/4*5 + 308
	gd = i%153/5 + 1
	gm = i/153%12 + 1
	gy = j/1461 - 100100 + (8-gm)/6
	return gy, gm, gd
}
