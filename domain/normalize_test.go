package domain

import (
	"errors"
	"math"
	"testing"
)

// wantCode fails t unless err is an Invalid *Error with the given code, or
// nil when code is "".
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want code %q", err, code)
	}
	if e.Kind != KindInvalid || e.Code != code {
		t.Fatalf("error = %v, want invalid: %s", err, code)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ascii", "hello", "hello"},
		{"persian digits", "۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"arabic-indic digits", "٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"arabic yeh", "علي", "علی"},
		{"alef maksura", "مصطفى", "مصطفی"},
		{"arabic kaf", "كريم", "کریم"},
		{"trim and collapse", "  علی \t\n  رضایی  ", "علی رضایی"},
		{"nbsp", "علی\u00a0رضایی", "علی رضایی"},
		{"crlf", "a\r\nb", "a b"},
		{"rlm lrm", "\u200f۰۹۱۲\u200e۱۲۳", "0912123"},
		{"alm", "\u061c12", "12"},
		{"embedding and isolate", "\u202b1401\u202c/\u20683\u2069", "1401/3"},
		{"bom zwsp", "\ufeffab\u200bc", "abc"},
		{"tatweel", "محـــمد", "محمد"},
		{"zwnj inside word", "می\u200cخواهم", "می\u200cخواهم"},
		{"zwnj run collapses", "می\u200c\u200cخواهم", "می\u200cخواهم"},
		{"zwnj at edges", "\u200cمی\u200c", "می"},
		{"zwnj next to space", "علی \u200cرضا\u200c رضایی", "علی رضا رضایی"},
		{"zwnj after dropped mark", "می\u200f\u200cخواهم", "می\u200cخواهم"},
		{"invalid utf8 dropped", "a\xffb\xc3", "ab"},
		{"only marks", "\u200f\u200c \u200e", ""},
		{"keeps case", "Ali", "Ali"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestDigits(t *testing.T) {
	if got := ASCIIDigits("۱۴۰۱/٠٣/17 علي"); got != "1401/03/17 علي" {
		t.Errorf("ASCIIDigits = %q", got)
	}
	if got := PersianDigits("1401/03/17 abc"); got != "۱۴۰۱/۰۳/۱۷ abc" {
		t.Errorf("PersianDigits = %q", got)
	}
	if got := ASCIIDigits(PersianDigits("0123456789")); got != "0123456789" {
		t.Errorf("round trip = %q", got)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		n    int64
		lang string
		want string
	}{
		{0, "en", "0"},
		{0, "fa", "۰"},
		{999, "en", "999"},
		{1000, "en", "1,000"},
		{42000, "en", "42,000"},
		{42000, "fa", "۴۲٬۰۰۰"},
		{1234567, "fa", "۱٬۲۳۴٬۵۶۷"},
		{1234567, "", "۱٬۲۳۴٬۵۶۷"},
		{-1234567, "en", "-1,234,567"},
		{-100, "en", "-100"},
		{-1000, "fa", "-۱٬۰۰۰"},
		{math.MaxInt64, "en", "9,223,372,036,854,775,807"},
		{math.MinInt64, "en", "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := FormatNumber(tt.n, tt.lang); got != tt.want {
			t.Errorf("FormatNumber(%d, %q) = %q, want %q", tt.n, tt.lang, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		s          string
		head, tail int
		want       string
	}{
		{"0012345679", 0, 3, "*******679"},
		{"+989121234567", 6, 4, "+98912***4567"},
		{"12", 0, 3, "**"},
		{"", 0, 3, ""},
	}
	for _, tt := range tests {
		if got := mask(tt.s, tt.head, tt.tail); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
