package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// The flow engine, driven through the placement form in memory (chat_test.go).

func TestBackGoesToThePreviousStep(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.at("gender", nil)
	c.press(c.T("btn.back"))
	c.expectAsking("name")
	if s := c.session(); s.Answers["name"] != "علی رضایی" {
		t.Errorf("back lost the answer: %q", s.Answers["name"])
	}
	// Answering it again goes on from there.
	c.send("مریم احمدی")
	c.expectAsking("gender")
	if s := c.session(); s.Answers["name"] != "مریم احمدی" {
		t.Errorf("name after answering again: %q", s.Answers["name"])
	}
}

func TestBackFromTheFirstStepStaysThere(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.register()
	if _, ok := c.last().button(c.T("btn.back")); ok {
		t.Error("the first step offers a back button")
	}
	// Typed (or a reply keyboard's label), back is still understood.
	c.send(c.T("btn.back"))
	c.expectAsking(domain.FieldNationalID)
	if !strings.HasPrefix(c.last().Text, c.T("flow.first_step")) {
		t.Errorf("back from the first step says:\n%s", c.last().Text)
	}
	if s := c.session(); s.Step != 0 {
		t.Errorf("session at step %d, want 0", s.Step)
	}
}

// Back goes to the step asked before, over one a rule leaves out.
func TestBackSkipsWhatWasNotAsked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		changed  map[string]input
		from, to string
	}{
		{"no funding: no amount", map[string]input{"funding": tappedKey("funding.none")}, "county", "funding"},
		{"funded: the amount", nil, "county", "amount"},
		{"another county: no district", map[string]input{"county": tapped(countyName("rey", "fa"))}, "startdate", "area"},
		{"Tehran's villages: no district", map[string]input{"area": tappedKey("area.rural")}, "startdate", "area"},
		{"Tehran's city: its district", nil, "startdate", "district"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChat(t)
			c.at(tc.from, tc.changed)
			c.press(c.T("btn.back"))
			c.expectAsking(tc.to)
		})
	}
}

// An edit from the review asks that field alone and goes back to the
// review: not through the steps after it, nor, on back, to the one before.
func TestEditFromTheReviewReturnsToIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, field string
		in          input
		want        string // the field's answer after
	}{
		{"a typed field", "name", typed("مریم احمدی"), "مریم احمدی"},
		{"a choice", "gender", tappedKey("gender.female"), string(domain.GenderFemale)},
		{"back while editing", "mobile", tappedKey("btn.back"), "+989121234567"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChat(t)
			c.review(nil)
			c.press(c.editLabel(tc.field))
			c.expectAsking(tc.field)
			c.give(tc.in)
			c.expectAsking("review")
			if got := c.session().Answers[tc.field]; got != tc.want {
				t.Errorf("%s after the edit: %q, want %q", tc.field, got, tc.want)
			}
		})
	}
}

// Changing funding to none from the review drops the amount: not shown,
// not saved.
func TestFundingNoneFromTheReviewDropsTheAmount(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	review := c.review(nil)
	if !slices.Contains(c.reviewed(review), "amount") {
		t.Fatalf("a funded placement's review lacks the amount:\n%s", review.Text)
	}
	c.press(c.editLabel("funding"))
	c.press(c.T("funding.none"))
	review = c.expectAsking("review")
	if slices.Contains(c.reviewed(review), "amount") || strings.Contains(review.Text, domain.FormatNumber(500_000_000, "fa")) {
		t.Errorf("the review keeps the amount after funding became none:\n%s", review.Text)
	}
	if _, ok := review.button(c.editLabel("amount")); ok {
		t.Error("the review offers to edit the amount")
	}
	c.press(c.T("btn.confirm"))
	saved := c.store.saved()
	if len(saved) != 1 {
		t.Fatalf("%d placements saved, want 1", len(saved))
	}
	if p := saved[0]; p.Funding != domain.FundingNone || p.FundingAmount != 0 {
		t.Errorf("saved funding %q amount %d, want none and 0", p.Funding, p.FundingAmount)
	}
}

// The reverse: funding given from the review asks for the amount it now
// needs, and only that, before the review again.
func TestFundingFromTheReviewAsksTheAmount(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.review(map[string]input{"funding": tappedKey("funding.none")})
	c.press(c.editLabel("funding"))
	c.press(c.T("funding.bank"))
	c.expectAsking("amount")
	c.send("300000000")
	review := c.expectAsking("review")
	if !slices.Contains(c.reviewed(review), "amount") {
		t.Errorf("the review lacks the amount just given:\n%s", review.Text)
	}
	c.press(c.T("btn.confirm"))
	if saved := c.store.saved(); len(saved) != 1 || saved[0].FundingAmount != 300_000_000 {
		t.Errorf("saved %+v, want one placement of 300,000,000 rials", saved)
	}
}

// The review lists the fields in the order domain.PlacementFields declares
// them, without those a rule left out, and offers to edit each in that order.
func TestReviewListsFieldsInDeclaredOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		changed map[string]input
		omitted []string
	}{
		{"every field", nil, nil},
		{"no funding, outside Tehran", map[string]input{
			"funding": tappedKey("funding.none"), "county": tapped(countyName("rey", "fa")),
		}, []string{"amount", "district"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChat(t)
			review := c.review(tc.changed)
			var want, wantEdits []string
			for _, f := range domain.PlacementFields {
				if !slices.Contains(tc.omitted, f.Key) {
					want = append(want, f.Key)
					wantEdits = append(wantEdits, c.editLabel(f.Key))
				}
			}
			if got := c.reviewed(review); !slices.Equal(got, want) {
				t.Errorf("review lists %v\nwant           %v", got, want)
			}
			var edits []string
			for _, b := range review.buttons() {
				if strings.HasPrefix(b.Text, c.T("btn.edit", "field", "")) {
					edits = append(edits, b.Text)
				}
			}
			if !slices.Equal(edits, wantEdits) {
				t.Errorf("edit buttons %q\nwant         %q", edits, wantEdits)
			}
		})
	}
}

// A pressed prompt is edited to show the choice without its buttons; a
// client that still shows them (Bale edits unreliably) is answered stale.
func TestStaleButtonOfAnEarlierPrompt(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	genderPrompt := c.at("gender", nil)
	c.press(c.T("gender.male"))
	c.expectAsking("birthyear")
	closed := transport.EditText{Chat: testLiaison, MessageID: genderPrompt.ID, Text: genderPrompt.Text + "\n\n✔️ " + c.T("gender.male")}
	if edits := c.api.editsOf(genderPrompt.ID); len(edits) != 1 || edits[0] != closed {
		t.Errorf("edits of the pressed prompt: %+v\nwant %+v", edits, closed)
	}

	before, sent := c.stored(), len(c.api.sent())
	id := c.pressOn(genderPrompt, c.T("gender.female"))
	c.expectStale(id, before, sent)
	if s := c.session(); s.Answers["gender"] != string(domain.GenderMale) {
		t.Errorf("gender after a stale press: %q", s.Answers["gender"])
	}
}

func TestStaleButtonOfAnotherSession(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.register()
	firstPrompt := c.last()
	c.fillUntil("gender", nil)
	genderPrompt := c.last()
	c.send("/cancel")
	c.register() // a new session, at its first step

	before, sent := c.stored(), len(c.api.sent())
	id := c.pressOn(genderPrompt, c.T("gender.female"))
	c.expectStale(id, before, sent)
	// The old first prompt's buttons carry the same seq as the new one's:
	// only the session's id tells them apart.
	id = c.pressOn(firstPrompt, c.T("btn.cancel"))
	c.expectStale(id, before, sent)
}

func TestStaleButtonOfASavedForm(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	review := c.review(nil)
	c.press(c.T("btn.confirm"))
	if c.session() != nil {
		t.Fatal("the session outlived its save")
	}

	before, sent := c.stored(), len(c.api.sent())
	id := c.pressOn(review, c.editLabel("name"))
	c.expectStale(id, before, sent)
	if n := len(c.store.saved()); n != 1 {
		t.Errorf("%d placements saved, want 1", n)
	}
}

// A confirm pressed twice, or delivered twice, saves one placement; a
// confirm arriving after the save is told on its button that the form was
// saved (and of the record, by a message, if that was never said).
func TestConfirmTwiceSavesOnce(t *testing.T) {
	t.Parallel()
	t.Run("redelivered, then pressed again", func(t *testing.T) {
		t.Parallel()
		c := newChat(t)
		review := c.review(nil)
		press := c.pressUpdate(review, c.T("btn.confirm"))
		c.must(c.deliver(press))
		c.must(c.deliver(press)) // the runtime lost track of having handled it
		before, sent := c.stored(), len(c.api.sent())
		again := c.pressOn(review, c.T("btn.confirm"))
		if ans, _ := c.api.answer(again); ans.Text != c.T("flow.already_saved") {
			t.Errorf("a confirm of a saved form answered %q, want %q", ans.Text, c.T("flow.already_saved"))
		}
		if now := c.stored(); now.version != before.version || string(now.data) != string(before.data) {
			t.Errorf("a confirm of a saved form changed the session")
		}
		if len(c.api.sent()) != sent {
			t.Errorf("a confirm of a saved form, told already, sent %d messages", len(c.api.sent())-sent)
		}
		c.expectSavedOnce()
	})
	t.Run("two presses at once", func(t *testing.T) {
		// Two replicas, each with a press, read the same state ahead:
		// only the compare-and-set of the session lets one of them save.
		t.Parallel()
		c := newChat(t)
		review := c.review(nil)
		presses := []transport.Update{c.pressUpdate(review, c.T("btn.confirm")), c.pressUpdate(review, c.T("btn.confirm"))}
		readAhead := c.stored()
		errs := make([]error, len(presses))
		var wg sync.WaitGroup
		for i, u := range presses {
			wg.Go(func() { errs[i] = c.handle(u, readAhead) })
		}
		wg.Wait()
		c.must(errors.Join(errs...))
		c.must(c.bot.Wait(context.Background()))
		c.expectSavedOnce()
		// Each is told the form is being saved, or was.
		for _, u := range presses {
			if ans, _ := c.api.answer(u.CallbackQuery.ID); ans.Text != c.T("flow.saving") && ans.Text != "" && ans.Text != c.T("flow.already_saved") {
				t.Errorf("press %s answered %q", u.CallbackQuery.ID, ans.Text)
			}
		}
	})
}

// A typed answer delivered twice is kept once: the second delivery shows
// the step it led to instead of answering that step with it.
func TestRedeliveredAnswerAppliesOnce(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.at("birthyear", nil)
	answer := c.typing("1370")
	c.must(c.deliver(answer))
	c.expectAsking("mobile")
	c.must(c.deliver(answer)) // the runtime lost track of having handled it
	if got, want := c.last().Text, c.T("placement.mobile.prompt"); got != want {
		t.Errorf("the redelivered answer got:\n%s\nwant the mobile's prompt alone:\n%s", got, want)
	}
	if s := c.session(); s.Answers["mobile"] != "" || s.Answers["birthyear"] != "1370" {
		t.Errorf("answers after a redelivery: %v", s.Answers)
	}
}

// A wrong national code gets its own sentence and the same step again.
func TestWrongNationalCodeAsksAgain(t *testing.T) {
	t.Parallel()
	wrongCheck := []byte(testCode)
	wrongCheck[9] = '0' + (wrongCheck[9]-'0'+1)%10
	for _, tc := range []struct{ typed, code string }{
		{string(wrongCheck), "nationalid.checksum"},
		{domain.PersianDigits(string(wrongCheck)), "nationalid.checksum"},
		{string(testCode) + "1", "nationalid.length"},
		{"1111111111", "nationalid.repeated"},
		{"00123a5679", "nationalid.chars"},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			t.Parallel()
			c := newChat(t)
			c.register()
			c.send(tc.typed)
			c.expectAsking(domain.FieldNationalID)
			if want := c.T("err." + tc.code); !strings.HasPrefix(c.last().Text, want) {
				t.Errorf("%q answered:\n%s\nwant it to begin with %q", tc.typed, c.last().Text, want)
			}
			if s := c.session(); s.Step != 0 || len(s.Answers) != 0 {
				t.Errorf("a wrong code moved the session: step %d, answers %v", s.Step, s.Answers)
			}
			c.send(string(testCode))
			c.expectAsking("name")
		})
	}
}

// A confirm whose handling stops at any point (the process died there) is
// finished by whatever the chat sends next: the redelivered confirm, or
// anything else. The form is saved once and said to be, and the chat is
// not left waiting. (Once the session has ended nothing of the form is
// left in it: only the confirm, which the runtime hands out again before
// the chat's later updates, can be told of the record.)
func TestConfirmCutAtEachPointIsFinishedNext(t *testing.T) {
	t.Parallel()
	for _, point := range []string{PointBeforeSave, PointSaved, PointEnded} {
		for _, next := range []string{"the confirm again", "a message"} {
			if point == PointEnded && next == "a message" {
				continue
			}
			t.Run(point+", then "+next, func(t *testing.T) {
				t.Parallel()
				c := newChat(t)
				review := c.review(nil)
				died := false
				c.bot.cfg.Checkpoint = func(p string) {
					if p == point && !died {
						died = true
						panic("killed at " + p)
					}
				}
				press := c.pressUpdate(review, c.T("btn.confirm"))
				if err := c.deliver(press); err == nil || !died {
					t.Fatalf("the confirm went through %s (%v)", point, err)
				}
				if next == "a message" {
					c.must(c.deliver(c.typing("سلام")))
				} else {
					c.must(c.deliver(press))
				}
				c.expectSavedOnce()
				if st := c.stored(); st.data != nil {
					t.Errorf("the session is still open: %s", st.data)
				}
			})
		}
	}
}

// A confirm under way elsewhere (its mark younger than SavingHold: two
// presses racing on two replicas) is left to its handler: what arrives
// meanwhile is told to wait, and nothing is submitted twice.
func TestConfirmUnderWayIsLeftToItsHandler(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	c.bot.cfg.SavingHold = time.Hour
	review := c.review(nil)
	stopped := false
	c.bot.cfg.Checkpoint = func(p string) {
		if p == PointBeforeSave && !stopped {
			stopped = true
			panic("still saving on another replica")
		}
	}
	if err := c.deliver(c.pressUpdate(review, c.T("btn.confirm"))); err == nil {
		t.Fatal("the confirm was not stopped")
	}
	sent := len(c.api.sent())
	c.must(c.deliver(c.typing("سلام")))
	if got := c.api.sent(); len(got) != sent+1 || got[sent].Text != c.T("flow.saving") {
		t.Fatalf("a message during the save got %d messages, want %q", len(got)-sent, c.T("flow.saving"))
	}
	if n := len(c.store.saved()); n != 0 {
		t.Errorf("%d placements saved while the first handler holds the form", n)
	}
}
