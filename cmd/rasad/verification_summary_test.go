package main

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// What checking does to a manager's figures: a rejected placement leaves
// its agency's progress and is shown apart, every agency's and the
// province's checking is on the summary and in the export, and warnings
// point where a manager would look.

// verifierID is the verifier the tests record calls as.
const verifierID = 7700

// placeAt stores the n-th sample placement for agency, registered at at,
// changed first by edit when it is not nil.
func (h *harness) placeAt(n int, agency string, at time.Time, edit func(p *domain.Placement)) domain.Placement {
	h.t.Helper()
	p := samplePlacement(validCode(h.t, n), h.agencyID(agency), at)
	if edit != nil {
		edit(&p)
	}
	return must[domain.Placement](h.t)(h.db.CreatePlacement(context.Background(), p, at))
}

// callCheck samples placement id now and records a verifier's call that
// found outcome, the way the checking does.
func (h *harness) callCheck(id int64, outcome domain.Outcome) {
	h.t.Helper()
	ctx, now := context.Background(), h.clock.Now()
	if n, err := h.db.AddToSample(ctx, id, 0, 0, adminID, now, now); err != nil || n != 1 {
		h.t.Fatalf("AddToSample(%d) = %d, %v", id, n, err)
	}
	c, err := h.db.NextCheck(ctx, domain.StageCall, verifierID, now, time.Hour)
	if err != nil || c.PlacementID != id {
		h.t.Fatalf("NextCheck = %+v, %v; want placement %d", c, err, id)
	}
	_, err = h.db.RecordCheck(ctx, domain.VerifyEvent{PlacementID: id, At: now, By: verifierID, Stage: domain.StageCall, Outcome: outcome})
	if err != nil {
		h.t.Fatal(err)
	}
}

// askSummary sends /summary with args and returns its text; the chart
// that follows is taken too.
func askSummary(h *harness, m person, args, date string) string {
	h.t.Helper()
	m.send(strings.TrimSpace("/summary " + args))
	text := m.expect(h.T("summary.title", "date", date)).Text
	if photo, err := m.Next(wait); err != nil || photo.Photo == nil {
		h.t.Fatalf("no chart after the summary: %v", err)
	}
	return text
}

func wantLines(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
}

// Two of labour's four placements are rejected and one confirmed: labour
// falls from 40% to 20% of its target and from first to second, the year
// counts two fewer while today's registrations stay, and the summary and
// the export say how many were checked, confirmed and rejected.
func TestSummaryRejectionLeavesProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9501, "Manager")
	h.setTarget("labour", 10)
	h.setTarget("industry", 10)
	now := h.clock.Now()
	var labour []domain.Placement
	for i := range 4 {
		labour = append(labour, h.placeAt(i, "labour", now, nil))
	}
	h.seedPlacements("industry", 100, 3)
	const industryFa = "سازمان صنعت، معدن و تجارت استان تهران"
	date := "۱۷ خرداد ۱۴۰۵"

	before := askSummary(h, m, "", date)
	wantLines(t, before,
		h.T("summary.placements", "today", "۷", "year", "۷", "program_year", "۱۴۰۵"),
		h.T("summary.agency", "rank", "۱", "name", labourFa, "count", "۴", "target", "۱۰", "percent", "۴۰٪"),
		h.T("summary.agency", "rank", "۲", "name", industryFa, "count", "۳", "target", "۱۰", "percent", "۳۰٪"),
		h.T("summary.checking_none", "registered", "۷", "sampled", "۰"),
	)
	if strings.Contains(before, strings.TrimSpace(h.T("summary.rejected", "n", ""))) {
		t.Errorf("a summary with nothing rejected speaks of rejections:\n%s", before)
	}

	h.clock.Advance(2 * time.Hour)
	h.callCheck(labour[0].ID, domain.OutcomeNever)
	h.callCheck(labour[1].ID, domain.OutcomeElsewhere)
	h.callCheck(labour[2].ID, domain.OutcomeWorks)

	after := askSummary(h, m, "", date)
	t.Logf("the summary after two rejections:\n%s", after)
	wantLines(t, after,
		h.T("summary.placements", "today", "۷", "year", "۵", "program_year", "۱۴۰۵"),
		h.T("sector.services")+" ۵",
		h.T("summary.agency", "rank", "۱", "name", industryFa, "count", "۳", "target", "۱۰", "percent", "۳۰٪"),
		h.T("summary.agency", "rank", "۲", "name", labourFa, "count", "۲", "target", "۱۰", "percent", "۲۰٪")+"\n"+
			h.T("summary.agency_checks", "sampled", "۳", "checked", "۳", "confirmed_share", "۳۳٪", "rejected", "۲"),
		h.T("summary.checking", "registered", "۷", "checked", "۳", "checked_share", "۴۳٪", "confirmed", "۱", "confirmed_share", "۳۳٪"),
		h.T("summary.rejected", "n", "۲"),
	)

	// The export: each record's checking, and totals without the rejected.
	data := exportAll(h, m)
	table := must[*xlsx.Table](t)(xlsx.Read(data, 0))
	col := func(key string) int {
		i := slices.Index(table.Header, h.T(key))
		if i < 0 {
			t.Fatalf("the export has no column %q: %q", h.T(key), table.Header)
		}
		return i
	}
	id, state, stage, outcome, checkedOn := col("export.id"), col("record.verification"), col("export.stage"), col("export.outcome"), col("export.checked_on")
	rows := map[string][]string{}
	for _, cells := range table.Rows() {
		cells = append(cells, make([]string, len(table.Header))...) // empty cells at the end are left out
		rows[cells[id]] = cells
	}
	table.Close()
	for _, c := range []struct {
		p                              domain.Placement
		state, stage, outcome, checked string
	}{
		{labour[0], "verification.rejected", "queue.done", "outcome.never", "1405/03/17"},
		{labour[1], "verification.rejected", "queue.done", "outcome.elsewhere", "1405/03/17"},
		{labour[2], "verification.confirmed", "queue.done", "outcome.works", "1405/03/17"},
		{labour[3], "verification.not_sampled", "", "", ""},
	} {
		cells, ok := rows[strconv.FormatInt(c.p.ID, 10)]
		if !ok {
			t.Fatalf("placement %d is not in the export", c.p.ID)
		}
		label := func(key string) string {
			if key == "" {
				return ""
			}
			return h.T(key)
		}
		if cells[state] != label(c.state) || cells[stage] != label(c.stage) || cells[outcome] != label(c.outcome) || cells[checkedOn] != c.checked {
			t.Errorf("placement %d: %q, %q, %q, %q; want %s, %s, %s, %q", c.p.ID, cells[state], cells[stage], cells[outcome],
				cells[checkedOn], c.state, c.stage, c.outcome, c.checked)
		}
	}
	f := must[*excelize.File](t)(excelize.OpenReader(bytes.NewReader(data)))
	defer f.Close()
	sheet := must[[][]string](t)(f.GetRows(h.T("export.by_agency")))
	row := slices.IndexFunc(sheet, func(r []string) bool { return r[0] == labourFa })
	if row < 0 {
		t.Fatalf("no row for labour in %q", sheet)
	}
	for key, want := range map[string]string{"export.count": "2", "export.target": "10", "export.percent": "20.0",
		"export.sampled": "3", "export.checked": "3", "export.confirmed": "1", "export.rejected": "2"} {
		if i := slices.Index(sheet[0], h.T(key)); i < 0 || i >= len(sheet[row]) || sheet[row][i] != want {
			t.Errorf("labour's totals %q under %q: want %s under %q", sheet[row], sheet[0], want, h.T(key))
		}
	}
}

// A seeded month: each warning fires where a manager would look, and not
// a day, a placement or a multiple short of it. Today is 25 Khordad,
// among the month's last seven days; the 24th is not.
//
//   - One mobile on 4 placements warns; one on 3 does not.
//   - One employer, written two ways, with 10 placements today warns; one
//     with 9 does not.
//   - labour registered 18 in the last 7 days against about 1 a week
//     before: a spike. industry's 12 against 5 a week, and agriculture's
//     13 against 5, are not three times their average.
func TestSummaryWarnings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9502, "Manager")
	en := h.manager(9503, "Manager EN")
	en.send("/start") // known to the bot before its language is set
	en.Next(wait)
	must[struct{}](t)(struct{}{}, h.db.SetLanguage(context.Background(), en.ID(), "en"))
	h.clock.Advance(8 * 24 * time.Hour) // 25 Khordad 1405, 09:00
	day := func(d, hh int) time.Time {
		return cal.Midnight(domain.JalaliDate{Year: 1405, Month: 3, Day: d}).Add(time.Duration(hh) * time.Hour)
	}
	n := 0
	place := func(agency string, count int, at time.Time, edit func(i int, p *domain.Placement)) {
		for i := range count {
			h.placeAt(n, agency, at.Add(time.Duration(i)*time.Minute), func(p *domain.Placement) {
				p.Employer = "کارگاه " + strconv.Itoa(n)
				if edit != nil {
					edit(i, p)
				}
			})
			n++
		}
	}
	// The weeks before: labour one a week, industry and agriculture five.
	// industry's of the 18th carry the mobiles: four one number, three
	// another (with the 11th's first).
	for k := range domain.WarnSpikeWeeks {
		at := day(18, 9).AddDate(0, 0, -7*k)
		place("labour", 1, at, nil)
		place("industry", 5, at, func(i int, p *domain.Placement) {
			switch {
			case k == 0 && i < 4:
				p.Mobile = "+989350001111"
			case k == 0 || k == 1 && i < 2:
				p.Mobile = "+989350002222"
			}
		})
		place("agriculture", 5, at, nil)
	}
	place("labour", 12, day(24, 10), nil)
	place("industry", 12, day(24, 11), nil)
	place("labour", 6, day(25, 8), func(_ int, p *domain.Placement) { p.Employer = "کارگاه نمونه" })
	place("agriculture", 4, day(25, 8), func(_ int, p *domain.Placement) { p.Employer = "کارگاه\u200cنمونه" })
	place("agriculture", 9, day(25, 8), func(_ int, p *domain.Placement) { p.Employer = "نانوایی بزرگ" })

	const industryFa, agricultureFa = "سازمان صنعت، معدن و تجارت استان تهران", "سازمان جهاد کشاورزی استان تهران"
	mobileLine := h.T("summary.warn_mobile", "mobile", "+۹۸۹۳۵***۱۱۱۱", "n", "۴", "agencies", industryFa)
	employerLine := h.T("summary.warn_employer", "employer", "کارگاه نمونه", "n", "۱۰",
		"agencies", labourFa+h.T("summary.list_sep")+agricultureFa)
	spikeLine := h.T("summary.warn_spike", "agency", labourFa, "week", "۱۸", "weeks", "۸", "average", "۱٫۰")
	spikeWords := strings.Split(h.T("summary.warn_spike"), "{")[2] // what every spike's line says
	spikeWords = spikeWords[strings.Index(spikeWords, "}")+1:]

	today := askSummary(h, m, "", "۲۵ خرداد ۱۴۰۵")
	t.Logf("the summary with warnings:\n%s", today)
	wantLines(t, today, h.T("summary.warnings"), mobileLine, employerLine, spikeLine)
	for _, not := range []string{"***۲۲۲۲", "نانوایی بزرگ", industryFa + spikeWords, agricultureFa + spikeWords} {
		if strings.Contains(today, not) {
			t.Errorf("the summary warns of %q:\n%s", not, today)
		}
	}
	if strings.Count(today, spikeWords) != 1 {
		t.Errorf("want one spike:\n%s", today)
	}

	// The 24th is not among the month's last days, and the employers of
	// that day are many: only the mobile warns.
	before := askSummary(h, m, "۱۴۰۵/۰۳/۲۴", "۲۴ خرداد ۱۴۰۵")
	wantLines(t, before, h.T("summary.warnings"), mobileLine)
	if strings.Contains(before, spikeWords) || strings.Contains(before, "کارگاه نمونه") {
		t.Errorf("the 24th's summary warns of a spike or an employer:\n%s", before)
	}
	// Before any of it, no warning at all.
	early := askSummary(h, m, "۱۴۰۵/۰۲/۰۱", "۱ اردیبهشت ۱۴۰۵")
	if strings.Contains(early, h.T("summary.warnings")) {
		t.Errorf("the summary of 1 Ordibehesht warns:\n%s", early)
	}

	// In English, the same warnings.
	en.send("/summary")
	text := en.expect(h.in("en", "summary.title", "date", "25 Khordad 1405")).Text
	en.Next(wait) // the chart
	wantLines(t, text, h.in("en", "summary.warnings"),
		h.in("en", "summary.warn_mobile", "mobile", "+98935***1111", "n", "4",
			"agencies", "Industry, Mine and Trade Organization"),
		h.in("en", "summary.warn_spike", "agency", "Directorate of Cooperatives, Labour and Social Welfare",
			"week", "18", "weeks", "8", "average", "1.0"))
}
