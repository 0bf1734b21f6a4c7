package xlsx_test

import (
	"bytes"
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
