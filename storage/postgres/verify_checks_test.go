package postgres_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// seedPlacements registers n placements per agency at t0, returning their ids.
func seedPlacements(t *testing.T, db *postgres.DB, n int, agencies ...domain.Agency) []int64 {
	t.Helper()
	var ids []int64
	codes := nationalIDs(t, 0, n*len(agencies))
	for i, code := range codes {
		p, err := db.CreatePlacement(context.Background(), placement(code, agencies[i%len(agencies)].ID), t0)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

func TestDrawSampleOncePerPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a, b := mustAgency(t, db, "a", "الف"), mustAgency(t, db, "b", "ب")
	seedPlacements(t, db, 9, a, b)
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)

	// Two replicas draw at once: one draws, the other finds its draw.
	var (
		wg    sync.WaitGroup
		draws [2]domain.Draw
		fresh [2]bool
		errs  [2]error
	)
	for i := range 2 {
		wg.Go(func() { draws[i], fresh[i], errs[i] = db.DrawSample(ctx, from, to, 99, 0.5, 0, t0, t0) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fresh[0] == fresh[1] || draws[0].ID != draws[1].ID || !slices.Equal(draws[0].Sample, draws[1].Sample) {
		t.Fatalf("two draws of one period: fresh %v, ids %d %d", fresh, draws[0].ID, draws[1].ID)
	}
	d, err := db.Draw(ctx, draws[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// The stored draw redoes to the same list: 5 of each agency's 9.
	if len(d.Candidates) != 18 || len(d.Sample) != 10 || !slices.Equal(domain.DrawSample(d.Seed, d.Share, d.Candidates), d.Sample) {
		t.Fatalf("draw: %d candidates, %d drawn; redone %v, stored %v", len(d.Candidates), len(d.Sample), domain.DrawSample(d.Seed, d.Share, d.Candidates), d.Sample)
	}
	for _, id := range d.Sample {
		c, err := db.Check(ctx, id)
		if err != nil || c.State != domain.VerifyWaiting || c.Stage != domain.StageCall || c.DrawID != d.ID {
			t.Fatalf("drawn %d: %+v, %v", id, c, err)
		}
	}
	// Admins add a whole agency: its 4 undrawn placements.
	if n, err := db.AddToSample(ctx, 0, a.ID, year, 1, t0, t0); err != nil || n != 4 {
		t.Fatalf("AddToSample(agency) = %d, %v; want 4", n, err)
	}
}

func TestNextCheckTwoVerifiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "a", "الف")
	ids := seedPlacements(t, db, 2, a)
	if n, err := db.AddToSample(ctx, 0, a.ID, year, 1, t0, t0); err != nil || n != 2 {
		t.Fatalf("AddToSample = %d, %v", n, err)
	}
	var (
		wg   sync.WaitGroup
		got  [2]domain.Check
		errs [2]error
	)
	for i := range 2 {
		wg.Go(func() { got[i], errs[i] = db.NextCheck(ctx, domain.StageCall, int64(500+i), t0, 30*time.Minute) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || got[0].PlacementID == got[1].PlacementID {
		t.Fatalf("two verifiers: %+v %+v, %v %v", got[0], got[1], errs[0], errs[1])
	}
	// A third finds none; the first asking again gets the one in hand.
	if _, err := db.NextCheck(ctx, domain.StageCall, 502, t0, 30*time.Minute); domain.CodeOf(err) != "verify.queue_empty" {
		t.Fatalf("third verifier: %v", err)
	}
	again, err := db.NextCheck(ctx, domain.StageCall, 500, t0, 30*time.Minute)
	if err != nil || again.PlacementID != got[0].PlacementID {
		t.Fatalf("asking again: %+v, %v", again, err)
	}
	// Someone else's record is refused; once the hold lapses, another gets it.
	_, err = db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: got[0].PlacementID, At: t0, By: 501, Stage: domain.StageCall, Outcome: domain.OutcomeWorks})
	if domain.CodeOf(err) != "verify.not_held" {
		t.Fatalf("recording another's record: %v", err)
	}
	later := t0.Add(31 * time.Minute)
	taken, err := db.NextCheck(ctx, domain.StageCall, 502, later, 30*time.Minute)
	if err != nil || !slices.Contains(ids, taken.PlacementID) {
		t.Fatalf("after the hold: %+v, %v", taken, err)
	}
}

func TestRecordCheckUnreachableToField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "a", "الف")
	id := seedPlacements(t, db, 1, a)[0]
	if _, err := db.AddToSample(ctx, id, 0, 0, 1, t0, t0); err != nil {
		t.Fatal(err)
	}
	now := t0
	for i := range domain.CallAttempts {
		c, err := db.NextCheck(ctx, domain.StageCall, 500, now, time.Hour)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		ev := domain.VerifyEvent{PlacementID: c.PlacementID, At: now, By: 500, Stage: domain.StageCall, Outcome: domain.OutcomeUnreachable, Key: "k" + string(rune('0'+i))}
		if _, err := db.RecordCheck(ctx, ev); err != nil {
			t.Fatal(err)
		}
		// The same press again changes nothing.
		if c2, err := db.RecordCheck(ctx, ev); err != nil || c2.Attempts != i+1 {
			t.Fatalf("repeat of call %d: %+v, %v", i, c2, err)
		}
		if _, err := db.NextCheck(ctx, domain.StageCall, 500, now, time.Hour); i < domain.CallAttempts-1 && domain.CodeOf(err) != "verify.queue_empty" {
			t.Fatalf("asked again the same day: %v", err)
		}
		now = now.Add(domain.CallRetry)
	}
	c, err := db.NextCheck(ctx, domain.StageField, 600, now, time.Hour)
	if err != nil || c.PlacementID != id || c.State != domain.VerifyUnreachable {
		t.Fatalf("field queue: %+v, %v", c, err)
	}
	c, err = db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: now, By: 600, Stage: domain.StageField, Outcome: domain.OutcomeNotFound, Location: "35.700000,51.400000", Photo: "photo-1"})
	if err != nil || c.State != domain.VerifyRejected {
		t.Fatalf("visit: %+v, %v", c, err)
	}
	if told, err := db.ClaimTold(ctx, id, now); err != nil || !told {
		t.Fatalf("ClaimTold = %v, %v", told, err)
	}
	if told, _ := db.ClaimTold(ctx, id, now); told {
		t.Fatal("told twice")
	}
	evs, err := db.VerifyEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range evs {
		trail = append(trail, string(e.Stage)+":"+string(e.Outcome))
	}
	want := []string{"sample:added", "call:unreachable", "call:unreachable", "call:unreachable", "field:not_found", "done:told"}
	if !slices.Equal(trail, want) {
		t.Fatalf("trail %v, want %v", trail, want)
	}
	if evs[4].Location == "" || evs[4].Photo != "photo-1" || evs[4].By != 600 {
		t.Errorf("visit event %+v", evs[4])
	}
	p, err := db.Placement(ctx, id)
	if err != nil || p.Verification != domain.VerifyRejected {
		t.Fatalf("placement state %q, %v", p.Verification, err)
	}
}

func TestRecordCheckPersonUnsampled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "a", "الف")
	id := seedPlacements(t, db, 1, a)[0]
	c, err := db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: t0, By: 77, Stage: domain.StagePerson, Outcome: domain.OutcomeWorks, Key: "p1"})
	if err != nil || c.State != domain.VerifyConfirmed {
		t.Fatalf("person's answer: %+v, %v", c, err)
	}
}

// A liaison contests a rejection once, under their form's key; an admin
// decides it once.
func TestContestAndDecide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "a", "الف")
	id := seedPlacements(t, db, 1, a)[0]
	if _, err := db.AddToSample(ctx, id, 0, 0, 1, t0, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NextCheck(ctx, domain.StageCall, 500, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: t0, By: 500, Stage: domain.StageCall, Outcome: domain.OutcomeNever}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyEventBySubmission(ctx, "7:abc"); domain.CodeOf(err) != "verify.event_notfound" {
		t.Fatalf("event by unknown key: %v", err)
	}
	contest := domain.VerifyEvent{PlacementID: id, At: t0, By: 70, Stage: domain.StageReview, Outcome: domain.OutcomeContested, Note: "works there", Photo: "doc-1", Key: "7:abc"}
	for range 2 { // the second: the form submitted again
		c, err := db.RecordCheck(ctx, contest)
		if err != nil || c.Stage != domain.StageReview || c.State != domain.VerifyRejected {
			t.Fatalf("contest: %+v, %v", c, err)
		}
	}
	e, err := db.VerifyEventBySubmission(ctx, "7:abc")
	if err != nil || e.PlacementID != id || e.Note != "works there" || e.Photo != "doc-1" || e.By != 70 {
		t.Fatalf("event by key: %+v, %v", e, err)
	}
	if cs, err := db.Contested(ctx); err != nil || len(cs) != 1 || cs[0].PlacementID != id {
		t.Fatalf("contested: %+v, %v", cs, err)
	}
	c, err := db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: t0, By: 1, Stage: domain.StageReview, Outcome: domain.OutcomeOverturned, Key: "cb-1"})
	if err != nil || c.State != domain.VerifyConfirmed || c.Stage != domain.StageDone {
		t.Fatalf("overturn: %+v, %v", c, err)
	}
	// A second admin, after the first.
	if _, err := db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: t0, By: 2, Stage: domain.StageReview, Outcome: domain.OutcomeUpheld, Key: "cb-2"}); domain.CodeOf(err) != "verify.not_contested" {
		t.Fatalf("second decision: %v", err)
	}
	if cs, _ := db.Contested(ctx); len(cs) != 0 {
		t.Fatalf("still contested: %+v", cs)
	}
}
