package domain

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// placementNow is 17 Khordad 1405, 10:00 in Tehran: program year 1405.
var placementNow = time.Date(2026, 6, 7, 10, 0, 0, 0, Tehran())

func jday(y, m, d int) time.Time { return cal.Midnight(JalaliDate{y, m, d}) }

// validPlacement is a placement Check accepts at placementNow.
func validPlacement() Placement {
	return Placement{
		ProgramYear:   1405,
		NationalID:    "0012345679",
		FullName:      "زهرا محمدی",
		Gender:        GenderFemale,
		BirthYear:     1370,
		Mobile:        "+989121234567",
		Sector:        SectorServices,
		Activity:      "خیاطی",
		Employer:      "کارگاه نان‌آوران",
		Kind:          KindHomeBusiness,
		Support:       SupportFinancing,
		Funding:       FundingQardHasan,
		FundingAmount: 500_000_000,
		County:        TehranCounty,
		District:      5,
		Area:          AreaUrban,
		StartDate:     jday(1405, 3, 1),
		Insurance:     InsuranceInsured,
	}
}

func codes(errs []error) []string {
	var c []string
	for _, err := range errs {
		if KindOf(err) != KindInvalid {
			c = append(c, "not invalid: "+err.Error())
			continue
		}
		c = append(c, CodeOf(err))
	}
	return c
}

func TestPlacementCheckValid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Placement)
	}{
		{"as is", func(*Placement) {}},
		{"no mobile", func(p *Placement) { p.Mobile = "" }},
		{"no funding, no amount", func(p *Placement) { p.Funding, p.FundingAmount = FundingNone, 0 }},
		{"amount at the bound", func(p *Placement) { p.FundingAmount = MaxAmount }},
		{"amount of one rial", func(p *Placement) { p.FundingAmount = 1 }},
		{"district 1", func(p *Placement) { p.District = 1 }},
		{"district 22", func(p *Placement) { p.District = Districts }},
		{"tehran rural, no district", func(p *Placement) { p.Area, p.District = AreaRural, 0 }},
		{"other county urban", func(p *Placement) { p.County, p.District = "rey", 0 }},
		{"other county rural", func(p *Placement) { p.County, p.Area, p.District = "firuzkuh", AreaRural, 0 }},
		{"age 15", func(p *Placement) { p.BirthYear = 1390 }},
		{"age 70", func(p *Placement) { p.BirthYear = 1335 }},
		{"starts today", func(p *Placement) { p.StartDate = jday(1405, 3, 17) }},
		{"started last program year", func(p *Placement) { p.StartDate = jday(1404, 1, 1) }},
		{"arabic letters in name", func(p *Placement) { p.FullName = "زهراء محمدي" }},
		{"name with zwnj", func(p *Placement) { p.FullName = "عبدالله\u200cزاده" }},
		{"code with leading zeros", func(p *Placement) { p.NationalID = "0499370899" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlacement()
			tt.edit(&p)
			if errs := p.Check(cal, placementNow); errs != nil {
				t.Fatalf("Check = %v, want nil", errs)
			}
		})
	}
}

// One broken field at a time gives exactly that field's code.
func TestPlacementCheckOneField(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Placement)
		code string
	}{
		{"no national code", func(p *Placement) { p.NationalID = "" }, "nationalid.missing"},
		{"letter in code", func(p *Placement) { p.NationalID = "00123456a9" }, "nationalid.chars"},
		{"code too short", func(p *Placement) { p.NationalID = "1234567" }, "nationalid.length"},
		{"code too long", func(p *Placement) { p.NationalID = "00123456790" }, "nationalid.length"},
		{"repeated code", func(p *Placement) { p.NationalID = "1111111111" }, "nationalid.repeated"},
		{"bad check digit", func(p *Placement) { p.NationalID = "0012345678" }, "nationalid.checksum"},
		// Valid codes not in canonical form must not reach storage: the
		// yearly uniqueness compares stored strings.
		{"code unpadded", func(p *Placement) { p.NationalID = "12345679" }, "nationalid.length"},
		{"code in persian digits", func(p *Placement) { p.NationalID = "۰۰۱۲۳۴۵۶۷۹" }, "nationalid.chars"},
		{"code with dashes", func(p *Placement) { p.NationalID = "001-234567-9" }, "nationalid.chars"},

		{"no name", func(p *Placement) { p.FullName = "" }, "name.short"},
		{"one-letter name", func(p *Placement) { p.FullName = "ز" }, "name.short"},
		{"long name", func(p *Placement) { p.FullName = strings.Repeat("ز", 101) }, "name.long"},
		{"digits in name", func(p *Placement) { p.FullName = "زهرا ۱۲" }, "name.chars"},

		{"no gender", func(p *Placement) { p.Gender = "" }, "gender.missing"},
		{"unknown gender", func(p *Placement) { p.Gender = "f" }, "gender.unknown"},

		{"no birth year", func(p *Placement) { p.BirthYear = 0 }, "birthyear.missing"},
		{"age 14", func(p *Placement) { p.BirthYear = 1391 }, "birthyear.range"},
		{"age 71", func(p *Placement) { p.BirthYear = 1334 }, "birthyear.range"},
		{"gregorian birth year", func(p *Placement) { p.BirthYear = 1990 }, "birthyear.range"},
		{"negative birth year", func(p *Placement) { p.BirthYear = -1370 }, "birthyear.range"},

		{"mobile not canonical", func(p *Placement) { p.Mobile = "09121234567" }, "mobile.format"},
		{"mobile garbage", func(p *Placement) { p.Mobile = "+98912" }, "mobile.format"},
		{"landline", func(p *Placement) { p.Mobile = "+982112345678" }, "mobile.format"},

		{"no sector", func(p *Placement) { p.Sector = "" }, "sector.missing"},
		{"unknown sector", func(p *Placement) { p.Sector = "mining" }, "sector.unknown"},

		{"no activity", func(p *Placement) { p.Activity = "" }, "activity.short"},
		{"long activity", func(p *Placement) { p.Activity = strings.Repeat("ک", 101) }, "activity.long"},
		{"activity of digits", func(p *Placement) { p.Activity = "۱۲۳" }, "activity.chars"},
		{"control in activity", func(p *Placement) { p.Activity = "خیاطی\x1b[31m" }, "activity.chars"},

		{"no employer", func(p *Placement) { p.Employer = " " }, "employer.short"},
		{"long employer", func(p *Placement) { p.Employer = strings.Repeat("ک", 101) }, "employer.long"},
		{"employer of digits", func(p *Placement) { p.Employer = "12" }, "employer.chars"},

		{"no kind", func(p *Placement) { p.Kind = "" }, "kind.missing"},
		{"unknown kind", func(p *Placement) { p.Kind = "gig" }, "kind.unknown"},

		{"no support", func(p *Placement) { p.Support = "" }, "support.missing"},
		{"unknown support", func(p *Placement) { p.Support = "money" }, "support.unknown"},

		{"no funding", func(p *Placement) { p.Funding, p.FundingAmount = "", 0 }, "funding.missing"},
		{"unknown funding", func(p *Placement) { p.Funding, p.FundingAmount = "loan", 1000 }, "funding.unknown"},

		{"amount without funding", func(p *Placement) { p.Funding = FundingNone }, "amount.unfunded"},
		{"negative amount without funding", func(p *Placement) { p.Funding, p.FundingAmount = FundingNone, -1 }, "amount.unfunded"},
		{"funded, no amount", func(p *Placement) { p.FundingAmount = 0 }, "amount.range"},
		{"negative amount", func(p *Placement) { p.FundingAmount = -5 }, "amount.range"},
		{"amount over the bound", func(p *Placement) { p.FundingAmount = MaxAmount + 1 }, "amount.range"},
		{"bank, no amount", func(p *Placement) { p.Funding, p.FundingAmount = FundingBank, 0 }, "amount.range"},

		{"no county", func(p *Placement) { p.County, p.District = "", 0 }, "county.unknown"},
		{"county by name", func(p *Placement) { p.County, p.District = "Tehran", 0 }, "county.unknown"},
		{"county of another province", func(p *Placement) { p.County, p.District = "karaj", 0 }, "county.unknown"},

		{"tehran urban without district", func(p *Placement) { p.District = 0 }, "district.range"},
		{"tehran district 23", func(p *Placement) { p.District = 23 }, "district.range"},
		{"tehran negative district", func(p *Placement) { p.District = -1 }, "district.range"},
		{"district in another county", func(p *Placement) { p.County = "rey" }, "district.outside"},
		{"district in tehran rural", func(p *Placement) { p.Area = AreaRural }, "district.outside"},
		{"district in rural county", func(p *Placement) { p.County, p.Area = "damavand", AreaRural }, "district.outside"},

		{"no area", func(p *Placement) { p.Area = "" }, "area.missing"},
		{"unknown area", func(p *Placement) { p.Area = "suburban" }, "area.unknown"},

		{"no start date", func(p *Placement) { p.StartDate = time.Time{} }, "startdate.missing"},
		{"starts tomorrow", func(p *Placement) { p.StartDate = jday(1405, 3, 18) }, "startdate.future"},
		{"starts next year", func(p *Placement) { p.StartDate = jday(1406, 1, 1) }, "startdate.future"},
		{"started two years ago", func(p *Placement) { p.StartDate = jday(1403, 12, 30) }, "startdate.old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlacement()
			tt.edit(&p)
			if got := codes(p.Check(cal, placementNow)); !slices.Equal(got, []string{tt.code}) {
				t.Fatalf("Check = %q, want [%s]", got, tt.code)
			}
		})
	}
}

// A spreadsheet row with many problems hears of all of them at once, in
// the order of the fields.
func TestPlacementCheckSeveral(t *testing.T) {
	p := validPlacement()
	p.NationalID = "0012345678"
	p.Gender = ""
	p.BirthYear = 1400
	p.Sector = "mining"
	p.Funding = FundingNone // amount still set
	p.District = 30
	p.StartDate = jday(1405, 4, 1)
	want := []string{
		"nationalid.checksum", "gender.missing", "birthyear.range", "sector.unknown",
		"amount.unfunded", "district.range", "startdate.future",
	}
	if got := codes(p.Check(cal, placementNow)); !slices.Equal(got, want) {
		t.Errorf("Check = %q\nwant    %q", got, want)
	}

	empty := codes(Placement{}.Check(cal, placementNow))
	want = []string{
		"nationalid.missing", "name.short", "gender.missing", "birthyear.missing", "sector.missing",
		"activity.short", "employer.short", "kind.missing", "support.missing", "funding.missing",
		"county.unknown", "area.missing", "startdate.missing", "insurance.missing",
	}
	if !slices.Equal(empty, want) {
		t.Errorf("Check(zero) = %q\nwant          %q", empty, want)
	}
}

// A district is judged only once county and area are known; until then the
// county or area error is the one to fix, not a misleading district one.
func TestPlacementCheckDistrictWaitsForCountyAndArea(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Placement)
		want []string
	}{
		{"area missing", func(p *Placement) { p.Area = "" }, []string{"area.missing"}},
		{"area unknown", func(p *Placement) { p.Area = "city" }, []string{"area.unknown"}},
		{"county unknown", func(p *Placement) { p.County = "tehran city" }, []string{"county.unknown"}},
		{"both unknown", func(p *Placement) { p.County, p.Area = "x", "y" }, []string{"county.unknown", "area.unknown"}},
		{"area missing, district out of range", func(p *Placement) { p.Area, p.District = "", 40 }, []string{"area.missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlacement()
			tt.edit(&p)
			if got := codes(p.Check(cal, placementNow)); !slices.Equal(got, tt.want) {
				t.Fatalf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNeedsDistrict(t *testing.T) {
	tests := []struct {
		county string
		area   Area
		want   bool
	}{
		{TehranCounty, AreaUrban, true},
		{TehranCounty, AreaRural, false},
		{TehranCounty, "", false},
		{"rey", AreaUrban, false},
		{"shemiranat", AreaUrban, false},
		{"rey", AreaRural, false},
		{"Tehran", AreaUrban, false},
		{"", AreaUrban, false},
	}
	for _, tt := range tests {
		if got := NeedsDistrict(tt.county, tt.area); got != tt.want {
			t.Errorf("NeedsDistrict(%q, %q) = %v, want %v", tt.county, tt.area, got, tt.want)
		}
	}
}

func TestCountyByCode(t *testing.T) {
	want := []struct{ code, fa, en string }{
		{"tehran", "تهران", "Tehran"},
		{"rey", "ری", "Rey"},
		{"shemiranat", "شمیرانات", "Shemiranat"},
		{"eslamshahr", "اسلامشهر", "Eslamshahr"},
		{"shahriar", "شهریار", "Shahriar"},
		{"malard", "ملارد", "Malard"},
		{"qods", "قدس", "Qods"},
		{"robatkarim", "رباط\u200cکریم", "Robat Karim"},
		{"baharestan", "بهارستان", "Baharestan"},
		{"pakdasht", "پاکدشت", "Pakdasht"},
		{"varamin", "ورامین", "Varamin"},
		{"qarchak", "قرچک", "Qarchak"},
		{"pishva", "پیشوا", "Pishva"},
		{"damavand", "دماوند", "Damavand"},
		{"firuzkuh", "فیروزکوه", "Firuzkuh"},
		{"pardis", "پردیس", "Pardis"},
	}
	if len(Counties) != 16 || len(want) != 16 {
		t.Fatalf("%d counties, want 16", len(Counties))
	}
	for i, w := range want {
		c, ok := CountyByCode(w.code)
		if !ok || c.Code != w.code || c.NameFa != w.fa || c.NameEn != w.en {
			t.Errorf("CountyByCode(%q) = %+v, %v", w.code, c, ok)
		}
		if Counties[i].Code != w.code {
			t.Errorf("Counties[%d] = %q, want %q (order of counties.csv)", i, Counties[i].Code, w.code)
		}
		if Normalize(c.NameFa) != c.NameFa {
			t.Errorf("county %q name %q is not normalized", c.Code, c.NameFa)
		}
	}
	if _, ok := CountyByCode(TehranCounty); !ok {
		t.Error("TehranCounty is not a county")
	}
	for _, bad := range []string{"", "Tehran", "TEHRAN", " tehran", "تهران", "karaj", "robat karim"} {
		if c, ok := CountyByCode(bad); ok || c != (County{}) {
			t.Errorf("CountyByCode(%q) = %+v, %v", bad, c, ok)
		}
	}
}

func TestEnumsHaveNoDuplicates(t *testing.T) {
	check := func(name string, vals []string) {
		seen := map[string]bool{}
		for _, v := range vals {
			if v == "" || seen[v] {
				t.Errorf("%s: empty or repeated %q", name, v)
			}
			seen[v] = true
		}
	}
	if len(Sectors) != 3 || len(Genders) != 2 || len(JobKinds) != 7 || len(Supports) != 9 || len(Fundings) != 5 || len(Areas) != 2 {
		t.Errorf("enum sizes %d %d %d %d %d %d", len(Sectors), len(Genders), len(JobKinds), len(Supports), len(Fundings), len(Areas))
	}
	for name, vals := range map[string][]string{
		"sectors":  toStrings(Sectors),
		"genders":  toStrings(Genders),
		"kinds":    toStrings(JobKinds),
		"supports": toStrings(Supports),
		"fundings": toStrings(Fundings),
		"areas":    toStrings(Areas),
		"counties": countyCodes(),
	} {
		check(name, vals)
	}
}

func toStrings[T ~string](vs []T) []string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return s
}

func TestParseBirthYear(t *testing.T) {
	tests := []struct {
		in   string
		want int
		code string
	}{
		{"1370", 1370, ""},
		{"۱۳۷۰", 1370, ""},
		{"١٣٧٠", 1370, ""},
		{" 1370 ", 1370, ""},
		{"\u200f۱۳۷۰\u200e", 1370, ""},
		{"1390", 1390, ""}, // 15 in 1405
		{"1391", 0, "birthyear.range"},
		{"1335", 1335, ""}, // 70 in 1405
		{"1334", 0, "birthyear.range"},
		{"1405", 0, "birthyear.range"},
		{"1990", 0, "birthyear.gregorian"},
		{"2026", 0, "birthyear.gregorian"}, // a baby, but told the Solar Hijri year first
		{"2030", 0, "birthyear.range"},     // no birth year, in either calendar
		{"0000", 0, "birthyear.range"},     // typed, so not missing
		{"9999", 0, "birthyear.range"},
		{"137", 0, "birthyear.format"},
		{"70", 0, "birthyear.format"},
		{"13700", 0, "birthyear.format"},
		{"abc", 0, "birthyear.format"},
		{"", 0, "birthyear.format"},
		{"13 70", 0, "birthyear.format"},
		{"+137", 0, "birthyear.format"},
		{"-137", 0, "birthyear.format"},
		{"1370/01/01", 0, "birthyear.format"},
		{"١٣٧٠ ", 1370, ""},
	}
	for _, tt := range tests {
		got, err := ParseBirthYear(tt.in, cal.ProgramYear(placementNow))
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code || got != tt.want {
			t.Errorf("ParseBirthYear(%q) = %d, %v; want %d, %q", tt.in, got, err, tt.want, tt.code)
		}
		if err != nil && KindOf(err) != KindInvalid {
			t.Errorf("ParseBirthYear(%q) error kind %v", tt.in, KindOf(err))
		}
	}
}

// The age bounds follow the program year of now, which turns on 1
// Farvardin in Tehran, not on 1 January.
func TestParseBirthYearFollowsProgramYear(t *testing.T) {
	lastDay1404 := time.Date(2026, 3, 20, 23, 59, 0, 0, Tehran()) // 1404/12/29
	firstDay1405 := time.Date(2026, 3, 21, 0, 0, 0, 0, Tehran())
	for _, tt := range []struct {
		now  time.Time
		year string
		code string
	}{
		{lastDay1404, "1389", ""},
		{lastDay1404, "1390", "birthyear.range"},
		{firstDay1405, "1390", ""},
		{lastDay1404, "1334", ""},
		{firstDay1405, "1334", "birthyear.range"},
		{time.Date(2026, 1, 1, 12, 0, 0, 0, Tehran()), "1390", "birthyear.range"}, // still 1404
	} {
		_, err := ParseBirthYear(tt.year, cal.ProgramYear(tt.now))
		if CodeOf(err) != tt.code {
			t.Errorf("ParseBirthYear(%q) at %s = %v, want %q", tt.year, tt.now, err, tt.code)
		}
	}
}

func TestParseStartDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		code string
	}{
		{"امروز", jday(1405, 3, 17), ""},
		{"today", jday(1405, 3, 17), ""},
		{"دیروز", jday(1405, 3, 16), ""},
		{"yesterday", jday(1405, 3, 16), ""},
		{"1405/03/17", jday(1405, 3, 17), ""},
		{"۱۴۰۵/۳/۱۷", jday(1405, 3, 17), ""},
		{"1405-3-16", jday(1405, 3, 16), ""},
		{"1405/01/01", jday(1405, 1, 1), ""},
		{"1404/07/15", jday(1404, 7, 15), ""},
		{"1404/01/01", jday(1404, 1, 1), ""},
		{"1404/12/29", jday(1404, 12, 29), ""},
		{"1403/12/30", time.Time{}, "startdate.old"},
		{"1403/12/29", time.Time{}, "startdate.old"},
		{"1401/03/17", time.Time{}, "startdate.old"},
		{"1405/03/18", time.Time{}, "startdate.future"},
		{"1406/01/01", time.Time{}, "startdate.future"},
		{"1404/12/30", time.Time{}, "date.range"}, // 1404 is not leap
		{"1405/13/01", time.Time{}, "date.range"},
		{"2026/06/07", time.Time{}, "date.year"},
		{"17 خرداد", time.Time{}, "date.format"},
		{"", time.Time{}, "date.format"},
	}
	for _, tt := range tests {
		got, err := cal.ParseStartDate(tt.in, placementNow)
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code || !got.Equal(tt.want) {
			t.Errorf("ParseStartDate(%q) = %s, %v; want %s, %q", tt.in, got, err, tt.want, tt.code)
		}
	}
}

// Today is the Tehran day: at 23:30 Tehran (20:00 UTC) tomorrow is still
// the future; from 20:30 UTC it is already the next Tehran day, whatever
// the UTC date says.
func TestParseStartDateTehranDay(t *testing.T) {
	late := time.Date(2026, 6, 7, 23, 30, 0, 0, Tehran())
	if u := late.UTC(); u.Hour() != 20 || u.Minute() != 0 {
		t.Fatalf("Tehran offset changed: %s", u)
	}
	afterMidnight := time.Date(2026, 6, 7, 20, 30, 0, 0, time.UTC) // 00:00 Tehran, 18 Khordad
	justBefore := afterMidnight.Add(-time.Second)
	tests := []struct {
		now  time.Time
		in   string
		want time.Time
		code string
	}{
		{late, "امروز", jday(1405, 3, 17), ""},
		{late, "1405/03/17", jday(1405, 3, 17), ""},
		{late, "1405/03/18", time.Time{}, "startdate.future"},
		{justBefore, "1405/03/18", time.Time{}, "startdate.future"},
		{justBefore, "today", jday(1405, 3, 17), ""},
		{afterMidnight, "1405/03/18", jday(1405, 3, 18), ""},
		{afterMidnight, "today", jday(1405, 3, 18), ""},
		{afterMidnight, "yesterday", jday(1405, 3, 17), ""},
		{afterMidnight.In(time.UTC), "امروز", jday(1405, 3, 18), ""},
		// The first moment of 1405 makes 1404 "last year" and 1403 too old.
		{jday(1405, 1, 1), "1404/01/01", jday(1404, 1, 1), ""},
		{jday(1405, 1, 1), "1403/12/30", time.Time{}, "startdate.old"},
		{jday(1405, 1, 1).Add(-time.Second), "1403/01/01", jday(1403, 1, 1), ""},
		{jday(1405, 1, 1).Add(-time.Second), "1405/01/01", time.Time{}, "startdate.future"},
		{jday(1405, 1, 1), "دیروز", jday(1404, 12, 29), ""},
	}
	for _, tt := range tests {
		got, err := cal.ParseStartDate(tt.in, tt.now)
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code || !got.Equal(tt.want) {
			t.Errorf("ParseStartDate(%q) at %s = %s, %v; want %s, %q", tt.in, tt.now, got, err, tt.want, tt.code)
		}
	}
}

// CheckStartDate judges days, not instants: a date read from a spreadsheet
// as UTC midnight (03:30 in Tehran) of today is today, not the future.
func TestCheckStartDate(t *testing.T) {
	tests := []struct {
		name string
		d    time.Time
		code string
	}{
		{"zero", time.Time{}, "startdate.missing"},
		{"today midnight", jday(1405, 3, 17), ""},
		{"today UTC midnight", time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC), ""},
		{"today late evening", time.Date(2026, 6, 7, 23, 59, 59, 0, Tehran()), ""},
		{"today as an instant after now", placementNow.Add(time.Hour), ""},
		{"tomorrow midnight", jday(1405, 3, 18), "startdate.future"},
		{"tomorrow in UTC, still today's UTC date", time.Date(2026, 6, 7, 20, 30, 0, 0, time.UTC), "startdate.future"},
		{"first instant of last year", jday(1404, 1, 1), ""},
		{"last instant before last year", jday(1404, 1, 1).Add(-time.Nanosecond), "startdate.old"},
		{"last year's first day at noon", jday(1404, 1, 1).Add(12 * time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, cal.CheckStartDate(tt.d, placementNow), tt.code)
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		code string
	}{
		{"50,000,000", 50_000_000, ""},
		{"۵۰٬۰۰۰٬۰۰۰", 50_000_000, ""},
		{"٥٠،٠٠٠", 50_000, ""},
		{"50 000 000", 50_000_000, ""},
		{"50\u00a0000\u00a0000", 50_000_000, ""},
		{"50.000.000", 50_000_000, ""},
		{"50'000", 50_000, ""},
		{"50, 000", 50_000, ""},
		{"50000000", 50_000_000, ""},
		{" 1 ", 1, ""},
		{"\u200f50,000\u200e", 50_000, ""},
		{"050,000", 50_000, ""},
		{"0000000000000000000001", 1, ""},
		{"1,000,000,000,000,000", MaxAmount, ""},
		{"1000000000000000", MaxAmount, ""},
		{"999,999,999,999,999", MaxAmount - 1, ""},

		{"0", 0, "amount.range"},
		{"000", 0, "amount.range"},
		{"0,000", 0, "amount.range"},
		{"1,000,000,000,000,001", 0, "amount.range"},
		{"9999999999999999", 0, "amount.range"},           // 16 digits, over the bound
		{"12345678901234567", 0, "amount.range"},          // 17 digits
		{"99999999999999999999999999", 0, "amount.range"}, // overflows int64
		{"۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶۷", 0, "amount.range"},

		{"-5", 0, "amount.format"},
		{"+5", 0, "amount.format"},
		{"1e6", 0, "amount.format"},
		{"", 0, "amount.format"},
		{" ", 0, "amount.format"},
		{",", 0, "amount.format"},
		{"abc", 0, "amount.format"},
		{"50,000 ریال", 0, "amount.format"},
		{"50 میلیون", 0, "amount.format"},
		{"0x10", 0, "amount.format"},
		// A decimal is not a grouped integer: never read 1.5 as 15.
		{"1.5", 0, "amount.format"},
		{"2,5", 0, "amount.format"},
		{"1٫5", 0, "amount.format"},
		{"50,000.00", 0, "amount.format"},
		{"50,00,000", 0, "amount.format"},
		{"5000,000", 0, "amount.format"},
		{",000", 0, "amount.format"},
		{"50,000,", 0, "amount.format"},
		{"50\u200c000", 0, "amount.format"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %q", tt.in, got, err, tt.want, tt.code)
		}
		if err != nil && KindOf(err) != KindInvalid {
			t.Errorf("ParseAmount(%q) error kind %v", tt.in, KindOf(err))
		}
	}
}

// What the bot shows, the user can send back.
func TestParseAmountReadsFormatNumber(t *testing.T) {
	for _, n := range []int64{1, 999, 1000, 50_000_000, 123_456_789, MaxAmount} {
		for _, lang := range []string{"fa", "en"} {
			s := FormatNumber(n, lang)
			if got, err := ParseAmount(s); err != nil || got != n {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", s, got, err, n)
			}
		}
	}
}

func TestParseDistrict(t *testing.T) {
	tests := []struct {
		in   string
		want int
		code string
	}{
		{"1", 1, ""},
		{"۲۲", 22, ""},
		{"٢٢", 22, ""},
		{" 05 ", 5, ""},
		{"منطقه ۵", 5, ""},
		{"منطقه۵", 5, ""},
		{"منطقه\u200c۵", 5, ""},
		{"منطقه  12", 12, ""},
		{"District 5", 5, ""},
		{"district 22", 22, ""},
		{"0", 0, "district.range"},
		{"23", 0, "district.range"},
		{"x", 0, "district.range"},
		{"", 0, "district.range"},
		{"منطقه", 0, "district.range"},
		{"منطقه ۲۳", 0, "district.range"},
		{"-1", 0, "district.range"},
		{"+5", 0, "district.range"},
		{"005", 0, "district.range"},
		{"5 منطقه", 0, "district.range"},
		{"1.5", 0, "district.range"},
		{"99999999999999999999", 0, "district.range"},
	}
	for _, tt := range tests {
		got, err := ParseDistrict(tt.in)
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code || got != tt.want {
			t.Errorf("ParseDistrict(%q) = %d, %v; want %d, %q", tt.in, got, err, tt.want, tt.code)
		}
	}
	for d := 1; d <= Districts; d++ {
		for _, s := range []string{strconv.Itoa(d), PersianDigits(strconv.Itoa(d)), "منطقه " + PersianDigits(strconv.Itoa(d))} {
			if got, err := ParseDistrict(s); err != nil || got != d {
				t.Errorf("ParseDistrict(%q) = %d, %v", s, got, err)
			}
		}
	}
}

func TestDuplicateErr(t *testing.T) {
	existing := validPlacement()
	existing.ID, existing.AgencyID = 42, 7
	d := Duplicate{Existing: existing, SameAgency: true}
	err := DuplicateErr(d)
	for _, e := range []error{err, fmt.Errorf("register row 3: %w", err), fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err))} {
		if KindOf(e) != KindConflict {
			t.Errorf("KindOf(%v) = %v", e, KindOf(e))
		}
		if !IsKind(e, KindConflict) {
			t.Errorf("IsKind(%v, conflict) = false", e)
		}
		if CodeOf(e) != "placement.duplicate" || CodeOf(e) != ErrDuplicate {
			t.Errorf("CodeOf(%v) = %q", e, CodeOf(e))
		}
		if !errors.Is(e, Conflict("placement.duplicate")) || !errors.Is(e, Conflict("")) {
			t.Errorf("errors.Is(%v, Conflict(placement.duplicate)) = false", e)
		}
		if errors.Is(e, Invalid("placement.duplicate")) || errors.Is(e, Conflict("invite.used")) {
			t.Errorf("%v matches another kind or code", e)
		}
		got, ok := AsDuplicate(e)
		if !ok || !got.SameAgency || got.Existing.ID != 42 || got.Existing.AgencyID != 7 || got.Existing.NationalID != existing.NationalID {
			t.Errorf("AsDuplicate(%v) = %+v, %v", e, got, ok)
		}
	}
	// The message names no person: errors get logged.
	if msg := err.Error(); strings.Contains(msg, string(existing.NationalID)) || strings.Contains(msg, existing.FullName) || strings.Contains(msg, string(existing.Mobile)) {
		t.Errorf("Error() leaks personal data: %q", msg)
	}
	for _, other := range []error{nil, Conflict("placement.duplicate"), errors.New("x"), fmt.Errorf("w: %w", Invalid("nationalid.checksum"))} {
		if got, ok := AsDuplicate(other); ok || got != (Duplicate{}) {
			t.Errorf("AsDuplicate(%v) = %+v, %v", other, got, ok)
		}
	}
}

func TestWithdrawn(t *testing.T) {
	p := validPlacement()
	if p.Withdrawn() {
		t.Error("fresh placement is withdrawn")
	}
	p.WithdrawnAt = placementNow
	if !p.Withdrawn() {
		t.Error("withdrawn placement is not")
	}
}

func TestCheckedAt(t *testing.T) {
	now := time.Date(2026, 6, 7, 10, 0, 0, 0, Tehran()) // 1405/03/17
	if got := cal.CheckedAt(1405, now); !got.Equal(now) {
		t.Errorf("this year: %v", got)
	}
	got := cal.CheckedAt(1404, now)
	if cal.ToJalali(got) != (JalaliDate{1404, 12, 29}) || cal.ProgramYear(got) != 1404 {
		t.Errorf("last year: %v (%v)", got, cal.ToJalali(got))
	}
	// A record of 1404 with a 1403 start date is still valid when corrected in 1405.
	p := validPlacementForCheckedAt(now)
	p.StartDate = cal.Midnight(JalaliDate{1403, 12, 20})
	if errs := p.Check(cal, cal.CheckedAt(1404, now)); len(errs) != 0 {
		t.Errorf("1404 record checked in 1405: %v", errs)
	}
	if errs := p.Check(cal, now); len(errs) == 0 {
		t.Error("the same start date checked as of today should be too old")
	}
}

func validPlacementForCheckedAt(now time.Time) Placement {
	code, _ := CompleteNationalID("001234567")
	return Placement{NationalID: code, FullName: "علی رضایی", Gender: GenderMale, BirthYear: 1370,
		Sector: SectorServices, Activity: "خیاطی", Employer: "کارگاه", Kind: KindNewJob, Support: SupportTraining,
		Funding: FundingNone, County: "rey", Area: AreaUrban, StartDate: cal.StartOfDay(now), Insurance: InsuranceUnknown}
}

// A Gregorian year is answered with the two Solar Hijri years it spans.
func TestParseBirthYearGregorianNamesSolarHijri(t *testing.T) {
	_, err := ParseBirthYear("۱۹۹۰", cal.ProgramYear(placementNow))
	if got, want := ArgsOf(err), []string{"year", "1990", "before", "1368", "after", "1369"}; !slices.Equal(got, want) {
		t.Errorf("ParseBirthYear(1990) args = %q, want %q", got, want)
	}
}
