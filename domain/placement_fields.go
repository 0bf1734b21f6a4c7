package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// PlacementFields declares each field of a placement once. Everything that
// lists a placement's fields derives from this table: the conversation's
// steps, the review and the record card, the spreadsheet template, the
// import and the export (bot/), Postgres's column lists, arguments and scan
// targets (storage/postgres), and Placement.Check. It lives here because
// both the bot and storage need it and neither may import the other.
//
// A new field is one entry here, one migration adding its Column, and its
// catalogue texts: "placement.<Key>.prompt" and "placement.<Key>.label",
// "<Key>.<value>" for each choice, and "err.<Key>.<code>" for each error
// code its checks return.
//
// Values travel as text in the canonical form Parse returns and Get gives:
// national code "0012345678", mobile "+989121234567", numbers in ASCII
// digits ("1370", "50000000"), days as "2026-06-07" (DateLayout).
var PlacementFields = []PlacementField{
	{Key: FieldNationalID, Column: "national_id", Type: FieldCode,
		Parse: textParse(ParseNationalID), Check: func(p Placement, _ Calendar, _ time.Time) error { return checkNationalID(p.NationalID) },
		Example: func(Calendar, time.Time) string { return string(ExampleNationalID) },
		Get:     func(p *Placement, _ Calendar) string { return string(p.NationalID) },
		Set:     func(p *Placement, _ Calendar, v string) { p.NationalID = NationalID(v) }},
	{Key: "name", Column: "full_name", Type: FieldText,
		Parse: textParse(ParsePersonName), Check: func(p Placement, _ Calendar, _ time.Time) error { return checkParsed(p.FullName, ParsePersonName) },
		Get: func(p *Placement, _ Calendar) string { return p.FullName },
		Set: func(p *Placement, _ Calendar, v string) { p.FullName = v }},
	enumField("gender", "gender", Genders, GenderFemale, func(p *Placement) *Gender { return &p.Gender }),
	{Key: "birthyear", Column: "birth_year", Type: FieldNumber,
		Parse: func(s string, cal Calendar, now time.Time) (string, error) {
			y, err := ParseBirthYear(s, cal.ProgramYear(now))
			return strconv.Itoa(y), err
		},
		Check: func(p Placement, cal Calendar, now time.Time) error {
			return checkBirthYear(p.BirthYear, cal.ProgramYear(now))
		},
		Example: func(cal Calendar, now time.Time) string { return strconv.Itoa(cal.ProgramYear(now) - 30) },
		Get:     func(p *Placement, _ Calendar) string { return itoaOrEmpty(p.BirthYear) },
		Set:     func(p *Placement, _ Calendar, v string) { p.BirthYear, _ = strconv.Atoi(v) }},
	{Key: "mobile", Column: "mobile", Type: FieldCode, Optional: true,
		Parse: func(s string, _ Calendar, _ time.Time) (string, error) {
			switch strings.ToLower(Normalize(s)) {
			case "", "-", "ندارد", "none":
				return "", nil // optional; a sheet's cell may say so in words
			}
			m, err := ParseMobile(s)
			return string(m), err
		},
		Check: func(p Placement, _ Calendar, _ time.Time) error {
			if p.Mobile == "" {
				return nil
			}
			if m, err := ParseMobile(string(p.Mobile)); err != nil || m != p.Mobile {
				return Invalid("mobile.format")
			}
			return nil
		},
		Display: func(v string) string { return Mobile(v).Local() },
		Get:     func(p *Placement, _ Calendar) string { return string(p.Mobile) },
		Set:     func(p *Placement, _ Calendar, v string) { p.Mobile = Mobile(v) }},
	enumField("sector", "sector", Sectors, SectorServices, func(p *Placement) *Sector { return &p.Sector }),
	titleField("activity", "activity", func(p *Placement) *string { return &p.Activity }),
	titleField("employer", "employer", func(p *Placement) *string { return &p.Employer }),
	enumField("kind", "kind", JobKinds, KindHomeBusiness, func(p *Placement) *JobKind { return &p.Kind }),
	enumField("support", "support", Supports, SupportFinancing, func(p *Placement) *Support { return &p.Support }),
	enumField("funding", "funding", Fundings, FundingQardHasan, func(p *Placement) *Funding { return &p.Funding }),
	{Key: "amount", Column: "funding_amount", Type: FieldMoney,
		Skip: func(v map[string]string) bool { return v["funding"] == string(FundingNone) },
		Parse: func(s string, _ Calendar, _ time.Time) (string, error) {
			n, err := ParseAmount(s)
			return strconv.FormatInt(n, 10), err
		},
		Check: func(p Placement, _ Calendar, _ time.Time) error {
			switch {
			case p.Funding == FundingNone && p.FundingAmount != 0:
				return Invalid("amount.unfunded")
			case p.Funding != FundingNone && p.Funding != "" && (p.FundingAmount <= 0 || p.FundingAmount > MaxAmount):
				return Invalid("amount.range")
			}
			return nil
		},
		Example: func(Calendar, time.Time) string { return "300000000" },
		Get:     func(p *Placement, _ Calendar) string { return strconv.FormatInt(p.FundingAmount, 10) },
		Set:     func(p *Placement, _ Calendar, v string) { p.FundingAmount, _ = strconv.ParseInt(v, 10, 64) }},
	{Key: "county", Column: "county", Type: FieldText, Labels: LabelsCounty,
		Choices: countyCodes(),
		Check: func(p Placement, _ Calendar, _ time.Time) error {
			if _, ok := CountyByCode(p.County); !ok {
				return Invalid("county.unknown")
			}
			return nil
		},
		Example: func(Calendar, time.Time) string { return TehranCounty },
		Get:     func(p *Placement, _ Calendar) string { return p.County },
		Set:     func(p *Placement, _ Calendar, v string) { p.County = v }},
	enumField("area", "area", Areas, AreaUrban, func(p *Placement) *Area { return &p.Area }),
	{Key: "district", Column: "district", Type: FieldNumber, Labels: LabelsNumber, Optional: true,
		Choices: districtNumbers(),
		Skip:    func(v map[string]string) bool { return !NeedsDistrict(v["county"], Area(v["area"])) },
		Parse: func(s string, _ Calendar, _ time.Time) (string, error) {
			n, err := ParseDistrict(s)
			return strconv.Itoa(n), err
		},
		// A district is judged only once county and area are known: with
		// either missing or wrong, that field's error is the one to fix.
		Check: func(p Placement, _ Calendar, _ time.Time) error {
			_, countyOK := CountyByCode(p.County)
			switch {
			case NeedsDistrict(p.County, p.Area) && (p.District < 1 || p.District > Districts):
				return Invalid("district.range")
			case countyOK && slices.Contains(Areas, p.Area) && !NeedsDistrict(p.County, p.Area) && p.District != 0:
				return Invalid("district.outside")
			}
			return nil
		},
		Example: func(Calendar, time.Time) string { return "15" },
		Get:     func(p *Placement, _ Calendar) string { return itoaOrEmpty(p.District) },
		Set:     func(p *Placement, _ Calendar, v string) { p.District, _ = strconv.Atoi(v) }},
	{Key: "startdate", Column: "start_date", Type: FieldDate,
		Parse: func(s string, cal Calendar, now time.Time) (string, error) {
			d, err := cal.ParseStartDate(s, now)
			return cal.FormatDateValue(d), err
		},
		Check:   func(p Placement, cal Calendar, now time.Time) error { return cal.CheckStartDate(p.StartDate, now) },
		Example: func(cal Calendar, now time.Time) string { return cal.FormatDateValue(now) },
		Get:     func(p *Placement, cal Calendar) string { return cal.FormatDateValue(p.StartDate) },
		Set:     func(p *Placement, cal Calendar, v string) { p.StartDate = cal.ParseDateValue(v) }},
	{Key: "insurance", Column: "insurance", Type: FieldText,
		Choices: values(Insurances), Default: string(InsuranceUnknown),
		Example: func(Calendar, time.Time) string { return string(InsuranceInsured) },
		Get:     func(p *Placement, _ Calendar) string { return string(p.Insurance) },
		Set:     func(p *Placement, _ Calendar, v string) { p.Insurance = Insurance(v) }},
}

// FieldNationalID keys the field that identifies the person: a placement
// is unique by it in a program year.
const FieldNationalID = "nationalid"

// PlacementField is one field of a placement.
type PlacementField struct {
	// Key names the field in conversations, catalogues and sheet headers.
	Key string
	// Column is its column in table placements, and its name in the
	// audit trail.
	Column string
	Type   FieldType
	// Choices are the values a choice field takes, in the order offered;
	// nil for a field that is typed. Labels says where their labels come
	// from.
	Choices []string
	Labels  ChoiceLabels
	// Optional fields may hold no value at all (stored as NULL).
	Optional bool
	// Default is the value of a sheet's empty or absent cell, and what is
	// stored when none is given; empty: the cell is required (unless
	// Optional or skipped).
	Default string
	// Skip reports that the field is not asked given the other values (no
	// amount without funding); it then holds its zero value.
	Skip func(values map[string]string) bool
	// Parse reads typed text or a sheet's cell into the canonical value,
	// as of now (its day and program year reckoned by cal). A choice field
	// with Parse also takes what Parse accepts (a district typed as
	// "منطقه ۵").
	Parse func(text string, cal Calendar, now time.Time) (string, error)
	// Check judges the field's value in a whole placement, for
	// registration at now; nil for a choice field means one of Choices
	// ("<Key>.missing", "<Key>.unknown").
	Check func(p Placement, cal Calendar, now time.Time) error
	// Display is the value as people read it, in ASCII digits (a mobile
	// as 0912…); nil: the value itself.
	Display func(v string) string
	// Example is the template's example value; nil: the catalogue's
	// "bulk.example_<Key>" text, in the reader's language.
	Example func(cal Calendar, now time.Time) string
	// Get and Set read and write the field's canonical value; a day's
	// value is its day in cal's zone.
	Get func(p *Placement, cal Calendar) string
	Set func(p *Placement, cal Calendar, v string)
}

// FieldType is how a field's value is held and written.
type FieldType int

const (
	FieldText   FieldType = iota // words
	FieldCode                    // digits kept as text: leading zeros count
	FieldNumber                  // a whole number
	FieldMoney                   // rials
	FieldDate                    // a day, DateLayout
)

// ChoiceLabels says where a choice field's labels come from.
type ChoiceLabels int

const (
	LabelsCatalogue ChoiceLabels = iota // the catalogue's "<Key>.<value>"
	LabelsCounty                        // the county's name (Counties)
	LabelsNumber                        // the number, in the reader's digits
)

// DateLayout is how a day travels as a field value.
const DateLayout = time.DateOnly

// FormatDateValue is t's day in c's zone as a field value; "" for the
// zero time.
func (c Calendar) FormatDateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return c.In(t).Format(DateLayout)
}

// ParseDateValue is the midnight in c's zone a field value names; the zero
// time for "" or anything else.
func (c Calendar) ParseDateValue(v string) time.Time {
	t, _ := time.ParseInLocation(DateLayout, v, c.Location())
	return t
}

// Field returns the field keyed key.
func Field(key string) (PlacementField, bool) {
	i := slices.IndexFunc(PlacementFields, func(f PlacementField) bool { return f.Key == key })
	if i < 0 {
		return PlacementField{}, false
	}
	return PlacementFields[i], true
}

// check is f.Check, or for a choice field without one: one of Choices.
func (f PlacementField) check(p Placement, cal Calendar, now time.Time) error {
	if f.Check != nil {
		return f.Check(p, cal, now)
	}
	if f.Choices != nil {
		return oneOf(f.Get(&p, cal), f.Choices, f.Key)
	}
	return nil
}

// Skipped reports whether f is not asked given values.
func (f PlacementField) Skipped(values map[string]string) bool {
	return f.Skip != nil && f.Skip(values)
}

// SheetOptional reports whether a sheet may lack f's column.
func (f PlacementField) SheetOptional() bool {
	return f.Optional || f.Skip != nil || f.Default != ""
}

// Values are p's fields as text, without those skipped given the others;
// its days are those in cal's zone.
func (p Placement) Values(cal Calendar) map[string]string {
	v := make(map[string]string, len(PlacementFields))
	for _, f := range PlacementFields {
		v[f.Key] = f.Get(&p, cal)
	}
	for _, f := range PlacementFields {
		if f.Skipped(v) {
			delete(v, f.Key)
		}
	}
	return v
}

// PlacementFromValues builds the placement values describe, its days
// midnight in cal's zone; a field skipped under them stays zero whatever
// values holds for it.
func PlacementFromValues(cal Calendar, values map[string]string) Placement {
	var p Placement
	for _, f := range PlacementFields {
		if !f.Skipped(values) {
			f.Set(&p, cal, values[f.Key])
		}
	}
	return p
}

func enumField[T ~string](key, column string, all []T, example T, ptr func(*Placement) *T) PlacementField {
	return PlacementField{Key: key, Column: column, Type: FieldText, Choices: values(all),
		Example: func(Calendar, time.Time) string { return string(example) },
		Get:     func(p *Placement, _ Calendar) string { return string(*ptr(p)) },
		Set:     func(p *Placement, _ Calendar, v string) { *ptr(p) = T(v) }}
}

// titleField is an activity or an employer: its codes are the title's,
// renamed for the field ("activity.short").
func titleField(key, column string, ptr func(*Placement) *string) PlacementField {
	return PlacementField{Key: key, Column: column, Type: FieldText,
		Parse: textParse(ParseTitle),
		Check: func(p Placement, _ Calendar, _ time.Time) error {
			if _, err := ParseTitle(*ptr(&p)); err != nil {
				return Invalid(key + "." + strings.TrimPrefix(CodeOf(err), "title."))
			}
			return nil
		},
		Get: func(p *Placement, _ Calendar) string { return *ptr(p) },
		Set: func(p *Placement, _ Calendar, v string) { *ptr(p) = v }}
}

func textParse[T ~string](parse func(string) (T, error)) func(string, Calendar, time.Time) (string, error) {
	return func(s string, _ Calendar, _ time.Time) (string, error) {
		v, err := parse(s)
		return string(v), err
	}
}

func checkParsed[T ~string](v string, parse func(string) (T, error)) error {
	_, err := parse(v)
	return err
}

func values[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

func countyCodes() []string {
	out := make([]string, len(Counties))
	for i, c := range Counties {
		out[i] = c.Code
	}
	return out
}

func districtNumbers() []string {
	out := make([]string, Districts)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
