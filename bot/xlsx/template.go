package xlsx

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// choicesSheet holds drop-down lists too long to inline. It is very hidden
// (only VBA can show it) and comes after the data sheet, so Read, which
// takes the first visible sheet, never sees it.
const choicesSheet = "_choices"

// WriteTemplate writes a workbook for users to fill: one sheet with a bold
// frozen header row, the columns' widths and formats (Text unless set),
// header comments from Note, drop-down lists from Choices on the first
// maxRows data rows (the whole column when maxRows <= 0), and the examples
// as rows under the header.
//
// The examples are ordinary rows: if the user leaves them in, Read returns
// them like any other.
func WriteTemplate(w io.Writer, s Sheet, examples [][]string, maxRows int) error {
	if len(s.Columns) == 0 {
		return errors.New("xlsx: template has no columns")
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := newSheet(f, 0, s); err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", s.Name, err)
	}
	lastRow := excelize.TotalRows
	if maxRows > 0 {
		lastRow = min(maxRows+1, lastRow)
	}
	st := &styles{f: f}
	for i, col := range s.Columns {
		if err := templateColumn(f, st, s.Name, i+1, col, lastRow); err != nil {
			return fmt.Errorf("xlsx: column %q: %w", col.Header, err)
		}
	}
	for r, row := range examples {
		if len(row) > len(s.Columns) {
			return fmt.Errorf("xlsx: example %d has %d cells, template %d columns", r+1, len(row), len(s.Columns))
		}
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			if err := f.SetCellStr(s.Name, cell, v); err != nil {
				return fmt.Errorf("xlsx: example %d: %w", r+1, err)
			}
		}
	}
	if err := f.SetPanes(s.Name, frozenHeader); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx: writing template: %w", err)
	}
	return nil
}

func templateColumn(f *excelize.File, st *styles, sheet string, n int, col Column, lastRow int) error {
	name, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return err
	}
	width := col.Width
	if width == 0 {
		width = headerWidth(col.Header)
	}
	if err := f.SetColWidth(sheet, name, name, width); err != nil {
		return err
	}
	format := col.Format
	if format == "" {
		format = Text
	}
	body, err := st.id(cellStyle{format: format})
	if err != nil {
		return err
	}
	if err := f.SetColStyle(sheet, name, body); err != nil {
		return err
	}
	head, err := st.id(cellStyle{format: format, header: true})
	if err != nil {
		return err
	}
	cell := name + "1"
	if err := f.SetCellStr(sheet, cell, col.Header); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, cell, cell, head); err != nil {
		return err
	}
	if col.Note != "" {
		err := f.AddComment(sheet, excelize.Comment{
			Cell: cell, Paragraph: []excelize.RichTextRun{{Text: col.Note}},
		})
		if err != nil {
			return err
		}
	}
	if len(col.Choices) == 0 {
		return nil
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("%s2:%s%d", name, name, lastRow)
	// Anything but a listed choice is refused with Excel's own message, in
	// the user's Office language. Pasted values bypass this; Read's caller
	// validates anyway.
	stop := "stop"
	dv.ShowErrorMessage, dv.ErrorStyle = true, &stop
	if err := dropList(f, dv, n, col.Choices); err != nil {
		return err
	}
	return f.AddDataValidation(sheet, dv)
}

// dropList sets the list of a drop-down. Excel keeps an inline list in a
// formula of at most 255 characters, separated by commas; the 31 provinces
// in Persian alone overflow it. Longer lists, or lists with commas, go into
// column n of the hidden choices sheet and the drop-down refers to them.
func dropList(f *excelize.File, dv *excelize.DataValidation, n int, choices []string) error {
	if !slices.ContainsFunc(choices, func(c string) bool { return strings.Contains(c, ",") }) {
		err := dv.SetDropList(choices)
		if err == nil {
			return nil
		}
		if !errors.Is(err, excelize.ErrDataValidationFormulaLength) {
			return err
		}
	}
	if idx, _ := f.GetSheetIndex(choicesSheet); idx < 0 {
		if _, err := f.NewSheet(choicesSheet); err != nil {
			return err
		}
		if err := f.SetSheetVisible(choicesSheet, false, true); err != nil {
			return err
		}
	}
	name, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return err
	}
	for i, c := range choices {
		if err := f.SetCellStr(choicesSheet, fmt.Sprintf("%s%d", name, i+1), c); err != nil {
			return err
		}
	}
	dv.SetSqrefDropList(fmt.Sprintf("'%s'!$%s$1:$%s$%d", choicesSheet, name, name, len(choices)))
	return nil
}
