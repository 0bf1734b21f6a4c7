// Package xlsxtest makes hostile workbooks for tests: small files that
// unpack to a huge cell, shared string or run of white space.
package xlsxtest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"strings"
)

// Bomb is what a hostile workbook unpacks to.
type Bomb int

const (
	HugeCell         Bomb = iota // one inline-string cell of n bytes
	HugeSharedString             // one shared string of n bytes, used by a cell
	HugeWhiteSpace               // n bytes of spaces between two rows' elements
	HugeTag                      // a cell element whose attributes take n bytes
)

func (b Bomb) String() string {
	return [...]string{"huge cell", "huge shared string", "huge white space", "huge tag"}[b]
}

// Make writes a workbook that a spreadsheet program would open, with a
// header row and bomb b of n bytes unpacked. It compresses about a
// thousand to one, so a 200 MB bomb is a file of about 200 KB.
func Make(b Bomb, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	part := func(name string, chunks ...func(io.Writer)) {
		w, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		for _, c := range chunks {
			c(w)
		}
	}
	text := func(s string) func(io.Writer) {
		return func(w io.Writer) { io.WriteString(w, s) }
	}
	repeat := func(c byte) func(io.Writer) {
		return func(w io.Writer) {
			chunk := []byte(strings.Repeat(string(c), 64<<10))
			for left := n; left > 0; left -= len(chunk) {
				w.Write(chunk[:min(left, len(chunk))])
			}
		}
	}
	part("[Content_Types].xml", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`+
		`</Types>`))
	part("_rels/.rels", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>`+
		`</Relationships>`))
	part("xl/workbook.xml", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`))
	part("xl/_rels/workbook.xml.rels", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`+
		`</Relationships>`))
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>National code</t></is></c></row>`
	const tail = `</sheetData></worksheet>`
	sst := []func(io.Writer){text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>`)}
	switch b {
	case HugeCell:
		part("xl/worksheets/sheet1.xml", text(head+`<row r="2"><c r="A2" t="inlineStr"><is><t>`), repeat('A'), text(`</t></is></c></row>`+tail))
		sst = append(sst, text("x"))
	case HugeSharedString:
		part("xl/worksheets/sheet1.xml", text(head+`<row r="2"><c r="A2" t="s"><v>0</v></c></row>`+tail))
		sst = append(sst, repeat('A'))
	case HugeWhiteSpace:
		part("xl/worksheets/sheet1.xml", text(head), repeat(' '), text(`<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>`+tail))
		sst = append(sst, text("x"))
	case HugeTag:
		part("xl/worksheets/sheet1.xml", text(head+`<row r="2"><c r="A2" t="inlineStr" x="`), repeat('A'), text(`"><is><t>x</t></is></c></row>`+tail))
		sst = append(sst, text("x"))
	}
	part("xl/sharedStrings.xml", append(sst, text(`</t></si></sst>`))...)
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
