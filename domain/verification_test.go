package domain

import (
	"slices"
	"testing"
	"time"
)

func TestDrawSampleSameSeedSameList(t *testing.T) {
	var cands []Candidate
	for i := range 1000 {
		cands = append(cands, Candidate{PlacementID: int64(i + 1), AgencyID: int64(i%7 + 1)})
	}
	a := DrawSample(42, 0.5, cands)
	shuffled := slices.Clone(cands)
	slices.Reverse(shuffled)
	if b := DrawSample(42, 0.5, shuffled); !slices.Equal(a, b) {
		t.Fatal("the same seed and candidates drew different samples")
	}
	if c := DrawSample(43, 0.5, cands); slices.Equal(a, c) {
		t.Fatal("another seed drew the same sample")
	}
	// Every agency at the share: ceil(share·n) of its n.
	per := map[int64]int{}
	total := map[int64]int{}
	byID := map[int64]int64{}
	for _, c := range cands {
		total[c.AgencyID]++
		byID[c.PlacementID] = c.AgencyID
	}
	for _, id := range a {
		per[byID[id]]++
	}
	for ag, n := range total {
		if want := (n + 1) / 2; per[ag] != want {
			t.Errorf("agency %d: drew %d of %d, want %d", ag, per[ag], n, want)
		}
	}
	if !slices.IsSorted(a) {
		t.Error("sample not in ascending order")
	}
}

func TestDrawSampleWithdrawalChangesNobodyElse(t *testing.T) {
	var cands []Candidate
	for i := range 200 {
		cands = append(cands, Candidate{PlacementID: int64(i + 1), AgencyID: 1})
	}
	a := DrawSample(7, 0.25, cands)
	// Take out one candidate that was not drawn: with 199 left ceil(0.25·199)
	// = 50 as before, and the same 50 are drawn.
	var out int64
	for _, c := range cands {
		if !slices.Contains(a, c.PlacementID) {
			out = c.PlacementID
			break
		}
	}
	rest := slices.DeleteFunc(slices.Clone(cands), func(c Candidate) bool { return c.PlacementID == out })
	if b := DrawSample(7, 0.25, rest); !slices.Equal(a, b) {
		t.Fatalf("withdrawing an undrawn candidate changed the sample")
	}
	if got := DrawSample(7, 0, cands); len(got) != 0 {
		t.Errorf("share 0 drew %d", len(got))
	}
	if got := DrawSample(7, 1, cands); len(got) != len(cands) {
		t.Errorf("share 1 drew %d of %d", len(got), len(cands))
	}
}

func TestCheckApply(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	fresh := Sampled(1, 0, now)
	type step struct {
		stage Stage
		o     Outcome
	}
	tests := []struct {
		name  string
		steps []step
		state Verification
		stage Stage
		err   string
	}{
		{"person confirms", []step{{StagePerson, OutcomeWorks}}, VerifyConfirmed, StageDone, ""},
		{"person denies: a visit", []step{{StagePerson, OutcomeNever}}, VerifyWaiting, StageField, ""},
		{"person left: a call", []step{{StagePerson, OutcomeLeft}}, VerifyWaiting, StageCall, ""},
		{"call confirms", []step{{StageCall, OutcomeWorks}}, VerifyConfirmed, StageDone, ""},
		{"call never", []step{{StageCall, OutcomeNever}}, VerifyRejected, StageDone, ""},
		{"call elsewhere", []step{{StageCall, OutcomeElsewhere}}, VerifyRejected, StageDone, ""},
		{"unreachable once", []step{{StageCall, OutcomeUnreachable}}, VerifyWaiting, StageCall, ""},
		{"unreachable three times", []step{{StageCall, OutcomeUnreachable}, {StageCall, OutcomeUnreachable}, {StageCall, OutcomeUnreachable}}, VerifyUnreachable, StageField, ""},
		{"wrong number", []step{{StageCall, OutcomeWrongNumber}}, VerifyUnreachable, StageField, ""},
		{"visit after wrong number confirms", []step{{StageCall, OutcomeWrongNumber}, {StageField, OutcomeWorks}}, VerifyConfirmed, StageDone, ""},
		{"visit not found", []step{{StagePerson, OutcomeNever}, {StageField, OutcomeNotFound}}, VerifyRejected, StageDone, ""},
		{"visit before its turn", []step{{StageField, OutcomeWorks}}, VerifyWaiting, StageCall, "verify.moved"},
		{"settled stays", []step{{StageCall, OutcomeWorks}, {StagePerson, OutcomeNever}}, VerifyConfirmed, StageDone, "verify.settled"},
		{"a call outcome from a person", []step{{StagePerson, OutcomeWrongNumber}}, VerifyWaiting, StageCall, "verify.outcome"},
		{"contest overturned", []step{{StageCall, OutcomeNever}, {StageReview, OutcomeContested}, {StageReview, OutcomeOverturned}}, VerifyConfirmed, StageDone, ""},
		{"contest upheld", []step{{StageCall, OutcomeNever}, {StageReview, OutcomeContested}, {StageReview, OutcomeUpheld}}, VerifyRejected, StageDone, ""},
		{"contest twice", []step{{StageCall, OutcomeNever}, {StageReview, OutcomeContested}, {StageReview, OutcomeUpheld}, {StageReview, OutcomeContested}}, VerifyRejected, StageDone, "verify.not_contestable"},
		{"contest a confirmation", []step{{StageCall, OutcomeWorks}, {StageReview, OutcomeContested}}, VerifyConfirmed, StageDone, "verify.not_contestable"},
		{"decide with no contest", []step{{StageCall, OutcomeNever}, {StageReview, OutcomeOverturned}}, VerifyRejected, StageDone, "verify.not_contested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fresh
			var err error
			for i, s := range tt.steps {
				var next Check
				next, err = c.Apply(s.stage, s.o, now)
				if err != nil {
					if i != len(tt.steps)-1 {
						t.Fatalf("step %d: %v", i, err)
					}
					break
				}
				c = next
			}
			if got := CodeOf(err); got != tt.err {
				t.Fatalf("error %q, want %q", got, tt.err)
			}
			if c.State != tt.state || c.Stage != tt.stage {
				t.Errorf("ended %s at %s, want %s at %s", c.State, c.Stage, tt.state, tt.stage)
			}
		})
	}
	c, _ := fresh.Apply(StageCall, OutcomeUnreachable, now)
	if !c.NextAt.Equal(now.Add(CallRetry)) || c.Attempts != 1 {
		t.Errorf("unreachable: next at %v after %d attempts, want a day later after 1", c.NextAt, c.Attempts)
	}
}

func TestDrawPeriod(t *testing.T) {
	cal := DefaultCalendar()
	// Wednesday 1405/03/13 (2026-06-03) 10:00 Tehran: the last whole week
	// ran from Saturday 1405/03/02 to Saturday 1405/03/09.
	now := cal.Date(2026, 6, 3).Add(10 * time.Hour)
	from, to := cal.DrawPeriod(now, 7)
	if from.Weekday() != time.Saturday || to.Sub(from) != 7*24*time.Hour || !to.Before(now) || now.Sub(to) >= 7*24*time.Hour {
		t.Fatalf("period %v – %v for %v", from, to, now)
	}
	if got := cal.ToJalali(to); got != (JalaliDate{1405, 3, 9}) {
		t.Errorf("period ends %v, want 1405/03/09", got)
	}
}

func TestSpikeAndMonthEnd(t *testing.T) {
	cal := DefaultCalendar()
	if !cal.MonthEnd(cal.Midnight(JalaliDate{1405, 3, 30})) || cal.MonthEnd(cal.Midnight(JalaliDate{1405, 3, 20})) {
		t.Error("month end wrong")
	}
	if !Spike(30, 40) || Spike(9, 0) || Spike(20, 80) {
		t.Error("spike wrong")
	}
}

func TestDrawRedoAndByAgency(t *testing.T) {
	cands := []Candidate{{1, 10}, {2, 10}, {3, 10}, {4, 20}, {5, 20}, {6, 30}}
	d := Draw{Seed: 99, Share: 0.5, Candidates: cands}
	d.Sample = DrawSample(d.Seed, d.Share, cands)
	if a := d.Redo(); !a.Same() || len(a.Missing)+len(a.Extra) > 0 {
		t.Fatalf("redo of an untouched draw: %+v", a)
	}
	want := []AgencyDraw{{10, 3, 2}, {20, 2, 1}, {30, 1, 1}}
	if got := d.ByAgency(); !slices.Equal(got, want) {
		t.Errorf("by agency = %v, want %v", got, want)
	}
	// A sample changed after the draw is found out, and how.
	var other int64
	for _, c := range cands {
		if !slices.Contains(d.Sample, c.PlacementID) {
			other = c.PlacementID
			break
		}
	}
	changed := d
	changed.Sample = append(slices.Clone(d.Sample[1:]), other)
	slices.Sort(changed.Sample)
	a := changed.Redo()
	if a.Same() || !slices.Equal(a.Missing, []int64{other}) || !slices.Equal(a.Extra, d.Sample[:1]) {
		t.Errorf("redo of a changed sample: %+v", a)
	}
}

func TestRejection(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	trail := []VerifyEvent{
		{Stage: StageSample, Outcome: OutcomeDrawn, At: at},
		{Stage: StagePerson, Outcome: OutcomeNever, At: at}, // sends it to the field, rejects nothing
		{Stage: StageField, Outcome: OutcomeNotFound, Note: "closed", At: at},
		{Stage: StageDone, Outcome: OutcomeTold, At: at},
		{Stage: StageReview, Outcome: OutcomeContested, At: at},
		{Stage: StageReview, Outcome: OutcomeUpheld, At: at},
	}
	ev, ok := Rejection(trail)
	if !ok || ev.Stage != StageField || ev.Outcome != OutcomeNotFound || ev.Note != "closed" {
		t.Errorf("rejection = %+v, %v", ev, ok)
	}
	if _, ok := Rejection(trail[:2]); ok {
		t.Error("a person's denial taken as the rejection")
	}
	for _, c := range []struct {
		stage Stage
		o     Outcome
		want  bool
	}{
		{StageCall, OutcomeNever, true}, {StageCall, OutcomeUnreachable, false}, {StageCall, OutcomeWorks, false},
		{StageField, OutcomeElsewhere, true}, {StagePerson, OutcomeNever, false}, {StageReview, OutcomeUpheld, false},
	} {
		if got := Rejects(c.stage, c.o); got != c.want {
			t.Errorf("Rejects(%s, %s) = %v", c.stage, c.o, got)
		}
	}
}
