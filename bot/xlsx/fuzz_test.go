package xlsx_test

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/rasad-gov/rasad/bot/xlsx"
)

func FuzzNormalizeHeader(f *testing.F) {
	for _, s := range []string{"كد ملي ", "کد\u200cملی", " a  B ", "ـ\u200f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := xlsx.NormalizeHeader(s)
		if again := xlsx.NormalizeHeader(n); again != n {
			t.Errorf("not idempotent: %q → %q → %q", s, n, again)
		}
	})
}

// Uploads are untrusted: whatever the bytes, Read returns an error or a
// Table, and never panics.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, templateSheet, [][]string{{"a", "0012", "1370"}}, 10); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(upload(f, 3))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := xlsx.Read(data, 100)
		if err != nil {
			return
		}
		defer tb.Close()
		for _, cells := range tb.Rows() {
			if len(cells) != len(tb.Header) {
				t.Fatalf("row of %d cells under %d headers", len(cells), len(tb.Header))
			}
		}
	})
}

// FuzzReadSheet fuzzes the worksheet XML inside a valid package, where
// byte-level mutations of the zip rarely reach.
func FuzzReadSheet(f *testing.F) {
	base := upload(f, 2)
	f.Add([]byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>کد</t></is></c></row><row r="3"><c r="B3" s="1"><v>1.2345678E7</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<worksheet><sheetData><row><c t="s"><v>0</v></c><c><v>1E308</v></c></row><row r="1048576"><c r="XFD1048576"><v>-0</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		data := replacePart(t, base, "xl/worksheets/sheet1.xml", sheet)
		tb, err := xlsx.Read(data, 100)
		if err != nil {
			return
		}
		defer tb.Close()
		for _, cells := range tb.Rows() {
			if len(cells) != len(tb.Header) {
				t.Fatalf("row of %d cells under %d headers", len(cells), len(tb.Header))
			}
		}
	})
}

// replacePart copies the zip data with one part's content replaced.
func replacePart(t *testing.T, data []byte, name string, content []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == name {
			w.Write(content)
			continue
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, r)
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
