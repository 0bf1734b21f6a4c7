package domain

import (
	"log/slog"
	"strings"
)

// NationalID is an Iranian national code (کد ملی): 10 ASCII digits with a
// valid check digit. It is personal data: Masked and LogValue keep it out
// of logs.
type NationalID string

// ParseNationalID reads a national code as people type it: any digit
// script, spaces, dashes and invisible marks. Codes of 8 or 9 digits lost
// their leading zeros in a spreadsheet and are padded back; anything
// longer than 10 digits is refused, never truncated.
func ParseNationalID(s string) (NationalID, error) {
	var d [10]byte
	n := 0
	for _, r := range Normalize(s) {
		switch {
		case isASCIIDigit(r):
			if n < len(d) {
				d[n] = byte(r)
			}
			n++
		case r == ' ', r == zwnj, isDash(r):
		default:
			return "", nationalIDError("chars")
		}
	}
	if n < 8 || n > 10 {
		return "", nationalIDError("length")
	}
	id := strings.Repeat("0", 10-n) + string(d[:n])
	if repeated(id) {
		return "", Invalid("nationalid.repeated")
	}
	if checkDigit(id[:9]) != id[9] {
		return "", Invalid("nationalid.checksum")
	}
	return NationalID(id), nil
}

// nationalIDError refuses a code; its sentence shows a valid one to copy.
func nationalIDError(code string) error {
	return &Error{Kind: KindInvalid, Code: "nationalid." + code, Args: []string{"example", string(ExampleNationalID)}}
}

// CompleteNationalID appends the check digit to the first nine digits of a
// code, for tests and load generators that need valid codes.
func CompleteNationalID(first9 string) (NationalID, error) {
	s := ASCIIDigits(first9)
	for _, r := range s {
		if !isASCIIDigit(r) {
			return "", nationalIDError("chars")
		}
	}
	if len(s) != 9 {
		return "", nationalIDError("length")
	}
	id := s + string(checkDigit(s))
	if repeated(id) {
		return "", Invalid("nationalid.repeated")
	}
	return NationalID(id), nil
}

// checkDigit computes the tenth digit from nine ASCII digits:
// s = Σ d[i]·(10−i), r = s mod 11, check = r if r < 2 else 11 − r.
func checkDigit(first9 string) byte {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(first9[i]-'0') * (10 - i)
	}
	r := sum % 11
	if r >= 2 {
		r = 11 - r
	}
	return byte('0' + r)
}

// repeated reports codes of one digit ten times: some pass the checksum
// ("1111111111") but none is issued.
func repeated(id string) bool {
	return strings.Count(id, id[:1]) == len(id)
}

// String is the full code, for storage and for the person it belongs to.
func (n NationalID) String() string { return string(n) }

// Masked shows only the last three digits: "*******123".
func (n NationalID) Masked() string { return mask(string(n), 0, 3) }

// LogValue makes slog write the masked form, so a code logged by mistake
// is not logged in full.
func (n NationalID) LogValue() slog.Value { return slog.StringValue(n.Masked()) }
