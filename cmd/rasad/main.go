// Command rasad runs the Rasad bot and its operator tools.
//
//	rasad serve                                  run the bot (applies migrations first)
//	rasad playground [--seed]                    the bot in a browser page, no bot token (also serve without BOT_TOKEN)
//	rasad migrate                                apply database migrations and exit
//	rasad admin grant <telegram-id> <role> [agency-code]
//	rasad admin revoke <telegram-id> <role>
//	rasad import agencies FILE.csv               load agencies (code,name_fa,name_en)
//	rasad import placements --agency CODE FILE.xlsx   register a filled template's rows
//	rasad export placements [filters] --out FILE.xlsx the workbook /export sends
//	rasad verify draws|redo|draw|add              the verification sample: audit a draw, draw, add
//
// Settings come from the environment only; see the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `usage:
  rasad serve                                    run the bot (without BOT_TOKEN: the playground)
  rasad playground [--seed]                      try the bot in a browser page, no bot token
  rasad migrate                                  apply database migrations
  rasad admin grant <telegram-id> <role> [agency-code]
  rasad admin revoke <telegram-id> <role>        roles: admin, manager, liaison, vendor
  rasad import agencies FILE.csv                 columns: code,name_fa,name_en
  ` + importUsage + `
  ` + exportUsage + `
  ` + verifyUsage + `
                                                 dates are Solar Hijri (1405/03/17); exit status 1 when
                                                 a row was not saved, 2 when the input was refused
`

func main() {
	if os.Getenv("GOGC") == "" {
		// The live heap is small (about 10 MB) and every update allocates,
		// so Go's default collected many times a second under load: the
		// load benchmark measured a fifth less CPU per update at 400, for
		// a peak heap of about 60 MB. GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rasad:", err)
		if exit, ok := errors.AsType[*exitError](err); ok {
			os.Exit(exit.code)
		}
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("unknown command")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	var needs need
	switch args[0] {
	case "serve", "playground":
		// Without BOT_TOKEN, serve starts the playground.
		needs = needDatabase | needRedis
	case "migrate", "admin", "import", "export", "verify":
		needs = needDatabase
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return errUsage
	}
	cfg, err := loadConfig(getenv, needs)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log) // storage logs applied migrations through the default logger

	switch args[0] {
	case "serve", "playground":
		if args[0] == "serve" && cfg.BotToken != "" {
			return serve(ctx, cfg, log)
		}
		if args[0] == "serve" {
			// Loud: a deployment that lost its token should not pass unnoticed.
			log.Warn("BOT_TOKEN is not set: starting the playground (simulated users in a browser page), not a bot on Telegram")
		}
		if err := playgroundFlags(args[1:], &cfg); err != nil {
			return err
		}
		return playground(ctx, cfg, log, stdout)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "admin":
		return admin(ctx, cfg, args[1:], stdout)
	case "import":
		if len(args) > 1 && args[1] == "placements" {
			return importPlacements(ctx, cfg, log, args[2:], stdout)
		}
		return importCmd(ctx, cfg, args[1:], stdout)
	case "export":
		return exportCmd(ctx, cfg, log, args[1:], stdout)
	case "verify":
		return verifyCmd(ctx, cfg, log, args[1:], stdout)
	}
	return errUsage
}
