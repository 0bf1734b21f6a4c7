// Package csvimport reads the province's master data — agencies, markets
// and yearly targets — from CSV files (the sample in shared/data, the
// playground's seed) into domain values, checking every row. It reads; the
// caller stores.
package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// Table is a CSV read with a header row (a BOM tolerated), giving each
// row's cells by column name. Every bad row is reported, not just the first.
type Table struct {
	header []string
	rows   [][]string
}

// Read reads a whole CSV whose header must name the required columns.
func Read(r io.Reader, required ...string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("empty file: expected a header with %s", strings.Join(required, ","))
	}
	t := &Table{rows: rows[1:]}
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

// Each calls fn with every non-blank row and a getter of its cells, and
// joins the errors fn returns, each prefixed with its line.
func (t *Table) Each(fn func(cell func(name string) string) error) error {
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

// Agencies reads code,name_fa[,name_en] rows, columns in any order.
func Agencies(r io.Reader) ([]domain.Agency, error) {
	t, err := Read(r, "code", "name_fa")
	if err != nil {
		return nil, err
	}
	var out []domain.Agency
	seen := map[string]bool{}
	err = t.Each(func(cell func(string) string) error {
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

// Markets reads the markets file of shared/data: code, name_fa, kind,
// county, district, weekdays (sat;tue), capacity, reserved_share (0.20 when
// blank), season_start and season_end (Solar Hijri days in cal, park
// bazaars; now is what "today" means there), name_en.
func Markets(r io.Reader, cal domain.Calendar, now time.Time) ([]domain.Market, error) {
	t, err := Read(r, "code", "name_fa", "kind", "county", "weekdays", "capacity")
	if err != nil {
		return nil, err
	}
	var out []domain.Market
	seen := map[string]bool{}
	err = t.Each(func(cell func(string) string) error {
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
				if *d.to, err = cal.ParseJalaliDate(v, now); err != nil {
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

// Targets reads year,agency,sector,target rows, naming agencies by their
// code among agencies.
func Targets(r io.Reader, agencies []domain.Agency) ([]domain.Target, error) {
	t, err := Read(r, "year", "agency", "sector", "target")
	if err != nil {
		return nil, err
	}
	byCode := map[string]int64{}
	for _, a := range agencies {
		byCode[a.Code] = a.ID
	}
	var out []domain.Target
	seen := map[domain.Target]bool{}
	err = t.Each(func(cell func(string) string) error {
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
