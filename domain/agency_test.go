package domain

import (
	"strings"
	"testing"
)

func TestNewAgency(t *testing.T) {
	tests := []struct {
		name, code, fa, en string
		want               Agency
		err                string
	}{
		{"plain", "labour", "اداره کل تعاون، کار و رفاه اجتماعی", "Labour",
			Agency{Code: "labour", NameFa: "اداره کل تعاون، کار و رفاه اجتماعی", NameEn: "Labour", Active: true}, ""},
		{"normalized", " Jihad_Agri-1 ", "جهاد  كشاورزي", "", Agency{Code: "jihad_agri-1", NameFa: "جهاد کشاورزی", Active: true}, ""},
		{"persian digits in code", "district۲", "منطقه ۲", "", Agency{Code: "district2", NameFa: "منطقه 2", Active: true}, ""},
		{"empty code", "", "نام", "", Agency{}, "agency.code"},
		{"space in code", "a b", "نام", "", Agency{}, "agency.code"},
		{"persian code", "کار", "نام", "", Agency{}, "agency.code"},
		{"long code", strings.Repeat("a", 33), "نام", "", Agency{}, "agency.code"},
		{"32 code", strings.Repeat("a", 32), "نام", "", Agency{Code: strings.Repeat("a", 32), NameFa: "نام", Active: true}, ""},
		{"empty fa", "x", " \u200f ", "X", Agency{}, "agency.name"},
		{"long fa", "x", strings.Repeat("ن", 201), "", Agency{}, "agency.name"},
		{"long en", "x", "نام", strings.Repeat("n", 201), Agency{}, "agency.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAgency(tt.code, tt.fa, tt.en)
			wantCode(t, err, tt.err)
			if got != tt.want {
				t.Errorf("NewAgency = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAgencyName(t *testing.T) {
	a := Agency{NameFa: "جهاد کشاورزی", NameEn: "Agriculture"}
	if a.Name("en") != "Agriculture" || a.Name("fa") != "جهاد کشاورزی" || a.Name("") != "جهاد کشاورزی" {
		t.Errorf("Name: %q %q", a.Name("en"), a.Name("fa"))
	}
	if (Agency{NameFa: "جهاد"}).Name("en") != "جهاد" {
		t.Error("English name should fall back to Persian")
	}
}

func TestParseAgencyCodeAndName(t *testing.T) {
	for _, tc := range []struct {
		in, want, code string
	}{
		{" Labour ", "labour", ""},
		{"rural-credit_2", "rural-credit_2", ""},
		{"", "", "agency.code"},
		{"کار", "", "agency.code"},
		{strings.Repeat("a", 33), "", "agency.code"},
	} {
		got, err := ParseAgencyCode(tc.in)
		if got != tc.want || CodeOf(err) != tc.code {
			t.Errorf("ParseAgencyCode(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in, want, code string
	}{
		{"  سازمان جهاد كشاورزي ", "سازمان جهاد کشاورزی", ""},
		{"x", "", "agency.name"},
		{strings.Repeat("ب", 201), "", "agency.name"},
	} {
		got, err := ParseAgencyName(tc.in)
		if got != tc.want || CodeOf(err) != tc.code {
			t.Errorf("ParseAgencyName(%q) = %q, %v", tc.in, got, err)
		}
	}
}
