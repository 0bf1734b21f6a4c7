package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "time/tzdata" // the zone must load on hosts without zoneinfo (scratch images)
)

// Tehran is the zone of every day boundary in Rasad.
var Tehran = mustLoadLocation("Asia/Tehran")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("domain: load " + name + ": " + err.Error())
	}
	return loc
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

// ToJalali is the Solar Hijri day t falls on in Tehran. Instants outside
// the supported years (1–3176) give the zero JalaliDate, which is not Valid.
func ToJalali(t time.Time) JalaliDate {
	y, m, d := t.In(Tehran).Date()
	if y < 600 || y > 3900 { // keeps the arithmetic far from overflow
		return JalaliDate{}
	}
	jy, jm, jd, ok := d2j(g2d(y, int(m), d))
	if !ok || jy < minJalaliYear || jy > maxJalaliYear {
		return JalaliDate{}
	}
	return JalaliDate{jy, jm, jd}
}

// Time is midnight in Tehran at the start of d, or the zero Time if d is
// not Valid. On the old daylight-saving days when midnight did not exist
// it is the first instant of the day (01:00).
func (d JalaliDate) Time() time.Time {
	if !d.Valid() {
		return time.Time{}
	}
	gy, gm, gd := d2g(j2d(d.Year, d.Month, d.Day))
	return time.Date(gy, time.Month(gm), gd, 0, 0, 0, 0, Tehran)
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
// دیروز/yesterday relative to now. The result is midnight Tehran. Whether
// the day is acceptable (not in the future, within the year) is for the
// caller to decide.
func ParseJalaliDate(s string, now time.Time) (time.Time, error) {
	n := strings.ToLower(Normalize(s))
	switch n {
	case "امروز", "today":
		return relativeDay(now, 0)
	case "دیروز", "yesterday":
		return relativeDay(now, -1)
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
	return jd.Time(), nil
}

func relativeDay(now time.Time, days int) (time.Time, error) {
	d := ToJalali(now).AddDays(days)
	if d.Year < minTypedYear || d.Year > maxTypedYear {
		return time.Time{}, Invalid("date.year")
	}
	return d.Time(), nil
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

// FormatJalali writes t's Tehran day in Persian: "۱۷ خرداد ۱۴۰۱".
func FormatJalali(t time.Time) string { return FormatJalaliLang(t, "fa") }

// FormatJalaliLang writes t's Tehran day in Persian, or for lang "en" in
// English: "17 Khordad 1401". Days outside the supported years give "".
func FormatJalaliLang(t time.Time, lang string) string {
	d := ToJalali(t)
	if !d.Valid() {
		return ""
	}
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", d.Day, monthsEn[d.Month-1], d.Year)
	}
	return PersianDigits(strconv.Itoa(d.Day)) + " " + monthsFa[d.Month-1] + " " + PersianDigits(strconv.Itoa(d.Year))
}

// FormatJalaliNumeric writes t's Tehran day as "1401/03/17", the form
// ParseJalaliDate reads back; "" outside the supported years.
func FormatJalaliNumeric(t time.Time) string {
	d := ToJalali(t)
	if !d.Valid() {
		return ""
	}
	return d.String()
}

// ProgramYear is the Solar Hijri year of t in Tehran: the program year
// starts on 1 Farvardin.
func ProgramYear(t time.Time) int { return ToJalali(t).Year }

// YearStart is midnight Tehran on 1 Farvardin of year.
func YearStart(year int) time.Time { return JalaliDate{year, 1, 1}.Time() }

// StartOfDay is midnight Tehran at the start of t's Tehran day.
func StartOfDay(t time.Time) time.Time {
	y, m, d := t.In(Tehran).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Tehran)
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
