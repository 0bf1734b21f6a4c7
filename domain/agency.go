package domain

import (
	"strings"
	"unicode"
)

// Agency is an executive body of the province that creates or supports jobs.
type Agency struct {
	ID     int64
	Code   string // short stable key used by imports: "labour"
	NameFa string
	NameEn string
	Active bool
}

// Name is the agency's name in lang, falling back to Persian.
func (a Agency) Name(lang string) string {
	if lang == "en" && a.NameEn != "" {
		return a.NameEn
	}
	return a.NameFa
}

// NewAgency validates and normalizes an agency read from an import or typed
// by an admin.
func NewAgency(code, nameFa, nameEn string) (Agency, error) {
	code = strings.ToLower(Normalize(code))
	nameFa = Normalize(nameFa)
	nameEn = Normalize(nameEn)
	if !validCode(code) {
		return Agency{}, Invalid("agency.code")
	}
	if nameFa == "" || len([]rune(nameFa)) > 200 || len([]rune(nameEn)) > 200 {
		return Agency{}, Invalid("agency.name")
	}
	return Agency{Code: code, NameFa: nameFa, NameEn: nameEn, Active: true}, nil
}

// validCode accepts 1–32 lower-case ASCII letters, digits, '-' and '_'.
func validCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseAgencyCode reads an agency's short key as an admin types it.
func ParseAgencyCode(s string) (string, error) {
	code := strings.ToLower(Normalize(s))
	if !validCode(code) {
		return "", Invalid("agency.code")
	}
	return code, nil
}

// ParseAgencyName reads an agency's name: 2 to 200 characters of text.
func ParseAgencyName(s string) (string, error) {
	name := Normalize(s)
	if n := len([]rune(name)); n < 2 || n > 200 || strings.ContainsFunc(name, unicode.IsControl) {
		return "", Invalid("agency.name")
	}
	return name, nil
}
