package main

// The playground: `rasad playground`, or `rasad serve` without BOT_TOKEN,
// runs the real bot, wired as serve wires it, against the in-repo Bot API
// server in this process, and serves a chat page (bot/playground) where
// simulated users talk to it. Postgres and Redis are the real ones.

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	page "github.com/rasad-gov/rasad/bot/playground" // the chat page; playground is the function below
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/redis"
)

// The sample data the playground seeds: copies of ../shared/data (targets
// for 1405), the simulated users with the roles they are granted, and a few
// placements to check.
//
//go:embed seed/*.csv
var seedFiles embed.FS

// playgroundFlags reads the arguments of `rasad playground` (and of serve
// when it starts the playground): --seed loads the sample data at start.
func playgroundFlags(args []string, cfg *config) error {
	for _, a := range args {
		switch a {
		case "--seed", "-seed":
			cfg.PlaygroundSeed = true
		default:
			return fmt.Errorf("%w: %q (rasad playground [--seed])", errArgs, a)
		}
	}
	return nil
}

func playground(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// The in-process Bot API server starts empty each time, numbering
	// updates from 1 again, so Redis state of an earlier run (handled update
	// ids, conversations of chats that no longer exist) would swallow this
	// run's updates. The playground keeps its keys apart and starts them
	// afresh; a bot serving real users on the same Redis is not touched.
	prefix := cfg.RedisPrefix + "playground:"
	if err := clearRedisPrefix(ctx, cfg.RedisURL, prefix); err != nil {
		return fmt.Errorf("redis at REDIS_URL: %w", err)
	}
	rs, err := redis.Open(ctx, cfg.RedisURL, prefix)
	if err != nil {
		return fmt.Errorf("redis at REDIS_URL: %w", err)
	}
	defer rs.Close()
	return runPlayground(ctx, cfg, log, db, rs, stdout)
}

// runPlayground runs the playground on opened services until ctx ends.
func runPlayground(ctx context.Context, cfg config, log *slog.Logger, db *postgres.DB, rs *redis.Store, stdout io.Writer) error {
	users, err := readSeedUsers()
	if err != nil {
		return err
	}
	// The operator plays the seeded admin unless ADMIN_IDS names others.
	if len(cfg.AdminIDs) == 0 {
		for _, u := range users {
			if u.role == domain.RoleAdmin {
				cfg.AdminIDs = append(cfg.AdminIDs, u.ID)
			}
		}
	}

	srv := fakeapi.New(fakeapi.Options{BotUsername: "rasad_playground_bot"})
	defer srv.Close()
	// Whatever BOT_TOKEN says, the bot talks to the local server with its
	// token, as fast as it can, and polls: there is no public address for a
	// webhook.
	cfg.BotToken, cfg.BotAPIURL = srv.Token(), srv.URL()
	cfg.SendRate = 0
	cfg.Mode = "polling"

	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	pg := page.New(page.Options{
		Server:  srv,
		Account: playgroundAccount(db),
		Seed: func(ctx context.Context) ([]page.User, error) {
			return seedPlayground(ctx, db, cfg.Calendar, now(), users, log)
		},
		Logger: log,
	})
	// The admins are on the page from the start, so the operator can act
	// as one before seeding anything.
	for _, id := range cfg.AdminIDs {
		u := page.User{ID: id, Name: strconv.FormatInt(id, 10)}
		for _, s := range users {
			if s.ID == id {
				u = s.User
			}
		}
		if _, err := pg.AddUser(u); err != nil {
			return err
		}
	}
	if cfg.PlaygroundSeed {
		if _, err := pg.Seed(ctx); err != nil {
			return fmt.Errorf("playground seed: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.PlaygroundAddr)
	if err != nil {
		return fmt.Errorf("PLAYGROUND_ADDR %s: %w", cfg.PlaygroundAddr, err)
	}
	hs := &http.Server{
		Handler:           pg,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with ctx, so the page's event streams let the
		// shutdown below finish.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("playground page", "addr", cfg.PlaygroundAddr, "err", err)
		}
	}()
	defer func() {
		srv.Close() // ends the page's waits for button answers
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			log.Warn("playground page shutdown", "err", err)
		}
	}()

	api, err := telegram.Connect(ctx, telegram.Endpoint(srv.URL()), srv.Token(), nil)
	if err != nil {
		return fmt.Errorf("in-process bot api: %w", err)
	}
	fmt.Fprintf(stdout, "Rasad playground: %s\n", pageURL(ln.Addr()))
	return runBot(ctx, cfg, log, db, rs, api)
}

// pageURL is the address to open: a listener on every interface (as in a
// container) is reached through the loopback one.
func pageURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String() + "/"
	}
	ip := tcp.IP
	switch {
	case ip == nil || ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port)) + "/"
}

// seedUser is a simulated user of the seed and the role it is granted.
type seedUser struct {
	page.User
	role domain.Role // "" for none
}

// readSeedUsers reads seed/users.csv: id,name,phone,role.
func readSeedUsers() ([]seedUser, error) {
	f, err := seedFiles.Open("seed/users.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := csvimport.Read(f, "id", "name", "phone", "role")
	if err != nil {
		return nil, fmt.Errorf("seed/users.csv: %w", err)
	}
	var out []seedUser
	err = t.Each(func(cell func(string) string) error {
		id, err := strconv.ParseInt(strings.TrimSpace(cell("id")), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("id %q: not a Telegram user id", cell("id"))
		}
		u := seedUser{User: page.User{ID: id, Name: strings.TrimSpace(cell("name")), Phone: strings.TrimSpace(cell("phone"))}}
		if r := strings.TrimSpace(cell("role")); r != "" {
			// A liaison needs an agency, which the file does not give.
			if u.role, err = domain.ParseRole(r); err != nil || u.role == domain.RoleLiaison {
				return fmt.Errorf("role %q: admin, manager, vendor, verifier, inspector or none", r)
			}
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed/users.csv: %w", err)
	}
	return out, nil
}

// seedPlayground loads the sample agencies, markets and targets (moved to
// the program year of now, since the sample is written for 1405), grants
// the seeded users their roles and registers the sample placements (see
// seedPlaygroundPlacements). Everything is an upsert or keyed, so seeding
// again changes nothing.
func seedPlayground(ctx context.Context, db *postgres.DB, cal domain.Calendar, now time.Time, users []seedUser, log *slog.Logger) ([]page.User, error) {
	year := cal.ProgramYear(now)
	open := func(name string) (io.ReadCloser, error) { return seedFiles.Open("seed/" + name) }
	load := func(name string, fn func(io.Reader) error) error {
		f, err := open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := fn(f); err != nil {
			return fmt.Errorf("seed/%s: %w", name, err)
		}
		return nil
	}
	var agencies, markets, targets int
	err := errors.Join(
		load("agencies.csv", func(r io.Reader) error {
			as, err := csvimport.Agencies(r)
			if err == nil {
				_, _, err = db.UpsertAgencies(ctx, as)
			}
			agencies = len(as)
			return err
		}),
		load("markets.csv", func(r io.Reader) error {
			ms, err := csvimport.Markets(r, cal, now)
			if err == nil {
				_, _, err = db.UpsertMarkets(ctx, ms)
			}
			markets = len(ms)
			return err
		}),
	)
	if err != nil {
		return nil, err
	}
	// Targets name agencies by code, so they come after the agencies.
	err = load("targets-1405.csv", func(r io.Reader) error {
		all, err := db.Agencies(ctx)
		if err != nil {
			return err
		}
		ts, err := csvimport.Targets(r, all)
		if err != nil {
			return err
		}
		for i := range ts {
			ts[i].Year = year
		}
		targets = len(ts)
		_, _, err = db.UpsertTargets(ctx, ts)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]page.User, 0, len(users))
	var admin int64 // who adds the sample placements to the sample
	for _, u := range users {
		if u.role != "" {
			if err := db.GrantRole(ctx, u.ID, domain.Grant{Role: u.role}); err != nil {
				return nil, fmt.Errorf("seed: grant %s to %d: %w", u.role, u.ID, err)
			}
		}
		if u.role == domain.RoleAdmin && admin == 0 {
			admin = u.ID
		}
		out = append(out, u.User)
	}
	placed, sampled, err := seedPlaygroundPlacements(ctx, db, cal, now, admin, log)
	if err != nil {
		return nil, err
	}
	log.Info("playground: sample data loaded", "agencies", agencies, "markets", markets, "targets", targets, "year", year,
		"users", len(out), "placements", placed, "sampled", sampled)
	return out, nil
}

// seedCheck is where a sample placement's check starts.
type seedCheck string

const (
	seedNotSampled seedCheck = ""      // nobody asked: the person may answer with /myjob
	seedCall       seedCheck = "call"  // sampled, waiting for a verifier's call (/verify)
	seedVisit      seedCheck = "visit" // sampled and denied by the person: waiting for an inspector (/visit)
)

// seedPlacement is a row of seed/placements.csv.
type seedPlacement struct {
	placement domain.Placement
	check     seedCheck
}

// seedPlaygroundPlacements registers the placements of
// seed/placements.csv for this program year and starts their checks, so
// that the verifier and the inspector have records at once: "call" ones are
// added to the sample by admin, to be called from now; a "visit" one too,
// and its person answers that they never worked there, which sends a record
// to the field without a verifier's three calls. Each placement is stored
// under a submission key of its national code and the answer under a key of
// its own, so seeding again finds them and changes nothing, whatever was
// done with them in between. A code someone placed in the playground first
// keeps that record, which the seed leaves alone.
func seedPlaygroundPlacements(ctx context.Context, db *postgres.DB, cal domain.Calendar, now time.Time, admin int64, log *slog.Logger) (placed, sampled int, err error) {
	agencies, err := db.Agencies(ctx)
	if err != nil {
		return 0, 0, err
	}
	rows, err := readSeedPlacements(agencies, cal, now)
	if err != nil {
		return 0, 0, err
	}
	year := cal.ProgramYear(now)
	for _, row := range rows {
		pl := row.placement
		pl.ProgramYear = year
		pl.Submission = "playground-seed:" + string(pl.NationalID)
		p, err := db.CreatePlacement(ctx, pl, now)
		if _, dup := domain.AsDuplicate(err); dup {
			log.Warn("playground: sample placement's national code is placed already: left out", "nationalid", pl.NationalID)
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("seed: placement %s: %w", pl.NationalID, err)
		}
		placed++
		if row.check == seedNotSampled {
			continue
		}
		// A placement sampled already stays as it is.
		if _, err := db.AddToSample(ctx, p.ID, 0, year, admin, now, now); err != nil {
			return 0, 0, fmt.Errorf("seed: sample placement %d: %w", p.ID, err)
		}
		sampled++
		if row.check == seedVisit {
			_, err := db.RecordCheck(ctx, domain.VerifyEvent{
				PlacementID: p.ID, At: now, Stage: domain.StagePerson, Outcome: domain.OutcomeNever,
				Key: "playground-seed:never:" + string(p.NationalID),
			})
			if err != nil {
				return 0, 0, fmt.Errorf("seed: the person's answer on placement %d: %w", p.ID, err)
			}
		}
	}
	return placed, sampled, nil
}

// readSeedPlacements reads seed/placements.csv: a column per placement
// field (domain.PlacementFields, values as a sheet takes them) but the start
// date, given as started_days_ago so that it stays in the program year;
// agency, by code; and check (seedCheck). Every row is checked as a
// registration at now.
func readSeedPlacements(agencies []domain.Agency, cal domain.Calendar, now time.Time) ([]seedPlacement, error) {
	f, err := seedFiles.Open("seed/placements.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const startField = "startdate"
	columns := []string{"agency", "started_days_ago", "check"}
	for _, fl := range domain.PlacementFields {
		if fl.Key != startField {
			columns = append(columns, fl.Key)
		}
	}
	t, err := csvimport.Read(f, columns...)
	if err != nil {
		return nil, fmt.Errorf("seed/placements.csv: %w", err)
	}
	var out []seedPlacement
	err = t.Each(func(cell func(string) string) error {
		days, err := strconv.Atoi(strings.TrimSpace(cell("started_days_ago")))
		if err != nil || days < 0 {
			return fmt.Errorf("started_days_ago %q: not a number of days", cell("started_days_ago"))
		}
		raw := map[string]string{startField: cal.FormatDateValue(now.AddDate(0, 0, -days))}
		for _, fl := range domain.PlacementFields {
			if fl.Key != startField {
				raw[fl.Key] = strings.TrimSpace(cell(fl.Key))
			}
		}
		values := map[string]string{}
		for _, fl := range domain.PlacementFields {
			v := raw[fl.Key]
			switch {
			case fl.Skipped(raw):
				continue
			case v == "" && fl.Default != "":
				v = fl.Default
			case fl.Parse != nil && fl.Key != startField:
				if v, err = fl.Parse(v, cal, now); err != nil {
					return fmt.Errorf("%s %q: %w", fl.Key, raw[fl.Key], err)
				}
			}
			values[fl.Key] = v
		}
		p := domain.PlacementFromValues(cal, values)
		if errs := p.Check(cal, now); len(errs) > 0 {
			return errors.Join(errs...)
		}
		code := strings.TrimSpace(cell("agency"))
		i := slices.IndexFunc(agencies, func(a domain.Agency) bool { return a.Code == code })
		if i < 0 {
			return fmt.Errorf("agency %q: not in seed/agencies.csv", code)
		}
		p.AgencyID = agencies[i].ID
		check := seedCheck(strings.TrimSpace(cell("check")))
		if !slices.Contains([]seedCheck{seedNotSampled, seedCall, seedVisit}, check) {
			return fmt.Errorf("check %q: call, visit or empty", check)
		}
		out = append(out, seedPlacement{placement: p, check: check})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed/placements.csv: %w", err)
	}
	return out, nil
}

// playgroundAccount tells the page a user's roles and agency.
func playgroundAccount(db *postgres.DB) func(context.Context, int64) (page.Account, error) {
	return func(ctx context.Context, id int64) (page.Account, error) {
		u, err := db.User(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) {
			return page.Account{}, nil // has not talked to the bot yet
		}
		if err != nil {
			return page.Account{}, err
		}
		a := page.Account{FullName: u.FullName}
		for _, g := range u.Grants {
			a.Roles = append(a.Roles, string(g.Role))
			if g.AgencyID != 0 {
				ag, err := db.Agency(ctx, g.AgencyID)
				if err != nil {
					return page.Account{}, err
				}
				a.Agency = ag.NameFa
			}
		}
		return a, nil
	}
}

// clearRedisPrefix deletes every key under prefix.
func clearRedisPrefix(ctx context.Context, url, prefix string) error {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Del(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 500).Iterator()
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}

// globEscape quotes the characters SCAN MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
