package main

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rasad-gov/rasad/bot/safir/safirtest"
	"github.com/rasad-gov/rasad/domain"
)

// Checking placements end to end: the person's own answer (/myjob), the
// verifier's calls (/verify), the inspector's visit (/visit).

// grant gives a person a role without an agency.
func (h *harness) grant(id int64, name string, r domain.Role) person {
	h.t.Helper()
	if err := h.db.GrantRole(context.Background(), id, domain.Grant{Role: r}); err != nil {
		h.t.Fatal(err)
	}
	return h.person(id, name)
}

// placeWithMobile stores the n-th test code's placement for agency with
// mobile, registered now, and returns it.
func (h *harness) placeWithMobile(agency string, n int, mobile domain.Mobile) domain.Placement {
	h.t.Helper()
	now := h.clock.Now()
	p := samplePlacement(validCode(h.t, n), h.agencyID(agency), now)
	p.Mobile = mobile
	return must[domain.Placement](h.t)(h.db.CreatePlacement(context.Background(), p, now))
}

// sampleAll puts every placement of agency in the sample, as an admin can.
func (h *harness) sampleAll(agency string) {
	h.t.Helper()
	now := h.clock.Now()
	if _, err := h.db.AddToSample(context.Background(), 0, h.agencyID(agency), cal.ProgramYear(now), adminID, now, now); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) check(id int64) domain.Check {
	h.t.Helper()
	return must[domain.Check](h.t)(h.db.Check(context.Background(), id))
}

// myjobToAnswer takes a person through proving their number and code up to
// the question about their job.
func myjobToAnswer(h *harness, p person, code domain.NationalID) {
	h.t.Helper()
	p.send("/myjob")
	p.expect(h.T("myjob.phone.prompt"))
	must[int](h.t)(p.ShareContact("09121234567", p.ID()))
	p.expect(h.T("contact.received"))
	p.expect(h.T("myjob.nationalid.prompt"))
	p.send(string(code))
}

func TestPersonConfirmsOwnJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	job := h.placeWithMobile("labour", 1, "+989121234567")
	other := h.placeWithMobile("labour", 2, "+989350000000") // someone else's

	p := h.person(3001, "Zahra")
	// Someone else's code with one's own number: the same sentence as a
	// code nobody registered, and nothing of the other record.
	myjobToAnswer(h, p, other.NationalID)
	m := p.expect(h.T("err.myjob.nomatch"))
	for _, secret := range []string{other.FullName, other.Employer, labourFa} {
		if strings.Contains(m.Text, secret) {
			t.Errorf("a mismatch told %q:\n%s", secret, m.Text)
		}
	}
	p.send(string(validCode(t, 99)))
	p.expect(h.T("err.myjob.nomatch"))
	// Their own code: the job, the employer and the agency.
	p.send(string(job.NationalID))
	m = p.expect(strings.Split(h.T("myjob.outcome.prompt"), "{")[0])
	for _, want := range []string{job.Activity, job.Employer, labourFa} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the job shown lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, other.FullName) || strings.Contains(m.Text, "۰۹۳۵") {
		t.Errorf("the job shown tells of another record:\n%s", m.Text)
	}
	p.tap(h.T("outcome.works"))
	p.expect(h.T("myjob.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("myjob.thanks"))
	if c := h.check(job.ID); c.State != domain.VerifyConfirmed {
		t.Errorf("after the person's yes: %+v", c)
	}
	trail := must[[]domain.VerifyEvent](t)(h.db.VerifyEvents(context.Background(), job.ID))
	if last := trail[len(trail)-1]; last.Stage != domain.StagePerson || last.Outcome != domain.OutcomeWorks || last.By != p.ID() {
		t.Errorf("audit: %+v", last)
	}
}

func TestPersonDeniesJobGoesToVisit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	job := h.placeWithMobile("industry", 1, "+989121234567")
	h.sampleAll("industry")
	p := h.person(3002, "Ali")
	myjobToAnswer(h, p, job.NationalID)
	p.expect(strings.Split(h.T("myjob.outcome.prompt"), "{")[0])
	p.tap(h.T("outcome.never"))
	p.expect(h.T("myjob.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("myjob.thanks"))
	// A denial is settled by a visit, not by the denial alone.
	if c := h.check(job.ID); c.State != domain.VerifyWaiting || c.Stage != domain.StageField {
		t.Errorf("after the person's no: %+v", c)
	}
	// The link sent by message starts the same questions.
	p.send("/start " + "myjob")
	p.expect(h.T("myjob.phone.prompt"))
}

func TestPersonOfAnotherNumberLearnsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	job := h.placeWithMobile("labour", 1, "+989121234567")
	p := h.person(3003, "Stranger")
	p.send("/myjob")
	p.expect(h.T("myjob.phone.prompt"))
	// A contact forwarded from someone else is refused.
	must[int](t)(p.ShareContact("09121234567", 42))
	p.expect(h.T("err.contact.notown"))
	must[int](t)(p.ShareContact("09129999999", p.ID()))
	p.expect(h.T("contact.received"))
	p.expect(h.T("myjob.nationalid.prompt"))
	p.send(string(job.NationalID))
	p.expect(h.T("err.myjob.nomatch"))
}

// callOutcome records one call's outcome for the record in the verifier's
// hand, with no note.
func callOutcome(h *harness, v person, outcome domain.Outcome) {
	h.t.Helper()
	v.tap(h.T("outcome." + string(outcome)))
	v.expect(h.T("call.note.prompt"))
	v.tap(h.T("btn.skip"))
	v.expect(strings.Split(h.T("call.review"), "{")[0])
	v.tap(h.T("btn.confirm"))
	v.expect(strings.Split(h.T("check.saved"), "{")[0])
}

func TestTwoVerifiersGetDifferentRecords(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.placeWithMobile("labour", 1, "+989121111111")
	b := h.placeWithMobile("labour", 2, "+989122222222")
	h.sampleAll("labour")
	vs := []person{h.grant(4001, "V1", domain.RoleVerifier), h.grant(4002, "V2", domain.RoleVerifier)}
	cards := make([]string, 2)
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Go(func() {
			if _, err := v.SendText("/verify"); err != nil {
				t.Error(err)
				return
			}
			m, err := v.Next(wait)
			if err != nil {
				t.Error(err)
				return
			}
			cards[i] = m.Text
		})
	}
	wg.Wait()
	has := func(card string, p domain.Placement) bool {
		return strings.Contains(card, domain.PersianDigits(p.Mobile.Local()))
	}
	if !(has(cards[0], a) && has(cards[1], b)) && !(has(cards[0], b) && has(cards[1], a)) {
		t.Fatalf("two verifiers' cards:\n%s\n---\n%s", cards[0], cards[1])
	}
	// A verifier sees only the record in hand: the other's number is not on
	// the card.
	if has(cards[0], a) && has(cards[0], b) {
		t.Errorf("one card shows both records:\n%s", cards[0])
	}
	// A third finds the queue empty; a liaison may not ask at all.
	v3 := h.grant(4003, "V3", domain.RoleVerifier)
	v3.send("/verify")
	v3.expect(h.T("err.verify.queue_empty"))
	l := h.liaison(4004, "Liaison", "labour")
	l.send("/verify")
	l.expect(h.T("refused.verifier"))
}

func TestUnreachableThriceThenVisited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	job := h.placeWithMobile("agriculture", 1, "+989121111111")
	h.sampleAll("agriculture")
	v := h.grant(4101, "Verifier", domain.RoleVerifier)
	for i := range domain.CallAttempts {
		v.send("/verify")
		card := v.expect(strings.Split(h.T("call.card"), "{")[0])
		if i > 0 && !strings.Contains(card.Text, h.T("outcome.unreachable")) {
			t.Errorf("call %d: the card lacks the earlier attempts:\n%s", i+1, card.Text)
		}
		v.expect(strings.Split(h.T("call.outcome.prompt"), "{")[0])
		callOutcome(h, v, domain.OutcomeUnreachable)
		// Not asked again the same day.
		v.send("/verify")
		v.expect(h.T("err.verify.queue_empty"))
		h.clock.Advance(domain.CallRetry)
	}
	c := h.check(job.ID)
	if c.State != domain.VerifyUnreachable || c.Stage != domain.StageField || c.Attempts != domain.CallAttempts {
		t.Fatalf("after %d unanswered calls: %+v", domain.CallAttempts, c)
	}
	v.send("/verify")
	v.expect(h.T("err.verify.queue_empty"))

	// The inspector visits, sharing the location from the phone and a photo.
	in := h.grant(4102, "Inspector", domain.RoleInspector)
	in.send("/visit")
	card := in.expect(strings.Split(h.T("visit.card"), "{")[0])
	for _, want := range []string{job.Employer, h.T("outcome.unreachable")} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("the inspector's card lacks %q:\n%s", want, card.Text)
		}
	}
	in.expect(strings.Split(h.T("visit.outcome.prompt"), "{")[0])
	in.tap(h.T("outcome.works"))
	in.expect(h.T("visit.location.prompt"))
	in.SetLocation(35.6892, 51.389)
	in.tap(h.T("btn.share_location"))
	in.expect(h.T("location.received"))
	in.expect(strings.Split(h.T("visit.photo.prompt"), "«")[0])
	must[int](t)(in.SendPhoto())
	in.expect(strings.Split(h.T("visit.note.prompt"), "«")[0])
	in.send("کارگاه باز بود و فرد حاضر بود")
	in.expect(strings.Split(h.T("visit.review"), "{")[0])
	in.tap(h.T("btn.confirm"))
	in.expect(strings.Split(h.T("check.saved"), "{")[0])
	if c := h.check(job.ID); c.State != domain.VerifyConfirmed || c.Stage != domain.StageDone {
		t.Fatalf("after the visit: %+v", c)
	}
	trail := must[[]domain.VerifyEvent](t)(h.db.VerifyEvents(context.Background(), job.ID))
	visit := trail[len(trail)-1]
	if visit.Stage != domain.StageField || visit.By != in.ID() || visit.Location != "35.689200,51.389000" || visit.Photo == "" || visit.Note == "" {
		t.Errorf("the visit's audit row: %+v", visit)
	}
}

func TestSafirAsksSampledPeopleOnce(t *testing.T) {
	t.Parallel()
	fake := safirtest.NewServer("key", 0)
	t.Cleanup(fake.Close)
	h := newHarness(t, func(c *config) { c.SafirKey, c.SafirURL = "key", fake.URL })
	job := h.placeWithMobile("labour", 1, "+989121234567")
	h.placeWithMobile("labour", 2, "") // no number: nobody to ask
	h.sampleAll("labour")
	b := h.procs[0].bot
	for range 2 { // a second round, or a second replica, asks nobody again
		if err := b.AskPeople(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Phone != "+989121234567" || !strings.Contains(sent[0].Text, "?start=myjob") {
		t.Fatalf("Safir sent %+v", sent)
	}
	if strings.Contains(sent[0].Text, job.Employer) || strings.Contains(sent[0].Text, job.FullName) {
		t.Errorf("the message names the job: %q", sent[0].Text)
	}
	trail := must[[]domain.VerifyEvent](t)(h.db.VerifyEvents(context.Background(), job.ID))
	if !slices.ContainsFunc(trail, func(e domain.VerifyEvent) bool { return e.Outcome == domain.OutcomeAsked }) {
		t.Errorf("asking is not in the audit trail: %+v", trail)
	}
}
