package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
)

// What a manager meets on a phone once a day: the summary, its chart and
// the export, each as that reader needs it.

// setTarget commits agency to jobs in the services sector this year.
func (h *harness) setTarget(agency string, jobs int) {
	h.t.Helper()
	t := domain.Target{Year: cal.ProgramYear(h.clock.Now()), AgencyID: h.agencyID(agency), Sector: domain.SectorServices, Jobs: jobs}
	must[struct{}](h.t)(struct{}{}, h.db.SetTarget(context.Background(), t))
}

// requestExport takes manager m through /export of this year's
// placements of agency (its button label) and presses download; it
// returns the review's buttons.
func requestExport(h *harness, m person, agency string) []string {
	h.t.Helper()
	m.send("/export")
	m.expect(h.T("export.from.prompt"))
	m.tap(h.T("btn.year_start"))
	m.expect(h.T("export.to.prompt"))
	m.tap(h.T("btn.today"))
	m.expect(h.T("export.agency.prompt"))
	m.tap(agency)
	m.expect(h.T("export.sector.prompt"))
	m.tap(h.T("value.all_sectors"))
	review := m.expect(h.T("export.review"))
	var labels []string
	for _, row := range review.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	m.tap(h.T("btn.download"))
	return labels
}

// exportAll exports every placement of the year and returns the file. The
// button that downloads says so.
func exportAll(h *harness, m person) []byte {
	h.t.Helper()
	labels := requestExport(h, m, h.T("value.all_agencies"))
	if slices.Contains(labels, h.T("btn.confirm")) {
		h.t.Errorf("the export's review offers %q, a download needs its own words", h.T("btn.confirm"))
	}
	doc, err := m.Next(wait)
	if err != nil || doc.Document == nil {
		h.t.Fatalf("export: %+v, %v", doc, err)
	}
	if doc.Document.Name != "rasad-1405-03-17.xlsx" {
		h.t.Errorf("export named %q, want the Solar Hijri date rasad-1405-03-17.xlsx", doc.Document.Name)
	}
	return doc.Document.Data
}

// The totals of the export: a grand total, agency names that fit their
// column, percents with a decimal (1 of 1,622 is 0.1, not 0), and a chart
// with one bar per agency, its sectors summed.
func TestExportTotalsReadable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9401, "Manager")
	h.setTarget("labour", 1622)
	h.seedPlacements("labour", 0, 1)
	h.seedPlacements("industry", 100, 4)
	data := exportAll(h, m)

	f := must[*excelize.File](t)(excelize.OpenReader(bytes.NewReader(data)))
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 3 || sheets[1] != h.T("export.totals") || sheets[2] != h.T("export.by_agency") {
		t.Fatalf("sheets %q", sheets)
	}
	for _, sheet := range sheets[1:] {
		rows := must[[][]string](t)(f.GetRows(sheet))
		cell := func(row []string, key string) string {
			if i := slices.Index(rows[0], h.T(key)); i >= 0 && i < len(row) {
				return row[i]
			}
			return "(none)"
		}
		last := rows[len(rows)-1]
		if last[0] != h.T("export.grand_total") || cell(last, "export.count") != "5" || cell(last, "export.target") != "1,622" ||
			cell(last, "export.percent") != "0.3" {
			t.Errorf("sheet %q ends with %q, want the grand total 5 of 1,622 (0.3%%)", sheet, last)
		}
		labour := slices.IndexFunc(rows, func(r []string) bool { return r[0] == labourFa })
		if labour < 0 || cell(rows[labour], "export.percent") != "0.1" {
			t.Errorf("sheet %q: labour's row %q, want 0.1 percent", sheet, rows[max(labour, 0)])
		}
		width := must[float64](t)(f.GetColWidth(sheet, "A"))
		if width < float64(len([]rune(labourFa))) {
			t.Errorf("sheet %q: agency column %.0f wide, cuts %q", sheet, width, labourFa)
		}
	}
	// The chart is on the agencies' sheet: two agencies, two bars; the
	// grand total is not one of them.
	charts := chartXML(t, data)
	if len(charts) != 1 {
		t.Fatalf("%d charts", len(charts))
	}
	if want := h.T("export.by_agency") + "&#39;!$A$2:$A$3</f>"; !strings.Contains(charts[0], want) {
		t.Errorf("chart categories are not the two agencies (%s):\n%.300s", want, charts[0])
	}
}

// chartXML is the XML of each chart in an xlsx file.
func chartXML(t *testing.T, data []byte) []string {
	t.Helper()
	zr := must[*zip.Reader](t)(zip.NewReader(bytes.NewReader(data), int64(len(data))))
	var out []string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			rc := must[io.ReadCloser](t)(f.Open())
			out = append(out, string(must[[]byte](t)(io.ReadAll(rc))))
			rc.Close()
		}
	}
	return out
}

// A job started last year and registered today counts in last year: the
// day's figure is then larger than the year's, and the same line says why.
func TestSummaryNamesWhatEachFigureCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9402, "Manager")
	h.seedPlacements("labour", 0, 1)
	now := h.clock.Now()
	late := samplePlacement(validCode(h.t, 50), h.agencyID("labour"), now)
	late.StartDate = cal.Midnight(domain.JalaliDate{Year: 1404, Month: 12, Day: 20})
	late.ProgramYear = 1404
	must[domain.Placement](t)(h.db.CreatePlacement(context.Background(), late, now))
	h.seedPlacements("industry", 100, 1)

	m.send("/summary")
	text := m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵")).Text
	want := h.T("summary.placements_earlier", "today", "۳", "earlier", "۱", "year", "۲", "program_year", "۱۴۰۵")
	if !strings.Contains(text, want) {
		t.Errorf("summary lacks %q:\n%s", want, text)
	}
	m.Next(wait) // the chart
}

// addAgencies adds the agencies of csv rows (code,name_fa,name_en).
func (h *harness) addAgencies(csv string) {
	h.t.Helper()
	agencies := must[[]domain.Agency](h.t)(csvimport.Agencies(strings.NewReader("code,name_fa,name_en\n" + csv)))
	if _, _, err := h.db.UpsertAgencies(context.Background(), agencies); err != nil {
		h.t.Fatal(err)
	}
}

// One placement against 3,858 is 0.1%, not 0%. Only agencies with
// placements are ranked, ties by name; the rest are counted on one line.
// The idle agencies are counted, a few named, all listed by /idle.
func TestSummaryPercentRanksAndIdle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9403, "Manager")
	h.addAgencies(`aaa,وزارت ورزش و جوانان,Sports
zzz,اداره کل میراث فرهنگی,Heritage
idle1,بنیاد مسکن انقلاب اسلامی استان تهران,Housing
idle2,کمیته امداد امام خمینی (ره) استان تهران,Relief
idle3,سازمان بهزیستی استان تهران,Welfare
idle4,شرکت شهرک‌های صنعتی استان تهران,Estates
`)
	h.setTarget("labour", 3858)
	h.seedPlacements("labour", 0, 1)
	h.seedPlacements("aaa", 10, 1)
	h.seedPlacements("zzz", 20, 1)

	m.send("/summary")
	text := m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵")).Text
	m.Next(wait) // the chart
	for _, want := range []string{
		h.T("summary.agency", "rank", "۱", "name", labourFa, "count", "۱", "target", "۳٬۸۵۸", "percent", "۰٫۱٪"),
		h.T("summary.agency_no_target", "rank", "۲", "name", "اداره کل میراث فرهنگی", "count", "۱"),
		h.T("summary.agency_no_target", "rank", "۳", "name", "وزارت ورزش و جوانان", "count", "۱"),
		h.T("summary.unranked", "n", "۶", "program_year", "۱۴۰۵"),
		h.T("summary.and_more", "n", "۳"),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "۴. ") {
		t.Errorf("agencies without placements are ranked:\n%s", text)
	}
	m.send("/idle")
	list := m.expect(h.T("summary.idle_title", "n", "۶")).Text
	for _, name := range []string{"بنیاد مسکن انقلاب اسلامی استان تهران", "شرکت شهرک‌های صنعتی استان تهران", "سازمان جهاد کشاورزی استان تهران"} {
		if !strings.Contains(list, name) {
			t.Errorf("/idle lacks %q:\n%s", name, list)
		}
	}
}

// On a 390-px-wide phone a photo in a chat bubble is shown at most about
// 300 px wide and, in the playground, 320 px tall; the chat's text there
// is 14 px.
const (
	phoneBubbleWidth  = 300
	phoneBubbleHeight = 320
	chatTextPx        = 14
)

// The chart of twenty agencies with long names, as a phone shows it: its
// text as tall as the chat's, nine bars (the leading four, the trailing
// four, the rest as one), no name cut inside a word.
func TestSummaryChartReadableOnPhone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9404, "Manager")
	var csv strings.Builder
	for i := range 17 {
		fmt.Fprintf(&csv, "extra%d,سازمان توسعه و نوسازی شماره %s استان تهران,Agency %d\n", i, domain.PersianDigits(strconv.Itoa(i+1)), i+1)
	}
	h.addAgencies(csv.String())
	for i := range 10 {
		h.setTarget("extra"+strconv.Itoa(i), 50)
		h.seedPlacements("extra"+strconv.Itoa(i), 100*i, i+1)
	}
	m.send("/summary")
	m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵"))
	photo, err := m.Next(wait)
	if err != nil || photo.Photo == nil {
		t.Fatalf("chart: %+v, %v", photo, err)
	}
	img := must[image.Image](t)(png.Decode(bytes.NewReader(photo.Photo.Data)))
	w, ht := img.Bounds().Dx(), img.Bounds().Dy()
	if err := os.WriteFile(filepath.Join(os.TempDir(), "rasad-chart-phone.png"), photo.Photo.Data, 0o644); err == nil {
		t.Logf("chart %dx%d: %s", w, ht, filepath.Join(os.TempDir(), "rasad-chart-phone.png"))
	}
	shown := min(float64(phoneBubbleWidth)/float64(w), float64(phoneBubbleHeight)/float64(ht), 1)
	lines := textLines(img)
	if len(lines) < 10 {
		t.Fatalf("%d lines of text in the chart", len(lines))
	}
	// Persian letters' ink, from the top of ا to the bottom of ی, spans
	// about the font's size: a line of 14 px text inks about 14 px.
	if got := float64(median(lines)) * shown; got < chatTextPx {
		t.Errorf("chart %dx%d shown at %.0f%%: its text is %.1f px tall, the chat's %d px", w, ht, 100*shown, got, chatTextPx)
	}
	// The title, nine labels: one a line, each with its bar under it.
	if len(lines) != 1+9 {
		t.Errorf("%d lines of text, want the title and 9 labels (4 leading, the group, 4 trailing)", len(lines))
	}
}

// textLines are the heights of the bands of rows holding dark grey ink
// (the chart's text; bars are coloured, grid and ticks lighter), in order.
func textLines(img image.Image) []int {
	b := img.Bounds()
	var lines []int
	run := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		ink := false
		for x := b.Min.X; x < b.Max.X && !ink; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			ink = r < 0x5000 && g < 0x5000 && bl < 0x5000 && max(r, g, bl)-min(r, g, bl) < 0x1000
		}
		if ink {
			run++
			continue
		}
		if run > 2 {
			lines = append(lines, run)
		}
		run = 0
	}
	return lines
}

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
