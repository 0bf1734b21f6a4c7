// Package xlsx reads and writes the spreadsheets the bot exchanges with its
// users: fill-in templates, uploaded sheets, per-row results and exports.
//
// It knows nothing of the bot's data: callers give it headers and rows of
// strings (or typed cells for exports). It wraps excelize and hides the parts
// of it that surprise: numbers coming back in scientific notation, the
// 255-character limit on drop-down lists, and the memory a 100,000-row sheet
// takes unless it is streamed.
package xlsx

import (
	"errors"
	"strings"
	"unicode"
)

// Errors Read returns for files the user should fix; the bot can tell them
// apart with errors.Is and answer the user in their language.
var (
	// ErrNotSpreadsheet: not an .xlsx workbook (PDF, CSV, legacy .xls,
	// password-protected, a zip of something else, ...).
	ErrNotSpreadsheet = errors.New("xlsx: not an xlsx spreadsheet")
	// ErrNoHeader: the first visible sheet has no non-blank row.
	ErrNoHeader = errors.New("xlsx: sheet has no header row")
	// ErrTooManyRows: more data rows than the caller allows.
	ErrTooManyRows = errors.New("xlsx: too many rows")
	// ErrTooManyColumns: a header wider than MaxColumns, usually a stray
	// cell far to the right of the real table.
	ErrTooManyColumns = errors.New("xlsx: too many columns")
	// ErrTooLargeUnpacked: a workbook that unpacks to more than
	// MaxUnpacked, whatever its size as sent.
	ErrTooLargeUnpacked = errors.New("xlsx: too large when unpacked")
	// ErrCellTooLong: a cell or a shared string longer than a cell can be.
	ErrCellTooLong = errors.New("xlsx: a cell is too long")
)

// MaxColumns is the widest header Read accepts.
const MaxColumns = 256

// Column describes one column of a sheet the package writes.
//
// There is no machine key written into the file: users re-type, reorder,
// delete and paste over rows, and a hidden key row would be sorted or pasted
// over with the rest. Callers match uploaded headers by text, through
// NormalizeHeader.
type Column struct {
	Header string  // row 1 text, in the user's language
	Width  float64 // in Excel character widths; 0 picks one from the header
	// Format is the Excel number format of the column's data cells, such as
	// "#,##0", "0.00" or "@" (Text). Empty means General, except in
	// templates, where it means Text: a national code or phone number typed
	// into a General cell becomes a number and loses its leading zeros.
	Format  string
	Choices []string // template only: a drop-down list on the column's cells
	Note    string   // template only: a comment on the header saying how to fill it
}

// Text is the number format that keeps whatever is typed as text.
const Text = "@"

// Sheet describes a worksheet the package writes.
type Sheet struct {
	Name    string // at most 31 characters, none of : \ / ? * [ ]
	RTL     bool   // right-to-left view, for Persian
	Columns []Column
}

// Kind colours a cell, so a user scanning thousands of result rows sees the
// ones to fix.
type Kind uint8

const (
	Plain     Kind = iota // no fill
	OK                    // green
	Duplicate             // orange
	Invalid               // red
)

// Status is the verdict on one uploaded row, written in the result's last
// column.
type Status struct {
	Text string
	Kind Kind
}

// NormalizeHeader folds the differences users don't see, so that a header
// typed on an Arabic keyboard, with a stray space or a zero-width mark,
// still matches: "كد  ملي " and "کد ملی" normalize alike.
//
// It trims and collapses white space (a zero-width non-joiner counts as a
// space: "کد‌ملی" and "کد ملی" are the same header to a user), maps Arabic
// yeh and kaf to Persian, drops tatweel and invisible direction marks, and
// lowercases ASCII. Digits are left alone.
func NormalizeHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending, written before the next visible rune
	for _, r := range s {
		switch r {
		case 'ي', 'ى': // Arabic yeh, alef maksura
			r = 'ی'
		case 'ك': // Arabic kaf
			r = 'ک'
		case '\u200c': // zero-width non-joiner
			r = ' '
		case 'ـ', // tatweel, only stretches letters
			'\u200b', '\u200d', '\u200e', '\u200f', '\ufeff',
			'\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
			'\u2066', '\u2067', '\u2068', '\u2069':
			continue
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// headerWidth guesses a column width that shows the whole header.
func headerWidth(header string) float64 { return FitWidth(header) }

// FitWidth guesses a column width that shows the longest of texts (a
// header and the cells below it) whole, within 12 to 60 characters.
func FitWidth(texts ...string) float64 {
	longest := 0
	for _, t := range texts {
		longest = max(longest, len([]rune(t)))
	}
	return min(max(float64(longest+4), 12), 60)
}
