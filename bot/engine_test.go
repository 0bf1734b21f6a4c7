package bot

import (
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
