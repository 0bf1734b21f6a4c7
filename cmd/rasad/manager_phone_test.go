package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The manager on a phone, 390 px wide: the summary's chart fits the chat
// column and is shown nearly as wide as it, so its labels (a phone layout,
// measured in TestSummaryChartReadableOnPhone) read at that width; the
// export is downloaded as a workbook named by the Solar Hijri date. The
// manager's column is kept as a screenshot.
func TestPlaygroundManagerOnPhone(t *testing.T) {
	b, T := openPlayground(t, 390, 844)
	manager := b.user(1002)
	manager.send("/summary")
	manager.expect(strings.Split(T("summary.chart_caption"), "{")[0])
	v := b.poll("the chart loaded", `(uid) => {
		const col = document.querySelector('section.chat[data-user="' + uid + '"]');
		const img = col.querySelector('.msg.bot .photo img');
		if (!img || !img.complete || !img.naturalWidth) return null;
		img.scrollIntoView();
		return [img.getBoundingClientRect().width, col.getBoundingClientRect().width, window.innerWidth];
	}`, 1002)
	got, ok := v.([]any)
	if !ok || len(got) != 3 {
		t.Fatalf("unexpected poll result %#v", v)
	}
	shown, column, screen := got[0].(float64), got[1].(float64), got[2].(float64)
	if shown > screen || shown > column {
		t.Errorf("the chart is %.0f px wide in a %.0f px column on a %.0f px screen", shown, column, screen)
	}
	if shown < 0.6*column {
		t.Errorf("the chart is shown %.0f px wide in a %.0f px column: too small to read", shown, column)
	}
	sctx, cancelShot := b.step()
	png, err := chromedp.Run(sctx, chromedp.Screenshot(manager.sel("")))
	cancelShot()
	if err != nil {
		t.Fatalf("screenshot of the manager's column: %v", err)
	}
	shot := filepath.Join(os.TempDir(), "rasad-manager-phone.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the summary and chart at 390 px: %s", shot)

	manager.send("/export")
	manager.expect(strings.Split(T("export.from.prompt"), "{")[0])
	manager.tap(T("btn.year_start"))
	manager.expect(strings.Split(T("export.to.prompt"), "{")[0])
	manager.tap(T("btn.today"))
	manager.expect(T("export.agency.prompt"))
	manager.tap(T("value.all_agencies"))
	manager.expect(T("export.sector.prompt"))
	manager.tap(T("value.all_sectors"))
	manager.expect(T("export.review"))
	manager.tap(T("btn.download"))
	manager.expect(strings.Split(T("export.done", "n", "", "from", "", "to", ""), " ")[1])
	name := b.poll("the export's file name", `(uid, id) => {
		const a = document.querySelector('section.chat[data-user="' + uid + '"] .msg.bot[data-id="' + id + '"] a.doc');
		return a && a.getAttribute('download');
	}`, 1002, manager.last)
	if !regexp.MustCompile(`^rasad-14\d\d-\d\d-\d\d\.xlsx$`).MatchString(name.(string)) {
		t.Errorf("the export is named %q, want rasad-<Solar Hijri date>.xlsx", name)
	}
	if data := b.download(manager.file()); !strings.HasPrefix(string(data), "PK") {
		t.Errorf("the export is not an xlsx file: %.20q", data)
	}
	b.checkConsole()
}
