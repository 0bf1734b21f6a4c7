package bot

import (
	"slices"
	"strings"
	"testing"

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
