package domain

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", " ", "علي كريمي", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "٠١٢٣", "\u200fمی\u200cخواهم\u200e",
		"\u200c\u200c", "a \u200c b", "محـــمد", "a\xffb", "\t\n\u00a0x\u3000",
		"\u202bx\u202c", "\ufeffy", "ى\u200c\u200f\u200cك",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q has stray spaces", s, n)
		}
		if strings.HasPrefix(n, "\u200c") || strings.HasSuffix(n, "\u200c") ||
			strings.Contains(n, " \u200c") || strings.Contains(n, "\u200c ") || strings.Contains(n, "\u200c\u200c") {
			t.Fatalf("Normalize(%q) = %q has a ZWNJ outside a word", s, n)
		}
		for _, r := range n {
			switch {
			case r >= '۰' && r <= '۹', r >= '٠' && r <= '٩':
				t.Fatalf("Normalize(%q) = %q keeps digit %q", s, n, r)
			case r == 'ي' || r == 'ى' || r == 'ك':
				t.Fatalf("Normalize(%q) = %q keeps Arabic letter %q", s, n, r)
			case invisible(r):
				t.Fatalf("Normalize(%q) = %q keeps invisible %U", s, n, r)
			case r != ' ' && strings.ContainsRune("\t\n\v\f\r\u0085\u00a0\u2028\u2029\u3000", r):
				t.Fatalf("Normalize(%q) = %q keeps white space %U", s, n, r)
			}
		}
	})
}

func FuzzParseNationalID(f *testing.F) {
	for _, s := range []string{
		"0012345679", "۰۰۱۲۳۴۵۶۷۹", "12345679", "499370899", "001-234567-9",
		"0000000000", "1111111111", "00123456790", "abc", "", "\u200f۱۲۳۴۵۶۷۹",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseNationalID(s)
		if err != nil {
			if KindOf(err) != KindInvalid || !strings.HasPrefix(CodeOf(err), "nationalid.") || id != "" {
				t.Fatalf("ParseNationalID(%q) = %q, %v", s, id, err)
			}
			return
		}
		str := id.String()
		if len(str) != 10 || strings.Trim(str, "0123456789") != "" {
			t.Fatalf("ParseNationalID(%q) = %q is not 10 ASCII digits", s, str)
		}
		if checkDigit(str[:9]) != str[9] || repeated(str) {
			t.Fatalf("ParseNationalID(%q) = %q is not a valid code", s, str)
		}
		if again, err := ParseNationalID(str); err != nil || again != id {
			t.Fatalf("re-parse of %q = %q, %v", str, again, err)
		}
		if m := id.Masked(); len(m) != 10 || m[7:] != str[7:] || m[:7] != "*******" {
			t.Fatalf("Masked(%q) = %q", str, m)
		}
	})
}

func FuzzParseMobile(f *testing.F) {
	for _, s := range []string{
		"09121234567", "9121234567", "+989121234567", "989121234567", "00989121234567",
		"۰۹۱۲ ۱۲۳ ۴۵۶۷", "+98 (0)912 123 4567", "02112345678", "+14155552671", "", "+",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMobile(s)
		if err != nil {
			if CodeOf(err) != "mobile.format" || KindOf(err) != KindInvalid || m != "" {
				t.Fatalf("ParseMobile(%q) = %q, %v", s, m, err)
			}
			return
		}
		str := m.String()
		if !m.valid() || len(str) != 13 || !strings.HasPrefix(str, "+989") || strings.Trim(str[1:], "0123456789") != "" {
			t.Fatalf("ParseMobile(%q) = %q is not canonical", s, str)
		}
		for _, form := range []string{str, str[1:], m.Local(), "00" + str[1:], str[3:]} {
			if again, err := ParseMobile(form); err != nil || again != m {
				t.Fatalf("re-parse of %q = %q, %v; want %q", form, again, err, m)
			}
		}
		if mk := m.Masked(); mk != str[:6]+"***"+str[9:] {
			t.Fatalf("Masked(%q) = %q", str, mk)
		}
	})
}

func FuzzParseJalaliDate(f *testing.F) {
	base := time.Date(2022, 6, 7, 10, 0, 0, 0, Tehran()).Unix()
	for _, s := range []string{
		"1401/03/17", "۱۴۰۱/۳/۱۷", "1401-3-17", "1401.3.17", " 1401 / 3 / 17 ", "امروز",
		"دیروز", "today", "yesterday", "1402/12/30", "1403/12/30", "1401/13/01", "01/03/17", "",
	} {
		f.Add(s, int64(0))
	}
	f.Add("today", int64(-3600*10))
	f.Add("yesterday", int64(86400*365*3))
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		// Keep now within about ±150 years of 2022, where a real clock is.
		now := time.Unix(base+offset%(150*366*86400), 0)
		got, err := cal.ParseJalaliDate(s, now)
		if err != nil {
			switch CodeOf(err) {
			case "date.format", "date.range", "date.year":
			default:
				t.Fatalf("ParseJalaliDate(%q) error %v", s, err)
			}
			if !got.IsZero() {
				t.Fatalf("ParseJalaliDate(%q) = %s with error", s, got)
			}
			return
		}
		if got.Location() != Tehran() || !cal.StartOfDay(got).Equal(got) {
			t.Fatalf("ParseJalaliDate(%q) = %s is not a Tehran day start", s, got)
		}
		d := cal.ToJalali(got)
		if !d.Valid() || !cal.Midnight(d).Equal(got) {
			t.Fatalf("ParseJalaliDate(%q) = %s, ToJalali = %v", s, got, d)
		}
		numeric := cal.FormatJalaliNumeric(got)
		again, err := cal.ParseJalaliDate(numeric, now)
		if err != nil || !again.Equal(got) {
			t.Fatalf("%q -> %s -> %q -> %s, %v", s, got, numeric, again, err)
		}
		if again, err := cal.ParseJalaliDate(PersianDigits(numeric), now); err != nil || !again.Equal(got) {
			t.Fatalf("Persian digits of %q -> %s, %v", numeric, again, err)
		}
		if cal.FormatJalali(got) == "" || cal.FormatJalaliLang(got, "en") == "" {
			t.Fatalf("cannot format %s", got)
		}
	})
}

func FuzzParsePersonName(f *testing.F) {
	for _, s := range []string{
		"علی رضایی", "علي كريمي", "عبدالله\u200cزاده", "مُحَمَّد", "Mary-Jane O'Neil", "ع", "",
		"علی ۲", "@ali", "\u200fمریم\u200f", "علی \u064e", strings.Repeat("ب", 101),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParsePersonName(s)
		if err != nil {
			switch CodeOf(err) {
			case "name.short", "name.long", "name.chars":
			default:
				t.Fatalf("ParsePersonName(%q) error %v", s, err)
			}
			return
		}
		if c := utf8.RuneCountInString(n); c < 2 || c > 100 || Normalize(n) != n {
			t.Fatalf("ParsePersonName(%q) = %q", s, n)
		}
		for _, r := range n {
			if isASCIIDigit(r) || r < ' ' {
				t.Fatalf("ParsePersonName(%q) = %q keeps %q", s, n, r)
			}
		}
		if again, err := ParsePersonName(n); err != nil || again != n {
			t.Fatalf("re-parse of %q = %q, %v", n, again, err)
		}
	})
}

func FuzzParseTitle(f *testing.F) {
	for _, s := range []string{
		"کارشناس اشتغال", "مدير كل", "شرکت «نان‌آوران» (سهامی خاص)", "IT", "ک", "",
		"ab\x00", "۱۲۳", strings.Repeat("ک", 101), "منطقه ۱۲",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseTitle(s)
		if err != nil {
			switch CodeOf(err) {
			case "title.short", "title.long", "title.chars":
			default:
				t.Fatalf("ParseTitle(%q) error %v", s, err)
			}
			return
		}
		if c := utf8.RuneCountInString(n); c < 2 || c > 100 || Normalize(n) != n || !utf8.ValidString(n) {
			t.Fatalf("ParseTitle(%q) = %q", s, n)
		}
		for _, r := range n {
			if r < ' ' || r == 0x7f {
				t.Fatalf("ParseTitle(%q) = %q keeps control %U", s, n, r)
			}
		}
		if again, err := ParseTitle(n); err != nil || again != n {
			t.Fatalf("re-parse of %q = %q, %v", n, again, err)
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"50,000,000", "۵۰٬۰۰۰٬۰۰۰", "٥٠،٠٠٠", "50 000 000", "50.000.000", "50'000", "0", "-5", "1e6",
		"1.5", "50,00,000", "1,000,000,000,000,000", "1000000000000001", "12345678901234567", "",
		"0000000000000000000001", "50, 000", ",000", "50,000,", "1٫5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseAmount(s)
		if err != nil {
			switch CodeOf(err) {
			case "amount.format", "amount.range":
			default:
				t.Fatalf("ParseAmount(%q) error %v", s, err)
			}
			if KindOf(err) != KindInvalid || n != 0 {
				t.Fatalf("ParseAmount(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n <= 0 || n > MaxAmount {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, n)
		}
		// The value is the input's digits, separators left out.
		digits := strings.TrimLeft(strings.Map(func(r rune) rune {
			if isASCIIDigit(r) {
				return r
			}
			return -1
		}, Normalize(s)), "0")
		if digits != strconv.FormatInt(n, 10) {
			t.Fatalf("ParseAmount(%q) = %d, but its digits are %q", s, n, digits)
		}
		for _, form := range []string{strconv.FormatInt(n, 10), FormatNumber(n, "fa"), FormatNumber(n, "en")} {
			if again, err := ParseAmount(form); err != nil || again != n {
				t.Fatalf("re-parse of %q = %d, %v; want %d", form, again, err, n)
			}
		}
	})
}

func FuzzParseBirthYear(f *testing.F) {
	for _, s := range []string{
		"1370", "۱۳۷۰", "١٣٧٠", " 1370 ", "1390", "1391", "1335", "1334", "0000", "1990",
		"137", "13700", "abc", "", "+137", "\u200f۱۳۷۰",
	} {
		f.Add(s, int64(0))
	}
	f.Add("1389", int64(-86400*80))
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		// now is 1405/03/17 give or take about 150 years.
		now := time.Unix(time.Date(2026, 6, 7, 10, 0, 0, 0, Tehran()).Unix()+offset%(150*366*86400), 0)
		y, err := ParseBirthYear(s, cal.ProgramYear(now))
		if err != nil {
			switch CodeOf(err) {
			case "birthyear.format", "birthyear.range", "birthyear.gregorian":
			default:
				t.Fatalf("ParseBirthYear(%q) error %v", s, err)
			}
			if KindOf(err) != KindInvalid || y != 0 {
				t.Fatalf("ParseBirthYear(%q) = %d, %v", s, y, err)
			}
			return
		}
		if age := cal.ProgramYear(now) - y; y < 1000 || y > 9999 || age < MinAge || age > MaxAge {
			t.Fatalf("ParseBirthYear(%q) at %s = %d", s, now, y)
		}
		if checkBirthYear(y, cal.ProgramYear(now)) != nil {
			t.Fatalf("ParseBirthYear(%q) = %d, which Check refuses", s, y)
		}
		for _, form := range []string{strconv.Itoa(y), PersianDigits(strconv.Itoa(y))} {
			if again, err := ParseBirthYear(form, cal.ProgramYear(now)); err != nil || again != y {
				t.Fatalf("re-parse of %q = %d, %v; want %d", form, again, err, y)
			}
		}
	})
}

func FuzzParseDistrict(f *testing.F) {
	for _, s := range []string{
		"1", "۲۲", "٢٢", " 05 ", "منطقه ۵", "منطقه۵", "منطقه\u200c۵", "District 5", "0", "23",
		"x", "", "-1", "+5", "منطقه", "99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDistrict(s)
		if err != nil {
			if CodeOf(err) != "district.range" || KindOf(err) != KindInvalid || d != 0 {
				t.Fatalf("ParseDistrict(%q) = %d, %v", s, d, err)
			}
			return
		}
		if d < 1 || d > Districts {
			t.Fatalf("ParseDistrict(%q) = %d", s, d)
		}
		str := strconv.Itoa(d)
		for _, form := range []string{str, PersianDigits(str), "منطقه " + PersianDigits(str)} {
			if again, err := ParseDistrict(form); err != nil || again != d {
				t.Fatalf("re-parse of %q = %d, %v; want %d", form, again, err, d)
			}
		}
	})
}

func FuzzParseStartDate(f *testing.F) {
	base := time.Date(2026, 6, 7, 10, 0, 0, 0, Tehran()).Unix() // 1405/03/17
	for _, s := range []string{
		"امروز", "today", "دیروز", "yesterday", "1405/03/17", "۱۴۰۵/۳/۱۷", "1405/03/18", "1405/01/01",
		"1404/01/01", "1403/12/29", "1403/12/30", "1404/12/30", "2026/06/07", "",
	} {
		f.Add(s, int64(0))
	}
	f.Add("today", int64(13*3600+30*60)) // 23:30 Tehran
	f.Add("1405/03/18", int64(14*3600))  // 00:00 Tehran the next day
	f.Add("1404/01/01", -int64(78*86400+10*3600))
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		now := time.Unix(base+offset%(150*366*86400), 0)
		got, err := cal.ParseStartDate(s, now)
		if err != nil {
			switch CodeOf(err) {
			case "date.format", "date.range", "date.year", "startdate.future", "startdate.old":
			default:
				t.Fatalf("ParseStartDate(%q) error %v", s, err)
			}
			if KindOf(err) != KindInvalid || !got.IsZero() {
				t.Fatalf("ParseStartDate(%q) = %s, %v", s, got, err)
			}
			return
		}
		if got.Location() != Tehran() || !cal.StartOfDay(got).Equal(got) {
			t.Fatalf("ParseStartDate(%q) = %s is not a Tehran day start", s, got)
		}
		if got.After(now) || got.Before(cal.YearStart(cal.ProgramYear(now)-1)) {
			t.Fatalf("ParseStartDate(%q) at %s = %s, outside last program year to today", s, now, got)
		}
		if py := cal.ProgramYear(got); py != cal.ProgramYear(now) && py != cal.ProgramYear(now)-1 {
			t.Fatalf("ParseStartDate(%q) at %s = %s, of year %d", s, now, got, py)
		}
		if err := cal.CheckStartDate(got, now); err != nil {
			t.Fatalf("CheckStartDate(%s) = %v after ParseStartDate accepted it", got, err)
		}
		numeric := cal.FormatJalaliNumeric(got)
		if again, err := cal.ParseStartDate(numeric, now); err != nil || !again.Equal(got) {
			t.Fatalf("%q -> %s -> %q -> %s, %v", s, got, numeric, again, err)
		}
	})
}

func FuzzParseWeekdays(f *testing.F) {
	for _, s := range []string{
		"sat;tue", "SAT, tue", "tue;sat", "sat;sat", "sat،tue", "sat؛thu", " fri  sun ",
		"sat;sun;mon;tue;wed;thu;fri", "", ";", "xyz", "sat;xyz", "saturday", "sat۱", "\u200fsat\u200c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseWeekdays(s)
		if err != nil {
			if CodeOf(err) != "market.weekdays" || KindOf(err) != KindInvalid || days != nil {
				t.Fatalf("ParseWeekdays(%q) = %v, %v", s, days, err)
			}
			return
		}
		if !validWeekdays(days) || len(days) > 7 {
			t.Fatalf("ParseWeekdays(%q) = %v: not a list of distinct weekdays", s, days)
		}
		codes := make([]string, len(days))
		for i, d := range days {
			if i > 0 && weekdayIndex(d) <= weekdayIndex(days[i-1]) {
				t.Fatalf("ParseWeekdays(%q) = %v: not in week order from Saturday", s, days)
			}
			codes[i] = WeekdayCode(d)
			if !strings.Contains(strings.ToLower(Normalize(s)), codes[i]) {
				t.Fatalf("ParseWeekdays(%q) = %v: %s was not typed", s, days, codes[i])
			}
		}
		again, err := ParseWeekdays(strings.Join(codes, ";"))
		if err != nil || len(again) != len(days) {
			t.Fatalf("re-parse of %q = %v, %v; want %v", strings.Join(codes, ";"), again, err, days)
		}
		for i := range days {
			if again[i] != days[i] {
				t.Fatalf("re-parse of %q = %v, want %v", strings.Join(codes, ";"), again, days)
			}
		}
	})
}
