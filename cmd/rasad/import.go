package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

func importCmd(ctx context.Context, cfg config, args []string, out io.Writer) error {
	if len(args) != 2 || (args[0] != "agencies" && args[0] != "markets" && args[0] != "targets") {
		return fmt.Errorf("%w: rasad import agencies|markets|targets FILE.csv", errArgs)
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("postgres at DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	var added, updated int
	switch args[0] {
	case "agencies":
		var agencies []domain.Agency
		if agencies, err = readAgencies(f); err == nil {
			added, updated, err = db.UpsertAgencies(ctx, agencies)
		}
	case "markets":
		var markets []domain.Market
		if markets, err = readMarkets(f); err == nil {
			added, updated, err = db.UpsertMarkets(ctx, markets)
		}
	case "targets":
		// Targets name agencies by code: they must be imported first.
		var agencies []domain.Agency
		if agencies, err = db.Agencies(ctx); err == nil {
			var targets []domain.Target
			if targets, err = readTargets(f, agencies); err == nil {
				added, updated, err = db.UpsertTargets(ctx, targets)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d added, %d updated\n", args[0], added, updated)
	return nil
}

// csvTable reads a CSV with a header row (a BOM tolerated) and gives each
// row's cells by column name. Every bad row is reported, not just the first.
type csvTable struct {
	header []string
	rows   [][]string
}

func readCSV(r io.Reader, required ...string) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("empty file: expected a header with %s", strings.Join(required, ","))
	}
	t := &csvTable{rows: rows[1:]}
	for _, h := range rows[0] {
		t.header = append(t.header, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
	}
	for _, name := range required {
		if !slices.Contains(t.header, name) {
			return nil, fmt.Errorf("header must have %s, got %s", strings.Join(required, ","), strings.Join(rows[0], ","))
		}
	}
	return t, nil
}

// each calls fn with every non-blank row and a getter of its cells, and
// joins the errors fn returns, each prefixed with its line.
func (t *csvTable) each(fn func(cell func(name string) string) error) error {
	var errs []error
	for n, row := range t.rows {
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		cell := func(name string) string {
			i := slices.Index(t.header, name)
			if i < 0 || i >= len(row) {
				return ""
			}
			return row[i]
		}
		if err := fn(cell); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n+2, err))
		}
	}
	return errors.Join(errs...)
}

// readAgencies reads code,name_fa[,name_en] rows, columns in any order.
func readAgencies(r io.Reader) ([]domain.Agency, error) {
	t, err := readCSV(r, "code", "name_fa")
	if err != nil {
		return nil, err
	}
	var out []domain.Agency
	seen := map[string]bool{}
	err = t.each(func(cell func(string) string) error {
		a, err := domain.NewAgency(cell("code"), cell("name_fa"), cell("name_en"))
		if err != nil {
			return errors.New(domain.CodeOf(err))
		}
		if seen[a.Code] {
			return fmt.Errorf("code %q repeated", a.Code)
		}
		seen[a.Code] = true
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readMarkets reads the markets file of shared/data: code, name_fa, kind,
// county, district, weekdays (sat;tue), capacity, reserved_share (0.20 when
// blank), season_start and season_end (Solar Hijri, park bazaars), name_en.
func readMarkets(r io.Reader) ([]domain.Market, error) {
	t, err := readCSV(r, "code", "name_fa", "kind", "county", "weekdays", "capacity")
	if err != nil {
		return nil, err
	}
	var out []domain.Market
	seen := map[string]bool{}
	err = t.each(func(cell func(string) string) error {
		m := domain.Market{
			Code: strings.ToLower(domain.Normalize(cell("code"))), NameFa: domain.Normalize(cell("name_fa")),
			NameEn: domain.Normalize(cell("name_en")), Kind: domain.MarketKind(domain.Normalize(cell("kind"))),
			County: domain.Normalize(cell("county")), ReservedShare: domain.DefaultReservedShare, Active: true,
		}
		var err error
		if d := domain.Normalize(cell("district")); d != "" {
			if m.District, err = strconv.Atoi(d); err != nil {
				return errors.New("district.range")
			}
		}
		if m.Weekdays, err = domain.ParseWeekdays(cell("weekdays")); err != nil {
			return errors.New(domain.CodeOf(err))
		}
		if m.Capacity, err = strconv.Atoi(domain.Normalize(cell("capacity"))); err != nil {
			return errors.New("market.capacity")
		}
		if s := domain.Normalize(cell("reserved_share")); s != "" {
			if m.ReservedShare, err = strconv.ParseFloat(s, 64); err != nil {
				return errors.New("market.share")
			}
		}
		for _, d := range []struct {
			name string
			to   *time.Time
		}{{"season_start", &m.SeasonStart}, {"season_end", &m.SeasonEnd}} {
			if v := domain.Normalize(cell(d.name)); v != "" {
				if *d.to, err = domain.ParseJalaliDate(v, time.Now()); err != nil {
					return fmt.Errorf("%s: %s", d.name, domain.CodeOf(err))
				}
			}
		}
		if err := m.Validate(); err != nil {
			return errors.New(domain.CodeOf(err))
		}
		if seen[m.Code] {
			return fmt.Errorf("code %q repeated", m.Code)
		}
		seen[m.Code] = true
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readTargets reads year,agency,sector,target rows, agencies by code.
func readTargets(r io.Reader, agencies []domain.Agency) ([]domain.Target, error) {
	t, err := readCSV(r, "year", "agency", "sector", "target")
	if err != nil {
		return nil, err
	}
	byCode := map[string]int64{}
	for _, a := range agencies {
		byCode[a.Code] = a.ID
	}
	var out []domain.Target
	seen := map[domain.Target]bool{}
	err = t.each(func(cell func(string) string) error {
		var tg domain.Target
		var err error
		if tg.Year, err = strconv.Atoi(domain.Normalize(cell("year"))); err != nil || tg.Year < 1300 || tg.Year > 1500 {
			return errors.New("year: not a Solar Hijri year")
		}
		code := strings.ToLower(domain.Normalize(cell("agency")))
		if tg.AgencyID = byCode[code]; tg.AgencyID == 0 {
			return fmt.Errorf("agency %q: not imported (rasad import agencies first)", code)
		}
		tg.Sector = domain.Sector(domain.Normalize(cell("sector")))
		if !slices.Contains(domain.Sectors, tg.Sector) {
			return fmt.Errorf("sector %q: not services, industry or agriculture", tg.Sector)
		}
		if tg.Jobs, err = strconv.Atoi(domain.Normalize(cell("target"))); err != nil || tg.Jobs < 0 {
			return errors.New("target: not a number of jobs")
		}
		key := domain.Target{Year: tg.Year, AgencyID: tg.AgencyID, Sector: tg.Sector}
		if seen[key] {
			return errors.New("repeated")
		}
		seen[key] = true
		out = append(out, tg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
