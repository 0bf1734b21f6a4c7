package bot

import (
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// A placement's fields are declared once, in domain.PlacementFields. This
// file derives from each entry what the conversation and the spreadsheets
// show of it: the flow's step (placement.go), the review and record lines,
// and one column of the template, the import and the export (bulk.go,
// export.go), so a sheet's header and cells come from the same entry.

// fieldStep is the placement flow's step asking for f.
func (b *Bot) fieldStep(f domain.PlacementField) Step {
	st := Step{Field: f.Key, Input: InputText}
	if f.Parse != nil {
		st.Parse = func(_ *Ctx, text string) (string, error) { return f.Parse(text, b.cal, b.now()) }
	}
	if f.Choices != nil {
		st.Input = InputChoice
		st.Columns = autoColumns
		st.Choices = func(c *Ctx, _ *Session) ([]Choice, error) { return b.fieldChoices(f, c.Lang), nil }
	}
	if f.Skip != nil {
		st.Skip = func(s *Session) bool { return f.Skip(s.Answers) }
	}
	if f.Example != nil && f.Choices == nil {
		st.Example = func(c *Ctx) string { return b.typedExample(f, c.Lang) }
	}
	if f.Optional && f.Choices == nil {
		st.Shortcuts = []Shortcut{skipShortcut("btn.skip")}
	}
	switch f.Type {
	case domain.FieldDate:
		st.Shortcuts = []Shortcut{
			{Label: "btn.today", Text: func(*Ctx) string { return "today" }},
			{Label: "btn.yesterday", Text: func(*Ctx) string { return "yesterday" }},
		}
		st.Show = func(c *Ctx, v string) string { return c.date(b.cal.ParseDateValue(v)) }
	case domain.FieldMoney:
		st.Show = func(c *Ctx, v string) string {
			n, _ := strconv.ParseInt(v, 10, 64)
			return c.T("value.rials", "amount", domain.FormatNumber(n, c.Lang))
		}
	}
	if f.Display != nil {
		st.Show = func(c *Ctx, v string) string {
			if v == "" {
				return c.T("value.none")
			}
			return c.digits(f.Display(v))
		}
	}
	return st
}

// typedExample is f's example value as a user types it in lang: a sum
// grouped in threes, a day in Solar Hijri digits (1405/03/17).
func (b *Bot) typedExample(f domain.PlacementField, lang string) string {
	now := b.now()
	v := f.Example(b.cal, now)
	switch f.Type {
	case domain.FieldMoney:
		n, _ := strconv.ParseInt(v, 10, 64)
		return domain.FormatNumber(n, lang)
	case domain.FieldDate:
		v = b.cal.FormatJalaliNumeric(b.cal.ParseDateValue(v))
	}
	return digitsIn(lang, v)
}

// fieldChoices are f's choices with their labels in lang.
func (b *Bot) fieldChoices(f domain.PlacementField, lang string) []Choice {
	out := make([]Choice, len(f.Choices))
	for i, v := range f.Choices {
		out[i] = Choice{Value: v, Label: b.choiceLabel(f, v, lang)}
	}
	return out
}

// choiceLabel is the label in lang of choice v of f.
func (b *Bot) choiceLabel(f domain.PlacementField, v, lang string) string {
	switch f.Labels {
	case domain.LabelsCounty:
		return countyName(v, lang)
	case domain.LabelsNumber:
		return digitsIn(lang, v)
	}
	return b.cat.T(lang, f.Key+"."+v)
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

// fieldColumn is f's column in the template, the import's result and the
// export, in lang.
func (b *Bot) fieldColumn(f domain.PlacementField, lang string) xlsx.Column {
	col := xlsx.Column{Header: b.cat.T(lang, "placement."+f.Key+".label"), Format: xlsx.Text}
	switch f.Type {
	case domain.FieldNumber:
		col.Format = "0"
	case domain.FieldMoney:
		col.Format = "#,##0"
	}
	return col
}

// fieldCell is value v of f as a sheet writes it: a choice by its label in
// lang, a number as a number, a day in Solar Hijri digits (1405/03/17), a
// mobile as it is dialled. Import reads every one of these back (cellValue).
func (b *Bot) fieldCell(f domain.PlacementField, v, lang string) any {
	switch {
	case v == "":
		return nil
	case f.Choices != nil && f.Labels != domain.LabelsNumber:
		return b.choiceLabel(f, v, lang)
	case f.Type == domain.FieldNumber || f.Type == domain.FieldMoney:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return v
		}
		return n
	case f.Type == domain.FieldDate:
		return b.cal.FormatJalaliNumeric(b.cal.ParseDateValue(v))
	case f.Display != nil:
		return f.Display(v)
	}
	return v
}

// cellValue reads a sheet's cell (normalized, not empty) as f's value: a
// choice by its value or its label in any language, or what f's Parse
// accepts.
func (b *Bot) cellValue(f domain.PlacementField, cell string) (string, error) {
	if f.Choices == nil {
		return f.Parse(cell, b.cal, b.now())
	}
	key := headerKey(cell)
	for _, lang := range Languages {
		for _, v := range f.Choices {
			if key == headerKey(v) || key == headerKey(b.choiceLabel(f, v, lang)) {
				return v, nil
			}
		}
	}
	if f.Parse != nil {
		return f.Parse(cell, b.cal, b.now())
	}
	return "", domain.Invalid(f.Key + ".unknown")
}

func headerKey(s string) string {
	return strings.ToLower(strings.ReplaceAll(domain.Normalize(s), "\u200c", " "))
}

func digitsIn(lang, s string) string {
	if lang == "fa" {
		return domain.PersianDigits(s)
	}
	return s
}
