package domain

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Verification: an agency's figures count only as far as they are checked.
// Each period a share of every agency's new placements is drawn; each drawn
// placement is then checked in stages, as the national system does: the
// person confirms in the bot, a verifier calls, an inspector visits.

// Verification is where checking a placement stands.
type Verification string

const (
	VerifyNotSampled  Verification = "not_sampled" // not drawn, nobody asked
	VerifyWaiting     Verification = "waiting"     // drawn, not settled
	VerifyConfirmed   Verification = "confirmed"   // the job was found to exist
	VerifyRejected    Verification = "rejected"    // found not to exist: it stops counting
	VerifyUnreachable Verification = "unreachable" // nobody could be reached by phone
)

// Verifications lists the states in the order reports show them.
var Verifications = []Verification{VerifyNotSampled, VerifyWaiting, VerifyConfirmed, VerifyRejected, VerifyUnreachable}

// Counts reports whether a placement in state v counts toward its agency's
// target: every one does until it is rejected.
func (v Verification) Counts() bool { return v != VerifyRejected }

// Settled reports whether checking found an answer (confirmed or rejected).
func (v Verification) Settled() bool { return v == VerifyConfirmed || v == VerifyRejected }

// Stage is who checks a placement, and the queue it waits in.
type Stage string

const (
	StageSample Stage = "sample" // drawn, or added by an admin (audit only)
	StagePerson Stage = "person" // the employed person, in the bot
	StageCall   Stage = "call"   // a verifier at the call centre
	StageField  Stage = "field"  // an inspector's visit
	StageReview Stage = "review" // the liaison's contest, decided by an admin
	StageDone   Stage = "done"   // nothing left to do
)

// Outcome is what one step of checking found.
type Outcome string

const (
	OutcomeDrawn       Outcome = "drawn"        // in a period's sample
	OutcomeAdded       Outcome = "added"        // added to the sample by an admin
	OutcomeWorks       Outcome = "works"        // works there: confirmed
	OutcomeLeft        Outcome = "left"         // worked there, not now
	OutcomeNever       Outcome = "never"        // never worked there
	OutcomeElsewhere   Outcome = "elsewhere"    // works, but somewhere else
	OutcomeNotEmployed Outcome = "not_employed" // not employed
	OutcomeUnreachable Outcome = "unreachable"  // no answer
	OutcomeWrongNumber Outcome = "wrong_number" // the number is not the person's
	OutcomeNotFound    Outcome = "not_found"    // the visit found neither workplace nor person
	OutcomeAsked       Outcome = "asked"        // the person was sent a message asking
	OutcomeTold        Outcome = "told"         // the liaison was told of the rejection
	OutcomeContested   Outcome = "contested"    // the liaison contested the rejection
	OutcomeUpheld      Outcome = "upheld"       // an admin kept the rejection
	OutcomeOverturned  Outcome = "overturned"   // an admin found the job exists
)

// Outcomes a person, a verifier and an inspector may record, in the order
// their buttons show.
var (
	PersonOutcomes = []Outcome{OutcomeWorks, OutcomeLeft, OutcomeNever}
	CallOutcomes   = []Outcome{OutcomeWorks, OutcomeElsewhere, OutcomeNotEmployed, OutcomeNever, OutcomeUnreachable, OutcomeWrongNumber}
	FieldOutcomes  = []Outcome{OutcomeWorks, OutcomeElsewhere, OutcomeNotEmployed, OutcomeNever, OutcomeNotFound}
	ReviewOutcomes = []Outcome{OutcomeUpheld, OutcomeOverturned}
)

// Checking rules.
const (
	// CallAttempts is how many unanswered calls send a record to the field.
	CallAttempts = 3
	// CallRetry is how long an unanswered record waits before it is called again.
	CallRetry = 24 * time.Hour
)

// Check is a sampled placement's place in the checking queues.
type Check struct {
	PlacementID int64
	DrawID      int64 // 0: added by an admin, or by the person's own answer
	State       Verification
	Stage       Stage     // the queue it waits in; StageDone when settled
	Attempts    int       // unanswered calls so far
	NextAt      time.Time // not offered to a verifier or inspector before
	HeldBy      int64     // the verifier or inspector who has it in hand
	HeldUntil   time.Time
	LastOutcome Outcome
	AskedAt     time.Time // the person was sent a message asking
	ToldAt      time.Time // the liaison was told of the rejection
}

// Contestable reports whether the liaison may still contest a rejection:
// once, before an admin has decided.
func (c Check) Contestable() bool {
	return c.State == VerifyRejected && c.Stage == StageDone && c.LastOutcome != OutcomeUpheld
}

// Apply is what outcome o, found at stage, does to check c at now. A
// person's "yes" confirms; their "worked there, not now" goes to a
// verifier, who can ask when; their "never" goes to an inspector: a person
// may deny a job to hide it, so a denial is settled by a visit. A verifier's
// and an inspector's findings settle, except unanswered calls, which are
// tried CallAttempts times a day apart and then go to the field, and a
// wrong number, which goes there at once. A liaison may contest a
// rejection once (OutcomeContested at StageReview); the admin deciding it
// settles it either way.
func (c Check) Apply(stage Stage, o Outcome, now time.Time) (Check, error) {
	if o == OutcomeContested && stage == StageReview {
		if !c.Contestable() {
			return c, Conflict("verify.not_contestable")
		}
		c.Stage, c.LastOutcome = StageReview, o
		return c, nil
	}
	if !slices.Contains(StageOutcomes(stage), o) {
		return c, Invalid("verify.outcome")
	}
	switch {
	case stage == StageReview:
		if c.Stage != StageReview {
			return c, Conflict("verify.not_contested")
		}
	case c.State.Settled():
		return c, Conflict("verify.settled")
	case (stage == StageCall || stage == StageField) && c.Stage != stage:
		return c, Conflict("verify.moved")
	}
	c.LastOutcome = o
	settle := func(v Verification) {
		c.State, c.Stage, c.NextAt = v, StageDone, now
	}
	queue := func(v Verification, s Stage, at time.Time) {
		c.State, c.Stage, c.NextAt = v, s, at
	}
	switch o {
	case OutcomeWorks, OutcomeOverturned:
		settle(VerifyConfirmed)
	case OutcomeUpheld, OutcomeElsewhere, OutcomeNotEmployed, OutcomeNotFound:
		settle(VerifyRejected)
	case OutcomeNever:
		if stage == StagePerson {
			queue(VerifyWaiting, StageField, now)
		} else {
			settle(VerifyRejected)
		}
	case OutcomeLeft:
		queue(VerifyWaiting, StageCall, now)
	case OutcomeUnreachable:
		c.Attempts++
		if c.Attempts >= CallAttempts {
			queue(VerifyUnreachable, StageField, now)
		} else {
			queue(VerifyWaiting, StageCall, now.Add(CallRetry))
		}
	case OutcomeWrongNumber:
		queue(VerifyUnreachable, StageField, now)
	}
	return c, nil
}

// StageOutcomes is what may be recorded at stage.
func StageOutcomes(stage Stage) []Outcome {
	switch stage {
	case StagePerson:
		return PersonOutcomes
	case StageCall:
		return CallOutcomes
	case StageField:
		return FieldOutcomes
	case StageReview:
		return ReviewOutcomes
	}
	return nil
}

// Sampled starts the check of a drawn or added placement; the call centre
// may take it from callAt, which leaves the person time to answer first.
func Sampled(placementID, drawID int64, callAt time.Time) Check {
	return Check{PlacementID: placementID, DrawID: drawID, State: VerifyWaiting, Stage: StageCall, NextAt: callAt}
}

// VerifyEvent is one step in a placement's audit trail: who did what, when,
// at which stage.
type VerifyEvent struct {
	PlacementID int64
	At          time.Time
	By          int64 // Telegram id; 0 for the system (a draw)
	Stage       Stage
	Outcome     Outcome
	Note        string
	Location    string // "lat,lon" shared from the inspector's phone
	Photo       string // the platform's file id of a photo or document
	Key         string // submission key: one event per key
}

// ParseContestNote reads a liaison's reason for contesting a rejection:
// a few words at least, at most 400 characters.
func ParseContestNote(s string) (string, error) {
	n := Normalize(s)
	switch c := utf8.RuneCountInString(n); {
	case c < 5 || !strings.ContainsFunc(n, unicode.IsLetter):
		return "", Invalid("contest.note_short")
	case c > 400:
		return "", Invalid("contest.note_long")
	}
	return n, nil
}

// Candidate is a placement that may be drawn.
type Candidate struct {
	PlacementID int64
	AgencyID    int64
}

// Draw is one period's sample: its seed and share decide, with the
// candidates, exactly which placements were drawn, so an auditor can redo it
// with DrawSample.
type Draw struct {
	ID         int64
	From, To   time.Time // registered from From (inclusive) to To (exclusive)
	Seed       int64
	Share      float64
	Candidates []Candidate
	Sample     []int64
	DrawnAt    time.Time
	DrawnBy    int64 // 0: the weekly job
}

// DrawSample picks, for every agency, ceil(share·n) of its n candidates:
// the ones whose hash of (seed, placement id) is lowest. The result depends
// only on its arguments, and a placement withdrawn later changes no one
// else's lot. Ids come out in ascending order.
func DrawSample(seed int64, share float64, cands []Candidate) []int64 {
	share = min(max(share, 0), 1)
	type lot struct {
		id, agency int64
		key        uint64
	}
	lots := make([]lot, len(cands))
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(seed))
	for i, c := range cands {
		binary.BigEndian.PutUint64(buf[8:], uint64(c.PlacementID))
		sum := sha256.Sum256(buf[:])
		lots[i] = lot{c.PlacementID, c.AgencyID, binary.BigEndian.Uint64(sum[:8])}
	}
	slices.SortFunc(lots, func(a, b lot) int {
		return cmp.Or(cmp.Compare(a.agency, b.agency), cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	var out []int64
	for i := 0; i < len(lots); {
		j := i
		for j < len(lots) && lots[j].agency == lots[i].agency {
			j++
		}
		take := int(math.Ceil(share*float64(j-i) - 1e-9))
		for _, l := range lots[i : i+take] {
			out = append(out, l.id)
		}
		i = j
	}
	slices.Sort(out)
	return out
}

// Redo draws d again from its stored seed, share and candidates, as an
// auditor would, and compares the result with the stored sample.
func (d Draw) Redo() DrawAudit {
	redone := DrawSample(d.Seed, d.Share, d.Candidates)
	a := DrawAudit{Stored: d.Sample, Redone: redone}
	in := func(ids []int64) map[int64]bool {
		m := make(map[int64]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	stored, again := in(d.Sample), in(redone)
	for _, id := range d.Sample {
		if !again[id] {
			a.Missing = append(a.Missing, id)
		}
	}
	for _, id := range redone {
		if !stored[id] {
			a.Extra = append(a.Extra, id)
		}
	}
	return a
}

// DrawAudit is a draw redone: the sample stored and the one drawn again.
type DrawAudit struct {
	Stored, Redone []int64
	Missing        []int64 // stored, not drawn again
	Extra          []int64 // drawn again, not stored
}

// Same reports whether the redone draw is the stored one.
func (a DrawAudit) Same() bool { return slices.Equal(a.Stored, a.Redone) }

// AgencyDraw is one agency's part of a draw.
type AgencyDraw struct {
	AgencyID          int64
	Candidates, Drawn int
}

// ByAgency is how many of each agency's candidates d drew, by agency id:
// the figures that show every agency was drawn at the same share.
func (d Draw) ByAgency() []AgencyDraw {
	var out []AgencyDraw
	at := map[int64]int{}
	drawn := make(map[int64]bool, len(d.Sample))
	for _, id := range d.Sample {
		drawn[id] = true
	}
	for _, c := range d.Candidates {
		i, ok := at[c.AgencyID]
		if !ok {
			i = len(out)
			at[c.AgencyID] = i
			out = append(out, AgencyDraw{AgencyID: c.AgencyID})
		}
		out[i].Candidates++
		if drawn[c.PlacementID] {
			out[i].Drawn++
		}
	}
	slices.SortFunc(out, func(a, b AgencyDraw) int { return cmp.Compare(a.AgencyID, b.AgencyID) })
	return out
}

// Rejects reports whether outcome o, found at stage by a verifier or an
// inspector, rejects a placement (Apply decides).
func Rejects(stage Stage, o Outcome) bool {
	if stage != StageCall && stage != StageField {
		return false
	}
	c, err := Check{State: VerifyWaiting, Stage: stage}.Apply(stage, o, time.Time{})
	return err == nil && c.State == VerifyRejected
}

// Rejection is the step of trail (oldest first) that rejected its
// placement: the last finding of a call or a visit that rejects. An admin
// upholding a contest keeps that finding as the reason.
func Rejection(trail []VerifyEvent) (VerifyEvent, bool) {
	for i := len(trail) - 1; i >= 0; i-- {
		if Rejects(trail[i].Stage, trail[i].Outcome) {
			return trail[i], true
		}
	}
	return VerifyEvent{}, false
}

// drawAnchor is a Saturday, the first day of the Iranian week: periods of
// whole weeks start on Saturdays.
var drawAnchor = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DrawPeriod is the last whole period of days days ended by now, in cal's
// zone: with 7, the week from last Saturday's midnight back.
func (cal Calendar) DrawPeriod(now time.Time, days int) (from, to time.Time) {
	days = max(days, 1)
	local := cal.In(now)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	n := int(today.Sub(drawAnchor).Hours()/24) / days
	end := drawAnchor.AddDate(0, 0, n*days)
	start := end.AddDate(0, 0, -days)
	at := func(d time.Time) time.Time { return cal.Date(d.Year(), d.Month(), d.Day()) }
	return at(start), at(end)
}

// Warnings where a manager would want to look.
const (
	// WarnSharedMobile: one mobile on more than this many placements of a year.
	WarnSharedMobile = 3
	// WarnEmployerDay: one employer with at least this many placements
	// registered in one day.
	WarnEmployerDay = 10
	// WarnSpikeFactor, WarnSpikeMin, WarnMonthEndDays: an agency registering
	// at least WarnSpikeMin placements, and WarnSpikeFactor times its weekly
	// average, in the 7 days up to a day among the last WarnMonthEndDays of
	// a Solar Hijri month.
	WarnSpikeFactor  = 3
	WarnSpikeMin     = 10
	WarnMonthEndDays = 7
	// WarnSpikeWeeks is how many earlier weeks make the weekly average.
	WarnSpikeWeeks = 8
)

// MonthEnd reports whether day is among the last WarnMonthEndDays of its
// Solar Hijri month.
func (cal Calendar) MonthEnd(day time.Time) bool {
	d := cal.ToJalali(day)
	return JalaliMonthLength(d.Year, d.Month)-d.Day < WarnMonthEndDays
}

// Spike reports whether an agency that registered last7 placements in the
// last 7 days, and before that earlier in WarnSpikeWeeks weeks, spiked.
func Spike(last7, earlier int) bool {
	avg := float64(earlier) / WarnSpikeWeeks
	return last7 >= WarnSpikeMin && float64(last7) >= WarnSpikeFactor*max(avg, 1)
}
