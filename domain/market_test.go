package domain

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMarketReserved(t *testing.T) {
	tests := []struct {
		capacity int
		share    float64
		want     int
	}{
		{120, 0.2, 24},
		{70, 0.2, 14},
		{3, 0.5, 2}, // 1.5 rounds up
		{5, 0.1, 1}, // 0.5 rounds up
		{50, 0.29, 15},
		{25, 0.58, 15}, // 14.5 though floating point says 14.499999999999998
		{45, 0.7, 32},
		{4, 0.1, 0}, // 0.4
		{10, 0.26, 3},
		{0, 0.2, 0},
		{-5, 0.2, 0},
		{100, 0, 0},
		{30, 1, 30},
		{30, 1.5, 30},
		{30, -0.5, 0},
		{30, math.NaN(), 0},
		{30, math.Inf(1), 30},
		{10000, DefaultReservedShare, 2000},
	}
	for _, tt := range tests {
		m := Market{Capacity: tt.capacity, ReservedShare: tt.share}
		if got := m.Reserved(); got != tt.want {
			t.Errorf("Market{%d, %v}.Reserved() = %d, want %d", tt.capacity, tt.share, got, tt.want)
		}
	}
	// Within half a stall of the share, always in 0..capacity.
	rng := rand.New(rand.NewPCG(7, 7))
	for range 10000 {
		m := Market{Capacity: rng.IntN(10001), ReservedShare: float64(rng.IntN(1001)) / 1000}
		got := m.Reserved()
		if got < 0 || got > m.Capacity || math.Abs(float64(got)-float64(m.Capacity)*m.ReservedShare) > 0.5+1e-9 {
			t.Fatalf("Market{%d, %v}.Reserved() = %d", m.Capacity, m.ReservedShare, got)
		}
	}
}

func TestMarketIsReserved(t *testing.T) {
	m := Market{Capacity: 10, ReservedShare: 0.2}
	for n, want := range map[int]bool{-1: false, 0: false, 1: true, 2: true, 3: false, 10: false, 11: false} {
		if m.IsReserved(n) != want {
			t.Errorf("IsReserved(%d) = %v", n, !want)
		}
	}
}

// A park bazaar takes stalls from the first moment of its first day to the
// last moment of its last day; other markets always.
func TestMarketSeason(t *testing.T) {
	cal := DefaultCalendar()
	park := Market{Kind: MarketPark, SeasonStart: cal.Date(2026, 9, 16), SeasonEnd: cal.Date(2026, 10, 2)}
	tests := []struct {
		name         string
		m            Market
		at           time.Time
		inSeason     bool
		seasonIsOver bool
	}{
		{"park before its season", park, cal.Date(2026, 9, 16).Add(-time.Second), false, false},
		{"park on its first day", park, cal.Date(2026, 9, 16), true, false},
		{"park on its last evening", park, cal.Date(2026, 10, 3).Add(-time.Second), true, false},
		{"park the day after", park, cal.Date(2026, 10, 3), false, true},
		{"day market", Market{Kind: MarketDay}, cal.Date(2026, 10, 3), true, false},
	}
	for _, tt := range tests {
		if got := tt.m.InSeason(tt.at); got != tt.inSeason {
			t.Errorf("%s: InSeason = %v", tt.name, got)
		}
		if got := tt.m.SeasonOver(tt.at); got != tt.seasonIsOver {
			t.Errorf("%s: SeasonOver = %v", tt.name, got)
		}
	}
}

func TestMarketName(t *testing.T) {
	m := Market{NameFa: "روز بازار", NameEn: "Day market"}
	if m.Name("en") != "Day market" || m.Name("fa") != "روز بازار" || (Market{NameFa: "بازار"}).Name("en") != "بازار" {
		t.Errorf("Name: %q %q", m.Name("en"), m.Name("fa"))
	}
}

func validMarket() Market {
	return Market{
		Code: "d15-01", NameFa: "روز بازار نمونه ۱ منطقه ۱۵", Kind: MarketDay,
		County: TehranCounty, District: 15, Weekdays: []time.Weekday{time.Saturday, time.Tuesday},
		Capacity: 120, ReservedShare: 0.2, Active: true,
	}
}

func TestMarketValidate(t *testing.T) {
	season := func(m *Market) {
		m.Kind = MarketPark
		m.SeasonStart = cal.Midnight(JalaliDate{1405, 6, 25})
		m.SeasonEnd = cal.Midnight(JalaliDate{1405, 7, 10})
	}
	tests := []struct {
		name string
		edit func(*Market)
		code string
	}{
		{"valid", func(*Market) {}, ""},
		{"outside Tehran without district", func(m *Market) { m.County, m.District = "eslamshahr", 0 }, ""},
		{"capacity 0", func(m *Market) { m.Capacity = 0 }, ""},
		{"capacity 10000", func(m *Market) { m.Capacity = 10000 }, ""},
		{"share 0", func(m *Market) { m.ReservedShare = 0 }, ""},
		{"share 1", func(m *Market) { m.ReservedShare = 1 }, ""},
		{"park", season, ""},
		{"park of one day", func(m *Market) { season(m); m.SeasonEnd = m.SeasonStart }, ""},
		{"fixed", func(m *Market) { m.Kind = MarketFixed }, ""},
		{"no code", func(m *Market) { m.Code = "" }, "market.code"},
		{"upper-case code", func(m *Market) { m.Code = "D15" }, "market.code"},
		{"long code", func(m *Market) { m.Code = strings.Repeat("a", 33) }, "market.code"},
		{"no name", func(m *Market) { m.NameFa = "" }, "market.name"},
		{"blank name", func(m *Market) { m.NameFa = " \u200f " }, "market.name"},
		{"long name", func(m *Market) { m.NameFa = strings.Repeat("ب", 201) }, "market.name"},
		{"long English name", func(m *Market) { m.NameEn = strings.Repeat("b", 201) }, "market.name"},
		{"no kind", func(m *Market) { m.Kind = "" }, "market.kind"},
		{"unknown kind", func(m *Market) { m.Kind = "weekly" }, "market.kind"},
		{"negative capacity", func(m *Market) { m.Capacity = -1 }, "market.capacity"},
		{"huge capacity", func(m *Market) { m.Capacity = 10001 }, "market.capacity"},
		{"negative share", func(m *Market) { m.ReservedShare = -0.1 }, "market.share"},
		{"share over 1", func(m *Market) { m.ReservedShare = 1.1 }, "market.share"},
		{"share NaN", func(m *Market) { m.ReservedShare = math.NaN() }, "market.share"},
		{"no weekdays", func(m *Market) { m.Weekdays = nil }, "market.weekdays"},
		{"weekday out of range", func(m *Market) { m.Weekdays = []time.Weekday{7} }, "market.weekdays"},
		{"negative weekday", func(m *Market) { m.Weekdays = []time.Weekday{-1} }, "market.weekdays"},
		{"weekday twice", func(m *Market) { m.Weekdays = []time.Weekday{time.Friday, time.Friday} }, "market.weekdays"},
		{"no county", func(m *Market) { m.County = "" }, "county.unknown"},
		{"unknown county", func(m *Market) { m.County = "Tehran" }, "county.unknown"},
		{"Tehran without district", func(m *Market) { m.District = 0 }, "district.range"},
		{"district 23", func(m *Market) { m.District = 23 }, "district.range"},
		{"district outside Tehran", func(m *Market) { m.County = "varamin" }, "district.range"},
		{"park without season", func(m *Market) { m.Kind = MarketPark }, "market.season"},
		{"park without end", func(m *Market) { season(m); m.SeasonEnd = time.Time{} }, "market.season"},
		{"park ending before it starts", func(m *Market) {
			season(m)
			m.SeasonStart, m.SeasonEnd = m.SeasonEnd, m.SeasonStart
		}, "market.season"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMarket()
			tt.edit(&m)
			wantCode(t, m.Validate(), tt.code)
		})
	}
}

func TestParseWeekdays(t *testing.T) {
	sat, sun, tue, thu, fri := time.Saturday, time.Sunday, time.Tuesday, time.Thursday, time.Friday
	tests := []struct {
		in   string
		want []time.Weekday
	}{
		{"sat;tue", []time.Weekday{sat, tue}},
		{"SAT, tue", []time.Weekday{sat, tue}},
		{" sat ; tue ", []time.Weekday{sat, tue}},
		{"tue;sat", []time.Weekday{sat, tue}},
		{"fri sun sat", []time.Weekday{sat, sun, fri}},
		{"sat;sat;tue;SAT", []time.Weekday{sat, tue}},
		{"sat،tue", []time.Weekday{sat, tue}},
		{"sat؛ thu", []time.Weekday{sat, thu}},
		{"sat\u200f;tue", []time.Weekday{sat, tue}},
		{"sat;sun;mon;tue;wed;thu;fri", []time.Weekday{sat, sun, time.Monday, tue, time.Wednesday, thu, fri}},
		{"fri;thu;wed;tue;mon;sun;sat", []time.Weekday{sat, sun, time.Monday, tue, time.Wednesday, thu, fri}},
		{"", nil},
		{" ;, ", nil},
		{"xyz", nil},
		{"sat;xyz", nil},
		{"saturday", nil},
		{"sat1", nil},
		{"sat۱", nil},
		{"۱", nil},
		{"شنبه", nil},
		{"sa t", nil},
	}
	for _, tt := range tests {
		got, err := ParseWeekdays(tt.in)
		if tt.want == nil {
			if got != nil || CodeOf(err) != "market.weekdays" || KindOf(err) != KindInvalid {
				t.Errorf("ParseWeekdays(%q) = %v, %v; want market.weekdays", tt.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseWeekdays(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestWeekdayCode(t *testing.T) {
	want := map[time.Weekday]string{
		time.Saturday: "sat", time.Sunday: "sun", time.Monday: "mon", time.Tuesday: "tue",
		time.Wednesday: "wed", time.Thursday: "thu", time.Friday: "fri", 7: "", -1: "", -3: "",
	}
	for d, code := range want {
		if got := WeekdayCode(d); got != code {
			t.Errorf("WeekdayCode(%d) = %q, want %q", d, got, code)
		}
		if code == "" {
			continue
		}
		if back, err := ParseWeekdays(code); err != nil || !slices.Equal(back, []time.Weekday{d}) {
			t.Errorf("ParseWeekdays(%q) = %v, %v", code, back, err)
		}
	}
}

func validStallRequest() StallRequest {
	return StallRequest{
		ID: 1, ProgramYear: 1405, UserID: 42, NationalID: "0012345679", FullName: "مریم احمدی",
		Phone: "+989121234567", Gender: GenderFemale, FemaleHead: true, Category: ProductHandicrafts,
		VendorKind: VendorHome, Markets: []int64{3, 1, 2}, State: StallWaiting,
	}
}

func TestStallRequestCheck(t *testing.T) {
	tests := []struct {
		name string
		edit func(*StallRequest)
		want []string
	}{
		{"valid", func(*StallRequest) {}, nil},
		{"man, one market", func(r *StallRequest) {
			r.Gender, r.FemaleHead, r.Markets = GenderMale, false, []int64{9}
		}, nil},
		{"woman not head of household", func(r *StallRequest) { r.FemaleHead = false }, nil},
		{"bad check digit", func(r *StallRequest) { r.NationalID = "0012345678" }, []string{"nationalid.checksum"}},
		{"national code unpadded", func(r *StallRequest) { r.NationalID = "12345679" }, []string{"nationalid.length"}},
		{"national code in Persian digits", func(r *StallRequest) { r.NationalID = "۰۰۱۲۳۴۵۶۷۹" }, []string{"nationalid.chars"}},
		{"no national code", func(r *StallRequest) { r.NationalID = "" }, []string{"nationalid.missing"}},
		{"no name", func(r *StallRequest) { r.FullName = "" }, []string{"name.short"}},
		{"name with digits", func(r *StallRequest) { r.FullName = "مریم ۲" }, []string{"name.chars"}},
		{"long name", func(r *StallRequest) { r.FullName = strings.Repeat("م", 101) }, []string{"name.long"}},
		{"no mobile", func(r *StallRequest) { r.Phone = "" }, []string{"mobile.missing"}},
		{"mobile not canonical", func(r *StallRequest) { r.Phone = "09121234567" }, []string{"mobile.format"}},
		{"no gender", func(r *StallRequest) { r.Gender, r.FemaleHead = "", false }, []string{"gender.missing"}},
		{"unknown gender", func(r *StallRequest) { r.Gender, r.FemaleHead = "other", false }, []string{"gender.unknown"}},
		{"male head of household", func(r *StallRequest) { r.Gender = GenderMale }, []string{"femalehead.gender"}},
		{"female head without gender", func(r *StallRequest) { r.Gender = "" }, []string{"gender.missing", "femalehead.gender"}},
		{"no category", func(r *StallRequest) { r.Category = "" }, []string{"category.missing"}},
		{"unknown category", func(r *StallRequest) { r.Category = "toys" }, []string{"category.unknown"}},
		{"no vendor kind", func(r *StallRequest) { r.VendorKind = "" }, []string{"vendorkind.missing"}},
		{"unknown vendor kind", func(r *StallRequest) { r.VendorKind = "online" }, []string{"vendorkind.unknown"}},
		{"no market", func(r *StallRequest) { r.Markets = nil }, []string{"markets.count"}},
		{"four markets", func(r *StallRequest) { r.Markets = []int64{1, 2, 3, 4} }, []string{"markets.count"}},
		{"market twice", func(r *StallRequest) { r.Markets = []int64{1, 2, 1} }, []string{"markets.repeated"}},
		{"market thrice, said once", func(r *StallRequest) { r.Markets = []int64{5, 5, 5} }, []string{"markets.repeated"}},
		{"everything wrong", func(r *StallRequest) { *r = StallRequest{FemaleHead: true} }, []string{
			"nationalid.missing", "name.short", "mobile.missing", "gender.missing", "femalehead.gender",
			"category.missing", "vendorkind.missing", "markets.count",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validStallRequest()
			tt.edit(&r)
			if got := codes(r.Check()); !slices.Equal(got, tt.want) {
				t.Errorf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequestStateOpen(t *testing.T) {
	for s, want := range map[RequestState]bool{
		StallWaiting: true, StallOffered: true, StallAllocated: true,
		StallDeclined: false, StallExpired: false, StallCancelled: false, "": false, "other": false,
	} {
		if s.Open() != want {
			t.Errorf("%q.Open() = %v", s, !want)
		}
	}
}

func TestStallRequestRank(t *testing.T) {
	r := StallRequest{Markets: []int64{5, 7, 9}}
	for id, want := range map[int64]int{5: 1, 7: 2, 9: 3, 4: 0, 0: 0} {
		if got := r.Rank(id); got != want {
			t.Errorf("Rank(%d) = %d, want %d", id, got, want)
		}
	}
	if (StallRequest{}).Rank(5) != 0 {
		t.Error("Rank with no markets should be 0")
	}
}

func TestMarketEnumsHaveNoDuplicates(t *testing.T) {
	for name, vs := range map[string][]string{
		"kinds":       toStrings(MarketKinds),
		"categories":  toStrings(ProductCategories),
		"vendorkinds": toStrings(VendorKinds),
	} {
		if len(vs) == 0 || len(slices.Compact(slices.Sorted(slices.Values(vs)))) != len(vs) {
			t.Errorf("%s: %v", name, vs)
		}
	}
}

func TestParseCapacityAndShare(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  string
	}{{"120", 120, ""}, {"۸۰", 80, ""}, {"0", 0, ""}, {"-1", 0, "market.capacity"}, {"10001", 0, "market.capacity"}, {"x", 0, "market.capacity"}} {
		got, err := ParseCapacity(tc.in)
		if got != tc.want || CodeOf(err) != tc.err {
			t.Errorf("ParseCapacity(%q) = %d, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
		err  string
	}{{"20", 0.2, ""}, {"20%", 0.2, ""}, {"۲۰٪", 0.2, ""}, {"0.25", 0.25, ""}, {"۰٫۵", 0.5, ""}, {"1", 1, ""}, {"100", 1, ""}, {"0", 0, ""},
		{"1%", 0.01, ""}, {"101", 0, "market.share"}, {"-5", 0, "market.share"}, {"NaN", 0, "market.share"}, {"abc", 0, "market.share"}} {
		got, err := ParseShare(tc.in)
		if math.Abs(got-tc.want) > 1e-9 || CodeOf(err) != tc.err {
			t.Errorf("ParseShare(%q) = %v, %v", tc.in, got, err)
		}
	}
}
