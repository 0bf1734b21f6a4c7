package domain

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Valid codes checked by hand with the formula:
//
//	0012345679: 1·8+2·7+3·6+4·5+5·4+6·3+7·2 = 112, 112 mod 11 = 2, 11−2 = 9
//	1234567891: 10+18+24+28+30+30+28+24+18 = 210, 210 mod 11 = 1 → 1
//	0499370899: 36+72+63+18+35+0+24+18 = 266, 266 mod 11 = 2 → 9
//	0000000140: 1·3+4·2 = 11, 11 mod 11 = 0 → 0
func TestParseNationalID(t *testing.T) {
	tests := []struct {
		name, in string
		want     NationalID
		code     string
	}{
		{"plain", "0012345679", "0012345679", ""},
		{"remainder one", "1234567891", "1234567891", ""},
		{"remainder zero", "0000000140", "0000000140", ""},
		{"another", "0499370899", "0499370899", ""},
		{"persian digits", "۰۰۱۲۳۴۵۶۷۹", "0012345679", ""},
		{"arabic-indic digits", "٠٤٩٩٣٧٠٨٩٩", "0499370899", ""},
		{"mixed scripts", "۰۰12345٦٧٩", "0012345679", ""},
		{"dashes", "001-234567-9", "0012345679", ""},
		{"spaces", " 001 234 5679 ", "0012345679", ""},
		{"en dash", "001–234567–9", "0012345679", ""},
		{"rlm marks", "\u200f۰۰۱۲۳۴۵۶۷۹\u200f", "0012345679", ""},
		{"zwnj", "۰۰۱۲۳\u200c۴۵۶۷۹", "0012345679", ""},
		{"nine digits padded", "499370899", "0499370899", ""},
		{"eight digits padded", "12345679", "0012345679", ""},
		{"eight persian digits padded", "۱۲۳۴۵۶۷۹", "0012345679", ""},
		{"empty", "", "", "nationalid.length"},
		{"seven digits", "1234567", "", "nationalid.length"},
		{"eleven digits", "00123456790", "", "nationalid.length"},
		{"eleven never truncated", "12345678912", "", "nationalid.length"},
		{"huge", strings.Repeat("1", 1000), "", "nationalid.length"},
		{"letter", "001234567a", "", "nationalid.chars"},
		{"dot", "001.234.5679", "", "nationalid.chars"},
		{"plus", "+0012345679", "", "nationalid.chars"},
		{"fullwidth digit", "００１２３４５６７９", "", "nationalid.chars"},
		{"zeros", "0000000000", "", "nationalid.repeated"},
		{"ones pass checksum", "1111111111", "", "nationalid.repeated"},
		{"eight zeros", "00000000", "", "nationalid.repeated"},
		{"persian twos", "۲۲۲۲۲۲۲۲۲۲", "", "nationalid.repeated"},
		{"bad check", "0012345678", "", "nationalid.checksum"},
		{"bad check padded", "12345678", "", "nationalid.checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNationalID(tt.in)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("ParseNationalID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompleteNationalID(t *testing.T) {
	tests := []struct {
		in   string
		want NationalID
		code string
	}{
		{"001234567", "0012345679", ""},
		{"123456789", "1234567891", ""},
		{"000000014", "0000000140", ""},
		{"۰۴۹۹۳۷۰۸۹", "0499370899", ""},
		{"12345678", "", "nationalid.length"},
		{"1234567890", "", "nationalid.length"},
		{"12345678a", "", "nationalid.chars"},
		{"111111111", "", "nationalid.repeated"},
	}
	for _, tt := range tests {
		got, err := CompleteNationalID(tt.in)
		wantCode(t, err, tt.code)
		if got != tt.want {
			t.Errorf("CompleteNationalID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every completed code parses back, and changing its check digit breaks it.
func TestCompleteNationalIDParses(t *testing.T) {
	for i := 0; i < 20000; i++ {
		first9 := strings.Repeat("0", 9)
		s := []byte(first9)
		for j, v := 8, i*7919; j >= 0 && v > 0; j, v = j-1, v/10 {
			s[j] = byte('0' + v%10)
		}
		id, err := CompleteNationalID(string(s))
		if err != nil {
			if CodeOf(err) == "nationalid.repeated" {
				continue
			}
			t.Fatalf("CompleteNationalID(%s): %v", s, err)
		}
		if got, err := ParseNationalID(string(id)); err != nil || got != id {
			t.Fatalf("ParseNationalID(%s) = %q, %v", id, got, err)
		}
		bad := []byte(id)
		bad[9] = '0' + (bad[9]-'0'+1)%10
		if _, err := ParseNationalID(string(bad)); CodeOf(err) != "nationalid.checksum" && CodeOf(err) != "nationalid.repeated" {
			t.Fatalf("ParseNationalID(%s) = %v, want checksum error", bad, err)
		}
	}
}

func TestNationalIDMaskedAndLogged(t *testing.T) {
	id := NationalID("0012345679")
	if got := id.String(); got != "0012345679" {
		t.Errorf("String = %q", got)
	}
	if got := id.Masked(); got != "*******679" {
		t.Errorf("Masked = %q", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("placement", "code", id)
	if strings.Contains(buf.String(), "0012345679") || !strings.Contains(buf.String(), "*******679") {
		t.Errorf("log line = %q", buf.String())
	}
}
