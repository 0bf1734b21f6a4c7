package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// BenchmarkBulkImport10k sends a 10,000-row sheet to the bot and waits for
// the result, through the whole path: download, read, parse and check
// every row, de-duplicate, store, write the result sheet, send it. A tenth
// of the rows repeat a code placed by another agency and a tenth are
// invalid. Reported: seconds per sheet and the peak Go heap during it.
//
//	go test -run '^$' -bench BulkImport -benchtime 3x ./cmd/rasad
func BenchmarkBulkImport10k(b *testing.B) {
	const rows = 10_000
	h := newHarness(b, nil)
	ctx := context.Background()
	now := h.clock.Now()
	other := h.agencyID("industry")
	// Codes 0..999 are held by another agency in every program year.
	hold := func(now time.Time) {
		for i := range rows / 10 {
			must[domain.Placement](b)(h.db.CreatePlacement(ctx, samplePlacement(validCode(b, i), other, now), now))
		}
	}
	hold(now)
	header := placementHeader(h)

	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		p := h.liaison(int64(7000+i), "Liaison", "labour")
		sheet := benchSheet(b, header, rows, i, h.clock.Now())
		b.StartTimer()

		peak := watchHeap()
		must[int](b)(p.SendDocument("bulk.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", sheet))
		res, err := p.Next(2 * time.Minute)
		maxHeap := peak()

		b.StopTimer()
		if err != nil || res.Document == nil {
			b.Fatalf("no result: %v", err)
		}
		want := h.T("bulk.summary", "saved", domain.PersianDigits(fmt.Sprint(rows*8/10)),
			"duplicates", domain.PersianDigits(fmt.Sprint(rows/10)), "invalid", domain.PersianDigits(fmt.Sprint(rows/10)))
		if res.Caption != want {
			b.Fatalf("caption %q, want %q", res.Caption, want)
		}
		b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
		// A fresh year for the next upload, so its rows are new again.
		h.clock.Advance(366 * 24 * time.Hour)
		hold(h.clock.Now())
		b.StartTimer()
	}
}

func placementHeader(h *harness) []string {
	var header []string
	for _, f := range domain.PlacementFields {
		header = append(header, h.T("placement."+f.Key+".label"))
	}
	return header
}

// benchSheet writes rows rows: 80% new, 10% held by another agency, 10%
// with a bad birth year. Upload i uses its own codes past the held ones.
func benchSheet(b *testing.B, header []string, rows, upload int, now time.Time) []byte {
	var buf bytes.Buffer
	cols := make([]xlsx.Column, len(header))
	for i, t := range header {
		cols[i] = xlsx.Column{Header: t}
	}
	start := cal.FormatJalaliNumeric(now)
	w := must[*xlsx.Writer](b)(xlsx.NewWriter(&buf, xlsx.Sheet{Name: "S", RTL: true, Columns: cols}))
	for r := range rows {
		code := validCode(b, rows/10+upload*rows+r) // new
		year := domain.PersianDigits(fmt.Sprint(cal.ProgramYear(now) - 30))
		switch {
		case r%10 == 0:
			code = validCode(b, r/10) // held by another agency
		case r%10 == 1:
			year = domain.PersianDigits(fmt.Sprint(cal.ProgramYear(now) - 5)) // too young
		}
		row := map[string]string{"nationalid": domain.PersianDigits(string(code)), "name": "زهرا كريمي", "gender": "زن",
			"birthyear": year, "mobile": "09121234567", "sector": "خدمات", "activity": "آرايشگري", "employer": "سالن نمونه",
			"kind": "مشاغل خانگی", "support": "آموزش", "funding": "وام قرض‌الحسنه", "amount": "200,000,000",
			"county": "تهران", "area": "شهری", "district": "15", "startdate": start, "insurance": "بیمه دارد"}
		cells := make([]xlsx.Cell, len(domain.PlacementFields))
		for i, f := range domain.PlacementFields {
			cells[i] = xlsx.Cell{Value: row[f.Key]}
		}
		if err := w.AddRow(0, cells...); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// watchHeap samples the heap in use until the returned func is called,
// which returns the highest sample.
func watchHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkExport100k asks for an Excel export of 100,000 placements through
// /export and waits for the workbook: the query streamed from Postgres, the
// rows streamed into the sheet, the totals with their chart, the upload.
//
//	go test -run '^$' -bench Export100k -benchtime 3x ./cmd/rasad
func BenchmarkExport100k(b *testing.B) {
	const rows = 100_000
	h := newHarness(b, nil)
	now := h.clock.Now()
	seedPlacements(b, h, rows, now)
	m := h.manager(9900, "Manager")
	runtime.GC()
	for b.Loop() {
		peak := watchHeap()
		requestExport(h, m, h.T("value.all_agencies"))
		doc, err := m.Next(2 * time.Minute)
		maxHeap := peak()
		b.StopTimer()
		if err != nil || doc.Document == nil {
			b.Fatalf("no export: %v", err)
		}
		if want := h.T("export.done", "n", domain.FormatNumber(rows, "fa"), "from", "۱ فروردین ۱۴۰۵", "to", "۱۷ خرداد ۱۴۰۵"); doc.Caption != want {
			b.Fatalf("caption %q, want %q", doc.Caption, want)
		}
		b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(len(doc.Document.Data))/(1<<20), "file-MB")
		b.StartTimer()
	}
}

// BenchmarkImportCommand10k is `rasad import placements` of the sheet
// BenchmarkBulkImport10k sends to the bot: the same rows, the same rules,
// from a file. Reported: seconds per import and the peak Go heap.
//
//	go test -run '^$' -bench ImportCommand -benchtime 3x ./cmd/rasad
func BenchmarkImportCommand10k(b *testing.B) {
	const rows = 10_000
	h := newHarness(b, nil) // for its database and catalogue
	h.stopAll()
	ctx := context.Background()
	now := time.Now()
	other := h.agencyID("industry")
	for i := range rows / 10 {
		must[domain.Placement](b)(h.db.CreatePlacement(ctx, samplePlacement(validCode(b, i), other, now), now))
	}
	header := placementHeader(h)
	getenv := env("DATABASE_URL", h.dbURL)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		file := filepath.Join(b.TempDir(), "sheet.xlsx")
		if err := os.WriteFile(file, benchSheet(b, header, rows, i, now), 0o600); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		peak := watchHeap()
		var out bytes.Buffer
		err := run(ctx, []string{"import", "placements", "--agency", "labour", file}, getenv, &out, io.Discard)
		maxHeap := peak()
		b.StopTimer()
		// A tenth held by another agency, a tenth invalid: status 1.
		if exit, ok := errors.AsType[*exitError](err); !ok || exit.code != 1 ||
			!strings.Contains(out.String(), fmt.Sprintf("%d saved, 0 already this agency's, %d duplicates, %d invalid", rows*8/10, rows/10, rows/10)) {
			b.Fatalf("import: %v\n%s", err, lastLines(out.String(), 2))
		}
		b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
		b.StartTimer()
	}
}

// BenchmarkExportCommand100k is `rasad export placements` of the 100,000
// placements BenchmarkExport100k asks the bot for, written to a file.
//
//	go test -run '^$' -bench ExportCommand -benchtime 3x ./cmd/rasad
func BenchmarkExportCommand100k(b *testing.B) {
	const rows = 100_000
	h := newHarness(b, nil)
	h.stopAll()
	ctx := context.Background()
	now := time.Now()
	seedPlacements(b, h, rows, now)
	getenv := env("DATABASE_URL", h.dbURL)
	file := filepath.Join(b.TempDir(), "export.xlsx")
	runtime.GC()
	for b.Loop() {
		peak := watchHeap()
		var out bytes.Buffer
		err := run(ctx, []string{"export", "placements", "--year", strconv.Itoa(cal.ProgramYear(now)), "--out", file}, getenv, &out, io.Discard)
		maxHeap := peak()
		b.StopTimer()
		if err != nil || !strings.Contains(out.String(), fmt.Sprintf("%d placements", rows)) {
			b.Fatalf("export: %v %s", err, out.String())
		}
		st := must[os.FileInfo](b)(os.Stat(file))
		b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
		b.StartTimer()
	}
}

// seedPlacements stores rows placements of now, spread over three agencies
// and the sectors.
func seedPlacements(b *testing.B, h *harness, rows int, now time.Time) {
	ctx := context.Background()
	agencies := []int64{h.agencyID("labour"), h.agencyID("industry"), h.agencyID("agriculture")}
	batch := make([]domain.Placement, 0, 10_000)
	for i := range rows {
		p := samplePlacement(validCode(b, i), agencies[i%3], now)
		p.Sector = domain.Sectors[i%3]
		batch = append(batch, p)
		if len(batch) == cap(batch) {
			must[[]domain.RowOutcome](b)(h.db.BulkCreatePlacements(ctx, batch, now))
			batch = batch[:0]
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
