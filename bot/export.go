package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// /export: placements as an Excel workbook, filtered by start dates, agency
// and sector; one right-to-left sheet of placements (streamed, so memory
// stays flat for 100,000 rows) and one of totals against targets with a
// native chart.

const allValues = "all"

func (b *Bot) exportFlow() *Flow {
	// Each date's example is the day its shortcut types.
	date := func(field string, example func(c *Ctx) string, shortcut Shortcut) Step {
		return Step{Field: field, Input: InputText, Shortcuts: []Shortcut{shortcut}, Example: example,
			Parse: func(_ *Ctx, s string) (string, error) {
				d, err := b.cal.ParseJalaliDate(s, b.now())
				return b.cal.FormatDateValue(d), err
			},
			Show: func(c *Ctx, v string) string { return c.date(b.cal.ParseDateValue(v)) }}
	}
	yearStart := func(c *Ctx) string {
		return c.digits(b.cal.FormatJalaliNumeric(b.cal.YearStart(b.cal.ProgramYear(b.now()))))
	}
	today := func(c *Ctx) string { return c.digits(b.cal.FormatJalaliNumeric(b.now())) }
	return &Flow{
		Name: "export",
		Steps: []Step{
			date("from", yearStart, Shortcut{Label: "btn.year_start", Text: yearStart}),
			date("to", today, Shortcut{Label: "btn.today", Text: func(*Ctx) string { return "today" }}),
			{Field: "agency", Input: InputChoice, Columns: 1, Choices: func(c *Ctx, s *Session) ([]Choice, error) {
				agencies, err := b.agencyChoices(c, s)
				return append([]Choice{{Value: allValues, Label: c.T("value.all_agencies")}}, agencies...), err
			}},
			{Field: "sector", Input: InputChoice, Columns: 2, Choices: func(c *Ctx, _ *Session) ([]Choice, error) {
				return append([]Choice{{Value: allValues, Label: c.T("value.all_sectors")}}, enumChoices(b.cat, "sector", domain.Sectors, c.Lang)...), nil
			}},
		},
		Begin:   requireRole(domain.RoleManager, domain.RoleAdmin),
		Submit:  b.exportSubmit,
		Confirm: "btn.download",
	}
}

func requireRole(roles ...domain.Role) func(*Ctx, *Session) error {
	return func(c *Ctx, _ *Session) error {
		for _, r := range roles {
			if c.User.Has(r) {
				return nil
			}
		}
		return domain.Forbidden("forbidden")
	}
}

func (b *Bot) cmdExport(c *Ctx, _ string) error { return b.startFlow(c, "export", nil) }

func (b *Bot) exportSubmit(c *Ctx, s *Session) error {
	f := domain.ExportFilter{From: b.cal.ParseDateValue(s.Answers["from"]), To: b.cal.ParseDateValue(s.Answers["to"]).AddDate(0, 0, 1)}
	if f.To.Before(f.From) {
		return domain.Invalid("export.range")
	}
	if a := s.Answers["agency"]; a != allValues {
		id, err := parseID(a)
		if err != nil {
			return domain.NotFound("agency.notfound")
		}
		f.AgencyID = id
	}
	if sec := s.Answers["sector"]; sec != allValues {
		f.Sector = domain.Sector(sec)
	}
	b.chatAction(c, transport.ChatUploadDocument)
	var buf bytes.Buffer
	rows, err := b.ExportPlacements(c, c.Lang, f, &buf)
	if err != nil {
		return err
	}
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: b.datedName(b.now(), ".xlsx"), Bytes: buf.Bytes()}}
	doc.Caption = c.N("export.done", rows, "n", domain.FormatNumber(int64(rows), c.Lang), "from", c.date(f.From), "to", c.date(f.To.AddDate(0, 0, -1)))
	if err := c.send(doc); err != nil {
		return err
	}
	return nil
}

// exportColumn is a column of the export's placements sheet other than a
// placement's fields, or of its totals: its header (a catalogue key), its
// number format, and its cell of a row.
type exportColumn[R any] struct {
	header string
	format string
	cell   func(r R) any
}

// recordColumns are the placements sheet's columns after the fields: the
// record's agency and registration, and its checking. They are export
// only: an import reads the field columns and leaves these.
func (b *Bot) recordColumns(lang string) []exportColumn[domain.ExportRow] {
	label := func(name, v string) any {
		if v == "" {
			return ""
		}
		return b.cat.T(lang, name+"."+v)
	}
	date := func(t time.Time) any {
		if t.IsZero() {
			return ""
		}
		return b.cal.FormatJalaliNumeric(t)
	}
	return []exportColumn[domain.ExportRow]{
		{header: "export.agency", cell: func(r domain.ExportRow) any { return r.AgencyFa }},
		{header: "export.registered", cell: func(r domain.ExportRow) any { return date(r.CreatedAt) }},
		{header: "record.verification", cell: func(r domain.ExportRow) any { return label("verification", string(r.Verification)) }},
		{header: "export.stage", cell: func(r domain.ExportRow) any { return label("queue", string(r.Stage)) }},
		{header: "export.outcome", cell: func(r domain.ExportRow) any { return label("outcome", string(r.LastOutcome)) }},
		{header: "export.checked_on", cell: func(r domain.ExportRow) any { return date(r.CheckedAt) }},
	}
}

// totalColumns are the figures of a row of totals: what counts against
// the target, and how far checking has gone.
var totalColumns = []exportColumn[domain.ExportTotal]{
	{header: "export.count", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Count }},
	{header: "export.target", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Target }},
	{header: "export.percent", format: "0.0", cell: func(t domain.ExportTotal) any {
		if t.Target <= 0 {
			return nil
		}
		return 100 * float64(t.Count) / float64(t.Target)
	}},
	{header: "export.sampled", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Sampled }},
	{header: "export.checked", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Checked() }},
	{header: "export.confirmed", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Confirmed }},
	{header: "export.rejected", format: "#,##0", cell: func(t domain.ExportTotal) any { return t.Rejected }},
}

// ExportPlacements writes to w the workbook of f's placements in lang, as
// /export sends it, and says how many placements it holds.
func (b *Bot) ExportPlacements(ctx context.Context, lang string, f domain.ExportFilter, w io.Writer) (int, error) {
	T := func(key string) string { return b.cat.T(lang, key) }
	header := func(key, format string) xlsx.Column { return xlsx.Column{Header: T(key), Format: format} }
	// Each column's header and cells come from its one entry (fieldColumn
	// and fieldCell, recordColumns, totalColumns), so they cannot disagree.
	record := b.recordColumns(lang)
	cols := []xlsx.Column{header("export.id", "0")}
	for _, pf := range domain.PlacementFields {
		cols = append(cols, b.fieldColumn(pf, lang))
	}
	for _, rc := range record {
		cols = append(cols, header(rc.header, rc.format))
	}
	// The totals are read first: their columns are as wide as their names.
	totals, err := b.store.ExportTotals(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("export totals: %w", err)
	}
	byAgency := sumAgencies(totals)
	names := []string{T("export.agency"), T("export.grand_total")}
	for _, t := range byAgency {
		names = append(names, t.Name(lang))
	}
	agencyCol := xlsx.Column{Header: T("export.agency"), Width: xlsx.FitWidth(names...)}
	var figures []xlsx.Column
	for _, tc := range totalColumns {
		figures = append(figures, header(tc.header, tc.format))
	}
	totalCols := append([]xlsx.Column{agencyCol, {Header: T("placement.sector.label")}}, figures...)
	agencyCols := append([]xlsx.Column{agencyCol}, figures...)
	rtl := lang == "fa"
	xw, err := xlsx.NewWriter(w, xlsx.Sheet{Name: T("export.placements"), RTL: rtl, Columns: cols},
		xlsx.Sheet{Name: T("export.totals"), RTL: rtl, Columns: totalCols},
		xlsx.Sheet{Name: T("export.by_agency"), RTL: rtl, Columns: agencyCols})
	if err != nil {
		return 0, err
	}
	defer xw.Close()
	label := func(name, v string) string { return b.cat.T(lang, name+"."+v) }
	rows := 0
	cells := make([]xlsx.Cell, 0, len(cols))
	values := make(map[string]string, len(domain.PlacementFields))
	err = b.store.ExportPlacements(ctx, f, func(r domain.ExportRow) error {
		rows++
		cells = append(cells[:0], xlsx.Cell{Value: r.ID})
		for _, pf := range domain.PlacementFields {
			values[pf.Key] = pf.Get(&r.Placement, b.cal)
		}
		for _, pf := range domain.PlacementFields {
			v := values[pf.Key]
			if pf.Skipped(values) {
				v = "" // not asked of this record: no amount without funding
			}
			cells = append(cells, xlsx.Cell{Value: b.fieldCell(pf, v, lang)})
		}
		for _, rc := range record {
			cells = append(cells, xlsx.Cell{Value: rc.cell(r)})
		}
		return xw.AddRow(0, cells...)
	})
	if err != nil {
		return 0, fmt.Errorf("export placements: %w", err)
	}
	figureCells := func(t domain.ExportTotal) []xlsx.Cell {
		out := make([]xlsx.Cell, len(totalColumns))
		for i, tc := range totalColumns {
			out[i] = xlsx.Cell{Value: tc.cell(t)}
		}
		return out
	}
	for _, t := range totals {
		if err := xw.AddRow(1, append([]xlsx.Cell{{Value: t.Name(lang)}, {Value: label("sector", string(t.Sector))}}, figureCells(t)...)...); err != nil {
			return 0, err
		}
	}
	for _, t := range byAgency {
		if err := xw.AddRow(2, append([]xlsx.Cell{{Value: t.Name(lang)}}, figureCells(t)...)...); err != nil {
			return 0, err
		}
	}
	grand := grandTotal(byAgency)
	if len(totals) > 0 {
		if err := xw.AddRow(1, append([]xlsx.Cell{{Value: T("export.grand_total")}, {}}, figureCells(grand)...)...); err != nil {
			return 0, err
		}
		if err := xw.AddRow(2, append([]xlsx.Cell{{Value: T("export.grand_total")}}, figureCells(grand)...)...); err != nil {
			return 0, err
		}
	}
	// One bar per agency, its percent of commitment: counts beside targets
	// a thousand times larger would not show.
	percent := 1 + slices.IndexFunc(totalColumns, func(tc exportColumn[domain.ExportTotal]) bool { return tc.header == "export.percent" })
	if err := xw.AddBarChart(2, xlsx.BarChart{Title: T("export.chart_title"), Category: 0, Values: []int{percent}, Rows: len(byAgency)}); err != nil {
		return 0, err
	}
	if err := xw.Close(); err != nil {
		return 0, err
	}
	return rows, nil
}

// sumAgencies adds each agency's sectors up, in the order of totals (by
// agency name); Sector is left empty.
func sumAgencies(totals []domain.ExportTotal) []domain.ExportTotal {
	var out []domain.ExportTotal
	for _, t := range totals {
		if n := len(out); n > 0 && out[n-1].AgencyID == t.AgencyID {
			out[n-1].Count += t.Count
			out[n-1].Target += t.Target
			out[n-1].Checking = out[n-1].Plus(t.Checking)
			continue
		}
		t.Sector = ""
		out = append(out, t)
	}
	return out
}

// grandTotal adds every agency up.
func grandTotal(agencies []domain.ExportTotal) domain.ExportTotal {
	var all domain.ExportTotal
	for _, t := range agencies {
		all.Count += t.Count
		all.Target += t.Target
		all.Checking = all.Plus(t.Checking)
	}
	return all
}

// datedName names a file the bot sends by its day in the Solar Hijri
// calendar, as its users date things: rasad-1405-09-13.xlsx.
func (b *Bot) datedName(t time.Time, ext string) string {
	return "rasad-" + strings.ReplaceAll(b.cal.FormatJalaliNumeric(t), "/", "-") + ext
}
