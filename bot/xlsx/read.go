package xlsx

import (
	"archive/zip"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/xuri/excelize/v2"
)

// What an upload may cost. A 10,000-row sheet of ours unpacks to about
// 10 MB of XML; Excel holds at most 32,767 characters in a cell. Every
// limit is checked before excelize parses anything, on the sizes the zip
// declares (archive/zip refuses to inflate past them) and by a scan of
// the XML that holds one small buffer, so a small file that unpacks to a
// huge cell, string or run of spaces costs neither memory nor much time.
const (
	// MaxUnpacked bounds the whole workbook unpacked.
	MaxUnpacked = 64 << 20
	// maxText bounds a run of text between two tags: a cell's or a shared
	// string's value (32,767 characters, each up to 6 bytes as an XML
	// entity), or the white space between elements.
	maxText = 256 << 10
	// maxTag bounds one tag with its attributes.
	maxTag = 64 << 10
	// maxXMLInMemory is the part size above which excelize streams a
	// worksheet or the shared strings through a temporary file.
	maxXMLInMemory = 4 << 20
)

// Table is the first visible sheet of an uploaded workbook, checked by Read:
// it has a header and no more data rows than allowed. Its rows are read
// again, streaming, each time Rows is ranged over. Close it when done.
type Table struct {
	Name      string   // the sheet's name
	Header    []string // the first non-blank row, trailing blank cells dropped
	HeaderRow int      // the header's row number, as Excel shows it
	Count     int      // non-blank data rows under the header

	f   *excelize.File
	err error
}

// Read opens an uploaded workbook (the caller limits its size), takes its
// first visible sheet and checks it: it refuses files that are not .xlsx
// (ErrNotSpreadsheet), have no non-blank row (ErrNoHeader) or more than
// maxRows non-blank rows under the header (ErrTooManyRows; maxRows <= 0
// means no limit). Counting reads the sheet once, so the bot can refuse a
// file before validating any of it.
//
// Cells come back as the user sees them, with exceptions made so codes and
// dates survive: numbers are never in scientific notation (12345678 typed
// as a number is "12345678", not "1.2345678E7"); dates in Excel's default
// short date format are "2006-01-02" whatever the locale; dates shown in
// the Persian calendar are "1405/03/17" whatever their format. Other
// formatted cells ("yyyy/mm/dd", "0.00", "#,##0") come back as displayed,
// unformatted dates as Excel's serial number, and text as typed, Persian
// digits and surrounding spaces included.
func Read(data []byte, maxRows int) (*Table, error) {
	if err := sniff(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    MaxUnpacked,
		UnzipXMLSizeLimit: maxXMLInMemory,
		ShortDatePattern:  "yyyy-mm-dd",
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSpreadsheet, err)
	}
	t := &Table{f: f}
	if err := t.open(maxRows); err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// sniff refuses what is plainly not an .xlsx before excelize parses it, and
// what would cost too much to parse: more than MaxUnpacked unpacked, or
// XML with a text or a tag longer than any sheet of ours has.
func sniff(data []byte) error {
	if bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")) {
		// An OLE compound file: a legacy .xls or an encrypted .xlsx.
		return fmt.Errorf("%w: legacy .xls or password-protected workbook", ErrNotSpreadsheet)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotSpreadsheet, err)
	}
	var size uint64
	for _, zf := range zr.File {
		// archive/zip refuses to inflate past the declared size, so the
		// declared sizes can be trusted.
		if size += zf.UncompressedSize64; size > MaxUnpacked {
			return fmt.Errorf("%w: more than %d MB", ErrTooLargeUnpacked, MaxUnpacked>>20)
		}
	}
	buf := make([]byte, 32<<10)
	for _, zf := range zr.File {
		if !isXMLPart(zf.Name) || zf.UncompressedSize64 <= maxText {
			continue // images, which excelize does not parse; parts too small to hold a long run
		}
		if err := scanXMLPart(zf, buf); err != nil {
			return err
		}
	}
	return nil
}

func isXMLPart(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") || strings.HasSuffix(name, ".vml")
}

// scanXMLPart reads part zf through buf and refuses a run of text longer
// than maxText (ErrCellTooLong, or ErrNotSpreadsheet if it is only white
// space) or a tag longer than maxTag (ErrNotSpreadsheet). It jumps from one
// '<' or '>' to the next, so it costs little more than the inflating.
func scanXMLPart(zf *zip.File, buf []byte) error {
	r, err := zf.Open()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotSpreadsheet, zf.Name, err)
	}
	defer r.Close()
	var (
		inTag bool
		run   int    // bytes since the last '<' or '>'
		blank = true // the text run so far is white space
	)
	for {
		n, err := r.Read(buf)
		for chunk := buf[:n]; len(chunk) > 0; {
			end := byte('<')
			if inTag {
				end = '>'
			}
			i := bytes.IndexByte(chunk, end)
			part := chunk
			if i >= 0 {
				part = chunk[:i]
			}
			run += len(part)
			if !inTag && blank && len(bytes.TrimLeft(part, " \t\r\n")) > 0 {
				blank = false
			}
			switch {
			case inTag && run > maxTag:
				return fmt.Errorf("%w: %s: a tag longer than %d KB", ErrNotSpreadsheet, zf.Name, maxTag>>10)
			case !inTag && run > maxText && blank:
				return fmt.Errorf("%w: %s: more than %d KB of white space", ErrNotSpreadsheet, zf.Name, maxText>>10)
			case !inTag && run > maxText:
				return fmt.Errorf("%w: %s: a text longer than %d KB", ErrCellTooLong, zf.Name, maxText>>10)
			}
			if i < 0 {
				break
			}
			inTag, run, blank = !inTag, 0, true
			chunk = chunk[i+1:]
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return fmt.Errorf("%w: %s: %w", ErrNotSpreadsheet, zf.Name, err)
		}
	}
}

func (t *Table) open(maxRows int) error {
	for _, name := range t.f.GetSheetList() {
		if visible, _ := t.f.GetSheetVisible(name); visible {
			t.Name = name
			break
		}
	}
	if t.Name == "" {
		return fmt.Errorf("%w: no visible worksheet", ErrNotSpreadsheet)
	}
	showGeneralInFull(t.f)
	markPersianDates(t.f)
	err := t.scan(func(n int, cells []string) bool {
		if t.HeaderRow == 0 {
			t.HeaderRow, t.Header = n, cells
			// A stray cell far to the right would make every row that
			// wide; no sheet of ours has more than a few dozen columns.
			return len(cells) <= MaxColumns
		}
		t.Count++
		return maxRows <= 0 || t.Count <= maxRows
	})
	switch {
	case err != nil:
		return err
	case t.HeaderRow == 0:
		return ErrNoHeader
	case len(t.Header) > MaxColumns:
		return fmt.Errorf("%w: %d columns, at most %d", ErrTooManyColumns, len(t.Header), MaxColumns)
	case maxRows > 0 && t.Count > maxRows:
		return fmt.Errorf("%w: more than %d", ErrTooManyRows, maxRows)
	}
	return nil
}

// Rows yields the data rows under the header: the row number as Excel shows
// it, and exactly len(Header) cells. Blank rows are skipped; cells right of
// the last header are dropped, having no column. Each slice is new and may
// be kept.
//
// Ranging again reads the sheet again. A failure ends the iteration and is
// kept for Err. Read has already decoded the whole sheet once, so a failure
// here is unlikely, but a caller about to report "all rows valid" checks.
func (t *Table) Rows() iter.Seq2[int, []string] {
	return func(yield func(int, []string) bool) {
		t.err = t.scan(func(n int, cells []string) bool {
			return n <= t.HeaderRow || yield(n, cells)
		})
	}
}

// Err reports the failure that ended the last range over Rows early.
func (t *Table) Err() error { return t.err }

// Close releases temporary files excelize keeps for large sheets.
func (t *Table) Close() error { return t.f.Close() }

// scan calls fn with each non-blank row, cut to the header's width once the
// header is known, until fn returns false.
func (t *Table) scan(fn func(n int, cells []string) bool) error {
	rows, err := t.f.Rows(t.Name)
	if err != nil {
		return fmt.Errorf("%w: sheet %q: %w", ErrNotSpreadsheet, t.Name, err)
	}
	for n := 1; rows.Next(); n++ { // one Next per row number, gaps included
		cells, err := rows.Columns()
		if err != nil {
			rows.Close()
			return fmt.Errorf("xlsx: row %d: %w", n, err)
		}
		if t.HeaderRow != 0 {
			cells = fit(cells, len(t.Header))
		} else {
			cells = cells[:lastNonBlank(cells)+1]
		}
		if lastNonBlank(cells) < 0 {
			continue
		}
		for i, c := range cells {
			cells[i] = jalali(unexponent(c))
		}
		if !fn(n, cells) {
			break
		}
	}
	closeErr := rows.Close()
	if err := rows.Error(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return closeErr
}

// fit pads or cuts cells to n.
func fit(cells []string, n int) []string {
	if len(cells) >= n {
		return cells[:n:n]
	}
	out := make([]string, n)
	copy(out, cells)
	return out
}

// lastNonBlank returns the index of the last cell with more than white
// space, or -1: a row of spaces looks blank to the user.
func lastNonBlank(cells []string) int {
	for i := len(cells) - 1; i >= 0; i-- {
		if strings.TrimSpace(cells[i]) != "" {
			return i
		}
	}
	return -1
}

// showGeneralInFull makes excelize return numbers in General-formatted
// cells in full. excelize imitates Excel's General display, which switches
// to scientific notation past 11 digits, and rounds: 123456789012 comes back
// "1.23456789E+11", the last digit lost. A code typed as a number must come
// back as typed, so styles with the General format are pointed at a format
// id excelize doesn't know, and excelize then returns the stored number,
// which it has already written without exponent. Only this in-memory copy
// changes; it is never saved.
func showGeneralInFull(f *excelize.File) {
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return
	}
	unknown := -1
	for i := range f.Styles.CellXfs.Xf {
		xf := &f.Styles.CellXfs.Xf[i]
		if xf.NumFmtID == nil || *xf.NumFmtID == 0 {
			xf.NumFmtID = &unknown
		}
	}
}

// exponent matches a number in the scientific notation excelize produces
// for numbers of more than 15 significant digits, or a cell formatted as
// "0.00E+00". Text that happens to look like it is rewritten too; a user
// typing "1E+05" as text is not a case worth a second pass over the sheet.
var exponent = regexp.MustCompile(`^-?\d(\.\d+)?E[+-]\d+$`)

// unexponent writes a number in scientific notation as plain digits.
func unexponent(s string) string {
	if len(s) < 4 || !strings.Contains(s, "E") || !exponent.MatchString(s) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// jalaliMark starts what excelize renders for a Persian-calendar date once
// markPersianDates has rewritten its format: a private-use character, which
// no one types.
const jalaliMark = "\uE000"

// markPersianDates rewrites the formats that show dates in the Persian
// (Solar Hijri) calendar, which excelize doesn't know: it would return the
// Gregorian date, or the serial number, of a cell the user sees as
// 1405/03/17. excelize renders the new format as a marked Gregorian day,
// which jalali converts.
func markPersianDates(f *excelize.File) {
	if f.Styles == nil || f.Styles.NumFmts == nil {
		return
	}
	for _, nf := range f.Styles.NumFmts.NumFmt {
		if nf != nil && persianCalendar(cmp.Or(nf.FormatCode16, nf.FormatCode)) {
			nf.FormatCode, nf.FormatCode16 = `"`+jalaliMark+`"yyyy-mm-dd`, ""
		}
	}
}

// localeTag matches a format code's locale: the "fa-IR,16" of
// "[$-fa-IR,16]yyyy/mm/dd;@", or the "160429" of "[$-160429]".
var localeTag = regexp.MustCompile(`\[\$[^\]-]*-([^\]]*)\]`)

// persianCalendar reports whether a format code uses the Persian calendar,
// Windows' calendar 22 (hex 16): written after a comma, or as the byte just
// above the language id in a hexadecimal locale.
func persianCalendar(code string) bool {
	for _, m := range localeTag.FindAllStringSubmatch(code, -1) {
		tag := m[1]
		if _, cal, ok := strings.Cut(tag, ","); ok {
			if cal == "16" {
				return true
			}
			continue
		}
		if _, err := strconv.ParseUint(tag, 16, 32); err == nil && len(tag) >= 6 && tag[len(tag)-6:len(tag)-4] == "16" {
			return true
		}
	}
	return false
}

// jalali turns a day marked by markPersianDates into the Jalali day.
func jalali(s string) string {
	day, ok := strings.CutPrefix(s, jalaliMark)
	if !ok {
		return s
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return domain.JalaliOf(t.Date()).String()
}
