package xlsx_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"io"
	"iter"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/xuri/excelize/v2"
)

var provinces = []string{
	"آذربایجان شرقی", "آذربایجان غربی", "اردبیل", "اصفهان", "البرز", "ایلام", "بوشهر",
	"تهران", "چهارمحال و بختیاری", "خراسان جنوبی", "خراسان رضوی", "خراسان شمالی",
	"خوزستان", "زنجان", "سمنان", "سیستان و بلوچستان", "فارس", "قزوین", "قم", "کردستان",
	"کرمان", "کرمانشاه", "کهگیلویه و بویراحمد", "گلستان", "گیلان", "لرستان", "مازندران",
	"مرکزی", "هرمزگان", "همدان", "یزد",
}

var templateSheet = xlsx.Sheet{
	Name: "ثبت",
	RTL:  true,
	Columns: []xlsx.Column{
		{Header: "نام و نام خانوادگی", Width: 30},
		{Header: "کد ملی", Note: "ده رقم، مثل 0012345678"},
		{Header: "سال تولد", Note: "1370"},
		{Header: "جنسیت", Choices: []string{"زن", "مرد"}},
		{Header: "استان", Choices: provinces},
		{Header: "تاریخ شروع", Note: "1405/03/17"},
	},
}

func TestTemplateRoundTrip(t *testing.T) {
	examples := [][]string{
		{"مریم احمدی", "0012345678", "1370", "زن", "تهران", "1405/03/17"},
		{"علی رضایی", "1234567890", "۱۳۶۵", "مرد", "فارس"},
	}
	var buf bytes.Buffer
	must(t, xlsx.WriteTemplate(&buf, templateSheet, examples, 10000))

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	must(t, err)
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"ثبت", "_choices"}) {
		t.Fatalf("sheets %q", got)
	}
	if visible, _ := f.GetSheetVisible("_choices"); visible {
		t.Error("choices sheet visible")
	}
	view, err := f.GetSheetView("ثبت", 0)
	must(t, err)
	if view.RightToLeft == nil || !*view.RightToLeft {
		t.Error("not right-to-left")
	}
	panes, err := f.GetPanes("ثبت")
	must(t, err)
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v", panes)
	}
	dvs, err := f.GetDataValidations("ثبت")
	must(t, err)
	if len(dvs) != 2 {
		t.Fatalf("%d data validations, want 2", len(dvs))
	}
	short, long := dvs[0], dvs[1]
	if short.Sqref != "D2:D10001" || short.Type != "list" || short.Formula1 != `"زن,مرد"` || !short.ShowErrorMessage {
		t.Errorf("short list %+v", short)
	}
	if long.Sqref != "E2:E10001" || long.Type != "list" || long.Formula1 != `'_choices'!$E$1:$E$31` {
		t.Errorf("long list %+v", long)
	}
	listed, err := f.GetRows("_choices")
	must(t, err)
	for i, p := range provinces {
		if listed[i][4] != p {
			t.Fatalf("choice %d = %q, want %q", i, listed[i][4], p)
		}
	}
	comments, err := f.GetComments("ثبت")
	must(t, err)
	if len(comments) != 3 || comments[0].Cell != "B1" || comments[0].Paragraph[0].Text != "ده رقم، مثل 0012345678" {
		t.Errorf("comments %+v", comments)
	}
	style, err := f.GetCellStyle("ثبت", "A1")
	must(t, err)
	if st, _ := f.GetStyle(style); st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	// Data cells are Text, so "0012..." typed in stays text.
	if style, _ := f.GetCellStyle("ثبت", "B500"); style == 0 {
		t.Error("data cells have no style")
	} else if st, _ := f.GetStyle(style); st.NumFmt != 49 {
		t.Errorf("data cell format %d, want 49 (@)", st.NumFmt)
	}

	tb, rows := readAll(t, buf.Bytes(), 10000)
	var headers []string
	for _, c := range templateSheet.Columns {
		headers = append(headers, c.Header)
	}
	if !slices.Equal(tb.Header, headers) || tb.Name != "ثبت" {
		t.Errorf("header %q of %q", tb.Header, tb.Name)
	}
	if tb.Count != 2 {
		t.Fatalf("Count %d", tb.Count)
	}
	for i, ex := range examples {
		want := append(ex, make([]string, len(headers)-len(ex))...)
		if got := rows[i+2]; !slices.Equal(got, want) {
			t.Errorf("row %d: %q, want %q", i+2, got, want)
		}
	}
}

func TestTemplateRefuses(t *testing.T) {
	if err := xlsx.WriteTemplate(io.Discard, xlsx.Sheet{Name: "x"}, nil, 10); err == nil {
		t.Error("no columns: no error")
	}
	s := xlsx.Sheet{Name: "x", Columns: []xlsx.Column{{Header: "a"}}}
	if err := xlsx.WriteTemplate(io.Discard, s, [][]string{{"1", "2"}}, 10); err == nil {
		t.Error("example wider than the columns: no error")
	}
	if err := xlsx.WriteTemplate(io.Discard, xlsx.Sheet{Name: "a:b", Columns: s.Columns}, nil, 10); err == nil {
		t.Error("bad sheet name: no error")
	}
}

// upload builds an uploaded sheet of n rows, as a liaison would send it.
func upload(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, xlsx.Sheet{Name: "Sheet1", RTL: true, Columns: []xlsx.Column{
		{Header: "نام"}, {Header: "کد ملی"}, {Header: "تلفن"}, {Header: "استان"}, {Header: "سال تولد"}, {Header: "تاریخ"},
	}})
	must(t, err)
	for i := range n {
		must(t, w.AddRow(0,
			xlsx.Cell{Value: fmt.Sprintf("نام %d", i)},
			xlsx.Cell{Value: fmt.Sprintf("%010d", i*7919)},
			xlsx.Cell{Value: 9120000000 + i}, // a phone typed as a number
			xlsx.Cell{Value: provinces[i%len(provinces)]},
			xlsx.Cell{Value: 1350 + i%50},
			xlsx.Cell{Value: "1405/03/17"},
		))
	}
	must(t, w.Close())
	return buf.Bytes()
}

func status(n int) xlsx.Status {
	switch n % 3 {
	case 0:
		return xlsx.Status{Text: "ثبت شد", Kind: xlsx.OK}
	case 1:
		return xlsx.Status{Text: "تکراری: ردیف " + strconv.Itoa(n-1), Kind: xlsx.Duplicate}
	}
	return xlsx.Status{Text: "کد ملی نامعتبر", Kind: xlsx.Invalid}
}

// results pairs each row of tb with its status, as the bot would.
func results(tb *xlsx.Table) iter.Seq2[[]string, xlsx.Status] {
	return func(yield func([]string, xlsx.Status) bool) {
		for n, cells := range tb.Rows() {
			if !yield(cells, status(n)) {
				return
			}
		}
	}
}

func TestWriteResult10k(t *testing.T) {
	n := 10000
	if raceEnabled {
		n = 1000 // excelize under the race detector is ten times slower; the benchmark keeps 10,000
	}
	tb, err := xlsx.Read(upload(t, n), n)
	must(t, err)
	defer tb.Close()
	var out bytes.Buffer
	must(t, xlsx.WriteResult(&out, xlsx.Sheet{Name: "نتیجه", RTL: true}, tb.Header, "وضعیت", results(tb)))
	must(t, tb.Err())

	res, rows := readAll(t, out.Bytes(), n)
	if want := append(slices.Clone(tb.Header), "وضعیت"); !slices.Equal(res.Header, want) {
		t.Fatalf("header %q, want %q", res.Header, want)
	}
	if res.Count != n || res.Name != "نتیجه" {
		t.Fatalf("Count %d, sheet %q", res.Count, res.Name)
	}
	for r := 2; r <= n+1; r++ {
		i := r - 2
		got := rows[r]
		want := []string{
			fmt.Sprintf("نام %d", i), fmt.Sprintf("%010d", i*7919), strconv.Itoa(9120000000 + i),
			provinces[i%len(provinces)], strconv.Itoa(1350 + i%50), "1405/03/17", status(r).Text,
		}
		if !slices.Equal(got, want) {
			t.Fatalf("row %d: %q, want %q", r, got, want)
		}
	}

	f, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
	must(t, err)
	defer f.Close()
	view, err := f.GetSheetView("نتیجه", 0)
	must(t, err)
	if view.RightToLeft == nil || !*view.RightToLeft {
		t.Error("not right-to-left")
	}
	fills := map[xlsx.Kind]string{xlsx.OK: "C6EFCE", xlsx.Duplicate: "FCD5B4", xlsx.Invalid: "FFC7CE"}
	for r := 2; r <= 4; r++ { // one of each kind
		style, err := f.GetCellStyle("نتیجه", "G"+strconv.Itoa(r))
		must(t, err)
		st, err := f.GetStyle(style)
		must(t, err)
		if want := fills[status(r).Kind]; len(st.Fill.Color) != 1 || st.Fill.Color[0] != want {
			t.Errorf("G%d fill %v, want %s", r, st.Fill.Color, want)
		}
	}
	if names := f.GetDefinedName(); len(names) != 1 || names[0].Name != "_xlnm._FilterDatabase" ||
		names[0].RefersTo != fmt.Sprintf("'نتیجه'!$A$1:$G$%d", n+1) {
		t.Errorf("auto-filter %+v", names)
	}
}

// The stream writer writes <col> elements in the order they were set; Excel
// repairs a file whose columns aren't ascending.
func TestWriterColumnsAscending(t *testing.T) {
	var buf bytes.Buffer
	cols := []xlsx.Column{{Header: "a"}, {Header: "b", Format: "0.00"}, {Header: "c", Width: 30}, {Header: "d", Format: xlsx.Text}}
	w, err := xlsx.NewWriter(&buf, xlsx.Sheet{Name: "s", Columns: cols})
	must(t, err)
	must(t, w.Close())
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	must(t, err)
	r, err := zr.Open("xl/worksheets/sheet1.xml")
	must(t, err)
	sheet, err := io.ReadAll(r)
	must(t, err)
	got := regexp.MustCompile(`<col min="(\d+)"`).FindAllSubmatch(sheet, -1)
	var mins []string
	for _, m := range got {
		mins = append(mins, string(m[1]))
	}
	if !slices.Equal(mins, []string{"1", "2", "3", "4"}) {
		t.Errorf("col order %v in %s", mins, sheet)
	}
}

func TestWriteResultStopsEarly(t *testing.T) {
	var out bytes.Buffer
	rows := func(yield func([]string, xlsx.Status) bool) {
		yield([]string{"a", "b", "dropped"}, xlsx.Status{Text: "ok", Kind: xlsx.OK})
		yield([]string{"c"}, xlsx.Status{})
	}
	must(t, xlsx.WriteResult(&out, xlsx.Sheet{Name: "r"}, []string{"x", "y"}, "status", rows))
	_, got := readAll(t, out.Bytes(), 10)
	if !slices.Equal(got[2], []string{"a", "b", "ok"}) || !slices.Equal(got[3], []string{"c", "", ""}) {
		t.Errorf("rows %v", got)
	}
}

func TestWriterExport(t *testing.T) {
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf,
		xlsx.Sheet{Name: "خلاصه", RTL: true, Columns: []xlsx.Column{
			{Header: "استان"}, {Header: "تعداد", Format: "#,##0"}, {Header: "سهم", Format: "0.0%"},
		}},
		xlsx.Sheet{Name: "Details", Columns: []xlsx.Column{{Header: "code"}, {Header: "when"}, {Header: "ok"}}},
	)
	must(t, err)
	defer w.Close()
	must(t, w.AddRow(0, xlsx.Cell{Value: "تهران"}, xlsx.Cell{Value: 1234567}, xlsx.Cell{Value: 0.25, Kind: xlsx.OK}))
	must(t, w.AddRow(1, xlsx.Cell{Value: "0012345678"}, xlsx.Cell{Value: time.Date(2026, 6, 7, 9, 30, 0, 0, time.UTC)}, xlsx.Cell{Value: true}))
	must(t, w.AddRow(1)) // an empty row
	must(t, w.AddRow(1, xlsx.Cell{}, xlsx.Cell{Value: nil}, xlsx.Cell{Value: false}))
	if err := w.AddRow(2); err == nil {
		t.Error("AddRow to a missing sheet: no error")
	}
	if err := w.AddRow(0, make([]xlsx.Cell, 4)...); err == nil {
		t.Error("AddRow with too many cells: no error")
	}
	must(t, w.Close())
	must(t, w.Close()) // idempotent
	if err := w.AddRow(0); err == nil {
		t.Error("AddRow after Close: no error")
	}

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	must(t, err)
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"خلاصه", "Details"}) {
		t.Errorf("sheets %q", got)
	}
	for _, c := range []struct{ sheet, cell, want string }{
		{"خلاصه", "B2", "1,234,567"}, {"خلاصه", "C2", "25.0%"}, {"Details", "A2", "0012345678"},
		{"Details", "B2", "2026-06-07 09:30"}, {"Details", "C2", "TRUE"}, {"Details", "C4", "FALSE"},
	} {
		if got, _ := f.GetCellValue(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	// A number has no type attribute; a string is inline, never a formula.
	for cell, want := range map[string]excelize.CellType{"B2": excelize.CellTypeUnset, "A2": excelize.CellTypeInlineString} {
		if got, _ := f.GetCellType("خلاصه", cell); got != want {
			t.Errorf("%s type %v, want %v", cell, got, want)
		}
	}
	if raw, _ := f.GetCellValue("خلاصه", "B2", excelize.Options{RawCellValue: true}); raw != "1234567" {
		t.Errorf("B2 raw %q", raw)
	}
	if v, _ := f.GetSheetView("Details", 0); v.RightToLeft != nil && *v.RightToLeft {
		t.Error("Details is right-to-left")
	}
}

func TestNewWriterRefuses(t *testing.T) {
	cols := []xlsx.Column{{Header: "a"}}
	for name, sheets := range map[string][]xlsx.Sheet{
		"none":      nil,
		"duplicate": {{Name: "Data", Columns: cols}, {Name: "data", Columns: cols}},
		"bad name":  {{Name: "a/b", Columns: cols}},
		"long name": {{Name: strings.Repeat("ن", 32), Columns: cols}},
		"no cols":   {{Name: "x"}},
	} {
		if w, err := xlsx.NewWriter(io.Discard, sheets...); err == nil {
			w.Close()
			t.Errorf("%s: no error", name)
		}
	}
}

// BenchmarkReadWrite10k reads a 10,000-row upload and writes its result, the
// bot's whole round trip. peak-heap-B is the largest heap seen while it ran,
// garbage included: a rough bound on what one upload costs.
func BenchmarkReadWrite10k(b *testing.B) {
	const n = 10000
	data := upload(b, n)
	peak := heapPeak()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tb, err := xlsx.Read(data, n)
		if err != nil {
			b.Fatal(err)
		}
		var out bytes.Buffer
		if err := xlsx.WriteResult(&out, xlsx.Sheet{Name: "نتیجه", RTL: true}, tb.Header, "وضعیت", results(tb)); err != nil {
			b.Fatal(err)
		}
		tb.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(peak()), "peak-heap-B")
	b.ReportMetric(float64(len(data)), "upload-B")
}

// heapPeak samples the heap every millisecond until the returned function is
// called, which reports the largest sample above the heap at the start.
func heapPeak() func() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := read(); v > base {
					mu.Lock()
					peak = max(peak, v-base)
					mu.Unlock()
				}
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

// BenchmarkExport100k streams a 100,000-row, 12-column export, the largest
// the bot makes for managers.
func BenchmarkExport100k(b *testing.B) {
	cols := make([]xlsx.Column, 12)
	for i := range cols {
		cols[i] = xlsx.Column{Header: fmt.Sprintf("ستون %d", i+1)}
	}
	cols[3].Format, cols[4].Format = "#,##0", "yyyy-mm-dd"
	when := time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)
	row := make([]xlsx.Cell, len(cols))
	var size int
	peak := heapPeak()
	b.ReportAllocs()
	for b.Loop() {
		var out countingWriter
		w, err := xlsx.NewWriter(&out, xlsx.Sheet{Name: "کارها", RTL: true, Columns: cols})
		if err != nil {
			b.Fatal(err)
		}
		for i := range 100000 {
			row[0] = xlsx.Cell{Value: fmt.Sprintf("%010d", i*7919)}
			row[1] = xlsx.Cell{Value: "نام و نام خانوادگی " + strconv.Itoa(i)}
			row[2] = xlsx.Cell{Value: provinces[i%len(provinces)]}
			row[3] = xlsx.Cell{Value: 1000000 + i}
			row[4] = xlsx.Cell{Value: when}
			for c := 5; c < len(row); c++ {
				row[c] = xlsx.Cell{Value: "مقدار " + strconv.Itoa(c)}
			}
			row[11].Kind = xlsx.Kind(i % 4)
			if err := w.AddRow(0, row...); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		size = out.n
	}
	b.ReportMetric(float64(peak()), "peak-heap-B")
	b.ReportMetric(float64(size), "file-B")
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// A native chart written beside a streamed sheet ends up in the workbook.
func TestWriterBarChart(t *testing.T) {
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, xlsx.Sheet{Name: "جمع", RTL: true, Columns: []xlsx.Column{{Header: "دستگاه"}, {Header: "ثبت"}, {Header: "تعهد"}}})
	must(t, err)
	for i := range 5 {
		must(t, w.AddRow(0, xlsx.Cell{Value: fmt.Sprintf("دستگاه %d", i)}, xlsx.Cell{Value: i * 10}, xlsx.Cell{Value: 100}))
	}
	must(t, w.AddBarChart(0, xlsx.BarChart{Title: "پیشرفت", Category: 0, Values: []int{1, 2}}))
	must(t, w.Close())
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	must(t, err)
	var chart string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			rc, err := f.Open()
			must(t, err)
			b, err := io.ReadAll(rc)
			must(t, err)
			rc.Close()
			chart = html.UnescapeString(string(b))
		}
	}
	if !strings.Contains(chart, "'جمع'!$B$2:$B$6") || !strings.Contains(chart, "'جمع'!$A$2:$A$6") || !strings.Contains(chart, "پیشرفت") {
		t.Fatalf("chart part missing or wrong:\n%s", chart[max(0, strings.Index(chart, "<c:cat>")-10):])
	}
	// And the workbook still opens, with its rows.
	tb, err := xlsx.Read(buf.Bytes(), 0)
	must(t, err)
	defer tb.Close()
	if tb.Count != 5 {
		t.Errorf("rows %d", tb.Count)
	}
}
