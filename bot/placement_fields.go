package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// placementField is one field of a placement, declared once: the flow's step,
// the spreadsheet's column and the record's display are all derived from
// this table. A new field is one entry here plus its catalogue texts
// "placement.<key>.prompt" and "placement.<key>.label".
type placementField struct {
	key   string
	input Input
	// parse checks typed text (or a spreadsheet cell) and returns the value
	// kept; choice fields are checked against their choices instead.
	parse     func(now time.Time, text string) (string, error)
	choices   func(cat *Catalogue, lang string) []Choice
	skip      func(answers map[string]string) bool
	shortcuts []Shortcut
	columns   int
	show      func(c *Ctx, v string) string
	set       func(p *domain.Placement, v string)
	get       func(p domain.Placement) string
}

// Values are kept as text in the session and in spreadsheets: national code
// "0012345678", years "1370", amounts "50000000", dates "2026-06-07".
const isoDate = "2006-01-02"

var placementFields = []placementField{
	{key: "nationalid", input: InputText,
		parse: textParser(domain.ParseNationalID),
		set:   func(p *domain.Placement, v string) { p.NationalID = domain.NationalID(v) },
		get:   func(p domain.Placement) string { return string(p.NationalID) }},
	{key: "name", input: InputText,
		parse: textParser(domain.ParsePersonName),
		set:   func(p *domain.Placement, v string) { p.FullName = v },
		get:   func(p domain.Placement) string { return p.FullName }},
	{key: "gender", input: InputChoice, columns: 2,
		choices: enumChoices("gender", domain.Genders),
		set:     func(p *domain.Placement, v string) { p.Gender = domain.Gender(v) },
		get:     func(p domain.Placement) string { return string(p.Gender) }},
	{key: "birthyear", input: InputText,
		parse: func(now time.Time, s string) (string, error) {
			y, err := domain.ParseBirthYear(s, now)
			return strconv.Itoa(y), err
		},
		set: func(p *domain.Placement, v string) { p.BirthYear, _ = strconv.Atoi(v) },
		get: func(p domain.Placement) string { return strconv.Itoa(p.BirthYear) }},
	{key: "mobile", input: InputText,
		parse: func(_ time.Time, s string) (string, error) {
			switch strings.ToLower(domain.Normalize(s)) {
			case "", "-", "ندارد", "none":
				return "", nil // optional; a sheet's cell may say so in words
			}
			m, err := domain.ParseMobile(s)
			return string(m), err
		},
		shortcuts: []Shortcut{{Label: "btn.skip", Text: func(*Ctx) string { return "" }}},
		show: func(c *Ctx, v string) string {
			if v == "" {
				return c.T("value.none")
			}
			return c.digits(domain.Mobile(v).Local())
		},
		set: func(p *domain.Placement, v string) { p.Mobile = domain.Mobile(v) },
		get: func(p domain.Placement) string { return string(p.Mobile) }},
	{key: "sector", input: InputChoice, columns: 3,
		choices: enumChoices("sector", domain.Sectors),
		set:     func(p *domain.Placement, v string) { p.Sector = domain.Sector(v) },
		get:     func(p domain.Placement) string { return string(p.Sector) }},
	{key: "activity", input: InputText,
		parse: textParser(domain.ParseTitle),
		set:   func(p *domain.Placement, v string) { p.Activity = v },
		get:   func(p domain.Placement) string { return p.Activity }},
	{key: "employer", input: InputText,
		parse: textParser(domain.ParseTitle),
		set:   func(p *domain.Placement, v string) { p.Employer = v },
		get:   func(p domain.Placement) string { return p.Employer }},
	{key: "kind", input: InputChoice, columns: 2,
		choices: enumChoices("kind", domain.JobKinds),
		set:     func(p *domain.Placement, v string) { p.Kind = domain.JobKind(v) },
		get:     func(p domain.Placement) string { return string(p.Kind) }},
	{key: "support", input: InputChoice, columns: 2,
		choices: enumChoices("support", domain.Supports),
		set:     func(p *domain.Placement, v string) { p.Support = domain.Support(v) },
		get:     func(p domain.Placement) string { return string(p.Support) }},
	{key: "funding", input: InputChoice, columns: 1,
		choices: enumChoices("funding", domain.Fundings),
		set:     func(p *domain.Placement, v string) { p.Funding = domain.Funding(v) },
		get:     func(p domain.Placement) string { return string(p.Funding) }},
	{key: "amount", input: InputText,
		skip: func(a map[string]string) bool { return a["funding"] == string(domain.FundingNone) },
		parse: func(_ time.Time, s string) (string, error) {
			n, err := domain.ParseAmount(s)
			return strconv.FormatInt(n, 10), err
		},
		show: func(c *Ctx, v string) string {
			n, _ := strconv.ParseInt(v, 10, 64)
			return c.T("value.rials", "amount", domain.FormatNumber(n, c.Lang))
		},
		set: func(p *domain.Placement, v string) { p.FundingAmount, _ = strconv.ParseInt(v, 10, 64) },
		get: func(p domain.Placement) string { return strconv.FormatInt(p.FundingAmount, 10) }},
	{key: "county", input: InputChoice, columns: 2,
		choices: countyChoices,
		set:     func(p *domain.Placement, v string) { p.County = v },
		get:     func(p domain.Placement) string { return p.County }},
	{key: "area", input: InputChoice, columns: 2,
		choices: enumChoices("area", domain.Areas),
		set:     func(p *domain.Placement, v string) { p.Area = domain.Area(v) },
		get:     func(p domain.Placement) string { return string(p.Area) }},
	{key: "district", input: InputChoice, columns: 6,
		skip:    func(a map[string]string) bool { return !domain.NeedsDistrict(a["county"], domain.Area(a["area"])) },
		choices: districtChoices,
		set:     func(p *domain.Placement, v string) { p.District, _ = strconv.Atoi(v) },
		get:     func(p domain.Placement) string { return strconv.Itoa(p.District) }},
	{key: "startdate", input: InputText,
		parse: func(now time.Time, s string) (string, error) {
			d, err := domain.ParseStartDate(s, now)
			return d.Format(isoDate), err
		},
		shortcuts: []Shortcut{
			{Label: "btn.today", Text: func(*Ctx) string { return "today" }},
			{Label: "btn.yesterday", Text: func(*Ctx) string { return "yesterday" }},
		},
		show: func(c *Ctx, v string) string { return c.date(parseISODate(v)) },
		set:  func(p *domain.Placement, v string) { p.StartDate = parseISODate(v) },
		get:  func(p domain.Placement) string { return p.StartDate.In(domain.Tehran).Format(isoDate) }},
}

func parseISODate(v string) time.Time {
	t, _ := time.ParseInLocation(isoDate, v, domain.Tehran)
	return t
}

func textParser[T ~string](parse func(string) (T, error)) func(time.Time, string) (string, error) {
	return func(_ time.Time, s string) (string, error) {
		v, err := parse(s)
		return string(v), err
	}
}

// enumChoices labels each value with its catalogue text "<name>.<value>".
func enumChoices[T ~string](name string, values []T) func(*Catalogue, string) []Choice {
	return func(cat *Catalogue, lang string) []Choice {
		out := make([]Choice, len(values))
		for i, v := range values {
			out[i] = Choice{Value: string(v), Label: cat.T(lang, name+"."+string(v))}
		}
		return out
	}
}

func countyChoices(_ *Catalogue, lang string) []Choice {
	out := make([]Choice, len(domain.Counties))
	for i, c := range domain.Counties {
		label := c.NameFa
		if lang == "en" {
			label = c.NameEn
		}
		out[i] = Choice{Value: c.Code, Label: label}
	}
	return out
}

func districtChoices(_ *Catalogue, lang string) []Choice {
	out := make([]Choice, domain.Districts)
	for i := range out {
		n := strconv.Itoa(i + 1)
		label := n
		if lang == "fa" {
			label = domain.PersianDigits(n)
		}
		out[i] = Choice{Value: n, Label: label}
	}
	return out
}

// placementFromAnswers builds the placement the answers describe; fields
// skipped under these answers stay empty whatever was typed before.
func placementFromAnswers(a map[string]string) domain.Placement {
	var p domain.Placement
	for _, f := range placementFields {
		if f.skip != nil && f.skip(a) {
			continue
		}
		f.set(&p, a[f.key])
	}
	return p
}

// answersFromPlacement pre-fills a correction with the record's values.
func answersFromPlacement(p domain.Placement) map[string]string {
	a := map[string]string{}
	for _, f := range placementFields {
		a[f.key] = f.get(p)
	}
	for _, f := range placementFields {
		if f.skip != nil && f.skip(a) {
			delete(a, f.key)
		}
	}
	return a
}
