package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

// seedPlacementsAt stores n placements for each agency code in counts,
// registered at at, and returns their ids by agency.
func seedPlacementsAt(t *testing.T, db *postgres.DB, agencyID func(string) int64, at time.Time, from int, counts map[string]int) map[string][]int64 {
	t.Helper()
	ids := map[string][]int64{}
	for code, n := range counts {
		for range n {
			p := samplePlacement(validCode(t, from), agencyID(code), at)
			from++
			saved := must[domain.Placement](t)(db.CreatePlacement(context.Background(), p, at))
			ids[code] = append(ids[code], saved.ID)
		}
	}
	return ids
}

// rasadOn runs `rasad args…` on the harness's database and returns what it
// printed and its exit status.
func (h *harness) rasad(args ...string) (string, int) {
	h.t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, env("DATABASE_URL", h.dbURL), &out, &bytes.Buffer{})
	return out.String(), exitCode(err)
}

// exitCode is the status main exits with for err.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	return 1
}

// The weekly draw, through the job two replicas run: once the week has
// ended it is drawn once, every agency at the share (ceil(share·n) of its
// n), and an auditor redoing it from the stored seed finds the same list;
// a list changed afterwards is caught.
func TestVerifyWeeklyDrawEveryAgencyAtShare(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	replica := func() *bot.Bot {
		api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
		return must[*bot.Bot](t)(newBot(ctx, h.cfg, h.log, h.db, h.rs, api))
	}
	a, b := replica(), replica()
	tick := func() {
		var wg sync.WaitGroup
		for _, r := range []*bot.Bot{a, b} {
			wg.Go(func() {
				if err := r.DrawDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}

	// Sunday 17 Khordad 1405: registrations of this week, 3 agencies.
	ids := seedPlacementsAt(t, h.db, h.agencyID, h.clock.Now(), 0, map[string]int{"labour": 5, "agriculture": 3, "industry": 1})
	tick() // draws last week, which had none
	h.clock.Advance(7 * 24 * time.Hour)
	seedPlacementsAt(t, h.db, h.agencyID, h.clock.Now(), 100, map[string]int{"labour": 2}) // next week's: not yet
	for range 3 {
		tick()
	}
	draws := must[[]domain.Draw](t)(h.db.Draws(ctx, 10))
	if len(draws) != 2 || len(draws[1].Candidates) != 0 {
		t.Fatalf("%d draws, want last week's empty one and this one", len(draws))
	}
	d := draws[0]
	from, to := cal.DrawPeriod(h.clock.Now(), 7)
	if !d.From.Equal(from) || !d.To.Equal(to) || cal.FormatJalaliNumeric(d.From) != "1405/03/16" || d.Share != 0.5 || d.DrawnBy != 0 {
		t.Errorf("draw of %s to %s, share %v, by %d", d.From, d.To, d.Share, d.DrawnBy)
	}
	want := map[int64][2]int{ // agency: drawn, of
		h.agencyID("labour"): {3, 5}, h.agencyID("agriculture"): {2, 3}, h.agencyID("industry"): {1, 1},
	}
	for _, ag := range d.ByAgency() {
		if w := want[ag.AgencyID]; ag.Drawn != w[0] || ag.Candidates != w[1] {
			t.Errorf("agency %d: %d of %d drawn, want %d of %d", ag.AgencyID, ag.Drawn, ag.Candidates, w[0], w[1])
		}
	}
	if len(d.ByAgency()) != 3 || len(d.Sample) != 6 {
		t.Fatalf("drawn %v of %d", d.Sample, len(d.Candidates))
	}
	// The drawn wait for the call centre from two days on; the others
	// are not sampled.
	for _, list := range ids {
		for _, id := range list {
			p := must[domain.Placement](t)(h.db.Placement(ctx, id))
			drawn := slices.Contains(d.Sample, id)
			if wantState := map[bool]domain.Verification{true: domain.VerifyWaiting, false: domain.VerifyNotSampled}[drawn]; p.Verification != wantState {
				t.Errorf("placement %d (drawn %v) is %s", id, drawn, p.Verification)
			}
			if drawn {
				c := must[domain.Check](t)(h.db.Check(ctx, id))
				if c.DrawID != d.ID || !c.NextAt.Equal(h.clock.Now().Add(h.cfg.Verify.CallAfter)) {
					t.Errorf("check %+v", c)
				}
			}
		}
	}

	// The auditor's commands.
	out, code := h.rasad("verify", "draws")
	if code != 0 || !strings.Contains(out, "1405/03/16–1405/03/22") || !strings.Contains(out, strconv.FormatInt(d.Seed, 10)) {
		t.Errorf("verify draws (%d):\n%s", code, out)
	}
	id := strconv.FormatInt(d.ID, 10)
	if out, code := h.rasad("verify", "redo", id); code != 0 || out != "draw "+id+": same 6 placements\n" {
		t.Errorf("verify redo: %d %q", code, out)
	}
	// Someone swaps a drawn record for an undrawn one in the stored list.
	var undrawn int64
	for _, c := range d.Candidates {
		if !slices.Contains(d.Sample, c.PlacementID) {
			undrawn = c.PlacementID
			break
		}
	}
	conn := must[*pgx.Conn](t)(pgx.Connect(ctx, h.dbURL))
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE verify_draws SET sample = array_replace(sample, $2, $3) WHERE id = $1`, d.ID, d.Sample[0], undrawn); err != nil {
		t.Fatal(err)
	}
	if _, code := h.rasad("verify", "redo", id); code != 1 {
		t.Errorf("verify redo of a changed list exited %d, want 1", code)
	}
}

// The operator's verify commands on a database of their own: a period
// drawn by hand once, records and agencies added, bad input refused with
// status 2.
func TestVerifyCommands(t *testing.T) {
	t.Parallel()
	db, rasad := commandDatabase(t)
	ctx := context.Background()
	agencies := must[[]domain.Agency](t)(db.Agencies(ctx))
	agencyID := func(code string) int64 {
		for _, a := range agencies {
			if a.Code == code {
				return a.ID
			}
		}
		t.Fatalf("no agency %s", code)
		return 0
	}
	at := cal.Date(2026, 6, 2).Add(10 * time.Hour) // 12 Khordad 1405
	ids := seedPlacementsAt(t, db, agencyID, at, 0, map[string]int{"labour": 4, "industry": 2})
	status := func(args ...string) (string, int) {
		t.Helper()
		out, err := rasad(args...)
		return out, exitCode(err)
	}

	if out, code := status("verify", "draws"); code != 0 || out != "draw  period  seed  share  candidates  drawn  drawn at  by\nno draw yet\n" {
		t.Errorf("verify draws before any: %d %q", code, out)
	}
	out, code := status("verify", "draw", "--from", "۱۴۰۵/۰۳/۱۰", "--to", "1405/3/12")
	if code != 0 || !strings.HasPrefix(out, "draw ") || !strings.HasSuffix(out, " (drawn): 3 of 6 placements, share 0.5\n") {
		t.Fatalf("verify draw: %d %q", code, out)
	}
	id := strings.Fields(out)[1]
	if out, code := status("verify", "draw", "--from", "1405/03/10", "--to", "1405/03/12"); code != 0 || out != "draw "+id+" (drawn before): 3 of 6 placements, share 0.5\n" {
		t.Errorf("the same period again: %d %q", code, out)
	}
	if out, code := status("verify", "redo", id); code != 0 || out != "draw "+id+": same 3 placements\n" {
		t.Errorf("verify redo: %d %q", code, out)
	}
	if out, code := status("verify", "draws", "--limit", "5"); code != 0 || !strings.Contains(out, "1405/03/10–1405/03/12") || !strings.Contains(out, "system") {
		t.Errorf("verify draws: %d\n%s", code, out)
	}

	// By hand: one record, then the rest of an agency's year.
	var undrawn int64
	for _, pid := range ids["labour"] {
		if p := must[domain.Placement](t)(db.Placement(ctx, pid)); p.Verification == domain.VerifyNotSampled {
			undrawn = pid
			break
		}
	}
	n := strconv.FormatInt(undrawn, 10)
	if out, code := status("verify", "add", "--placement", n); code != 0 || out != "added 1 placements to the sample\n" {
		t.Errorf("verify add --placement: %d %q", code, out)
	}
	if _, code := status("verify", "add", "--placement", n); code != 1 {
		t.Errorf("adding a sampled record again exited %d, want 1", code)
	}
	if out, code := status("verify", "add", "--agency", "labour", "--year", "1405"); code != 0 || out != "added 1 placements to the sample\n" {
		t.Errorf("verify add --agency: %d %q", code, out)
	}
	for _, args := range [][]string{
		{"verify"},
		{"verify", "frobnicate"},
		{"verify", "redo"},
		{"verify", "redo", "x"},
		{"verify", "redo", "999"},
		{"verify", "draw", "--from", "1405/03/10"},
		{"verify", "draw", "--from", "1405/03/12", "--to", "1405/03/10"},
		{"verify", "draw", "--from", "yesterday-ish", "--to", "1405/03/10"},
		{"verify", "add"},
		{"verify", "add", "--placement", "1", "--agency", "labour"},
		{"verify", "add", "--placement", "999999"},
		{"verify", "add", "--agency", "nosuch"},
		{"verify", "add", "--agency", "labour", "--year", "99999"},
	} {
		if _, code := status(args...); code != 2 {
			t.Errorf("rasad %v exited %d, want 2", args, code)
		}
	}
}

// An admin adds a record and a whole agency to the sample, and sees the
// last draw agency by agency; nobody else may.
func TestAdminSample(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/sample")
	admin.expect(h.T("sample.none"))

	ids := seedPlacementsAt(t, h.db, h.agencyID, h.clock.Now(), 0, map[string]int{"labour": 3, "industry": 2})
	first := ids["labour"][0]
	fa := func(id int64) string { return domain.PersianDigits(strconv.FormatInt(id, 10)) }
	admin.send("/sample " + fa(first)) // typed with Persian digits
	admin.expect(h.T("sample.added_record", "id", fa(first), "date", "۱۹ خرداد ۱۴۰۵"))
	admin.send("/sample " + strconv.FormatInt(first, 10))
	admin.expect(h.T("sample.already", "id", fa(first), "state", h.T("verification.waiting")))
	admin.send("/sample labour")
	admin.expect(h.T("sample.added_agency", "count", "۲", "agency", labourFa, "year", "۱۴۰۵"))
	admin.send("/sample labour")
	admin.expect(h.T("sample.added_none", "agency", labourFa, "year", "۱۴۰۵"))
	admin.send("/sample nosuch")
	admin.expect(h.T("err.agency.notfound"))
	admin.send("/sample 99999")
	admin.expect(h.T("err.placement.notfound"))
	admin.send("/sample !!")
	admin.expect(h.T("sample.usage"))

	// The week ends and is drawn: industry's two, at half, give one.
	h.clock.Advance(7 * 24 * time.Hour)
	must[struct{}](t)(struct{}{}, h.procs[0].bot.DrawDue(context.Background()))
	admin.send("/sample")
	m := admin.expect(h.T("sample.last", "id", "۱", "date", "۲۴ خرداد ۱۴۰۵", "from", "۱۶ خرداد ۱۴۰۵", "to", "۲۲ خرداد ۱۴۰۵",
		"share", "۵۰", "drawn", "۱", "candidates", "۲"))
	if want := h.T("sample.agency", "agency", "سازمان صنعت، معدن و تجارت استان تهران", "drawn", "۱", "candidates", "۲"); !strings.Contains(m.Text, want) {
		t.Errorf("last draw lacks %q:\n%s", want, m.Text)
	}

	l := h.liaison(9402, "Liaison", "labour")
	l.send("/sample 1")
	l.expect(h.T("refused.admin"))
}

// rejectOnCall puts placement id in the sample and has a verifier's call
// find the person never worked there, with note.
func (h *harness) rejectOnCall(id int64, note string) {
	h.t.Helper()
	ctx, now := context.Background(), h.clock.Now()
	must[int](h.t)(h.db.AddToSample(ctx, id, 0, 0, adminID, now, now))
	must[domain.Check](h.t)(h.db.NextCheck(ctx, domain.StageCall, 9900, now, time.Hour))
	c := must[domain.Check](h.t)(h.db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: now, By: 9900,
		Stage: domain.StageCall, Outcome: domain.OutcomeNever, Note: note}))
	if c.State != domain.VerifyRejected {
		h.t.Fatalf("check after the call: %+v", c)
	}
}

// sweep runs the jobs' telling of rejections on every running process.
func (h *harness) sweep() {
	h.t.Helper()
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Go(func() {
			if err := p.bot.TellRejections(context.Background()); err != nil {
				h.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// A rejected record's liaison is told once, with the finding, sees it on
// the record's card, and contests it with a note and a document; both
// admins get the contest with its trail and the document; one overturns
// it, the record is confirmed and the liaison told; the other admin, and a
// second contest, are refused with a sentence.
func TestContestOverturned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.AdminIDs = append(c.AdminIDs, adminID+1) })
	h.start() // a second replica sweeps too
	ctx := context.Background()
	a1, a2 := h.person(adminID, "Admin 1"), h.person(adminID+1, "Admin 2")
	l := h.liaison(9501, "Liaison", "labour")
	must[struct{}](t)(struct{}{}, h.db.UpsertUser(ctx, domain.User{ID: 9501, FullName: "مریم کریمی", Language: "fa", Active: true}))
	p := samplePlacement(validCode(t, 0), h.agencyID("labour"), h.clock.Now())
	p.LiaisonID = l.ID()
	p = must[domain.Placement](t)(h.db.CreatePlacement(ctx, p, h.clock.Now()))
	id := domain.PersianDigits(strconv.FormatInt(p.ID, 10))

	h.rejectOnCall(p.ID, "کارفرما او را نمی‌شناسد")
	h.sweep()
	h.sweep()
	reason := h.T("contest.reason_note", "stage", h.T("stage.call"), "outcome", h.T("outcome.never"), "note", "کارفرما او را نمی‌شناسد")
	told := l.expect(h.T("contest.rejected", "id", id, "name", p.FullName, "reason", reason))
	l.expectNothing(200 * time.Millisecond)

	// The record's card says why, with the button.
	l.send("/records")
	l.expect(h.T("records.title", "from", "۱", "to", "۱", "total", "۱"))
	l.tap(h.T("records.item", "id", id, "name", p.FullName, "date", "۱۷ خرداد ۱۴۰۵"))
	card := l.expect(h.T("record.rejection", "reason", reason))
	if !slices.ContainsFunc(card.InlineKeyboard, func(row []fakeapi.Button) bool { return row[0].Text == h.T("btn.contest") }) {
		t.Errorf("the card of a rejected record has no contest button: %v", card.InlineKeyboard)
	}

	l.press(told.ID, h.T("btn.contest"))
	l.expect(h.T("contest.note.prompt"))
	l.send("نه")
	l.expect(h.T("err.contest.note_short"))
	l.send("از فروردین در همین سالن کار می‌کند؛ کارفرما تلفنی تأیید کرد")
	l.expect(h.T("contest.document.prompt"))
	l.send("قرارداد دارد")
	l.expect(h.T("input.want_document"))
	must[int](t)(l.SendDocument("contract.xlsx", "", []byte("PK\x03\x04 the contract")))
	review := l.expect(h.T("contest.review", "record", h.T("records.item", "id", id, "name", p.FullName, "date", "۱۷ خرداد ۱۴۰۵")))
	if !strings.Contains(review.Text, h.T("contest.document_attached")) {
		t.Errorf("review:\n%s", review.Text)
	}
	l.tap(h.T("btn.confirm"))
	l.expect(h.T("contest.sent", "id", id))

	var msgs []fakeapi.Message
	for _, a := range []person{a1, a2} {
		m := a.expect(h.T("contest.admin", "id", id, "name", p.FullName, "agency", labourFa, "reason", reason,
			"liaison", "مریم کریمی", "note", "از فروردین در همین سالن کار می‌کند؛ کارفرما تلفنی تأیید کرد"))
		for _, want := range []string{h.T("outcome.never"), h.T("outcome.told"), h.T("outcome.contested"), "«کارفرما او را نمی‌شناسد»"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the admin's contest lacks %q:\n%s", want, m.Text)
			}
		}
		doc := must[fakeapi.Message](t)(a.Next(wait))
		if doc.Document == nil || string(doc.Document.Data) != "PK\x03\x04 the contract" || doc.Caption != h.T("contest.admin_document", "id", id) {
			t.Fatalf("the contest's document: %+v", doc)
		}
		msgs = append(msgs, m)
	}
	if ans := a1.press(msgs[0].ID, h.T("btn.overturn")); ans.Text != h.T("contest.status.overturned") {
		t.Errorf("overturn answered %q", ans.Text)
	}
	l.expect(h.T("contest.overturned", "id", id, "name", p.FullName))
	if got := must[domain.Placement](t)(h.db.Placement(ctx, p.ID)); got.Verification != domain.VerifyConfirmed {
		t.Errorf("overturned record is %s", got.Verification)
	}
	// The other admin, late; the liaison, contesting again.
	if ans := a2.press(msgs[1].ID, h.T("btn.uphold")); ans.Text != h.T("contest.already_decided", "status", h.T("contest.status.overturned")) {
		t.Errorf("the second decision answered %q", ans.Text)
	}
	if ans := l.press(told.ID, h.T("btn.contest")); ans.Text != h.T("err.verify.not_contestable") {
		t.Errorf("a second contest answered %q", ans.Text)
	}
	l.expectNothing(200 * time.Millisecond)

	var trail []string
	for _, e := range must[[]domain.VerifyEvent](t)(h.db.VerifyEvents(ctx, p.ID)) {
		trail = append(trail, string(e.Stage)+":"+string(e.Outcome)+":"+strconv.FormatInt(e.By, 10))
		if e.Outcome == domain.OutcomeContested && e.Photo == "" {
			t.Error("the contest's document was not kept")
		}
	}
	want := []string{"sample:added:1000", "call:never:9900", "done:told:0", "review:contested:9501", "review:overturned:1000"}
	if !slices.Equal(trail, want) {
		t.Errorf("trail %v, want %v", trail, want)
	}
}

// A record registered from the command line has no liaison of its own:
// every liaison of its agency is told, no other agency's. One contests
// without a document; an admin finds it in /contests and upholds it; the
// contester is told, and may not contest again.
func TestContestUpheld(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	admin := h.person(adminID, "Admin")
	l1, l2, other := h.liaison(9601, "L1", "labour"), h.liaison(9602, "L2", "labour"), h.liaison(9603, "L3", "industry")
	p := samplePlacement(validCode(t, 0), h.agencyID("labour"), h.clock.Now())
	p.LiaisonID = 0
	p = must[domain.Placement](t)(h.db.CreatePlacement(ctx, p, h.clock.Now()))
	id := domain.PersianDigits(strconv.FormatInt(p.ID, 10))

	h.rejectOnCall(p.ID, "")
	h.sweep()
	reason := h.T("contest.reason", "stage", h.T("stage.call"), "outcome", h.T("outcome.never"))
	l1.expect(h.T("contest.rejected", "id", id, "name", p.FullName, "reason", reason))
	l2.expect(h.T("contest.rejected", "id", id, "name", p.FullName, "reason", reason))
	other.expectNothing(100 * time.Millisecond)

	l1.tap(h.T("btn.contest"))
	l1.expect(h.T("contest.note.prompt"))
	l1.send("در همین سالن کار می‌کند")
	l1.expect(h.T("contest.document.prompt"))
	l1.tap(h.T("btn.no_document"))
	record := h.T("records.item", "id", id, "name", p.FullName, "date", "۱۷ خرداد ۱۴۰۵")
	if review := l1.expect(h.T("contest.review", "record", record)); !strings.Contains(review.Text, h.T("value.none")) {
		t.Errorf("review:\n%s", review.Text)
	}
	l1.tap(h.T("btn.confirm"))
	l1.expect(h.T("contest.sent", "id", id))
	contest := h.T("contest.admin", "id", id, "name", p.FullName, "agency", labourFa, "reason", reason,
		"liaison", "#۹۶۰۱", "note", "در همین سالن کار می‌کند") // granted from the command line: no name yet
	admin.expect(contest)
	admin.expectNothing(100 * time.Millisecond) // no document

	// While it waits, the other liaison's button says so.
	if ans := l2.tap(h.T("btn.contest")); ans.Text != h.T("contest.waiting") {
		t.Errorf("contest while one waits answered %q", ans.Text)
	}
	admin.send("/contests")
	m := admin.expect(contest)
	if ans := admin.press(m.ID, h.T("btn.uphold")); ans.Text != h.T("contest.status.upheld") {
		t.Errorf("uphold answered %q", ans.Text)
	}
	l1.expect(h.T("contest.upheld", "id", id, "name", p.FullName))
	l2.expectNothing(100 * time.Millisecond)
	if got := must[domain.Placement](t)(h.db.Placement(ctx, p.ID)); got.Verification != domain.VerifyRejected {
		t.Errorf("upheld record is %s", got.Verification)
	}
	admin.send("/contests")
	admin.expect(h.T("contest.none"))
	if ans := l1.tap(h.T("btn.contest")); ans.Text != h.T("err.verify.not_contestable") {
		t.Errorf("a contest after the decision answered %q", ans.Text)
	}
	// The card says the rejection stands, with no contest button.
	l1.send("/records")
	l1.expect(h.T("records.title", "from", "۱", "to", "۱", "total", "۱"))
	l1.tap(record)
	card := l1.expect(h.T("record.rejection", "reason", reason))
	if !strings.Contains(card.Text, h.T("record.contest_upheld")) || strings.Contains(fmt.Sprint(card.InlineKeyboard), h.T("btn.contest")) {
		t.Errorf("card after the decision:\n%s\n%v", card.Text, card.InlineKeyboard)
	}
}
