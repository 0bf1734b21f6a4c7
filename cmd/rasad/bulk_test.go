package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"

	"github.com/rasad-gov/rasad/bot/xlsx/xlsxtest"
)

// A liaison fetches the template, fills 230 rows mixing good rows, repeats
// inside the file, people placed earlier (by their own agency and by
// another) and bad rows, and sends it back: each row's status says what
// became of it, and only the good rows are stored.
func TestBulkRegistrationFromSpreadsheet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(5001, "Liaison", "labour")
	now := h.clock.Now()
	ctx := context.Background()

	// Placed before the upload: 5 by this agency, 5 by another.
	for i := range 10 {
		agency := h.agencyID("labour")
		if i >= 5 {
			agency = h.agencyID("industry")
		}
		must[domain.Placement](t)(h.db.CreatePlacement(ctx, samplePlacement(validCode(t, 900+i), agency, now), now))
	}

	p.send("/template")
	tmpl, err := p.Next(wait)
	if err != nil || tmpl.Document == nil {
		t.Fatalf("template: %+v, %v", tmpl, err)
	}
	table := must[*xlsx.Table](t)(xlsx.Read(tmpl.Document.Data, 0))
	header := table.Header
	var example []string
	for _, cells := range table.Rows() {
		example = cells
	}
	table.Close()
	if len(header) != len(domain.PlacementFields) || header[0] != h.T("placement.nationalid.label") || len(example) != len(header) {
		t.Fatalf("template header %q, example %q", header, example)
	}

	type expect struct{ kind, contains string }
	var rows [][]string
	var want []expect
	row := func(code string, edit func(r []string)) []string {
		r := []string{code, "زهرا كريمي", "زن", "۱۳۷۵", "", "خدمات", "آرايشگري", "سالن نمونه", "مشاغل خانگی",
			"آموزش", "بدون تسهیلات", "", "ری", "شهری", "", "۱۴۰۵/۰۳/۱۰"}
		if len(rows)%3 == 0 {
			r[4] = "ندارد" // no mobile, said in words
		}
		if edit != nil {
			edit(r)
		}
		return r
	}
	// 200 good rows, Persian digits in half of them.
	for i := range 200 {
		code := string(validCode(t, i))
		if i%2 == 0 {
			code = domain.PersianDigits(code)
		}
		rows = append(rows, row(code, nil))
		want = append(want, expect{"saved", ""})
	}
	// Repeats of rows 2 and 3 of the sheet (the first two good rows).
	for i := range 2 {
		rows = append(rows, row(string(validCode(t, i)), nil))
		want = append(want, expect{"dup", h.T("bulk.dup_in_file", "row", domain.PersianDigits(fmt.Sprint(i+2)))})
	}
	// Placed earlier.
	for i := range 10 {
		rows = append(rows, row(string(validCode(t, 900+i)), nil))
		if i < 5 {
			want = append(want, expect{"dup", strings.Split(h.T("bulk.dup_own"), "(")[0]})
		} else {
			want = append(want, expect{"dup", h.T("bulk.dup_other", "agency", "سازمان صنعت، معدن و تجارت استان تهران", "date", "۱۷ خرداد ۱۴۰۵")})
		}
	}
	// Bad rows, each saying what is wrong.
	badCode := []byte(validCode(t, 500))
	badCode[9] = '0' + (badCode[9]-'0'+1)%10
	bad := []struct {
		edit func(r []string)
		want string
	}{
		{func(r []string) { r[0] = string(badCode) }, h.T("err.nationalid.checksum")},
		{func(r []string) { r[0] = "12345678901" }, h.T("err.nationalid.length")},
		{func(r []string) { r[3] = "1400" }, h.T("err.birthyear.range")},
		{func(r []string) { r[2] = "نامعلوم" }, h.T("err.gender.unknown")},
		{func(r []string) { r[15] = "1405/12/01" }, h.T("err.startdate.future")},
		{func(r []string) { r[5] = "" }, h.T("err.sector.missing")},
		{func(r []string) { r[10] = "وام قرض‌الحسنه" }, h.T("err.amount.range")},
		{func(r []string) { r[12] = "تهران" }, h.T("err.district.range")},
		{func(r []string) { r[4] = "02112345678" }, h.T("err.mobile.format")},
		{func(r []string) { r[1] = "Ali 2" }, h.T("err.name.chars")},
		// Every problem of a row at once, read cells and rules alike.
		{func(r []string) { r[3] = "13" }, h.T("err.birthyear.format")},
		{func(r []string) { r[3] = "13"; r[5] = "" }, h.T("err.sector.missing")},
		{func(r []string) { r[11] = "50,000,000" }, h.T("err.amount.unfunded")},
		{func(r []string) { r[14] = "5" }, h.T("err.district.outside")},
	}
	for i, b := range bad {
		rows = append(rows, row(string(validCode(t, 600+i)), b.edit))
		want = append(want, expect{"invalid", b.want})
	}
	// The example row left in is not registered.
	rows = append(rows, example)
	want = append(want, expect{"example", h.T("bulk.example_row")})
	if len(rows) < 200 {
		t.Fatal("too few rows")
	}

	var buf bytes.Buffer
	w := must[*xlsx.Writer](t)(xlsx.NewWriter(&buf, xlsx.Sheet{Name: "Sheet1", RTL: true, Columns: columnsOf(header)}))
	for _, r := range rows {
		cells := make([]xlsx.Cell, len(r))
		for i, v := range r {
			cells[i] = xlsx.Cell{Value: v}
		}
		if err := w.AddRow(0, cells...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	must[int](t)(p.SendDocument("filled.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes()))

	res, err := p.Next(10 * time.Second)
	if err != nil || res.Document == nil {
		t.Fatalf("result: %+v, %v", res, err)
	}
	wantCaption := h.T("bulk.summary", "saved", "۲۰۰", "duplicates", "۱۲", "invalid", "۱۴")
	if res.Caption != wantCaption {
		t.Errorf("caption %q, want %q", res.Caption, wantCaption)
	}
	out := must[*xlsx.Table](t)(xlsx.Read(res.Document.Data, 0))
	defer out.Close()
	if last := out.Header[len(out.Header)-1]; last != h.T("bulk.status") {
		t.Errorf("status header %q", last)
	}
	i := 0
	for n, cells := range out.Rows() {
		status := cells[len(cells)-1]
		w := want[i]
		switch w.kind {
		case "saved":
			if !strings.HasPrefix(status, strings.Split(h.T("bulk.saved"), "(")[0]) {
				t.Errorf("row %d: %q, want saved", n, status)
			}
		default:
			if !strings.Contains(status, w.contains) {
				t.Errorf("row %d: %q, want it to contain %q", n, status, w.contains)
			}
		}
		i++
	}
	if i != len(want) {
		t.Errorf("result has %d rows, want %d", i, len(want))
	}
	_, total, err := h.db.AgencyPlacements(ctx, h.agencyID("labour"), 1, 0)
	if err != nil || total != 205 {
		t.Errorf("labour has %d records (%v), want 200 new and 5 earlier", total, err)
	}
	stored := must[domain.Placement](t)(h.db.PlacementByNationalID(ctx, 1405, validCode(t, 0)))
	if stored.FullName != "زهرا کریمی" || stored.Activity != "آرایشگری" || stored.Gender != domain.GenderFemale {
		t.Errorf("stored row normalized as %+v", stored)
	}
}

func TestBulkRefusesWhatIsNotItsSheet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(5002, "Liaison", "labour")
	must[int](t)(p.SendDocument("report.pdf", "application/pdf", []byte("%PDF-1.4 not a sheet")))
	p.expect(h.T("bulk.not_spreadsheet"))

	var buf bytes.Buffer
	w := must[*xlsx.Writer](t)(xlsx.NewWriter(&buf, xlsx.Sheet{Name: "S", Columns: columnsOf([]string{"نام", "کد ملی"})}))
	must[struct{}](t)(struct{}{}, w.AddRow(0, xlsx.Cell{Value: "علی"}, xlsx.Cell{Value: "0012345678"}))
	must[struct{}](t)(struct{}{}, w.Close())
	must[int](t)(p.SendDocument("wrong.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes()))
	m := p.expect(strings.Split(h.T("bulk.wrong_columns"), "{")[0])
	if !strings.Contains(m.Text, h.T("placement.sector.label")) {
		t.Errorf("missing columns not named: %q", m.Text)
	}
	// Someone who is not a liaison sending a file is not registering anything.
	other := h.person(5003, "Other")
	must[int](t)(other.SendDocument("x.xlsx", "application/octet-stream", buf.Bytes()))
	other.expect(h.T("help.unknown"))
}

func columnsOf(header []string) []xlsx.Column {
	cols := make([]xlsx.Column, len(header))
	for i, h := range header {
		cols[i] = xlsx.Column{Header: h}
	}
	return cols
}

// Five hostile workbooks of about 200 KB each, sent at once by five
// liaisons, each unpacking to a huge cell, shared string, run of spaces or
// tag: each sender gets the sentence saying what is wrong, and the
// process's heap stays small throughout. Not parallel: the heap measured
// is the whole process's.
func TestBulkBombsAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	bombs := []struct {
		bomb xlsxtest.Bomb
		size int
		want string
	}{
		{xlsxtest.HugeCell, 200 << 20, h.T("bulk.too_large_unpacked", "max", domain.PersianDigits(fmt.Sprint(xlsx.MaxUnpacked>>20)))},
		{xlsxtest.HugeWhiteSpace, 200 << 20, h.T("bulk.too_large_unpacked", "max", domain.PersianDigits(fmt.Sprint(xlsx.MaxUnpacked>>20)))},
		{xlsxtest.HugeSharedString, 200 << 20, h.T("bulk.too_large_unpacked", "max", domain.PersianDigits(fmt.Sprint(xlsx.MaxUnpacked>>20)))},
		{xlsxtest.HugeCell, 60 << 20, h.T("bulk.cell_too_long")},
		{xlsxtest.HugeSharedString, 60 << 20, h.T("bulk.cell_too_long")},
	}
	files := make([][]byte, len(bombs))
	for i, b := range bombs {
		files[i] = xlsxtest.Make(b.bomb, b.size)
	}
	people := make([]person, len(bombs))
	for i := range bombs {
		people[i] = h.liaison(int64(5100+i), "Liaison", "labour")
	}
	runtime.GC()
	peak := watchHeap()
	for i, p := range people {
		must[int](t)(p.SendDocument(fmt.Sprintf("bomb%d.xlsx", i), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", files[i]))
	}
	for i, p := range people {
		if m := p.expect(bombs[i].want); m.Text != bombs[i].want {
			t.Errorf("%v of %d MB: %q", bombs[i].bomb, bombs[i].size>>20, m.Text)
		}
	}
	if maxHeap := peak(); maxHeap > 100<<20 {
		t.Errorf("peak heap %d MB with five bombs at once, want under 100 MB", maxHeap>>20)
	} else {
		t.Logf("peak heap %.1f MB with five bombs at once", float64(maxHeap)/(1<<20))
	}
}
