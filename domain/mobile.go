package domain

import (
	"log/slog"
	"strings"
)

// Mobile is an Iranian mobile number in canonical form "+989xxxxxxxxx".
// It is personal data: Masked and LogValue keep it out of logs.
type Mobile string

// ParseMobile reads a mobile number in any digit script with spaces,
// dashes, parentheses and dots, in any of the forms people and Telegram
// use: 09121234567, 9121234567, +989121234567, 989121234567,
// 00989121234567, and "+98 (0)912…". Landlines, other countries and wrong
// lengths are refused.
func ParseMobile(s string) (Mobile, error) {
	var d []byte
	plus := false
	for _, r := range Normalize(s) {
		switch {
		case isASCIIDigit(r):
			if len(d) == 16 { // longer than any accepted form; stop early
				return "", Invalid("mobile.format")
			}
			d = append(d, byte(r))
		case r == '+' && !plus && len(d) == 0:
			plus = true
		case r == ' ', r == '(', r == ')', r == '.', r == zwnj, isDash(r):
		default:
			return "", Invalid("mobile.format")
		}
	}
	num := string(d)
	switch {
	case plus:
		if !strings.HasPrefix(num, "98") {
			return "", Invalid("mobile.format")
		}
		num = num[2:]
	case strings.HasPrefix(num, "0098"):
		num = num[4:]
	case strings.HasPrefix(num, "98") && len(num) >= 12:
		num = num[2:]
	}
	// The trunk zero of the local form, also written after the country
	// code ("+98 (0)912…").
	if len(num) == 11 && num[0] == '0' {
		num = num[1:]
	}
	if len(num) != 10 || num[0] != '9' {
		return "", Invalid("mobile.format")
	}
	return Mobile("+98" + num), nil
}

// valid reports whether m has the canonical shape.
func (m Mobile) valid() bool {
	if len(m) != 13 || !strings.HasPrefix(string(m), "+989") {
		return false
	}
	for _, c := range m[1:] {
		if !isASCIIDigit(c) {
			return false
		}
	}
	return true
}

// String is the canonical form, "+989121234567".
func (m Mobile) String() string { return string(m) }

// Local is the form Iranians read and dial, "09121234567". A value not in
// canonical form is returned as it is.
func (m Mobile) Local() string {
	if !m.valid() {
		return string(m)
	}
	return "0" + string(m[3:])
}

// International is the number with its country code and no "+",
// "989121234567": the form Bale's Safir service takes. A value not in
// canonical form is returned as it is.
func (m Mobile) International() string {
	if !m.valid() {
		return string(m)
	}
	return string(m[1:])
}

// Masked keeps the country and operator prefix and the last four digits:
// "+98912***4567".
func (m Mobile) Masked() string { return mask(string(m), 6, 4) }

// LogValue makes slog write the masked form.
func (m Mobile) LogValue() slog.Value { return slog.StringValue(m.Masked()) }
