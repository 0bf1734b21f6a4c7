package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
)

// What every user meets, whatever their role: examples, years, commands in
// sentences, counted words.

// en is a catalogue text in English.
func (h *harness) en(key string, args ...string) string { return h.cat.T("en", key, args...) }

// A count of one is said in the singular: "(1 item)", not "(1 items)".
func TestEnglishCountsOneInTheSingular(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.Language = "en" })
	p := h.liaison(4101, "Liaison", "labour")
	now := h.clock.Now()
	saved := must[domain.Placement](t)(h.db.CreatePlacement(context.Background(), samplePlacement(validCode(t, 1), h.agencyID("labour"), now), now))
	p.send("/records")
	p.expect(strings.Split(h.en("records.title"), "(")[0])
	p.tap(h.en("records.item", "id", "1", "name", saved.FullName, "date", cal.FormatJalaliLang(now, "en")))
	p.expect(strings.Split(h.en("record.title"), "{")[0])
	p.tap(h.en("btn.correct"))
	p.expect(h.en("record.choose_field"))
	p.tap(h.en("placement.birthyear.label"))
	p.expect(h.en("placement.birthyear.prompt"))
	p.send("1370")
	p.expect(h.en("placement.review"))
	p.tap(h.en("btn.confirm"))
	p.expect("Record no. 1 corrected (1 item).")
}

// A birth year typed in the Gregorian calendar is recognised as such and
// answered with the Solar Hijri years to type instead.
func TestGregorianBirthYearGetsItsSolarHijriYears(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4102, "Liaison", "labour")
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(validCode(t, 2)))
	p.expect(h.T("placement.name.prompt"))
	p.send("علی رضایی")
	p.expect(h.T("placement.gender.prompt"))
	p.tap(h.T("gender.male"))
	p.expect(h.T("placement.birthyear.prompt"))
	p.send("1990")
	m := p.expect(h.T("err.birthyear.gregorian", "year", "۱۹۹۰", "before", "۱۳۶۸", "after", "۱۳۶۹"))
	if !strings.Contains(m.Text, h.T("placement.birthyear.prompt")) {
		t.Errorf("the step is not asked again:\n%s", m.Text)
	}
	p.send("۱۳۶۹")
	p.expect(h.T("placement.mobile.prompt"))
}

// The playground at phone width: a user's chip reads "name role" as two
// words, and a message longer than Telegram takes is refused in Persian,
// kept in the box, without the server's English detail.
func TestPlaygroundChipsAndOverlongMessage(t *testing.T) {
	b, _ := openPlayground(t, 390, 844)
	chip := b.poll("the admin's chip", `() => { const c = document.querySelector('#people .chip[data-user="1001"]'); return c && c.textContent; }`)
	if want := "سارا احمدی کارشناس سامانه"; chip != want {
		t.Errorf("chip reads %q, want %q", chip, want)
	}
	v := b.poll("the over-long message refused", `(uid) => {
		const col = document.querySelector('section.chat[data-user="' + uid + '"]');
		if (!col.dataset.longSent) {
			col.dataset.longSent = '1';
			col.querySelector('textarea.compose').value = 'ا'.repeat(4097);
			col.querySelector('button.send').click();
			return null;
		}
		const t = col.querySelector('.toast');
		if (!t || t.hidden) return null;
		return [t.textContent, typeof errorTexts.too_long === 'string' ? errorTexts.too_long : '', col.querySelector('textarea.compose').value.length];
	}`, 1003)
	got, ok := v.([]any)
	if !ok || len(got) != 3 {
		t.Fatalf("unexpected poll result %#v", v)
	}
	if text, sentence := got[0].(string), got[1].(string); sentence == "" || text != sentence {
		t.Errorf("toast %q, want the page's own sentence %q", text, sentence)
	}
	if kept := got[2].(float64); kept != 4097 {
		t.Errorf("the box keeps %v characters, want the 4097 typed", kept)
	}
	b.checkConsole()
}

// Commands named in Persian sentences keep their slash in front when shown
// right to left, and a command copied from such a sentence, marks and all,
// still works.
func TestCommandsInPersianSentencesStayReadable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(4103, "Newcomer")
	bare := regexp.MustCompile(`(^|[^\x{200e}])/[a-z]`)
	lineStart := regexp.MustCompile(`(?m)^\x{200e}/`)
	p.send("سلام")
	unknown := p.expect(h.T("help.unknown"))
	p.send("/help")
	help := p.expect(h.T("help.common"))
	for _, m := range []fakeapi.Message{unknown, help} {
		if !strings.Contains(m.Text, "/help") && !strings.Contains(m.Text, "/stall") {
			t.Fatalf("no command in %q", m.Text)
		}
		if bare.MatchString(m.Text) || lineStart.MatchString(m.Text) {
			t.Errorf("a command is not kept left to right in %q", m.Text)
		}
	}
	// Copied from the bot's sentence: Telegram marks no command entity.
	p.send("\u200e/help")
	p.expect(h.T("help.common"))
}
