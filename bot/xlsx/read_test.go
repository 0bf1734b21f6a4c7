package xlsx_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/xuri/excelize/v2"

	"github.com/rasad-gov/rasad/bot/xlsx/xlsxtest"
)

// book builds a workbook with excelize in normal mode; set fills Sheet1.
func book(t testing.TB, set func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	set(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readAll reads data and collects its rows by row number.
func readAll(t testing.TB, data []byte, maxRows int) (*xlsx.Table, map[int][]string) {
	t.Helper()
	tb, err := xlsx.Read(data, maxRows)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	rows := make(map[int][]string)
	for n, cells := range tb.Rows() {
		rows[n] = cells
	}
	if err := tb.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != tb.Count {
		t.Errorf("ranged over %d rows, Count = %d", len(rows), tb.Count)
	}
	return tb, rows
}

func TestReadNumbersAsTyped(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}) // General, but styled
		must(t, err)
		twoDP, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
		must(t, err)
		shortDate, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		must(t, err)
		jalaliLike := "yyyy/mm/dd"
		customDate, err := f.NewStyle(&excelize.Style{CustomNumFmt: &jalaliLike})
		must(t, err)
		thousands, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
		must(t, err)

		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{
			"national", "phone", "exp", "long", "bold", "float", "year", "fixed", "date", "custom", "amount", "digits16", "neg",
		}))
		must(t, f.SetCellValue("Sheet1", "A2", 12345678))
		must(t, f.SetCellValue("Sheet1", "B2", 9121234567))
		// Written the way Java and some exporters write doubles.
		must(t, f.SetCellDefault("Sheet1", "C2", "1.2345678E7"))
		must(t, f.SetCellValue("Sheet1", "D2", 123456789012345))
		must(t, f.SetCellValue("Sheet1", "E2", 123456789012))
		must(t, f.SetCellStyle("Sheet1", "E2", "E2", bold))
		must(t, f.SetCellValue("Sheet1", "F2", 3.5))
		must(t, f.SetCellDefault("Sheet1", "G2", "1370.0"))
		must(t, f.SetCellValue("Sheet1", "H2", 3.5))
		must(t, f.SetCellStyle("Sheet1", "H2", "H2", twoDP))
		must(t, f.SetCellValue("Sheet1", "I2", time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)))
		must(t, f.SetCellStyle("Sheet1", "I2", "I2", shortDate))
		must(t, f.SetCellValue("Sheet1", "J2", time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)))
		must(t, f.SetCellStyle("Sheet1", "J2", "J2", customDate))
		must(t, f.SetCellValue("Sheet1", "K2", 1234567))
		must(t, f.SetCellStyle("Sheet1", "K2", "K2", thousands))
		// More digits than a double holds exactly: Excel itself keeps 15.
		must(t, f.SetCellDefault("Sheet1", "L2", "1234567890123456"))
		must(t, f.SetCellValue("Sheet1", "M2", -42))
	})
	_, rows := readAll(t, data, 10)
	want := []string{
		"12345678", "9121234567", "12345678", "123456789012345", "123456789012", "3.5", "1370",
		"3.50", "2026-06-07", "2026/06/07", "1,234,567", "1234567890123460", "-42",
	}
	if got := rows[2]; !slices.Equal(got, want) {
		t.Errorf("row 2:\n got %q\nwant %q", got, want)
	}
}

// Excel shows a date in the Persian calendar with a format like
// "[$-fa-IR,16]yyyy/mm/dd;@", which excelize can't render.
func TestReadPersianCalendarDates(t *testing.T) {
	june7 := time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)
	nowruz := time.Date(2025, 3, 21, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		code  string
		value any
		want  string
	}{
		{"[$-fa-IR,16]yyyy/mm/dd;@", june7, "1405/03/17"},
		{"[$-fa-IR,16]dddd d mmmm yyyy", nowruz, "1404/01/01"},
		{"[$-160429]yyyy/mm/dd", june7, "1405/03/17"},
		{"[$-fa-IR,16]yyyy/mm/dd;@", "۱۴۰۵/۳/۱۷", "۱۴۰۵/۳/۱۷"}, // text keeps its text
		{"[$-3010429]yyyy/mm/dd", june7, "2026/06/07"},         // Persian locale, Gregorian calendar
		{"[$-fa-IR]yyyy/mm/dd", june7, "2026/06/07"},
	}
	data := book(t, func(f *excelize.File) {
		for i, c := range cases {
			id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &c.code})
			must(t, err)
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			must(t, f.SetCellValue("Sheet1", cell, c.value))
			must(t, f.SetCellStyle("Sheet1", cell, cell, id))
			head, _ := excelize.CoordinatesToCellName(i+1, 1)
			must(t, f.SetCellStr("Sheet1", head, c.code))
		}
	})
	_, rows := readAll(t, data, 10)
	for i, c := range cases {
		if got := rows[2][i]; got != c.want {
			t.Errorf("%v as %q: %q, want %q", c.value, c.code, got, c.want)
		}
	}
}

func TestReadTextUnchanged(t *testing.T) {
	text := []string{"۰۹۱۲۱۲۳۴۵۶۷", "۱۴۰۵/۰۳/۱۷", "0012345678", " علی ", "كد ملي", "1E5x", "=1+1"}
	data := book(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b", "c", "d", "e", "f", "g"}))
		for i, s := range text {
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			must(t, f.SetCellStr("Sheet1", cell, s))
		}
	})
	_, rows := readAll(t, data, 10)
	if got := rows[2]; !slices.Equal(got, text) {
		t.Errorf("got %q, want %q", got, text)
	}
}

func TestReadSkipsBlankRowsAndFitsHeader(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		// Row 1 blank: the header is the first non-blank row.
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"نام", "", "کد ملی", " "}))
		must(t, f.SetSheetRow("Sheet1", "A3", &[]any{"علی"}))
		must(t, f.SetSheetRow("Sheet1", "A4", &[]any{"  ", "\t"})) // looks blank
		must(t, f.SetRowHeight("Sheet1", 5, 30))                   // a row element, no cells
		must(t, f.SetSheetRow("Sheet1", "A7", &[]any{"رضا", "x", "0012", "y", "beyond the header"}))
		must(t, f.SetSheetRow("Sheet1", "D8", &[]any{"", "only beyond the header"}))
	})
	tb, rows := readAll(t, data, 10)
	if want := []string{"نام", "", "کد ملی"}; !slices.Equal(tb.Header, want) {
		t.Errorf("header %q, want %q", tb.Header, want)
	}
	if tb.HeaderRow != 2 || tb.Count != 2 {
		t.Errorf("HeaderRow %d Count %d, want 2 and 2", tb.HeaderRow, tb.Count)
	}
	want := map[int][]string{3: {"علی", "", ""}, 7: {"رضا", "x", "0012"}}
	for n, cells := range want {
		if !slices.Equal(rows[n], cells) {
			t.Errorf("row %d: %q, want %q", n, rows[n], cells)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("rows %v", rows)
	}
}

func TestReadFirstVisibleSheet(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		must(t, f.SetCellStr("Sheet1", "A1", "hidden"))
		_, err := f.NewSheet("داده")
		must(t, err)
		must(t, f.SetCellStr("داده", "A1", "visible"))
		f.SetActiveSheet(1) // Excel won't hide the active sheet
		must(t, f.SetSheetVisible("Sheet1", false))
	})
	tb, _ := readAll(t, data, 10)
	if tb.Name != "داده" || tb.Header[0] != "visible" {
		t.Errorf("read sheet %q header %q", tb.Name, tb.Header)
	}
}

func TestReadRefuses(t *testing.T) {
	random := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	var otherZip bytes.Buffer
	zw := zip.NewWriter(&otherZip)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte("<document/>"))
	zw.Close()

	for name, c := range map[string]struct {
		data []byte
		want error
	}{
		"pdf":       {[]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"), xlsx.ErrNotSpreadsheet},
		"random":    {random, xlsx.ErrNotSpreadsheet},
		"csv":       {[]byte("نام,کد ملی\nعلی,0012345678\n"), xlsx.ErrNotSpreadsheet},
		"empty":     {nil, xlsx.ErrNotSpreadsheet},
		"xls":       {append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), random...), xlsx.ErrNotSpreadsheet},
		"docx":      {otherZip.Bytes(), xlsx.ErrNotSpreadsheet},
		"no header": {book(t, func(*excelize.File) {}), xlsx.ErrNoHeader},
		"blank only": {book(t, func(f *excelize.File) {
			must(t, f.SetCellStr("Sheet1", "B3", "   "))
		}), xlsx.ErrNoHeader},
	} {
		t.Run(name, func(t *testing.T) {
			tb, err := xlsx.Read(c.data, 10)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if tb != nil {
				t.Error("a Table with an error")
			}
		})
	}
}

func TestReadTooManyRows(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		must(t, f.SetCellStr("Sheet1", "A1", "کد"))
		for r := 2; r <= 6; r++ {
			must(t, f.SetCellInt("Sheet1", "A"+string(rune('0'+r)), int64(r)))
		}
	})
	if _, err := xlsx.Read(data, 4); !errors.Is(err, xlsx.ErrTooManyRows) {
		t.Fatalf("maxRows 4: err = %v", err)
	}
	for _, maxRows := range []int{5, 0} {
		tb, err := xlsx.Read(data, maxRows)
		if err != nil {
			t.Fatalf("maxRows %d: %v", maxRows, err)
		}
		if tb.Count != 5 {
			t.Errorf("Count %d", tb.Count)
		}
		tb.Close()
	}
}

// A stray value far to the right would make every row 16,384 cells wide.
func TestReadTooManyColumns(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		must(t, f.SetCellStr("Sheet1", "A1", "کد"))
		must(t, f.SetCellStr("Sheet1", "XFD1", "x"))
		must(t, f.SetCellStr("Sheet1", "A2", "1"))
	})
	if _, err := xlsx.Read(data, 0); !errors.Is(err, xlsx.ErrTooManyColumns) {
		t.Fatalf("err = %v, want ErrTooManyColumns", err)
	}
}

func TestRowsBreakAndRerange(t *testing.T) {
	data := book(t, func(f *excelize.File) {
		for r := 1; r <= 5; r++ {
			cell, _ := excelize.CoordinatesToCellName(1, r)
			must(t, f.SetCellInt("Sheet1", cell, int64(r)))
		}
	})
	tb, err := xlsx.Read(data, 10)
	must(t, err)
	defer tb.Close()
	for n := range tb.Rows() {
		if n != 2 {
			t.Fatalf("first row %d", n)
		}
		break
	}
	var ns []int
	for n := range tb.Rows() {
		ns = append(ns, n)
	}
	if !slices.Equal(ns, []int{2, 3, 4, 5}) || tb.Err() != nil {
		t.Errorf("second range: %v, %v", ns, tb.Err())
	}
}

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"كد ملي ":                "کد ملی",
		"  کد   ملی":             "کد ملی",
		"کد\u200cملی":            "کد ملی",
		"\u200fکد ملی\u200e":     "کد ملی",
		"کـــد\tملی\n":           "کد ملی",
		"National  CODE":         "national code",
		"سال تولد (۱۳۷۰)":        "سال تولد (۱۳۷۰)",
		"\u00a0ایميل\u00a0":      "ایمیل",
		"":                       "",
		" \u200c ":               "",
		"شماره\u200c \u200cتماس": "شماره تماس",
	} {
		if got := xlsx.NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

// Small files that unpack to a huge cell, shared string, run of spaces or
// tag are refused before excelize parses them, each with its own error,
// and the refusal holds one small buffer whatever the bomb's size.
func TestReadRefusesBombs(t *testing.T) {
	for _, c := range []struct {
		bomb xlsxtest.Bomb
		size int
		want error
	}{
		{xlsxtest.HugeCell, 200 << 20, xlsx.ErrTooLargeUnpacked},
		{xlsxtest.HugeSharedString, 200 << 20, xlsx.ErrTooLargeUnpacked},
		{xlsxtest.HugeWhiteSpace, 200 << 20, xlsx.ErrTooLargeUnpacked},
		{xlsxtest.HugeCell, 40 << 20, xlsx.ErrCellTooLong},
		{xlsxtest.HugeSharedString, 40 << 20, xlsx.ErrCellTooLong},
		{xlsxtest.HugeWhiteSpace, 40 << 20, xlsx.ErrNotSpreadsheet},
		{xlsxtest.HugeTag, 40 << 20, xlsx.ErrNotSpreadsheet},
	} {
		t.Run(fmt.Sprintf("%v %d MB", c.bomb, c.size>>20), func(t *testing.T) {
			data := xlsxtest.Make(c.bomb, c.size)
			if len(data) > 1<<20 {
				t.Fatalf("the bomb is %d bytes: not small", len(data))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tb, err := xlsx.Read(data, 10)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if tb != nil {
				t.Error("a Table with an error")
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("refusing it allocated %d MB", alloc>>20)
			}
		})
	}
	// Just under the limits, the same shapes are an ordinary sheet.
	for _, b := range []xlsxtest.Bomb{xlsxtest.HugeCell, xlsxtest.HugeSharedString} {
		tb, err := xlsx.Read(xlsxtest.Make(b, 30_000), 10)
		if err != nil {
			t.Fatalf("%v of 30,000 bytes: %v", b, err)
		}
		for _, cells := range tb.Rows() {
			if len(cells[0]) != 30_000 {
				t.Errorf("%v: cell of %d bytes", b, len(cells[0]))
			}
		}
		tb.Close()
	}
}
