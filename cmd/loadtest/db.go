package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/rasad-gov/rasad/domain"
)

// Database and Redis: a fresh database and key prefix per scenario, the
// liaisons granted by SQL, the correctness check, and the server-side
// counters (transactions, commands, CPU of the Postgres backends and of
// Redis) that say where the work went.

// agencyCSV is what `rasad import agencies` loads; liaisons are spread over
// the agencies so the rows are not all one agency's.
const agencyCSV = `code,name_fa,name_en
labour,اداره کل تعاون، کار و رفاه اجتماعی استان تهران,"Directorate of Cooperatives, Labour and Social Welfare"
agriculture,سازمان جهاد کشاورزی استان تهران,Agriculture Jihad Organization
industry,سازمان صنعت، معدن و تجارت استان تهران,"Industry, Mine and Trade Organization"
`

var agencyCodes = []string{"labour", "agriculture", "industry"}

// database is one scenario's own database on the admin URL's server.
type database struct {
	admin string // the server's admin URL, which CREATE and DROP go through
	name  string
	url   string // the same server, pointing at name
}

// Every call here is bounded, so a Postgres that stops answering fails the
// scenario instead of hanging it.
const dbTimeout = 30 * time.Second

func createDatabase(ctx context.Context, admin string) (*database, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-db-admin %q is not a postgres:// URL", admin)
	}
	name := "rasad_load_" + randomHex(6)
	if err := execOn(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return &database{admin: admin, name: name, url: u.String()}, nil
}

// withParams adds query parameters (pgxpool's pool_max_conns and the like)
// to a database URL.
func withParams(dbURL, params string) string {
	if params == "" {
		return dbURL
	}
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	return dbURL + sep + params
}

// drop removes the database even if a replica that would not stop still
// holds connections.
func (d *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	return execOn(ctx, d.admin, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)")
}

// execOn runs one statement on a short-lived connection.
func execOn(ctx context.Context, connURL, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// grantLiaisons makes every simulated user a liaison in two statements:
// `rasad admin grant` costs a process start and a connection per user.
// The rows are what GrantRole writes (storage/postgres/users.go).
func (d *database) grantLiaisons(ctx context.Context, ids []int64) error {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	names := make([]string, len(ids))
	codes := make([]string, len(ids))
	for i, id := range ids {
		names[i] = "Liaison " + strconv.FormatInt(id, 10)
		codes[i] = agencyCodes[i%len(agencyCodes)]
	}
	if _, err := conn.Exec(ctx, `INSERT INTO users (telegram_id, full_name) SELECT * FROM unnest($1::bigint[], $2::text[])`, ids, names); err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	tag, err := conn.Exec(ctx, `
		INSERT INTO user_roles (telegram_id, role, agency_id)
		SELECT g.id, 'liaison', a.id FROM unnest($1::bigint[], $2::text[]) AS g(id, code) JOIN agencies a ON a.code = g.code`, ids, codes)
	if err != nil {
		return fmt.Errorf("insert roles: %w", err)
	}
	if int(tag.RowsAffected()) != len(ids) {
		return fmt.Errorf("granted %d liaison roles, want %d (agencies not imported?)", tag.RowsAffected(), len(ids))
	}
	return nil
}

// placementCheck is what the database holds of the measured users' work.
type placementCheck struct {
	rows     int // placements registered by the measured users
	distinct int // distinct national codes among them
	expected int // of those, codes the users actually typed
}

func (d *database) checkPlacements(ctx context.Context, liaisons []int64, typed []domain.NationalID) (placementCheck, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	codes := make([]string, len(typed))
	for i, c := range typed {
		codes[i] = string(c)
	}
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return placementCheck{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var c placementCheck
	err = conn.QueryRow(ctx, `
		SELECT count(*), count(DISTINCT national_id), count(*) FILTER (WHERE national_id = ANY($2::text[]))
		FROM placements WHERE liaison_id = ANY($1::bigint[]) AND withdrawn_at IS NULL`, liaisons, codes).
		Scan(&c.rows, &c.distinct, &c.expected)
	return c, err
}

// transactions is the database's committed and rolled-back transactions so
// far. Backends report them when idle or on exit, so read it with the
// replicas stopped to count everything.
func (d *database) transactions(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(xact_commit + xact_rollback), 0)::bigint FROM pg_stat_database WHERE datname = $1`, d.name).Scan(&n)
	return n, err
}

// backendPIDs are the Postgres server processes serving this database (the
// bot's pool), whose CPU is read from /proc like the bot's.
func (d *database) backendPIDs(ctx context.Context) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, d.name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// redisServer is the shared Redis: the scenario's keys live under its own
// prefix and are deleted after.
type redisServer struct {
	rdb *goredis.Client
}

func openRedis(ctx context.Context, rawURL string) (*redisServer, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	r := &redisServer{rdb: goredis.NewClient(opts)}
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		r.rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	return r, nil
}

func (r *redisServer) close() { r.rdb.Close() }

// info reads one numeric field of INFO.
func (r *redisServer) info(ctx context.Context, section, field string) (int64, error) {
	s, err := r.rdb.Info(ctx, section).Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("redis INFO %s has no %s", section, field)
}

// commands is the server's total commands processed, every client's: on a
// server others use at the same time the per-update figure is an upper bound.
func (r *redisServer) commands(ctx context.Context) (int64, error) {
	return r.info(ctx, "stats", "total_commands_processed")
}

// commandCalls is INFO commandstats: calls so far by command. Commands a
// Lua script runs count under their own names (and in commands), so the
// client's round trips are the EVALSHA and plain commands of its code.
func (r *redisServer) commandCalls(ctx context.Context) (map[string]int64, error) {
	s, err := r.rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(s, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		if n, err := strconv.ParseInt(calls, 10, 64); err == nil {
			out[strings.TrimPrefix(name, "cmdstat_")] = n
		}
	}
	return out, nil
}

// pid is the server's process id, for its CPU in /proc (same host only).
func (r *redisServer) pid(ctx context.Context) (int, error) {
	n, err := r.info(ctx, "server", "process_id")
	return int(n), err
}

// deletePrefix removes a scenario's keys (claims are kept 24h otherwise).
func (r *redisServer) deletePrefix(prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := r.rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := r.rdb.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return r.rdb.Unlink(ctx, batch...).Err()
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
