package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

// rasad export placements and rasad import placements: the workbook /export
// sends and the template /template hands out, from the command line, for
// operators who keep nightly archives or move records from older systems.
// Both run the bot's own code (bot.Bot's ExportPlacements and
// ImportPlacements), so a sheet means the same here as in the chat.

// exitError ends the command with status code after printing msg.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// badInput is exit status 2: the command could not start on its input.
func badInput(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

const (
	exportUsage = "rasad export placements [--year Y] [--agency CODE] [--from DATE] [--to DATE] [--lang fa|en] --out FILE.xlsx"
	importUsage = "rasad import placements --agency CODE [--liaison TELEGRAM-ID] [--lang fa|en] FILE.xlsx"
)

// sheetBot is the bot without a Bot API or Redis: its sheets and its
// verification sample are used.
func sheetBot(ctx context.Context, cfg config, log *slog.Logger) (*bot.Bot, *postgres.DB, error) {
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	b, err := bot.New(bot.Config{DefaultLanguage: cfg.Language, Secret: cfg.callbackSecret(), Now: cfg.Now, Calendar: cfg.Calendar,
		Verify: cfg.Verify}, nil, db, nil, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return b, db, nil
}

func exportCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "placements" {
		return badInput("usage: %s", exportUsage)
	}
	fs := flag.NewFlagSet("export placements", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	year := fs.Int("year", 0, "")
	agency := fs.String("agency", "", "")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	lang := fs.String("lang", cfg.Language, "")
	file := fs.String("out", "", "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *file == "" {
		return badInput("usage: %s", exportUsage)
	}
	if err := checkLang(*lang); err != nil {
		return err
	}
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	var f domain.ExportFilter
	if *year != 0 {
		if !(domain.JalaliDate{Year: *year, Month: 1, Day: 1}).Valid() {
			return badInput("--year %d: give a Solar Hijri year, such as %d", *year, cfg.Calendar.ProgramYear(now))
		}
		f.From, f.To = cfg.Calendar.YearStart(*year), cfg.Calendar.YearStart(*year+1)
	}
	for _, d := range []struct {
		name, text string
		bound      *time.Time
		end        bool
	}{{"--from", *from, &f.From, false}, {"--to", *to, &f.To, true}} {
		if d.text == "" {
			continue
		}
		day, err := cfg.Calendar.ParseJalaliDate(d.text, now)
		if err != nil {
			return badInput("%s %q: give a Solar Hijri date, such as 1405/03/17", d.name, d.text)
		}
		if d.end {
			day = day.AddDate(0, 0, 1) // --to is the last day included
			if f.To.IsZero() || day.Before(f.To) {
				f.To = day
			}
		} else if day.After(f.From) {
			f.From = day
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return badInput("no day is in the range asked for (from %s to %s)", cfg.Calendar.FormatJalaliNumeric(f.From),
			cfg.Calendar.FormatJalaliNumeric(f.To.AddDate(0, 0, -1)))
	}
	b, db, err := sheetBot(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if *agency != "" {
		a, err := agencyByCode(ctx, db, *agency)
		if err != nil {
			return badInput("%v", err)
		}
		f.AgencyID = a.ID
	}
	// Written beside the file and renamed at the end, so a nightly archive
	// is never left half written.
	tmp, err := os.CreateTemp(filepath.Dir(*file), "."+filepath.Base(*file)+".*")
	if err != nil {
		return badInput("--out %s: %v", *file, err)
	}
	defer os.Remove(tmp.Name())
	n, err := b.ExportPlacements(ctx, *lang, f, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export placements: %w", err)
	}
	if err := os.Rename(tmp.Name(), *file); err != nil {
		return fmt.Errorf("export placements: %w", err)
	}
	fmt.Fprintf(out, "%s: %d placements\n", *file, n)
	return nil
}

// maxImportFile bounds the workbook read: the bot's limit of rows fills
// about a tenth of it.
const maxImportFile = 20 << 20

func importPlacements(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import placements", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	agency := fs.String("agency", "", "")
	liaison := fs.String("liaison", "", "")
	lang := fs.String("lang", cfg.Language, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *agency == "" {
		return badInput("usage: %s", importUsage)
	}
	if err := checkLang(*lang); err != nil {
		return err
	}
	var liaisonID int64
	if *liaison != "" {
		id, err := strconv.ParseInt(*liaison, 10, 64)
		if err != nil || id <= 0 {
			return badInput("--liaison %q: give the liaison's Telegram id, a number", *liaison)
		}
		liaisonID = id
	}
	data, err := readLimited(fs.Arg(0), maxImportFile)
	if err != nil {
		return badInput("%v", err)
	}
	b, db, err := sheetBot(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := agencyByCode(ctx, db, *agency)
	if err != nil {
		return badInput("%v", err)
	}
	report, err := b.ImportPlacements(ctx, *lang, a.ID, liaisonID, data)
	if sentence, ok := b.SheetError(*lang, err); ok {
		return badInput("%s: %s", fs.Arg(0), sentence)
	}
	if err != nil {
		return fmt.Errorf("import placements: %w", err)
	}
	failed := 0
	for _, r := range report.Rows {
		if r.Failed() {
			failed++
			fmt.Fprintf(out, "row %d: %s\n", r.Row, r.Text)
		}
	}
	fmt.Fprintf(out, "%s: %s\n", fs.Arg(0), report)
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d rows were not saved", failed, len(report.Rows))}
	}
	return nil
}

func checkLang(lang string) error {
	for _, l := range bot.Languages {
		if l == lang {
			return nil
		}
	}
	return badInput("--lang %q: give one of %v", lang, bot.Languages)
}

// readLimited reads a file of at most max bytes.
func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d MB", name, max>>20)
	}
	return data, nil
}
