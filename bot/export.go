package bot

import (
	"bytes"
	"fmt"
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
	date := func(field string, shortcuts ...Shortcut) Step {
		return Step{Field: field, Input: InputText, Shortcuts: shortcuts,
			Parse: func(_ *Ctx, s string) (string, error) {
				d, err := domain.ParseJalaliDate(s, b.now())
				return d.Format(isoDate), err
			},
			Show: func(c *Ctx, v string) string { return c.date(parseISODate(v)) }}
	}
	return &Flow{
		Name: "export",
		Steps: []Step{
			date("from", Shortcut{Label: "btn.year_start", Text: func(c *Ctx) string {
				return domain.FormatJalaliNumeric(domain.YearStart(domain.ProgramYear(b.now())))
			}}),
			date("to", Shortcut{Label: "btn.today", Text: func(*Ctx) string { return "today" }}),
			{Field: "agency", Input: InputChoice, Columns: 1, Choices: func(c *Ctx, s *Session) ([]Choice, error) {
				agencies, err := b.agencyChoices(c, s)
				return append([]Choice{{Value: allValues, Label: c.T("value.all_agencies")}}, agencies...), err
			}},
			{Field: "sector", Input: InputChoice, Columns: 2, Choices: func(c *Ctx, _ *Session) ([]Choice, error) {
				return append([]Choice{{Value: allValues, Label: c.T("value.all_sectors")}}, enumChoices("sector", domain.Sectors)(b.cat, c.Lang)...), nil
			}},
		},
		Begin:  requireRole(domain.RoleManager, domain.RoleAdmin),
		Submit: b.exportSubmit,
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
	f := domain.ExportFilter{From: parseISODate(s.Answers["from"]), To: parseISODate(s.Answers["to"]).AddDate(0, 0, 1)}
	if f.To.Before(f.From) {
		return domain.Invalid("export.range")
	}
	if a := s.Answers["agency"]; a != allValues {
		f.AgencyID = mustID(a)
	}
	if sec := s.Answers["sector"]; sec != allValues {
		f.Sector = domain.Sector(sec)
	}
	b.chatAction(c, transport.ChatUploadDocument)
	data, rows, err := b.exportWorkbook(c, f)
	if err != nil {
		return err
	}
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: "rasad-" + time.Now().In(domain.Tehran).Format("2006-01-02") + ".xlsx", Bytes: data}}
	doc.Caption = c.T("export.done", "n", domain.FormatNumber(int64(rows), c.Lang), "from", c.date(f.From), "to", c.date(f.To.AddDate(0, 0, -1)))
	if err := b.send.Send(c, c.Chat, doc); err != nil {
		return err
	}
	return nil
}

// exportWorkbook writes the workbook and says how many placements it holds.
func (b *Bot) exportWorkbook(c *Ctx, f domain.ExportFilter) ([]byte, int, error) {
	T := func(key string) string { return c.T(key) }
	cols := []xlsx.Column{{Header: T("export.id"), Format: "0"}}
	for _, pf := range placementFields {
		col := xlsx.Column{Header: T("placement." + pf.key + ".label")}
		switch pf.key {
		case "amount":
			col.Format = "#,##0"
		case "birthyear", "district":
			col.Format = "0"
		case "nationalid", "mobile":
			col.Format = xlsx.Text
		}
		cols = append(cols, col)
	}
	cols = append(cols, xlsx.Column{Header: T("export.agency")}, xlsx.Column{Header: T("export.registered")},
		xlsx.Column{Header: T("record.verification")})
	totalCols := []xlsx.Column{{Header: T("export.agency")}, {Header: T("placement.sector.label")},
		{Header: T("export.count"), Format: "#,##0"}, {Header: T("export.target"), Format: "#,##0"}, {Header: T("export.percent"), Format: "0"}}
	rtl := c.Lang == "fa"
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, xlsx.Sheet{Name: T("export.placements"), RTL: rtl, Columns: cols},
		xlsx.Sheet{Name: T("export.totals"), RTL: rtl, Columns: totalCols})
	if err != nil {
		return nil, 0, err
	}
	defer w.Close()
	label := func(name, v string) string { return c.T(name + "." + v) }
	rows := 0
	cells := make([]xlsx.Cell, 0, len(cols))
	err = b.store.ExportPlacements(c, f, func(p domain.Placement, agency string) error {
		rows++
		cells = cells[:0]
		cells = append(cells, xlsx.Cell{Value: p.ID}, xlsx.Cell{Value: string(p.NationalID)}, xlsx.Cell{Value: p.FullName},
			xlsx.Cell{Value: label("gender", string(p.Gender))}, xlsx.Cell{Value: p.BirthYear}, xlsx.Cell{Value: p.Mobile.Local()},
			xlsx.Cell{Value: label("sector", string(p.Sector))}, xlsx.Cell{Value: p.Activity}, xlsx.Cell{Value: p.Employer},
			xlsx.Cell{Value: label("kind", string(p.Kind))}, xlsx.Cell{Value: label("support", string(p.Support))},
			xlsx.Cell{Value: label("funding", string(p.Funding))}, xlsx.Cell{Value: p.FundingAmount}, xlsx.Cell{Value: countyName(p.County, c.Lang)},
			xlsx.Cell{Value: nonZero(p.District)}, xlsx.Cell{Value: label("area", string(p.Area))},
			xlsx.Cell{Value: domain.FormatJalaliNumeric(p.StartDate)}, xlsx.Cell{Value: agency},
			xlsx.Cell{Value: domain.FormatJalaliNumeric(p.CreatedAt)}, xlsx.Cell{Value: label("verification", string(p.Verification))})
		return w.AddRow(0, cells...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("export placements: %w", err)
	}
	totals, err := b.store.ExportTotals(c, f)
	if err != nil {
		return nil, 0, fmt.Errorf("export totals: %w", err)
	}
	for _, t := range totals {
		name := t.AgencyFa
		if c.Lang == "en" && t.AgencyEn != "" {
			name = t.AgencyEn
		}
		var pct any
		if t.Target > 0 {
			pct = 100 * t.Count / t.Target
		}
		if err := w.AddRow(1, xlsx.Cell{Value: name}, xlsx.Cell{Value: label("sector", string(t.Sector))},
			xlsx.Cell{Value: t.Count}, xlsx.Cell{Value: t.Target}, xlsx.Cell{Value: pct}); err != nil {
			return nil, 0, err
		}
	}
	if err := w.AddBarChart(1, xlsx.BarChart{Title: T("export.chart_title"), Category: 0, Values: []int{2, 3}}); err != nil {
		return nil, 0, err
	}
	if err := w.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), rows, nil
}

func nonZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func countyName(code, lang string) string {
	if c, ok := domain.CountyByCode(code); ok {
		if lang == "en" {
			return c.NameEn
		}
		return c.NameFa
	}
	return code
}
