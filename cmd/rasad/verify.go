package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// rasad verify: the verification sample from the command line, for an
// auditor redoing a draw and an operator drawing or adding by hand. The
// work is the bot's (bot/sample.go); this reads arguments and sets the
// exit status: 0 done, 1 a redone draw differs or nothing was added, 2
// the input was refused.

const verifyUsage = `rasad verify draws [--limit N]                 the draws, newest first: period, seed, share, counts
  rasad verify redo DRAW-ID                      draw it again from its seed; exit 1 if the list differs
  rasad verify draw [--from DATE --to DATE]      draw the last whole period now (or the days given)
  rasad verify add --placement ID | --agency CODE [--year Y]`

func verifyCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return badInput("usage: %s", verifyUsage)
	}
	fs := flag.NewFlagSet("verify "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	limit := fs.Int("limit", 20, "")
	fromText, toText := fs.String("from", "", ""), fs.String("to", "", "")
	placement, agency := fs.Int64("placement", 0, ""), fs.String("agency", "", "")
	year := fs.Int("year", 0, "")
	if err := fs.Parse(args[1:]); err != nil {
		return badInput("usage: %s", verifyUsage)
	}
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	switch args[0] {
	case "draws":
		if fs.NArg() != 0 || *limit <= 0 {
			return badInput("usage: %s", verifyUsage)
		}
		b, db, err := sheetBot(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := b.WriteDraws(ctx, out, *limit)
		if err != nil {
			return fmt.Errorf("verify draws: %w", err)
		}
		if n == 0 {
			fmt.Fprintln(out, "no draw yet")
		}
		return nil

	case "redo":
		if fs.NArg() != 1 {
			return badInput("usage: %s", verifyUsage)
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			return badInput("%q is not a draw id (see rasad verify draws)", fs.Arg(0))
		}
		b, db, err := sheetBot(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		_, audit, err := b.RedoDraw(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) {
			return badInput("no draw %d (see rasad verify draws)", id)
		}
		if err != nil {
			return fmt.Errorf("verify redo: %w", err)
		}
		if !audit.Same() {
			return &exitError{code: 1, msg: fmt.Sprintf("draw %d differs: %d stored, %d drawn again; stored only %v, drawn again only %v",
				id, len(audit.Stored), len(audit.Redone), audit.Missing, audit.Extra)}
		}
		fmt.Fprintf(out, "draw %d: same %d placements\n", id, len(audit.Stored))
		return nil

	case "draw":
		if fs.NArg() != 0 || (*fromText == "") != (*toText == "") {
			return badInput("usage: %s (give both --from and --to, or neither)", verifyUsage)
		}
		from, to := cfg.Calendar.DrawPeriod(now, cfg.Verify.Days)
		if *fromText != "" {
			var err error
			if from, err = cfg.Calendar.ParseJalaliDate(*fromText, now); err != nil {
				return badInput("--from %q: give a Solar Hijri date, such as 1405/03/17", *fromText)
			}
			if to, err = cfg.Calendar.ParseJalaliDate(*toText, now); err != nil {
				return badInput("--to %q: give a Solar Hijri date, such as 1405/03/17", *toText)
			}
			to = to.AddDate(0, 0, 1) // --to is the last day included
			if !from.Before(to) || to.After(cfg.Calendar.StartOfDay(now).AddDate(0, 0, 1)) {
				return badInput("--from %s --to %s: give days that have passed, the first not after the last", *fromText, *toText)
			}
		}
		b, db, err := sheetBot(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		d, fresh, err := b.DrawPeriod(ctx, from, to, 0)
		if err != nil {
			return fmt.Errorf("verify draw: %w", err)
		}
		said := "drawn"
		if !fresh {
			said = "drawn before"
		}
		fmt.Fprintf(out, "draw %d (%s): %d of %d placements, share %g\n", d.ID, said, len(d.Sample), len(d.Candidates), d.Share)
		return nil

	case "add":
		if fs.NArg() != 0 || (*placement == 0) == (*agency == "") || *placement < 0 || (*year != 0 && *agency == "") {
			return badInput("usage: %s", verifyUsage)
		}
		if *year != 0 && !(domain.JalaliDate{Year: *year, Month: 1, Day: 1}).Valid() {
			return badInput("--year %d: give a Solar Hijri year, such as %d", *year, cfg.Calendar.ProgramYear(now))
		}
		b, db, err := sheetBot(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		var agencyID int64
		if *agency != "" {
			a, err := agencyByCode(ctx, db, *agency)
			if err != nil {
				return badInput("%v", err)
			}
			agencyID = a.ID
		}
		n, err := b.AddToSample(ctx, *placement, agencyID, *year, 0)
		if domain.IsKind(err, domain.KindNotFound) {
			return badInput("no placement %d", *placement)
		}
		if err != nil {
			return fmt.Errorf("verify add: %w", err)
		}
		if n == 0 {
			return &exitError{code: 1, msg: "nothing added: already in the sample, or withdrawn"}
		}
		fmt.Fprintf(out, "added %d placements to the sample\n", n)
		return nil
	}
	return badInput("usage: %s", verifyUsage)
}
