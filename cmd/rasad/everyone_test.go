package main

import (
	"context"
	"strings"
	"testing"

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
