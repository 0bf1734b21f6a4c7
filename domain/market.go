package domain

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Markets and stall requests: street vendors and home businesses ask for a
// stall in up to three markets; operators allocate stalls, a share of each
// market reserved for female heads of household.

// MarketKind is what sort of market it is.
type MarketKind string

const (
	MarketDay   MarketKind = "day"   // روز بازار: on set weekdays
	MarketPark  MarketKind = "park"  // seasonal bazaar in a park, between season dates
	MarketFixed MarketKind = "fixed" // permanent bazaar
)

var MarketKinds = []MarketKind{MarketDay, MarketPark, MarketFixed}

// DefaultReservedShare is the share of stalls reserved for female heads of
// household unless the operator sets another.
const DefaultReservedShare = 0.20

// Market is a place with numbered stalls. Stalls 1..Reserved() are reserved
// for female heads of household; the rest are open to all.
type Market struct {
	ID            int64
	Code          string
	NameFa        string
	NameEn        string
	Kind          MarketKind
	County        string
	District      int // Tehran municipal district, 0 outside Tehran city
	Weekdays      []time.Weekday
	Capacity      int
	ReservedShare float64   // 0..1
	SeasonStart   time.Time // park bazaars only, midnight in the Calendar's zone
	SeasonEnd     time.Time
	Active        bool
}

// Name is the market's name in lang, falling back to Persian.
func (m Market) Name(lang string) string {
	if lang == "en" && m.NameEn != "" {
		return m.NameEn
	}
	return m.NameFa
}

// Reserved is how many of the market's stalls are reserved: the share of
// capacity, rounded to the nearest stall, halves up (50 stalls at 29% is
// 14.5: 15 reserved). It is 0 for a market without stalls or with a share
// that is not a number, and never more than the capacity.
func (m Market) Reserved() int {
	if m.Capacity <= 0 || math.IsNaN(m.ReservedShare) {
		return 0
	}
	// 50*0.29 is 14.499999999999998 in floating point: round away the
	// binary noise first, or a half would sometimes round down.
	v := math.Round(float64(m.Capacity)*m.ReservedShare*1e6) / 1e6
	return int(min(max(math.Round(v), 0), float64(m.Capacity)))
}

// InSeason reports whether m gives out stalls at t: a park bazaar from the
// first day of its season to the last, any other market always.
func (m Market) InSeason(t time.Time) bool {
	return m.Kind != MarketPark || !t.Before(m.SeasonStart) && !m.SeasonOver(t)
}

// SeasonOver reports whether m is a park bazaar whose season has ended by
// t: until an import sets its next season, nobody can ask for a stall there.
func (m Market) SeasonOver(t time.Time) bool {
	return m.Kind == MarketPark && !t.Before(m.SeasonEnd.AddDate(0, 0, 1))
}

// IsReserved reports whether stall number n is a reserved one.
func (m Market) IsReserved(n int) bool { return n >= 1 && n <= m.Reserved() }

// Validate checks a market read from an import or typed by an admin.
func (m Market) Validate() error {
	switch {
	case !validCode(m.Code):
		return Invalid("market.code")
	case Normalize(m.NameFa) == "" || len([]rune(m.NameFa)) > 200 || len([]rune(m.NameEn)) > 200:
		return Invalid("market.name")
	case !slices.Contains(MarketKinds, m.Kind):
		return Invalid("market.kind")
	case m.Capacity < 0 || m.Capacity > 10000:
		return Invalid("market.capacity")
	case m.ReservedShare < 0 || m.ReservedShare > 1 || math.IsNaN(m.ReservedShare):
		return Invalid("market.share")
	case !validWeekdays(m.Weekdays):
		return Invalid("market.weekdays")
	}
	if _, ok := CountyByCode(m.County); !ok {
		return Invalid("county.unknown")
	}
	if m.County == TehranCounty && (m.District < 1 || m.District > Districts) || m.County != TehranCounty && m.District != 0 {
		return Invalid("district.range")
	}
	if m.Kind == MarketPark && (m.SeasonStart.IsZero() || m.SeasonEnd.Before(m.SeasonStart)) {
		return Invalid("market.season")
	}
	return nil
}

// validWeekdays reports whether days is a non-empty list of real weekdays
// without repeats.
func validWeekdays(days []time.Weekday) bool {
	for i, d := range days {
		if d < time.Sunday || d > time.Saturday || slices.Contains(days[:i], d) {
			return false
		}
	}
	return len(days) > 0
}

// weekdayCodes are the short names imports use, Saturday first as in Iran:
// weekdayCodes[weekdayIndex(d)] names d.
var weekdayCodes = [7]string{"sat", "sun", "mon", "tue", "wed", "thu", "fri"}

// ParseWeekdays reads "sat;tue" (also with commas, Persian commas and
// semicolons, or spaces; any case) into weekdays in week order, Saturday
// first, each once.
func ParseWeekdays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	sep := func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '،' || r == '؛' }
	for _, f := range strings.FieldsFunc(strings.ToLower(Normalize(s)), sep) {
		i := slices.Index(weekdayCodes[:], f)
		if i < 0 {
			return nil, Invalid("market.weekdays")
		}
		if d := time.Weekday((i + 6) % 7); !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, Invalid("market.weekdays")
	}
	slices.SortFunc(out, func(a, b time.Weekday) int { return weekdayIndex(a) - weekdayIndex(b) })
	return out, nil
}

// WeekdayCode is the short name of d: "sat"; "" for a value that is not a
// weekday.
func WeekdayCode(d time.Weekday) string {
	if d < time.Sunday || d > time.Saturday {
		return ""
	}
	return weekdayCodes[weekdayIndex(d)]
}

// weekdayIndex counts from Saturday, the first day of the Iranian week.
func weekdayIndex(d time.Weekday) int { return (int(d) + 1) % 7 }

// ProductCategory is what a vendor sells.
type ProductCategory string

const (
	ProductFood        ProductCategory = "food"
	ProductClothing    ProductCategory = "clothing"
	ProductHandicrafts ProductCategory = "handicrafts"
	ProductHousehold   ProductCategory = "household"
	ProductProduce     ProductCategory = "produce" // fruit, vegetables, farm produce
	ProductOther       ProductCategory = "other"
)

var ProductCategories = []ProductCategory{ProductFood, ProductClothing, ProductHandicrafts, ProductHousehold, ProductProduce, ProductOther}

// VendorKind says whether the applicant sells in the street or runs a
// business from home.
type VendorKind string

const (
	VendorStreet VendorKind = "street"
	VendorHome   VendorKind = "home"
)

var VendorKinds = []VendorKind{VendorStreet, VendorHome}

// MaxPreferences is how many markets a request may name.
const MaxPreferences = 3

// RequestState is where a stall request stands.
type RequestState string

const (
	StallWaiting   RequestState = "waiting"   // in line
	StallOffered   RequestState = "offered"   // a stall is offered, awaiting accept or decline
	StallAllocated RequestState = "allocated" // accepted: holds the stall this year
	StallDeclined  RequestState = "declined"  // declined an offer
	StallExpired   RequestState = "expired"   // let an offer lapse
	StallCancelled RequestState = "cancelled" // withdrawn by the applicant
)

// Open reports whether a request in state s still holds the person's one
// request of the year.
func (s RequestState) Open() bool {
	return s == StallWaiting || s == StallOffered || s == StallAllocated
}

// StallRequest is one person's request for a stall this program year.
type StallRequest struct {
	ID          int64
	ProgramYear int
	UserID      int64 // Telegram id: offers go there
	NationalID  NationalID
	FullName    string
	Phone       Mobile
	Gender      Gender
	FemaleHead  bool // female head of household (زن سرپرست خانوار)
	Category    ProductCategory
	VendorKind  VendorKind
	Markets     []int64 // in order of preference, 1 to 3
	State       RequestState
	CreatedAt   time.Time
	Submission  string // the bot's key for the submit that made it; see Placement.Submission

	// Set while offered or allocated.
	MarketID int64
	Stall    int
	Deadline time.Time // of the offer
}

// Check lists what is wrong with a request before it is stored. The
// national code and mobile must be in the canonical form ParseNationalID
// and ParseMobile return, as stored codes are compared.
func (r StallRequest) Check() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkNationalID(r.NationalID))
	if _, err := ParsePersonName(r.FullName); err != nil {
		add(err)
	}
	switch {
	case r.Phone == "":
		add(Invalid("mobile.missing"))
	case !r.Phone.valid():
		add(Invalid("mobile.format"))
	}
	add(oneOf(r.Gender, Genders, "gender"))
	if r.FemaleHead && r.Gender != GenderFemale {
		add(Invalid("femalehead.gender"))
	}
	add(oneOf(r.Category, ProductCategories, "category"))
	add(oneOf(r.VendorKind, VendorKinds, "vendorkind"))
	if len(r.Markets) == 0 || len(r.Markets) > MaxPreferences {
		add(Invalid("markets.count"))
	}
	for i, m := range r.Markets {
		if slices.Contains(r.Markets[:i], m) {
			add(Invalid("markets.repeated"))
			break
		}
	}
	return errs
}

// Rank is the preference rank (1 = first choice) of market id in r, or 0.
func (r StallRequest) Rank(market int64) int {
	return slices.Index(r.Markets, market) + 1
}

// Assignment is a stall given to a request by Allocate.
type Assignment struct {
	RequestID int64
	MarketID  int64
	Stall     int
	Reserved  bool
}

// ParseCapacity reads a market's number of stalls, 0 to 10,000.
func ParseCapacity(s string) (int, error) {
	n, err := strconv.Atoi(Normalize(s))
	if err != nil || n < 0 || n > 10000 {
		return 0, Invalid("market.capacity")
	}
	return n, nil
}

// ParseShare reads the reserved share as operators say it: "20", "20%",
// "۲۰٪" or "0.2" all mean a fifth.
func ParseShare(s string) (float64, error) {
	t := strings.TrimRight(strings.TrimSpace(Normalize(s)), "%٪")
	t = strings.ReplaceAll(t, "٫", ".")
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, Invalid("market.share")
	}
	if v > 1 || strings.HasSuffix(strings.TrimSpace(Normalize(s)), "%") || strings.HasSuffix(strings.TrimSpace(Normalize(s)), "٪") {
		v /= 100
	}
	return v, nil
}
