package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwnj (نیم‌فاصله) joins the parts of one Persian word; it is meaningful
// inside a word and noise anywhere else.
const zwnj = '\u200c'

// Normalize makes typed Persian text comparable and storable: Persian and
// Arabic-Indic digits become ASCII, Arabic ي ى ك become Persian ی ی ک,
// invisible marks that phones and copy-paste insert are dropped, every run
// of white space becomes one space, the ends are trimmed, and ZWNJ is kept
// only between two non-space characters. Invalid UTF-8 bytes are dropped.
// Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	// Separators are held back until the next visible rune, so none is
	// written at either end and a space beats a ZWNJ next to it.
	var pendingSpace, pendingZWNJ bool
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, invisible(r):
			continue
		case unicode.IsSpace(r):
			pendingSpace = true
			continue
		case r == zwnj:
			pendingZWNJ = true
			continue
		}
		if b.Len() > 0 {
			if pendingSpace {
				b.WriteByte(' ')
			} else if pendingZWNJ {
				b.WriteRune(zwnj)
			}
		}
		pendingSpace, pendingZWNJ = false, false
		b.WriteRune(foldLetter(foldDigit(r)))
	}
	return b.String()
}

// invisible reports the marks that change nothing a reader sees: bidi
// controls (LRM, RLM, ALM, embeddings, isolates), zero-width space, word
// joiner, BOM, and the Arabic tatweel used to stretch letters.
func invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200e', '\u200f', '\u061c', '\u2060', '\ufeff', '\u0640':
		return true
	}
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// foldDigit maps Persian (۰–۹) and Arabic-Indic (٠–٩) digits to ASCII.
func foldDigit(r rune) rune {
	switch {
	case r >= '۰' && r <= '۹':
		return '0' + r - '۰'
	case r >= '٠' && r <= '٩':
		return '0' + r - '٠'
	}
	return r
}

// foldLetter maps the Arabic letters an Arabic keyboard types for Persian
// ی and ک, so "علي" and "علی" are the same name.
func foldLetter(r rune) rune {
	switch r {
	case 'ي', 'ى':
		return 'ی'
	case 'ك':
		return 'ک'
	}
	return r
}

// isASCIIDigit is the only digit test validators use: unicode.IsDigit is
// true for '۱' and for digits of a dozen other scripts.
func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// isDash reports the hyphens and dashes phones substitute for '-'.
func isDash(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\ufe63', '\uff0d':
		return true
	}
	return false
}

// ASCIIDigits maps Persian and Arabic-Indic digits in s to ASCII and
// leaves everything else alone.
func ASCIIDigits(s string) string { return strings.Map(foldDigit, s) }

// PersianDigits maps ASCII digits in s to Persian digits, for display.
func PersianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if isASCIIDigit(r) {
			return '۰' + r - '0'
		}
		return r
	}, s)
}

// FormatNumber writes n with thousands separators: ASCII digits and ","
// for lang "en", Persian digits and the Arabic thousands separator "٬"
// for anything else (Persian is the default language).
func FormatNumber(n int64, lang string) string {
	digits := strconv.FormatInt(n, 10) // handles math.MinInt64
	var b strings.Builder
	if digits[0] == '-' {
		b.WriteByte('-')
		digits = digits[1:]
	}
	sep := "٬"
	if lang == "en" {
		sep = ","
	}
	for i := 0; i < len(digits); i++ {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteByte(digits[i])
	}
	if lang == "en" {
		return b.String()
	}
	return PersianDigits(b.String())
}

// mask replaces all but the first head and last tail runes of s with '*';
// a value too short to keep both is masked entirely.
func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
