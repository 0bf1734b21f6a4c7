package domain

import (
	"unicode"
	"unicode/utf8"
)

// ParsePersonName reads a person's full name: 2–100 characters after
// Normalize, of letters in any script (with their combining marks),
// spaces, ZWNJ, hyphens, apostrophes and dots, and at least two letters.
// It returns the normalized name.
func ParsePersonName(s string) (string, error) {
	n := Normalize(s)
	switch c := utf8.RuneCountInString(n); {
	case c < 2:
		return "", Invalid("name.short")
	case c > 100:
		return "", Invalid("name.long")
	}
	letters := 0
	prev := ' '
	for _, r := range n {
		switch {
		case unicode.IsLetter(r):
			letters++
		case isMark(r):
			// Harakat and the like belong on a letter; a stray one is
			// garbage (or "zalgo" text).
			if !unicode.IsLetter(prev) && !isMark(prev) {
				return "", Invalid("name.chars")
			}
		case r == ' ', r == zwnj, r == '-', r == '.', r == '\'', r == '\u2019':
		default:
			return "", Invalid("name.chars")
		}
		prev = r
	}
	if letters < 2 {
		return "", Invalid("name.short")
	}
	return n, nil
}

// isMark reports combining marks: Arabic harakat, superscript alef, hamza
// above, and the marks other scripts' names are written with.
func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Mc) }

// ParseTitle reads a job title, position, activity or employer name: 2–100
// characters after Normalize, no control characters, at least one letter.
// It returns the normalized text.
func ParseTitle(s string) (string, error) {
	n := Normalize(s)
	switch c := utf8.RuneCountInString(n); {
	case c < 2:
		return "", Invalid("title.short")
	case c > 100:
		return "", Invalid("title.long")
	}
	letter := false
	for _, r := range n {
		switch {
		case unicode.IsControl(r), r == utf8.RuneError:
			return "", Invalid("title.chars")
		case unicode.IsLetter(r):
			letter = true
		}
	}
	if !letter {
		return "", Invalid("title.chars")
	}
	return n, nil
}

// MaxNote bounds a free note (a verifier's, an inspector's), in characters.
const MaxNote = 500

// ParseNote reads an optional free note: Normalize'd, at most MaxNote
// characters, no control characters; "" is no note.
func ParseNote(s string) (string, error) {
	n := Normalize(s)
	if utf8.RuneCountInString(n) > MaxNote {
		return "", Invalid("note.long")
	}
	for _, r := range n {
		if (unicode.IsControl(r) && r != '\n') || r == utf8.RuneError {
			return "", Invalid("title.chars")
		}
	}
	return n, nil
}
