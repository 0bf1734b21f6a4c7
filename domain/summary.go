package domain

import (
	"cmp"
	"slices"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The manager's day: what was registered today and this program year, how
// each agency stands against its yearly commitment, and the stalls.

// Target is an agency's yearly job commitment in one sector.
type Target struct {
	Year     int
	AgencyID int64
	Sector   Sector
	Jobs     int
}

// Checking is how far the checking of a set of placements has gone.
type Checking struct {
	Sampled   int // drawn or added to the sample, whatever their state since
	Confirmed int
	Rejected  int // these count toward no target
}

// Checked is how many were settled (Verification.Settled): confirmed or
// rejected.
func (c Checking) Checked() int { return c.Confirmed + c.Rejected }

// ConfirmedShare is the share of the checked that were confirmed, 0 to 1;
// 0 when none was checked.
func (c Checking) ConfirmedShare() float64 { return Share(c.Confirmed, c.Checked()) }

// Plus is c and o added up.
func (c Checking) Plus(o Checking) Checking {
	return Checking{Sampled: c.Sampled + o.Sampled, Confirmed: c.Confirmed + o.Confirmed, Rejected: c.Rejected + o.Rejected}
}

// Share is part of whole, 0 to 1; 0 when whole is 0.
func Share(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// AgencyProgress is one agency's placements of the year against its target.
type AgencyProgress struct {
	AgencyID int64
	Code     string
	NameFa   string
	NameEn   string
	Count    int // placements this program year that count: rejected ones do not
	Target   int // jobs committed this program year, all sectors
	Rank     int // 1 = furthest ahead of its target; agencies without a target come last; 0: no placement, not ranked
	Checking     // of the placements of the year, rejected ones included
}

// Registered is how many placements of the year the agency registered,
// rejected ones included.
func (a AgencyProgress) Registered() int { return a.Count + a.Rejected }

// Name is the agency's name in lang.
func (a AgencyProgress) Name(lang string) string {
	return Agency{NameFa: a.NameFa, NameEn: a.NameEn}.Name(lang)
}

// Percent is the share of the target reached, in percent; 0 without a target.
func (a AgencyProgress) Percent() float64 {
	if a.Target <= 0 {
		return 0
	}
	return 100 * float64(a.Count) / float64(a.Target)
}

// Summary is the daily report, for one day in the Calendar's zone.
type Summary struct {
	Day  time.Time // midnight, in the Calendar's zone
	Year int       // program year of Day
	// Today counts the placements registered on Day, rejected ones
	// included: it says what was registered, not what counts.
	Today int
	// TodayEarlier counts those of Today whose job started in an earlier
	// program year: they count in that year, not in Year.
	TodayEarlier int
	// YearTotal counts the placements of the program year registered up to
	// the end of Day that count (rejected ones do not); BySector splits it.
	YearTotal int
	BySector  map[Sector]int
	// Checking is the province's: the placements of the program year
	// registered up to the end of Day, rejected ones included, as their
	// checking stands now.
	Checking
	Agencies []AgencyProgress // ranked
	// Idle lists agencies with no placement registered in the 7 days up to Day.
	Idle []AgencyProgress
	// Warnings are the patterns a manager would want to look at.
	Warnings Warnings

	DuplicatesToday int // registrations refused as duplicates on Day

	StallsNewToday      int
	StallsWaiting       int
	StallsAllocated     int // offered or accepted
	AllocatedFemaleHead int // of StallsAllocated, held by female heads of household
}

// Registered is how many placements of the year were registered up to the
// end of Day, rejected ones included.
func (s Summary) Registered() int { return s.YearTotal + s.Rejected }

// FemaleHeadShare is the share of allocated stalls held by female heads of
// household, 0 to 1; 0 when none is allocated.
func (s Summary) FemaleHeadShare() float64 {
	return Share(s.AllocatedFemaleHead, s.StallsAllocated)
}

// RankAgencies orders agencies by percent of target, highest first, then by
// count, then by Persian name, and numbers them from 1. Agencies without a
// target follow, by count, then name. Agencies with no placement are not
// ranked (Rank 0) and come last, by name: twenty agencies tied at zero
// have no order a reader could learn anything from.
func RankAgencies(as []AgencyProgress) {
	byName := collate.New(language.Persian)
	group := func(a AgencyProgress) int {
		switch {
		case a.Count == 0:
			return 2
		case a.Target <= 0:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(as, func(a, b AgencyProgress) int {
		return cmp.Or(
			cmp.Compare(group(a), group(b)),
			cmp.Compare(b.Percent(), a.Percent()),
			cmp.Compare(b.Count, a.Count),
			byName.CompareString(a.NameFa, b.NameFa),
			cmp.Compare(a.Code, b.Code),
		)
	})
	for i := range as {
		as[i].Rank = 0
		if as[i].Count > 0 {
			as[i].Rank = i + 1
		}
	}
}

// ExportFilter selects placements for an export: start dates from From
// (inclusive) to To (exclusive), zero meaning open; AgencyID and Sector
// zero meaning all.
type ExportFilter struct {
	From, To time.Time
	AgencyID int64
	Sector   Sector
}

// ExportRow is one placement of an export: the record, its agency's
// Persian name, and where its checking stands.
type ExportRow struct {
	Placement
	AgencyFa    string
	Stage       Stage     // the queue it waits in, StageDone once settled; "" when never sampled
	LastOutcome Outcome   // what the last step of checking found; "" before any
	CheckedAt   time.Time // when that step was recorded; zero before any
}

// ExportTotal is one agency's placements in one sector, with its target.
type ExportTotal struct {
	AgencyID int64
	AgencyFa string
	AgencyEn string
	Sector   Sector
	Count    int // the placements that count: rejected ones do not
	Target   int
	Checking // of the placements, rejected ones included
}

// Name is the agency's name in lang.
func (t ExportTotal) Name(lang string) string {
	return Agency{NameFa: t.AgencyFa, NameEn: t.AgencyEn}.Name(lang)
}

// SummaryFailure is a daily summary that could not be delivered.
type SummaryFailure struct {
	TelegramID int64
	Attempts   int
	LastError  string
}
