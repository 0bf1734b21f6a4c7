package domain

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A placement is one job created for one person, registered by the agency
// that created or supported it. It is counted once per program year: the
// national code is unique among a year's placements across all agencies.

// Sector is one of the three sectors jobs are planned in.
type Sector string

const (
	SectorServices    Sector = "services"
	SectorIndustry    Sector = "industry"
	SectorAgriculture Sector = "agriculture"
)

var Sectors = []Sector{SectorServices, SectorIndustry, SectorAgriculture}

// Gender of the person placed.
type Gender string

const (
	GenderFemale Gender = "female"
	GenderMale   Gender = "male"
)

var Genders = []Gender{GenderFemale, GenderMale}

// JobKind is what sort of job was created.
type JobKind string

const (
	KindNewJob         JobKind = "new_job"
	KindHomeBusiness   JobKind = "home_business"
	KindKnowledgeBased JobKind = "knowledge_based"
	KindRural          JobKind = "rural"
	KindTourism        JobKind = "tourism"
	KindMarketStall    JobKind = "market_stall"
	KindOther          JobKind = "other"
)

var JobKinds = []JobKind{KindNewJob, KindHomeBusiness, KindKnowledgeBased, KindRural, KindTourism, KindMarketStall, KindOther}

// Support is the main kind of help the agency gave, as the national system
// records it.
type Support string

const (
	SupportInformation    Support = "information"
	SupportIdentification Support = "identification"
	SupportCounselling    Support = "counselling"
	SupportTraining       Support = "training"
	SupportFinancing      Support = "financing"
	SupportTechnology     Support = "technology"
	SupportInfrastructure Support = "infrastructure"
	SupportPermits        Support = "permits"
	SupportPromotion      Support = "promotion"
)

var Supports = []Support{SupportInformation, SupportIdentification, SupportCounselling, SupportTraining,
	SupportFinancing, SupportTechnology, SupportInfrastructure, SupportPermits, SupportPromotion}

// Funding names where the project's money came from; every project must.
type Funding string

const (
	FundingNone      Funding = "none"
	FundingQardHasan Funding = "qard_hasan" // interest-free loan (قرض‌الحسنه)
	FundingRural     Funding = "rural_credit"
	FundingBank      Funding = "bank"
	FundingOther     Funding = "other"
)

var Fundings = []Funding{FundingNone, FundingQardHasan, FundingRural, FundingBank, FundingOther}

// Area says whether the job is in a city or a village.
type Area string

const (
	AreaUrban Area = "urban"
	AreaRural Area = "rural"
)

var Areas = []Area{AreaUrban, AreaRural}

// County is one of the province's sixteen counties (شهرستان).
type County struct {
	Code   string
	NameFa string
	NameEn string
}

// TehranCounty is the county whose city has municipal districts.
const TehranCounty = "tehran"

// Districts is the number of Tehran's municipal districts (منطقه ۱ to ۲۲).
const Districts = 22

// Counties of Tehran province, as in shared/data/counties.csv.
var Counties = []County{
	{"tehran", "تهران", "Tehran"},
	{"rey", "ری", "Rey"},
	{"shemiranat", "شمیرانات", "Shemiranat"},
	{"eslamshahr", "اسلامشهر", "Eslamshahr"},
	{"shahriar", "شهریار", "Shahriar"},
	{"malard", "ملارد", "Malard"},
	{"qods", "قدس", "Qods"},
	{"robatkarim", "رباط‌کریم", "Robat Karim"},
	{"baharestan", "بهارستان", "Baharestan"},
	{"pakdasht", "پاکدشت", "Pakdasht"},
	{"varamin", "ورامین", "Varamin"},
	{"qarchak", "قرچک", "Qarchak"},
	{"pishva", "پیشوا", "Pishva"},
	{"damavand", "دماوند", "Damavand"},
	{"firuzkuh", "فیروزکوه", "Firuzkuh"},
	{"pardis", "پردیس", "Pardis"},
}

// CountyByCode finds a county, or ok=false.
func CountyByCode(code string) (County, bool) {
	i := slices.IndexFunc(Counties, func(c County) bool { return c.Code == code })
	if i < 0 {
		return County{}, false
	}
	return Counties[i], true
}

// Insurance says whether the person is covered by social insurance: the
// national system cross-checks registered jobs against insurance records.
type Insurance string

const (
	InsuranceInsured   Insurance = "insured"
	InsuranceUninsured Insurance = "uninsured"
	InsuranceUnknown   Insurance = "unknown"
)

var Insurances = []Insurance{InsuranceInsured, InsuranceUninsured, InsuranceUnknown}

// ExampleNationalID is the national code of the template's example row: a
// valid code, so a row still carrying it is the example left in.
const ExampleNationalID NationalID = "0012345679"

// Placement is one registered job.
type Placement struct {
	ID          int64
	ProgramYear int // Solar Hijri year of registration; the code is unique within it

	// The person.
	NationalID NationalID
	FullName   string
	Gender     Gender
	BirthYear  int    // Solar Hijri
	Mobile     Mobile // optional

	// The job.
	Sector        Sector
	Activity      string // activity or job title
	Employer      string // employer or workplace
	Kind          JobKind
	Support       Support
	Funding       Funding
	FundingAmount int64 // rials; 0 when Funding is none
	County        string
	District      int // 1–22 in Tehran county's city, else 0
	Area          Area
	StartDate     time.Time // midnight, in the Calendar's zone
	Insurance     Insurance

	// The record.
	AgencyID       int64
	LiaisonID      int64 // Telegram id of who registered it
	Verification   Verification
	CreatedAt      time.Time
	UpdatedAt      time.Time
	WithdrawnAt    time.Time
	WithdrawnBy    int64
	WithdrawReason string

	// Submission is the key of the conversation that registered it, chosen
	// by the bot; a repeated submit under the same key finds this record
	// instead of being refused as a duplicate. Empty for bulk imports and
	// the command line.
	Submission string
}

// Withdrawn reports whether the record was taken back; it then counts for
// nothing and does not hold its national code.
func (p Placement) Withdrawn() bool { return !p.WithdrawnAt.IsZero() }

// Age bounds of a person placed, in years at the program year.
const (
	MinAge = 15
	MaxAge = 70
)

// MaxAmount bounds funding amounts: a thousand trillion rials is beyond
// any single project, and a typo adding digits should be caught.
const MaxAmount = 1_000_000_000_000_000

// Check lists everything wrong with p for registration at now, its days
// reckoned by cal; nil when it can be saved. All problems are listed, so a
// spreadsheet row says at once everything its sender must fix.
func (p Placement) Check(cal Calendar, now time.Time) []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range PlacementFields {
		add(f.check(p, cal, now))
	}
	return errs
}

// NeedsDistrict reports whether a placement in county and area names a
// municipal district: only Tehran's city has them.
func NeedsDistrict(county string, area Area) bool {
	return county == TehranCounty && area == AreaUrban
}

// checkNationalID accepts only the canonical form ParseNationalID returns:
// "12345679" and "0012345679" are one person, and the one-placement-per-year
// rule compares stored codes, so a code stored unpadded or with Persian
// digits would let the same person be placed twice.
func checkNationalID(id NationalID) error {
	if id == "" {
		return Invalid("nationalid.missing")
	}
	parsed, err := ParseNationalID(string(id))
	switch {
	case err != nil:
		return err
	case parsed == id:
		return nil
	case strings.Trim(string(id), "0123456789") != "":
		return nationalIDError("chars")
	default:
		return nationalIDError("length")
	}
}

func oneOf[T ~string](v T, all []T, field string) error {
	if v == "" {
		return Invalid(field + ".missing")
	}
	if !slices.Contains(all, v) {
		return Invalid(field + ".unknown")
	}
	return nil
}

// ParseBirthYear reads a Solar Hijri birth year ("1370", "۱۳۷۰") and checks
// the person is 15 to 70 in programYear, the year registered in. A
// Gregorian year of birth ("1990") is refused with the two Solar Hijri
// years it overlaps, to type instead.
func ParseBirthYear(s string, programYear int) (int, error) {
	t := Normalize(s)
	if len(t) != 4 || strings.Trim(t, "0123456789") != "" {
		return 0, Invalid("birthyear.format")
	}
	y, _ := strconv.Atoi(t)
	if err := gregorianBirthYear(y, programYear); err != nil {
		return 0, err
	}
	if err := checkBirthYearRange(y, programYear); err != nil {
		return 0, err
	}
	return y, nil
}

// gregorianBirthYear refuses y if it is the Gregorian year of a birth
// before programYear: Solar Hijri years are some 621 smaller, so no
// Solar Hijri year of birth looks like one.
func gregorianBirthYear(y, programYear int) error {
	before, after := JalaliOf(y, time.January, 1).Year, JalaliOf(y, time.December, 31).Year
	if after == 0 || after > programYear || after < programYear-MaxAge-MinAge {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: "birthyear.gregorian",
		Args: []string{"year", strconv.Itoa(y), "before", strconv.Itoa(before), "after", strconv.Itoa(after)}}
}

func checkBirthYear(y, programYear int) error {
	if y == 0 {
		return Invalid("birthyear.missing")
	}
	return checkBirthYearRange(y, programYear)
}

// checkBirthYearRange is the age check; a typed "0000" is out of range,
// not missing.
func checkBirthYearRange(y, programYear int) error {
	age := programYear - y
	if age < MinAge || age > MaxAge {
		return Invalid("birthyear.range")
	}
	return nil
}

// ParseStartDate reads a job's start date like ParseJalaliDate and checks
// it is not in the future and falls in the program year of now or the one
// before (late registrations of last year's jobs).
func (c Calendar) ParseStartDate(s string, now time.Time) (time.Time, error) {
	d, err := c.ParseJalaliDate(s, now)
	if err != nil {
		return time.Time{}, err
	}
	if err := c.CheckStartDate(d, now); err != nil {
		return time.Time{}, err
	}
	return d, nil
}

// CheckStartDate is ParseStartDate's range check on a date already read.
// It compares days in c's zone, so a date carrying a time of day (a
// spreadsheet cell read as UTC midnight is 03:30 in Tehran) is judged by
// its day.
func (c Calendar) CheckStartDate(d, now time.Time) error {
	if d.IsZero() {
		return Invalid("startdate.missing")
	}
	day := c.StartOfDay(d)
	switch {
	case day.After(c.StartOfDay(now)):
		return Invalid("startdate.future")
	case day.Before(c.YearStart(c.ProgramYear(now) - 1)):
		return Invalid("startdate.old")
	}
	return nil
}

// ParseAmount reads an amount in rials as people type it: any digit script,
// with thousands separators (, ٬ ، . ' space) or none. Separators must
// split the digits in groups of three ("50,000,000"), so a decimal such as
// "1.5" or "2,5" is refused rather than read as 15 or 25. Zero is refused:
// a funded project names its money.
func ParseAmount(s string) (int64, error) {
	var b strings.Builder
	group, groups := 0, 0 // digits in the current group; groups closed so far
	sep := false          // the previous rune was a separator
	for _, r := range Normalize(s) {
		switch {
		case isASCIIDigit(r):
			b.WriteRune(r)
			group++
			sep = false
		case isAmountSep(r):
			// The first group holds 1–3 digits, every later one 3;
			// a run of separators (", ") counts as one.
			if !sep {
				if group == 0 || group > 3 && groups == 0 || groups > 0 && group != 3 {
					return 0, Invalid("amount.format")
				}
				groups++
				group = 0
			}
			sep = true
		default:
			return 0, Invalid("amount.format")
		}
	}
	if group == 0 || groups > 0 && group != 3 {
		return 0, Invalid("amount.format")
	}
	digits := strings.TrimLeft(b.String(), "0")
	if len(digits) > 16 {
		return 0, Invalid("amount.range")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if digits == "" || err != nil || n <= 0 || n > MaxAmount {
		return 0, Invalid("amount.range")
	}
	return n, nil
}

// isAmountSep reports the thousands separators people type: ASCII comma,
// the Arabic thousands separator ٬, the Arabic comma ، (a Persian keyboard's
// comma), dot, apostrophe and space. The Persian decimal separator ٫ is not
// one of them.
func isAmountSep(r rune) bool {
	switch r {
	case ',', '٬', '،', '.', '\'', ' ':
		return true
	}
	return false
}

// ParseDistrict reads a Tehran municipal district number, 1 to 22, typed
// alone ("5", "۵") or after the word for district ("منطقه ۵", "منطقه۵",
// "District 5"). Anything else is district.range: the user is asked for a
// number from 1 to 22.
func ParseDistrict(s string) (int, error) {
	t := Normalize(s)
	for _, word := range []string{"منطقه", "district"} {
		if len(t) >= len(word) && strings.EqualFold(t[:len(word)], word) {
			t = strings.TrimLeft(t[len(word):], " \u200c")
			break
		}
	}
	if t == "" || len(t) > 2 || strings.Trim(t, "0123456789") != "" {
		return 0, Invalid("district.range")
	}
	n, _ := strconv.Atoi(t)
	if n < 1 || n > Districts {
		return 0, Invalid("district.range")
	}
	return n, nil
}

// Duplicate is what an agency learns when it tries to register a national
// code already placed this program year.
type Duplicate struct {
	Existing   Placement // the record that holds the code
	SameAgency bool      // the trying agency's own record: offer to correct it
}

// DuplicateAttempt is one refused registration, kept for the summaries.
type DuplicateAttempt struct {
	NationalID  NationalID
	ProgramYear int
	AgencyID    int64 // the agency that tried
	LiaisonID   int64
	HolderID    int64 // the placement that holds the code
	At          time.Time
}

// ErrDuplicate is the Conflict code of a national code already placed.
const ErrDuplicate = "placement.duplicate"

// DuplicateErr is a Conflict ErrDuplicate error carrying the record that
// holds the code; AsDuplicate gets it back.
func DuplicateErr(d Duplicate) error {
	return &Error{Kind: KindConflict, Code: ErrDuplicate, Err: &duplicateCause{d}}
}

type duplicateCause struct{ Duplicate }

func (c *duplicateCause) Error() string { return "national code already placed this program year" }

// AsDuplicate finds the duplicate in err's chain.
func AsDuplicate(err error) (Duplicate, bool) {
	var c *duplicateCause
	if errors.As(err, &c) {
		return c.Duplicate, true
	}
	return Duplicate{}, false
}

// Change is one field of a placement corrected, for the audit trail.
type Change struct {
	PlacementID int64
	Field       string
	Old, New    string
	By          int64 // Telegram id
	At          time.Time
	Reason      string // for withdrawals
}

// RowOutcome is what became of one placement of a bulk registration: saved,
// or refused as a duplicate of the record that holds its code.
type RowOutcome struct {
	Saved     Placement
	Duplicate *Duplicate
}

// CheckedAt is the moment a placement of program year is judged at, now:
// a correction of last year's record is checked as of the end of that year,
// so a start date or an age that was right then stays right.
func (c Calendar) CheckedAt(year int, now time.Time) time.Time {
	if year <= 0 || year >= c.ProgramYear(now) {
		return now
	}
	return c.YearStart(year + 1).Add(-time.Nanosecond)
}
