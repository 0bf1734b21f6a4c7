package domain

import (
	"reflect"
	"testing"
)

func TestChecking(t *testing.T) {
	c := Checking{Sampled: 15, Confirmed: 11, Rejected: 1}
	if c.Checked() != 12 || c.ConfirmedShare() != 11.0/12 {
		t.Errorf("checked %d, confirmed share %v", c.Checked(), c.ConfirmedShare())
	}
	if (Checking{Sampled: 4}).ConfirmedShare() != 0 || Share(3, 0) != 0 || Share(1, 4) != 0.25 {
		t.Error("a share of nothing is not 0")
	}
	if got := c.Plus(Checking{Sampled: 1, Confirmed: 2, Rejected: 3}); got != (Checking{Sampled: 16, Confirmed: 13, Rejected: 4}) {
		t.Errorf("Plus = %+v", got)
	}
	// A rejected placement leaves its agency's count but is still registered.
	a := AgencyProgress{Count: 9, Checking: Checking{Sampled: 3, Rejected: 1}}
	if a.Registered() != 10 {
		t.Errorf("registered %d", a.Registered())
	}
	// Checked is the settled states'.
	for _, v := range Verifications {
		counted := Checking{}
		switch v {
		case VerifyConfirmed:
			counted.Confirmed = 1
		case VerifyRejected:
			counted.Rejected = 1
		}
		if (counted.Checked() == 1) != v.Settled() {
			t.Errorf("%s: checked %d, settled %v", v, counted.Checked(), v.Settled())
		}
	}
}

func TestMonthEndSpikes(t *testing.T) {
	cal := DefaultCalendar()
	agency := func(id int64) Agency { return Agency{ID: id, NameFa: "دستگاه"} }
	weeks := []MonthEndSpike{
		{Agency: agency(1), Week: 12, Earlier: 8},  // 12 times an average of 1
		{Agency: agency(2), Week: 12, Earlier: 40}, // average 5: 12 is not 15
		{Agency: agency(3), Week: 9, Earlier: 0},   // too few
		{Agency: agency(4), Week: 30, Earlier: 40}, // 6 times
		{Agency: agency(5), Week: 10, Earlier: 0},  // 10 times an average below 1, taken as 1
	}
	end := cal.Midnight(JalaliDate{Year: 1405, Month: 12, Day: 29}) // Esfand has 29 days in 1405
	got := cal.MonthEndSpikes(end, weeks)
	var ids []int64
	for _, s := range got {
		ids = append(ids, s.Agency.ID)
	}
	if !reflect.DeepEqual(ids, []int64{1, 5, 4}) {
		t.Errorf("spikes %v, want agencies 1, 5, 4 (factors 12, 10, 6)", ids)
	}
	if got[0].Factor() != 12 || got[0].WeeklyAverage() != 1 || got[2].Factor() != 6 {
		t.Errorf("factors %v, %v", got[0].Factor(), got[2].Factor())
	}
	// Mid-month, the same weeks are no warning.
	if mid := cal.MonthEndSpikes(cal.Midnight(JalaliDate{Year: 1405, Month: 12, Day: 10}), weeks); mid != nil {
		t.Errorf("mid-month spikes %+v", mid)
	}
}

func TestListed(t *testing.T) {
	all := []int{1, 2, 3, 4, 5, 6, 7}
	if got, more := Listed(all); len(got) != WarnListed || more != len(all)-WarnListed {
		t.Errorf("Listed = %v, %d more", got, more)
	}
	if got, more := Listed(all[:2]); len(got) != 2 || more != 0 {
		t.Errorf("Listed = %v, %d more", got, more)
	}
	if w := (Warnings{}); w.Any() {
		t.Error("no warnings are some")
	}
	if w := (Warnings{Spikes: []MonthEndSpike{{}}}); !w.Any() {
		t.Error("a spike is no warning")
	}
}
