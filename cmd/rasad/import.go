package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
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
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.Calendar)
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
		if agencies, err = csvimport.Agencies(f); err == nil {
			added, updated, err = db.UpsertAgencies(ctx, agencies)
		}
	case "markets":
		var markets []domain.Market
		if markets, err = csvimport.Markets(f, cfg.Calendar, time.Now()); err == nil {
			added, updated, err = db.UpsertMarkets(ctx, markets)
		}
	case "targets":
		// Targets name agencies by code: they must be imported first.
		var agencies []domain.Agency
		if agencies, err = db.Agencies(ctx); err == nil {
			var targets []domain.Target
			if targets, err = csvimport.Targets(f, agencies); err == nil {
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
