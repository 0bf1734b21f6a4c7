package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
)

// What every user meets, whatever their role: examples, years, commands in
// sentences, counted words.

// en is a catalogue text in English.
func (h *harness) en(key string, args ...string) string { return h.in("en", key, args...) }

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

// Every example a step shows is valid input to that step, in every
// language: each flow is answered by its own examples alone, typed as
// shown, and reaches its review.
func TestEveryExampleIsValidInput(t *testing.T) {
	t.Parallel()
	for _, lang := range bot.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *config) { c.Language = lang })
			w := exampleWalker{h: h, lang: lang}
			now := h.clock.Now()
			must[domain.Placement](t)(h.db.CreatePlacement(context.Background(), samplePlacement(validCode(t, 1), h.agencyID("labour"), now), now))

			newcomer := h.person(4110, "Newcomer")
			newcomer.send("/start")
			newcomer.expect(h.in(lang, "start.welcome"))
			newcomer.tap(h.in(lang, "role.liaison"))
			w.walk(newcomer, "liaison")

			h.withMarkets()
			vendor := h.person(4111, "Vendor")
			vendor.send("/stall")
			w.walk(vendor, "stall")

			liaison := h.liaison(4112, "Liaison", "labour")
			liaison.send("/register")
			liaison.expect(h.in(lang, "placement.nationalid.prompt"))
			// The sentence for a code too short shows one to copy.
			liaison.send("12")
			refused := liaison.expect(strings.Split(h.in(lang, "err.nationalid.length"), "{")[0])
			like := regexp.MustCompile(`(?:مانند|like) ([^.]+)\.`).FindStringSubmatch(refused.Text)
			if like == nil {
				t.Fatalf("no code to copy in %q", refused.Text)
			}
			liaison.send(like[1])
			liaison.expect(h.in(lang, "placement.name.prompt"))
			w.cancel(liaison)
			liaison.send("/register")
			w.walk(liaison, "placement")
			w.cancel(liaison)
			liaison.send("/records")
			list := liaison.expect(strings.Split(h.in(lang, "records.title"), "(")[0])
			liaison.press(list.ID, list.Buttons()[0])
			liaison.expect(strings.Split(h.in(lang, "record.title"), "{")[0])
			liaison.tap(h.in(lang, "btn.withdraw"))
			w.walk(liaison, "withdraw")

			admin := h.person(adminID, "Admin")
			admin.send("/agencies")
			agencies := must[fakeapi.Message](t)(admin.Next(wait))
			admin.press(agencies.ID, h.in(lang, "btn.add_agency"))
			w.walk(admin, "agency_add")
			w.cancel(admin)
			admin.press(agencies.ID, agencies.Buttons()[0])
			w.walk(admin, "agency_rename")
			w.cancel(admin)
			admin.send("/targets")
			w.walk(admin, "target")
			w.cancel(admin)
			admin.send("/markets")
			marketList := must[fakeapi.Message](t)(admin.Next(wait)) // a button per market
			admin.press(marketList.ID, marketList.Buttons()[0])
			market := must[fakeapi.Message](t)(admin.Next(wait))
			admin.press(market.ID, h.in(lang, "btn.edit_market"))
			w.walk(admin, "market_edit")

			manager := h.manager(4113, "Manager")
			manager.send("/export")
			w.walk(manager, "export")
		})
	}
}

// exampleWalker answers a flow's steps by their examples.
type exampleWalker struct {
	h    *harness
	lang string
}

// cancel ends the flow p is in.
func (w exampleWalker) cancel(p person) {
	w.h.t.Helper()
	p.tap(w.h.in(w.lang, "btn.cancel"))
	p.expect(w.h.in(w.lang, "flow.cancelled"))
}

// exampleLine is the line of a prompt giving its example.
var exampleLine = regexp.MustCompile(`(?m)^(?:مثال|Example): (.+)$`)

// walk answers each step of flow as p is asked it, until its review: a
// typed step with the example its prompt shows, a choice with its last
// button (which asks the most steps: funding "other" asks the amount),
// the phone with the contact button. A step that refuses its example, or
// a typed step without one, fails the test.
func (w exampleWalker) walk(p person, flow string) {
	h := w.h
	h.t.Helper()
	review := h.in(w.lang, flow+".review")
	review, _, _ = strings.Cut(review, "{")
	nav := map[string]bool{h.in(w.lang, "btn.back"): true, h.in(w.lang, "btn.cancel"): true}
	m := must[fakeapi.Message](h.t)(p.Next(wait))
	for range 30 {
		if strings.Contains(m.Text, review) {
			return
		}
		ex := exampleLine.FindStringSubmatch(m.Text)
		switch {
		case ex != nil:
			p.send(ex[1])
		case slices.Contains(m.ReplyButtons(), h.in(w.lang, "btn.share_phone")):
			must[int](h.t)(p.ShareContact("0912"+fmt.Sprint(1000000+p.ID()), p.ID()))
			p.expect(h.in(w.lang, "contact.received"))
		case len(m.Buttons()) > len(nav):
			choices := slices.DeleteFunc(m.Buttons(), func(b string) bool { return nav[b] })
			p.press(m.ID, choices[len(choices)-1])
		default:
			h.t.Fatalf("%s, %s: a step to type without an example:\n%s", w.lang, flow, m.Text)
		}
		next := must[fakeapi.Message](h.t)(p.Next(wait))
		if lead, _, found := strings.Cut(next.Text, "\n\n"); found && !strings.Contains(next.Text, review) {
			h.t.Fatalf("%s, %s: the step\n%s\nwas answered with its example:\n%s", w.lang, flow, m.Text, lead)
		}
		m = next
	}
	h.t.Fatalf("%s, %s: no review after 30 steps", w.lang, flow)
}
