package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

// admin bootstraps roles from the command line, before any admin exists in
// the bot to grant them.
func admin(ctx context.Context, cfg config, args []string, out io.Writer) error {
	if len(args) < 3 || (args[0] != "grant" && args[0] != "revoke") {
		return fmt.Errorf("%w: rasad admin grant|revoke <telegram-id> <role> [agency-code]", errArgs)
	}
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a Telegram user id", args[1])
	}
	role, err := domain.ParseRole(args[2])
	if err != nil {
		return fmt.Errorf("%q is not a role (admin, manager, liaison, vendor)", args[2])
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.Calendar)
	if err != nil {
		return fmt.Errorf("postgres at DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if args[0] == "revoke" {
		if err := db.RevokeRole(ctx, id, role); err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s from %d\n", role, id)
		return nil
	}
	g := domain.Grant{Role: role}
	if role == domain.RoleLiaison {
		if len(args) < 4 {
			return fmt.Errorf("%w: a liaison needs an agency code: rasad admin grant %d liaison <agency-code>", errArgs, id)
		}
		a, err := agencyByCode(ctx, db, args[3])
		if err != nil {
			return err
		}
		g.AgencyID = a.ID
	}
	if err := db.GrantRole(ctx, id, g); err != nil {
		return err
	}
	fmt.Fprintf(out, "granted %s to %d\n", role, id)
	return nil
}

func agencyByCode(ctx context.Context, db *postgres.DB, code string) (domain.Agency, error) {
	agencies, err := db.Agencies(ctx)
	if err != nil {
		return domain.Agency{}, err
	}
	for _, a := range agencies {
		if a.Code == code {
			return a, nil
		}
	}
	return domain.Agency{}, fmt.Errorf("no agency with code %q (load them with rasad import agencies)", code)
}
