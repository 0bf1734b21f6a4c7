package domain

import (
	"cmp"
	"slices"
	"time"
)

// The warnings of the daily summary: patterns in the registrations that a
// manager would want to look at before trusting the figures. Their
// thresholds are in verification.go (WarnSharedMobile and the rest).

// WarnListed is how many of each kind of warning a summary names; the
// rest are counted.
const WarnListed = 5

// Warnings are a summary's warnings, each kind most striking first. The
// agencies they name carry their ID and names only.
type Warnings struct {
	// Mobiles are mobile numbers on more than WarnSharedMobile placements
	// of the program year registered up to the day.
	Mobiles     []SharedMobile
	MoreMobiles int // past those listed
	// Employers are employers with WarnEmployerDay placements or more
	// registered on the day.
	Employers     []BusyEmployer
	MoreEmployers int
	// Spikes are agencies registering far above their weekly average in
	// the last days of a month (MonthEndSpikes).
	Spikes     []MonthEndSpike
	MoreSpikes int
}

// Any reports whether there is any warning.
func (w Warnings) Any() bool {
	return len(w.Mobiles)+len(w.Employers)+len(w.Spikes) > 0
}

// SharedMobile is one mobile number given on many placements: one person
// does not hold many jobs, so the number is likely a liaison's own or made
// up. Its Agencies are those that registered them, the most first.
type SharedMobile struct {
	Mobile     Mobile
	Placements int
	Agencies   []Agency
}

// BusyEmployer is one employer with many placements registered in one day:
// jobs are created over weeks, not in an afternoon. Employer is written as
// most of those placements write it; placements are grouped by the name
// with case, spaces and half-spaces set aside. Its Agencies are those that
// registered them, the most first.
type BusyEmployer struct {
	Employer   string
	Placements int
	Agencies   []Agency
}

// MonthEndSpike is an agency registering, in the 7 days up to a day near a
// month's end, WarnSpikeFactor times its weekly average or more: figures
// pushed in before a monthly report.
type MonthEndSpike struct {
	Agency  Agency
	Week    int // registered in the 7 days up to the day
	Earlier int // registered in the WarnSpikeWeeks weeks before them
}

// WeeklyAverage is the agency's average week before the last 7 days.
func (s MonthEndSpike) WeeklyAverage() float64 { return float64(s.Earlier) / WarnSpikeWeeks }

// Factor is how many times its weekly average the agency registered in the
// last 7 days; an average below one placement is taken as one, as Spike
// does.
func (s MonthEndSpike) Factor() float64 { return float64(s.Week) / max(s.WeeklyAverage(), 1) }

// MonthEndSpikes picks from weeks, each agency's registrations in the 7
// days up to day and in the WarnSpikeWeeks weeks before, those that Spike,
// when day is among the last days of its month (MonthEnd); the highest
// factor first.
func (cal Calendar) MonthEndSpikes(day time.Time, weeks []MonthEndSpike) []MonthEndSpike {
	if !cal.MonthEnd(day) {
		return nil
	}
	var out []MonthEndSpike
	for _, w := range weeks {
		if Spike(w.Week, w.Earlier) {
			out = append(out, w)
		}
	}
	slices.SortStableFunc(out, func(a, b MonthEndSpike) int {
		return cmp.Or(cmp.Compare(b.Factor(), a.Factor()), cmp.Compare(b.Week, a.Week))
	})
	return out
}

// Listed cuts all to the WarnListed a summary names and says how many
// more there are.
func Listed[T any](all []T) (listed []T, more int) {
	if len(all) <= WarnListed {
		return all, 0
	}
	return all[:WarnListed], len(all) - WarnListed
}
