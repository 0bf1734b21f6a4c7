package xlsx

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Cell is one cell of an exported row. Value may be a string, any integer or
// float type, bool, time.Time or nil (an empty cell). Numbers are written as
// numbers, so managers can sum and sort them; pass a code such as a national
// code as a string, or it loses its leading zeros. A time.Time is written at
// its wall-clock time, shown as "2006-01-02 15:04" unless the column has a
// Format; Excel has no Persian calendar in plain formats, so pass Jalali
// dates as strings.
type Cell struct {
	Value any
	Kind  Kind
}

// Writer streams a workbook of one or more sheets: rows go to a buffer per
// sheet (spilling to a temporary file past 16 MB) rather than into
// excelize's in-memory model, so a 100,000-row export takes tens of MB, not
// gigabytes. Close then zips the workbook in memory before copying it to w,
// so the finished file's size is held once more.
//
// Each sheet gets a bold frozen header row and an auto-filter. A Writer is not
// safe for concurrent use.
type Writer struct {
	out    io.Writer
	f      *excelize.File
	sheets []*sheetWriter
	styles styles
	err    error // first failure; the workbook is not written after one
	closed bool
}

type sheetWriter struct {
	charts []BarChart
	name   string
	sw     *excelize.StreamWriter
	cols   []Column
	row    int   // last row written, 1 being the header
	vals   []any // reused per row: SetRow doesn't keep it
}

// dateTime shows a time.Time in a column without a Format.
const dateTime = "yyyy-mm-dd hh:mm"

type cellStyle struct {
	format string
	kind   Kind
	header bool
}

// NewWriter starts a workbook with the given sheets, in order, and writes
// their header rows. Close writes it to w.
func NewWriter(w io.Writer, sheets ...Sheet) (*Writer, error) {
	if len(sheets) == 0 {
		return nil, errors.New("xlsx: a workbook needs a sheet")
	}
	f := excelize.NewFile()
	xw := &Writer{out: w, f: f, styles: styles{f: f}}
	seen := make(map[string]bool)
	for i, s := range sheets {
		// Excel compares sheet names case-insensitively; two stream writers
		// on one sheet would corrupt it.
		key := strings.ToLower(s.Name)
		if seen[key] {
			xw.f.Close()
			return nil, fmt.Errorf("xlsx: duplicate sheet name %q", s.Name)
		}
		seen[key] = true
		if err := xw.addSheet(i, s); err != nil {
			xw.f.Close()
			return nil, fmt.Errorf("xlsx: sheet %q: %w", s.Name, err)
		}
	}
	return xw, nil
}

func (xw *Writer) addSheet(i int, s Sheet) error {
	if len(s.Columns) == 0 {
		return errors.New("no columns")
	}
	if err := newSheet(xw.f, i, s); err != nil {
		return err
	}
	sw, err := xw.f.NewStreamWriter(s.Name)
	if err != nil {
		return err
	}
	// Widths, column styles and panes must precede the first row. The
	// stream writer keeps each newly set column in front of the others and
	// writes them in that order; Excel wants them ascending, so set them
	// from the last.
	for c, col := range slices.Backward(s.Columns) {
		width := col.Width
		if width == 0 {
			width = headerWidth(col.Header)
		}
		if err := sw.SetColWidth(c+1, c+1, width); err != nil {
			return err
		}
		if col.Format != "" {
			// A column style, not a per-cell one: rows then pass plain
			// values and excelize applies the column's format.
			id, err := xw.styles.id(cellStyle{format: col.Format})
			if err != nil {
				return err
			}
			if err := sw.SetColStyle(c+1, c+1, id); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(frozenHeader); err != nil {
		return err
	}
	header := make([]any, len(s.Columns))
	for c, col := range s.Columns {
		id, err := xw.styles.id(cellStyle{format: col.Format, header: true})
		if err != nil {
			return err
		}
		header[c] = excelize.Cell{StyleID: id, Value: col.Header}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	xw.sheets = append(xw.sheets, &sheetWriter{
		name: s.Name, sw: sw, cols: s.Columns, row: 1,
		vals: make([]any, len(s.Columns)),
	})
	return nil
}

// AddRow appends a row to the sheet at index sheet (the order given to
// NewWriter). Cells past the sheet's columns are an error.
func (xw *Writer) AddRow(sheet int, cells ...Cell) error {
	if xw.err != nil {
		return xw.err
	}
	if xw.closed {
		return errors.New("xlsx: AddRow after Close")
	}
	if sheet < 0 || sheet >= len(xw.sheets) {
		return fmt.Errorf("xlsx: no sheet %d", sheet)
	}
	s := xw.sheets[sheet]
	if len(cells) > len(s.cols) {
		return fmt.Errorf("xlsx: sheet %q: row has %d cells, sheet %d columns", s.name, len(cells), len(s.cols))
	}
	clear(s.vals)
	for i, c := range cells {
		format := s.cols[i].Format
		if _, ok := c.Value.(time.Time); ok && format == "" {
			// Unstyled, excelize would look up a date style for every cell.
			format = dateTime
		}
		if c.Kind == Plain && format == s.cols[i].Format {
			s.vals[i] = c.Value // the column's style applies
			continue
		}
		id, err := xw.styles.id(cellStyle{format: format, kind: c.Kind})
		if err != nil {
			return xw.fail(err)
		}
		s.vals[i] = excelize.Cell{StyleID: id, Value: c.Value}
	}
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil { // past Excel's 1,048,576 rows
		return xw.fail(err)
	}
	if err := s.sw.SetRow(cell, s.vals); err != nil {
		return xw.fail(fmt.Errorf("xlsx: sheet %q row %d: %w", s.name, s.row, err))
	}
	return nil
}

func (xw *Writer) fail(err error) error {
	xw.err = err
	return err
}

// Close finishes the sheets, writes the workbook and removes temporary
// files. After a failed AddRow it writes nothing and returns that error.
// Calling it again does nothing, so it can also be deferred for cleanup.
func (xw *Writer) Close() error {
	if xw.closed {
		return nil
	}
	xw.closed = true
	defer xw.f.Close()
	if xw.err != nil {
		return xw.err
	}
	for _, s := range xw.sheets {
		last, err := excelize.CoordinatesToCellName(len(s.cols), s.row)
		if err != nil {
			return err
		}
		// The filter is set on the streamed sheet's model before Flush,
		// which writes it out; the header row is always there to hold it.
		if err := xw.f.AutoFilter(s.name, "A1:"+last, nil); err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", s.name, err)
		}
		// Like the filter, charts go into the streamed sheet's model
		// before Flush writes it.
		for _, c := range s.charts {
			if err := xw.addChart(s, c); err != nil {
				return fmt.Errorf("xlsx: sheet %q chart: %w", s.name, err)
			}
		}
		if err := s.sw.Flush(); err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", s.name, err)
		}
	}
	if err := xw.f.Write(xw.out); err != nil {
		return fmt.Errorf("xlsx: writing workbook: %w", err)
	}
	return nil
}

// WriteResult writes uploaded rows back, under the upload's header, with one
// more column, statusHeader, holding each row's Status and coloured by its
// Kind. Only s.Name and s.RTL are used. Data columns are Text, so a user
// correcting the result and sending it back keeps leading zeros.
//
// Rows are streamed: ranging over a Table's Rows while validating keeps the
// whole round trip in bounded memory. If rows stops early, the rows yielded
// so far are written; a caller abandoning the result discards w.
func WriteResult(w io.Writer, s Sheet, header []string, statusHeader string, rows iter.Seq2[[]string, Status]) error {
	cols := make([]Column, 0, len(header)+1)
	for _, h := range header {
		cols = append(cols, Column{Header: h, Format: Text})
	}
	cols = append(cols, Column{Header: statusHeader, Width: 40})
	xw, err := NewWriter(w, Sheet{Name: s.Name, RTL: s.RTL, Columns: cols})
	if err != nil {
		return err
	}
	defer xw.Close()
	cells := make([]Cell, len(cols))
	for row, st := range rows {
		clear(cells)
		for i, v := range row[:min(len(row), len(header))] {
			if v != "" {
				cells[i].Value = v
			}
		}
		cells[len(header)] = Cell{Value: st.Text, Kind: st.Kind}
		if err := xw.AddRow(0, cells...); err != nil {
			return err
		}
	}
	return xw.Close()
}

var frozenHeader = &excelize.Panes{
	Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
}

// newSheet creates the i-th sheet (renaming the default first one) and sets
// its direction, which must happen before a stream writer's first row.
func newSheet(f *excelize.File, i int, s Sheet) error {
	if i == 0 {
		if err := f.SetSheetName(f.GetSheetName(0), s.Name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(s.Name); err != nil {
		return err
	}
	if s.RTL {
		rtl := true
		return f.SetSheetView(s.Name, 0, &excelize.ViewOptions{RightToLeft: &rtl})
	}
	return nil
}

// Fills and fonts of Excel's own Good / Neutral / Bad cell styles, with
// orange for duplicates.
var kindColours = map[Kind]struct{ fill, font string }{
	OK:        {"C6EFCE", "006100"},
	Duplicate: {"FCD5B4", "974706"},
	Invalid:   {"FFC7CE", "9C0006"},
}

// styles creates each cell style once per workbook: excelize's NewStyle
// searches the existing ones on every call.
type styles struct {
	f   *excelize.File
	ids map[cellStyle]int
}

func (s *styles) id(cs cellStyle) (int, error) {
	if id, ok := s.ids[cs]; ok {
		return id, nil
	}
	id, err := s.f.NewStyle(cs.style())
	if err != nil {
		return 0, err
	}
	if s.ids == nil {
		s.ids = make(map[cellStyle]int)
	}
	s.ids[cs] = id
	return id, nil
}

func (cs cellStyle) style() *excelize.Style {
	var st excelize.Style
	switch cs.format {
	case "":
	case Text:
		st.NumFmt = 49 // built-in "@"; a custom "@" works too, but not everywhere
	default:
		st.CustomNumFmt = &cs.format
	}
	if cs.header {
		st.Font = &excelize.Font{Bold: true}
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}
		st.Alignment = &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
		st.Border = []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}}
	}
	if c, ok := kindColours[cs.kind]; ok {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}}
		st.Font = &excelize.Font{Color: c.font}
	}
	return &st
}

// BarChart is a native Excel bar chart of a sheet's own rows: categories
// from one column, one series per value column, all data rows.
type BarChart struct {
	Title    string
	Category int    // column index of the labels
	Values   []int  // column indexes of the series, named by their headers
	At       string // top-left cell, e.g. "H2"
	// Rows is how many data rows, from the first, are charted; 0 means all
	// (a total row below them stays out of the chart).
	Rows int
}

// AddBarChart puts a chart of sheet's rows on it when the workbook closes.
func (xw *Writer) AddBarChart(sheet int, c BarChart) error {
	if sheet < 0 || sheet >= len(xw.sheets) {
		return fmt.Errorf("xlsx: no sheet %d", sheet)
	}
	xw.sheets[sheet].charts = append(xw.sheets[sheet].charts, c)
	return nil
}

func (xw *Writer) addChart(s *sheetWriter, c BarChart) error {
	last := s.row
	if c.Rows > 0 {
		last = min(last, 1+c.Rows)
	}
	if last < 2 {
		return nil // no data rows: nothing to chart
	}
	ref := func(col, from, to int) (string, error) {
		a, err := excelize.CoordinatesToCellName(col+1, from, true)
		if err != nil {
			return "", err
		}
		b, err := excelize.CoordinatesToCellName(col+1, to, true)
		if err != nil {
			return "", err
		}
		return "'" + strings.ReplaceAll(s.name, "'", "''") + "'!" + a + ":" + b, nil
	}
	chart := &excelize.Chart{
		Type:   excelize.Bar,
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title}}},
		Legend: excelize.ChartLegend{Position: "bottom"},
		// A bar's label needs about 28 px to be read, and long Persian
		// names need the width.
		Dimension: excelize.ChartDimension{Width: 960, Height: uint(max(320, 80+28*(last-1)))},
	}
	cats, err := ref(c.Category, 2, last)
	if err != nil {
		return err
	}
	for _, v := range c.Values {
		name, err := ref(v, 1, 1)
		if err != nil {
			return err
		}
		vals, err := ref(v, 2, last)
		if err != nil {
			return err
		}
		chart.Series = append(chart.Series, excelize.ChartSeries{Name: name, Categories: cats, Values: vals})
	}
	at := c.At
	if at == "" {
		cell, err := excelize.CoordinatesToCellName(len(s.cols)+2, 2)
		if err != nil {
			return err
		}
		at = cell
	}
	return xw.f.AddChart(s.name, at, chart)
}
