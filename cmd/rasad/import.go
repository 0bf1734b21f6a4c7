package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

func importCmd(ctx context.Context, cfg config, args []string, out io.Writer) error {
	if len(args) != 2 || args[0] != "agencies" {
		return fmt.Errorf("%w: rasad import agencies FILE.csv", errArgs)
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	agencies, err := readAgencies(f)
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("postgres at DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	added, updated, err := db.UpsertAgencies(ctx, agencies)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "agencies: %d added, %d updated\n", added, updated)
	return nil
}

// readAgencies reads code,name_fa,name_en rows (header required, columns in
// any order, name_en optional). Every bad row is reported, not just the first.
func readAgencies(r io.Reader) ([]domain.Agency, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file: expected a header code,name_fa,name_en")
	}
	header := make([]string, len(rows[0]))
	for i, h := range rows[0] {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	col := func(name string) int { return slices.Index(header, name) }
	code, fa, en := col("code"), col("name_fa"), col("name_en")
	if code < 0 || fa < 0 {
		return nil, fmt.Errorf("header must have code and name_fa (and optionally name_en), got %s", strings.Join(rows[0], ","))
	}
	cell := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return row[i]
	}
	var (
		out  []domain.Agency
		errs []error
		seen = map[string]int{}
	)
	for n, row := range rows[1:] {
		line := n + 2
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		a, err := domain.NewAgency(cell(row, code), cell(row, fa), cell(row, en))
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s", line, domain.CodeOf(err)))
			continue
		}
		if prev, dup := seen[a.Code]; dup {
			errs = append(errs, fmt.Errorf("line %d: code %q already on line %d", line, a.Code, prev))
			continue
		}
		seen[a.Code] = line
		out = append(out, a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
