package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// A row of a sheet as a liaison might fill it, and the placement the bot
// must store from it.
type sheetCase struct {
	cells map[string]string // by field key; absent: the cell is left empty
	want  domain.Placement
}

// roundTripCases cover every field and every value of every choice field,
// typed as people type them: Persian and Arabic-Indic digits, Arabic ي and
// ك, separators, 9-digit national codes, every mobile form, choices by
// their Persian or English label or their value, dates in several shapes.
func roundTripCases(t *testing.T, cat *bot.Catalogue, now time.Time) []sheetCase {
	year := cal.ProgramYear(now)
	arabicIndic := strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩")
	var cases []sheetCase
	add := func(i int, county string, area domain.Area, district int) {
		code := validCode(t, 5000+i)
		typedCode := string(code)
		switch i % 3 {
		case 1:
			typedCode = domain.PersianDigits(typedCode[:3] + "-" + typedCode[3:])
		case 2:
			typedCode = arabicIndic.Replace(typedCode)
		}
		if i == 0 {
			// Nine digits: the leading zero is restored.
			code = must[domain.NationalID](t)(domain.CompleteNationalID("012345678"))
			typedCode = string(code)[1:]
		}
		pick := func(f domain.PlacementField) string { return f.Choices[i%len(f.Choices)] }
		p := domain.Placement{NationalID: code, FullName: "زهرا كريمي", BirthYear: year - 20 - i%40,
			Activity: "آرايشگري " + strconv.Itoa(i), Employer: "سالن ياس", County: county, Area: area, District: district}
		cells := map[string]string{
			"nationalid": typedCode,
			"name":       "  زهرا   كريمي ", // Arabic kaf and yeh, extra spaces
			"birthyear":  domain.PersianDigits(strconv.Itoa(p.BirthYear)),
			"activity":   "آرايشگري " + domain.PersianDigits(strconv.Itoa(i)),
			"employer":   "سالن ياس",
		}
		p.FullName, p.Activity, p.Employer = "زهرا کریمی", "آرایشگری "+strconv.Itoa(i), "سالن یاس"
		switch i % 4 {
		case 0:
			cells["mobile"], p.Mobile = domain.PersianDigits(fmt.Sprintf("0912123%04d", i)), domain.Mobile(fmt.Sprintf("+98912123%04d", i))
		case 1:
			cells["mobile"], p.Mobile = "+98 935 000 11 22", "+989350001122"
		case 2:
			cells["mobile"], p.Mobile = "00989190001122", "+989190001122"
		case 3:
			cells["mobile"] = "ندارد"
		}
		for _, f := range domain.PlacementFields {
			if f.Choices == nil || f.Key == "county" || f.Key == "area" || f.Key == "district" {
				continue
			}
			v := pick(f)
			f.Set(&p, cal, v)
			switch i % 3 {
			case 0:
				cells[f.Key] = cat.T("fa", f.Key+"."+v)
			case 1:
				cells[f.Key] = strings.ToUpper(cat.T("en", f.Key+"."+v))
			case 2:
				cells[f.Key] = v
			}
		}
		if i == 5 {
			// Left empty: the field's default.
			delete(cells, "insurance")
			p.Insurance = domain.InsuranceUnknown
		}
		c := must[domain.County](t)(countyOf(county))
		cells["county"] = c.NameFa
		if i%2 == 1 {
			cells["county"] = c.NameEn
		}
		cells["area"] = cat.T([]string{"fa", "en"}[i%2], "area."+string(area))
		if district != 0 {
			cells["district"] = []string{domain.PersianDigits(strconv.Itoa(district)), "منطقه " + strconv.Itoa(district), strconv.Itoa(district)}[i%3]
		}
		if p.Funding != domain.FundingNone {
			p.FundingAmount = int64(1_000_000 * (i + 1))
			cells["amount"] = []string{domain.PersianDigits(domain.FormatNumber(p.FundingAmount, "en")), domain.FormatNumber(p.FundingAmount, "en"), strconv.FormatInt(p.FundingAmount, 10)}[i%3]
		}
		start := cal.YearStart(year).AddDate(0, 0, i)
		if i%5 == 4 {
			start = cal.YearStart(year-1).AddDate(0, 0, 300+i) // last year's job, registered late
		}
		if start.After(now) {
			start = cal.StartOfDay(now)
		}
		p.StartDate = start
		j := cal.ToJalali(start)
		cells["startdate"] = []string{
			domain.PersianDigits(fmt.Sprintf("%d/%d/%d", j.Year, j.Month, j.Day)),
			fmt.Sprintf("%d-%02d-%02d", j.Year, j.Month, j.Day),
			arabicIndic.Replace(cal.FormatJalaliNumeric(start)),
		}[i%3]
		p.ProgramYear = cal.ProgramYear(start)
		cases = append(cases, sheetCase{cells: cells, want: p})
	}
	// Every county, both areas; then every district of Tehran's city.
	for i, c := range domain.Counties {
		area := domain.Areas[i%2]
		district := 0
		if domain.NeedsDistrict(c.Code, area) {
			district = 1
		}
		add(i, c.Code, area, district)
	}
	for d := 1; d <= domain.Districts; d++ {
		add(len(domain.Counties)+d, domain.TehranCounty, domain.AreaUrban, d)
	}
	// Every choice value of every choice field appears.
	for _, f := range domain.PlacementFields {
		for _, v := range f.Choices {
			if !slices.ContainsFunc(cases, func(c sheetCase) bool { return f.Get(&c.want, cal) == v }) {
				t.Fatalf("no case has %s = %s", f.Key, v)
			}
		}
	}
	return cases
}

func countyOf(code string) (domain.County, error) {
	c, ok := domain.CountyByCode(code)
	if !ok {
		return c, errors.New("no county " + code)
	}
	return c, nil
}

// commandDatabase is an empty database with the test agencies, and a
// function running `rasad args…` on it (settings: more, as name, value),
// returning what it printed.
func commandDatabase(t *testing.T, settings ...string) (*postgres.DB, func(args ...string) (string, error)) {
	t.Helper()
	db, url := postgrestest.NewWithURL(t)
	getenv := env(append([]string{"DATABASE_URL", url}, settings...)...)
	agencies := filepath.Join(t.TempDir(), "agencies.csv")
	if err := writeFile(agencies, testAgencies); err != nil {
		t.Fatal(err)
	}
	rasad := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, getenv, &out, &bytes.Buffer{})
		return out.String(), err
	}
	if _, err := rasad("import", "agencies", agencies); err != nil {
		t.Fatal(err)
	}
	return db, rasad
}

// writeSheet writes cases as a template filled in with lang's headers.
func writeSheet(t *testing.T, cat *bot.Catalogue, lang string, cases []sheetCase) string {
	sheet := xlsx.Sheet{Name: "sheet"}
	for _, f := range domain.PlacementFields {
		sheet.Columns = append(sheet.Columns, xlsx.Column{Header: cat.T(lang, "placement."+f.Key+".label")})
	}
	rows := make([][]string, len(cases))
	for i, c := range cases {
		for _, f := range domain.PlacementFields {
			rows[i] = append(rows[i], c.cells[f.Key])
		}
	}
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, sheet, rows, 0); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), lang+".xlsx")
	if err := os.WriteFile(name, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// exportedCell is how the export must show field f of p in lang, written
// here from the spec rather than from the bot's code.
func exportedCell(cat *bot.Catalogue, f domain.PlacementField, p domain.Placement, lang string) string {
	switch f.Key {
	case "nationalid":
		return string(p.NationalID)
	case "name":
		return p.FullName
	case "birthyear":
		return strconv.Itoa(p.BirthYear)
	case "mobile":
		return p.Mobile.Local()
	case "activity":
		return p.Activity
	case "employer":
		return p.Employer
	case "amount":
		if p.Funding == domain.FundingNone {
			return ""
		}
		return domain.FormatNumber(p.FundingAmount, "en") // as the cell's format shows it
	case "county":
		c, _ := domain.CountyByCode(p.County)
		return map[string]string{"fa": c.NameFa, "en": c.NameEn}[lang]
	case "district":
		if p.District == 0 {
			return ""
		}
		return strconv.Itoa(p.District)
	case "startdate":
		return cal.FormatJalaliNumeric(p.StartDate)
	}
	return cat.T(lang, f.Key+"."+f.Get(&p, cal)) // a choice, by its label
}

// The command line's import and export, round trip: a template filled in
// as people type is imported, stored as the bot stores it, exported with
// every field in its own column in both languages, and the export imported
// into an empty database gives back the same records.
func TestPlacementSheetsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat := must[*bot.Catalogue](t)(bot.LoadCatalogue("fa", slog.New(slog.DiscardHandler)))
	now := time.Now()
	cases := roundTripCases(t, cat, now)
	half := len(cases) / 2

	db, rasad := commandDatabase(t)
	// Either language's headers are read.
	for _, part := range []struct {
		lang  string
		cases []sheetCase
	}{{"fa", cases[:half]}, {"en", cases[half:]}} {
		out, err := rasad("import", "placements", "--agency", "labour", "--liaison", "77", writeSheet(t, cat, part.lang, part.cases))
		if err != nil {
			t.Fatalf("import %s: %v\n%s", part.lang, err, out)
		}
		if want := fmt.Sprintf("%d saved, 0 already this agency's, 0 duplicates, 0 invalid", len(part.cases)); !strings.Contains(out, want) {
			t.Fatalf("import %s: %q, want %q", part.lang, out, want)
		}
	}
	labour := must[domain.Agency](t)(agencyByCode(ctx, db, "labour"))
	checkStored := func(db *postgres.DB, liaison int64) {
		t.Helper()
		for i, c := range cases {
			got, err := db.PlacementByNationalID(ctx, c.want.ProgramYear, c.want.NationalID)
			if err != nil {
				t.Fatalf("case %d (%s): %v", i, c.want.NationalID, err)
			}
			if got.AgencyID != labour.ID || got.LiaisonID != liaison {
				t.Errorf("case %d: agency %d liaison %d, want %d and %d", i, got.AgencyID, got.LiaisonID, labour.ID, liaison)
			}
			for _, f := range domain.PlacementFields {
				if g, w := f.Get(&got, cal), f.Get(&c.want, cal); g != w {
					t.Errorf("case %d: stored %s = %q, want %q (typed %q)", i, f.Key, g, w, c.cells[f.Key])
				}
			}
		}
	}
	checkStored(db, 77)

	for _, lang := range bot.Languages {
		file := filepath.Join(t.TempDir(), "export-"+lang+".xlsx")
		out, err := rasad("export", "placements", "--agency", "labour", "--lang", lang, "--out", file)
		if err != nil || !strings.Contains(out, strconv.Itoa(len(cases))+" placements") {
			t.Fatalf("export %s: %q, %v", lang, out, err)
		}
		table := must[*xlsx.Table](t)(xlsx.Read(must[[]byte](t)(os.ReadFile(file)), 0))
		col := map[string]int{}
		for i, h := range table.Header {
			col[h] = i
		}
		byCode := map[string][]string{}
		codeCol := col[cat.T(lang, "placement.nationalid.label")]
		for _, cells := range table.Rows() {
			byCode[cells[codeCol]] = cells
		}
		table.Close()
		for i, c := range cases {
			cells, ok := byCode[string(c.want.NationalID)]
			if !ok {
				t.Fatalf("export %s lacks case %d (%s)", lang, i, c.want.NationalID)
			}
			for _, f := range domain.PlacementFields {
				j, ok := col[cat.T(lang, "placement."+f.Key+".label")]
				if !ok {
					t.Fatalf("export %s has no column %s: %q", lang, f.Key, table.Header)
				}
				got := ""
				if j < len(cells) {
					got = cells[j]
				}
				if want := exportedCell(cat, f, c.want, lang); got != want {
					t.Errorf("export %s case %d: column %q = %q, want %q", lang, i, table.Header[j], got, want)
				}
			}
		}

		// The export, imported into an empty database, is the same records.
		db2, rasad2 := commandDatabase(t)
		if out, err := rasad2("import", "placements", "--agency", "labour", "--liaison", "78", file); err != nil {
			t.Fatalf("re-import of the %s export: %v\n%s", lang, err, out)
		}
		labour = must[domain.Agency](t)(agencyByCode(ctx, db2, "labour"))
		checkStored(db2, 78)
		labour = must[domain.Agency](t)(agencyByCode(ctx, db, "labour"))
	}
}

// Bad input to the sheet commands: one clear line and exit status 2; rows
// that fail: a line each with the row's number and reason, and status 1.
func TestPlacementSheetCommandsRefuse(t *testing.T) {
	t.Parallel()
	cat := must[*bot.Catalogue](t)(bot.LoadCatalogue("fa", slog.New(slog.DiscardHandler)))
	_, rasad := commandDatabase(t, "DEFAULT_LANGUAGE", "en")
	dir := t.TempDir()
	notSheet := filepath.Join(dir, "notes.xlsx")
	if err := writeFile(notSheet, "this is not a workbook"); err != nil {
		t.Fatal(err)
	}
	cases := roundTripCases(t, cat, time.Now())[:3]
	good := writeSheet(t, cat, "en", cases)
	wrongHeaders := filepath.Join(dir, "wrong.xlsx")
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, xlsx.Sheet{Name: "s", Columns: []xlsx.Column{{Header: "Nom"}, {Header: "Prénom"}}}, [][]string{{"a", "b"}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongHeaders, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "placements", "--agency", "nosuch", good}, `no agency with code "nosuch"`},
		{[]string{"import", "placements", "--agency", "labour", notSheet}, "not an Excel (xlsx) file"},
		{[]string{"import", "placements", "--agency", "labour", wrongHeaders}, "National code"},
		{[]string{"import", "placements", "--agency", "labour", filepath.Join(dir, "missing.xlsx")}, "no such file"},
		{[]string{"import", "placements", "--agency", "labour", "--liaison", "x1", good}, "--liaison"},
		{[]string{"import", "placements", good}, "usage"},
		{[]string{"export", "placements", "--agency", "nosuch", "--out", filepath.Join(dir, "x.xlsx")}, `no agency with code "nosuch"`},
		{[]string{"export", "placements", "--from", "2026-03-01", "--out", filepath.Join(dir, "x.xlsx")}, "Solar Hijri"},
		{[]string{"export", "placements", "--from", "1405/03/10", "--to", "1405/03/01", "--out", filepath.Join(dir, "x.xlsx")}, "no day"},
		{[]string{"export", "placements", "--lang", "de", "--out", filepath.Join(dir, "x.xlsx")}, "--lang"},
		{[]string{"export", "placements"}, "usage"},
	} {
		_, err := rasad(tc.args...)
		exit, ok := errors.AsType[*exitError](err)
		if !ok || exit.code != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rasad %q: %v, want exit status 2 saying %q", tc.args, err, tc.want)
		}
	}

	// Saved once: importing again finds every row this agency's own (0).
	if out, err := rasad("import", "placements", "--agency", "labour", good); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if out, err := rasad("import", "placements", "--agency", "labour", good); err != nil || !strings.Contains(out, "0 saved, 3 already this agency's") {
		t.Fatalf("import again: %v\n%s", err, out)
	}
	// Another agency's records and a broken row: status 1, a line for each.
	broken := cases[0]
	broken.cells = map[string]string{}
	for k, v := range cases[0].cells {
		broken.cells[k] = v
	}
	broken.cells["nationalid"] = string(validCode(t, 9999))
	broken.cells["birthyear"] = "1200"
	out, err := rasad("import", "placements", "--agency", "industry", writeSheet(t, cat, "fa", append(cases[1:], broken)))
	if exit, ok := errors.AsType[*exitError](err); !ok || exit.code != 1 {
		t.Fatalf("import with failures: %v, want exit status 1\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "row 2: ") || !strings.HasPrefix(lines[1], "row 3: ") ||
		!strings.HasPrefix(lines[2], "row 4: ") || !strings.Contains(lines[2], cat.T("en", "err.birthyear.range")) ||
		!strings.Contains(lines[3], "0 saved, 0 already this agency's, 2 duplicates, 1 invalid") {
		t.Errorf("import with failures printed:\n%s", out)
	}
}
