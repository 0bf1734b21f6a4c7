// Command loadtest drives the real rasad binary with simulated liaisons
// through the in-repo Bot API server, against real Postgres and Redis, and
// prints one table: throughput, reply latency, CPU and memory per scenario,
// and whether every placement was stored exactly once.
//
//	go run ./cmd/loadtest                          # 50 users, 1 round, all scenarios
//	go run ./cmd/loadtest -users 10 -rounds 3 -scenarios webhook3
//	go run ./cmd/loadtest -rounds 10 -cpuprofile gen.prof   # then: go tool pprof -top gen.prof
//	go run ./cmd/loadtest -db-params pool_max_conns=16 -env GOGC=200   # try a setting
//	go run ./cmd/loadtest -rounds 10 -repeat 3     # each scenario 3 times: the host's steal varies
//
// Each scenario gets a fresh database and Redis prefix, runs `rasad migrate`
// and `rasad import agencies`, grants the users the liaison role by SQL,
// starts the replicas (SEND_RATE=0, LOG_LEVEL=warn, POLL_TIMEOUT=5s, their
// own HTTP_ADDR and METRICS_ADDR; for webhook3 behind a round-robin proxy
// in this process), waits for /healthz, warms up with one user,
// then lets every user register its placements at once, each sending the
// next update as soon as the reply to the last one arrived.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
)

type options struct {
	users, rounds   int
	repeat          int
	scenarios       []string
	bin             string
	dbAdmin         string
	redisURL        string
	stepTimeout     time.Duration
	scenarioTimeout time.Duration
	cpuProfile      string
	dbParams        string   // appended to the replicas' DATABASE_URL, e.g. pool_max_conns=16
	env             []string // extra environment for the replicas
}

// scenario is how the bot receives updates and how many replicas run.
type scenario struct {
	name     string
	mode     string // MODE: polling or webhook
	replicas int
}

var scenarios = []scenario{
	{"polling1", "polling", 1},
	{"webhook1", "webhook", 1},
	{"webhook3", "webhook", 3},
}

func main() {
	opt, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if os.Getenv("GOGC") == "" {
		// The generator stands in for Telegram's servers yet shares the
		// two cores with the bot: collecting less often (as rasad does)
		// leaves more of them to what is measured. Its profile put GC at
		// an eighth of its CPU at the default.
		debug.SetGCPercent(400)
	}
	// Output piped into `head` must not kill the run before it has dropped
	// its database and stopped its replicas: writes fail quietly instead.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opt)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var opt options
	var list string
	fs.IntVar(&opt.users, "users", 50, "simulated liaisons, all at once")
	fs.IntVar(&opt.rounds, "rounds", 1, "placements each user registers, one after another")
	fs.IntVar(&opt.repeat, "repeat", 1, "run the scenarios this many times, each a row: on a shared host the CPU the host steals varies from run to run")
	fs.StringVar(&list, "scenarios", "polling1,webhook1,webhook3", "comma-separated: polling1, webhook1, webhook3")
	fs.StringVar(&opt.bin, "bin", "", "rasad binary to run (default: go build ./cmd/rasad into a temporary directory)")
	fs.StringVar(&opt.dbAdmin, "db-admin", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "Postgres URL whose role may create databases")
	fs.StringVar(&opt.redisURL, "redis", "redis://127.0.0.1:6379/0", "Redis URL")
	fs.DurationVar(&opt.stepTimeout, "step-timeout", 45*time.Second, "longest wait for one reply (the bot retries a failing update for ~30s)")
	fs.DurationVar(&opt.scenarioTimeout, "timeout", 5*time.Minute, "longest measured phase of one scenario")
	fs.StringVar(&opt.cpuProfile, "cpuprofile", "", "write the generator's own CPU profile to this file")
	fs.StringVar(&opt.dbParams, "db-params", "", "query parameters added to the bot's DATABASE_URL, e.g. pool_max_conns=16")
	fs.Func("env", "KEY=VALUE for the replicas' environment, after the defaults (repeatable), e.g. -env GOGC=200", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		opt.env = append(opt.env, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if opt.users < 1 || opt.rounds < 1 || opt.repeat < 1 {
		return opt, errors.New("-users, -rounds and -repeat must be at least 1")
	}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			return opt, fmt.Errorf("-scenarios: unknown %q (polling1, webhook1, webhook3)", name)
		}
		opt.scenarios = append(opt.scenarios, name)
	}
	return opt, nil
}

func run(ctx context.Context, opt options) error {
	if opt.cpuProfile != "" {
		f, err := os.Create(opt.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	tx, err := loadTexts()
	if err != nil {
		return err
	}
	bin := opt.bin
	if bin == "" {
		fmt.Fprintln(os.Stderr, "building ./cmd/rasad ...")
		var cleanup func()
		if bin, cleanup, err = buildBinary(ctx); err != nil {
			return err
		}
		defer cleanup()
	}
	rs, err := openRedis(ctx, opt.redisURL)
	if err != nil {
		return err
	}
	defer rs.close()

	var results []result
run:
	for rep := range opt.repeat {
		for _, name := range opt.scenarios {
			sc := scenarios[slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })]
			fmt.Fprintf(os.Stderr, "running %s (%d of %d): %d users x %d rounds ...\n", sc.name, rep+1, opt.repeat, opt.users, opt.rounds)
			res := runScenario(ctx, opt, sc, bin, &tx, rs)
			results = append(results, res)
			if ctx.Err() != nil {
				break run
			}
		}
	}
	printReport(os.Stdout, opt, results)
	return nil
}

// result is one scenario's row, and notes on it.
type result struct {
	sc  scenario
	err error // the run failed; the row shows what was measured

	updates, placements int
	wall                time.Duration
	latencies           []time.Duration
	alone               float64 // ms: median reply time of the warm-up user, alone on the bot
	handleMs            float64 // ms: the bot's mean handling time per update, from its /metrics
	handled, apiCalls   float64 // updates handled and Bot API requests made, from its /metrics
	botCPU, genCPU      float64 // seconds during the measured phase
	pgCPU, redisCPU     float64 // Postgres backends of the scenario's database; the whole Redis server
	busy                float64 // share of the machine's CPUs busy during the measured phase
	stolen              float64 // share of it the hypervisor gave to other machines (steal)
	rssMB               []float64
	pgTxPerUpd          float64 // NaN when unknown
	redisCmdPerUpd      float64
	redisCalls          string // the busiest commands, per update
	check               *placementCheck
	unanswered          int
	expected            int
	timeWait            int   // TIME_WAIT sockets towards the Bot API server at the end
	hookTimeWait        int   // and towards the webhook (replicas, proxy)
	warns, errs         int   // lines the replicas logged
	proxyErrs           int64 // webhook requests the proxy could not pass on
	logTail             string
}

// runScenario runs one scenario from an empty database to a dropped one.
// Every wait has a timeout; a failure ends up in the result, not a hang.
func runScenario(ctx context.Context, opt options, sc scenario, bin string, tx *texts, rs *redisServer) (res result) {
	res = result{sc: sc, pgTxPerUpd: math.NaN(), redisCmdPerUpd: math.NaN(), handleMs: math.NaN(), expected: opt.users * opt.rounds}
	fail := func(err error) result { res.err = err; return res }

	db, err := createDatabase(ctx, opt.dbAdmin)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := db.drop(); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", db.name, err)
		}
	}()
	prefix := "loadtest:" + randomHex(4) + ":"
	defer func() {
		if err := rs.deletePrefix(prefix); err != nil {
			fmt.Fprintf(os.Stderr, "delete redis keys %s*: %v\n", prefix, err)
		}
	}()

	const warmID, firstID = 499_999, 500_000
	ids := make([]int64, opt.users)
	for i := range ids {
		ids[i] = int64(firstID + i)
	}
	if err := seed(ctx, bin, db, append([]int64{warmID}, ids...)); err != nil {
		return fail(err)
	}

	srv := fakeapi.New(fakeapi.Options{Addr: "127.0.0.1:0"})
	defer srv.Close()
	// The proxy's port is taken first: the free ports picked next are
	// released before the replicas bind them, and must not be its.
	var proxyL net.Listener
	if sc.mode == "webhook" && sc.replicas > 1 {
		if proxyL, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fail(err)
		}
		defer proxyL.Close()
	}
	free, err := freeAddrs(2 * sc.replicas)
	if err != nil {
		return fail(err)
	}
	addrs, internals := free[:sc.replicas:sc.replicas], free[sc.replicas:] // HTTP_ADDR, METRICS_ADDR
	env := append(baseEnv(withParams(db.url, opt.dbParams)),
		"BOT_TOKEN="+srv.Token(),
		"BOT_API_URL="+srv.URL(),
		"REDIS_URL="+opt.redisURL,
		"REDIS_PREFIX="+prefix,
		"MODE="+sc.mode,
		"POLL_TIMEOUT=5s",
		"SEND_RATE=0",
	)
	var hookAddrs []string // where webhook deliveries connect
	var proxyErrs atomic.Int64
	if sc.mode == "webhook" {
		hookAddrs = slices.Clone(addrs)
		hook := "http://" + addrs[0]
		if proxyL != nil {
			proxyURL, stopProxy := startProxy(proxyL, addrs, &proxyErrs)
			defer stopProxy()
			hook = proxyURL
			hookAddrs = append(hookAddrs, strings.TrimPrefix(proxyURL, "http://"))
		}
		env = append(env, "WEBHOOK_URL="+hook, "WEBHOOK_SECRET="+randomHex(16))
	}
	env = append(env, opt.env...) // the last of duplicate keys wins

	defer func() { res.proxyErrs = proxyErrs.Load() }()

	// Counters read around everything the replicas do, so per-update
	// figures include the warm-up's updates too.
	txBefore, txErr := db.transactions(ctx)
	cmdsBefore, cmdErr := rs.commands(ctx)
	callsBefore, _ := rs.commandCalls(ctx)

	var reps []*replica
	stopReplicas := func() {
		grace := 20 * time.Second // the bot gives in-flight updates 20 s
		if ctx.Err() != nil {
			grace = 3 * time.Second // ^C: the Bot API server is gone anyway
		}
		if err := stopAll(reps, grace); err != nil && res.err == nil {
			res.err = err
		}
		for _, r := range reps {
			w, e := r.out.counts()
			res.warns, res.errs = res.warns+w, res.errs+e
			if w+e > 0 {
				res.logTail += lastLines(r.out.String(), 5) + "\n"
			}
		}
		reps = nil
	}
	defer stopReplicas()
	for i, addr := range addrs {
		r, err := startReplica(bin, env, addr, internals[i])
		if err != nil {
			return fail(err)
		}
		reps = append(reps, r)
	}
	readyCtx, cancelReady := context.WithTimeout(ctx, time.Minute)
	defer cancelReady()
	for _, r := range reps {
		if err := r.waitHealthy(readyCtx); err != nil {
			return fail(err)
		}
	}
	if sc.mode == "webhook" {
		for url, _ := srv.Webhook(); url == ""; url, _ = srv.Webhook() {
			if readyCtx.Err() != nil {
				return fail(errors.New("no replica set the webhook within a minute"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Warm-up: one user, one whole flow, not measured (connections, the
	// first replica to poll, caches).
	warm := &simUser{u: srv.User(warmID, "Warmup"), tx: tx, timeout: time.Minute}
	code, err := nationalCode(opt.users*opt.rounds + 1)
	if err != nil {
		return fail(err)
	}
	if err := warm.register(ctx, code, 0); err != nil {
		return fail(fmt.Errorf("warm-up: %w", err))
	}

	res.alone = percentile(warm.latencies, 50)

	// The measured phase.
	pids := make([]int, len(reps))
	for i, r := range reps {
		pids[i] = r.pid()
	}
	// User i registers codes i*rounds ... i*rounds+rounds-1.
	codes := make([]domain.NationalID, opt.users*opt.rounds)
	for n := range codes {
		if codes[n], err = nationalCode(n); err != nil {
			return fail(err)
		}
	}
	users := make([]*simUser, opt.users)
	for i := range users {
		users[i] = &simUser{u: srv.User(ids[i], "Liaison"), tx: tx, timeout: opt.stepTimeout}
	}
	before := takeSnapshot(ctx, reps, db, rs)
	start := time.Now()
	errs, aborted := runUsers(ctx, opt, srv, users, codes)
	res.wall = time.Since(start)
	after := takeSnapshot(context.WithoutCancel(ctx), reps, db, rs) // after a ^C too

	res.botCPU = sumDelta(before.bot, after.bot)
	res.pgCPU = sumDelta(before.pg, after.pg)
	res.redisCPU = sumDelta(before.redis, after.redis)
	res.genCPU = after.gen - before.gen
	res.busy = after.machine.busySince(before.machine)
	res.stolen = after.machine.stolenSince(before.machine)
	if before.metrics != nil && after.metrics != nil {
		d := func(name string) float64 { return after.metrics[name] - before.metrics[name] }
		res.handleMs = d("rasad_update_handling_seconds_sum") / d("rasad_update_handling_seconds_count") * 1000
		res.apiCalls = d("rasad_sends_total")
		res.handled = d("rasad_update_handling_seconds_count")
	}
	for _, pid := range pids {
		if mb, err := peakRSSMB(pid); err == nil {
			res.rssMB = append(res.rssMB, mb)
		}
	}
	for _, u := range users {
		res.updates += u.updates
		res.placements += u.placements
		res.latencies = append(res.latencies, u.latencies...)
	}
	if err := errors.Join(errs...); err != nil {
		res.err = firstErrors(errs, 3)
	}
	if !aborted {
		// Telegram shows a spinner until a press is answered: every one must be.
		_ = srv.CheckCallbacksAnswered(5 * time.Second)
		res.unanswered = len(srv.Unanswered())
		res.timeWait = timeWaitTo(portOf(srv.URL()))
		for _, a := range hookAddrs {
			res.hookTimeWait += timeWaitTo(portOf(a))
		}
	}

	stopReplicas()
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel()
	warmUpdates := warm.updates
	if txAfter, err := db.transactions(cctx); err == nil && txErr == nil {
		res.pgTxPerUpd = float64(txAfter-txBefore) / float64(res.updates+warmUpdates)
	}
	if cmdsAfter, err := rs.commands(cctx); err == nil && cmdErr == nil {
		res.redisCmdPerUpd = float64(cmdsAfter-cmdsBefore) / float64(res.updates+warmUpdates)
	}
	if callsAfter, err := rs.commandCalls(cctx); err == nil && callsBefore != nil {
		res.redisCalls = perUpdate(callsBefore, callsAfter, res.updates+warmUpdates)
	}
	check, err := db.checkPlacements(cctx, ids, codes)
	if err != nil {
		return fail(fmt.Errorf("check placements: %w", err))
	}
	res.check = &check
	return res
}

// runUsers lets every user register its placements at once and waits for
// all of them. Past -timeout users stop at their next wait (see simUser.do)
// with the server kept up, so the replicas can finish and stop cleanly; on
// ^C the server is closed, which wakes every waiting user at once.
func runUsers(ctx context.Context, opt options, srv *fakeapi.Server, users []*simUser, codes []domain.NationalID) (errs []error, aborted bool) {
	mctx, cancel := context.WithTimeoutCause(ctx, opt.scenarioTimeout, fmt.Errorf("the measured phase ran past -timeout %v", opt.scenarioTimeout))
	defer cancel()
	stopAbort := context.AfterFunc(ctx, srv.Close)
	errs = make([]error, len(users))
	var wg sync.WaitGroup
	begin := make(chan struct{}) // all start together
	for i, u := range users {
		wg.Go(func() {
			<-begin
			for r := range opt.rounds {
				n := i*opt.rounds + r
				if err := u.register(mctx, codes[n], n); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	close(begin)
	wg.Wait()
	return errs, !stopAbort()
}

// snapshot is the counters read at each end of the measured phase.
type snapshot struct {
	bot, pg, redis map[int]float64 // CPU seconds by process
	gen            float64
	machine        machineTimes
	metrics        map[string]float64 // the replicas' /metrics, summed; nil if one failed
}

func takeSnapshot(ctx context.Context, reps []*replica, db *database, rs *redisServer) snapshot {
	pids := make([]int, len(reps))
	for i, r := range reps {
		pids[i] = r.pid()
	}
	pg, _ := db.backendPIDs(ctx) // connections opened during the phase count from zero
	redis, _ := rs.pid(ctx)
	s := snapshot{bot: cpuOfAll(pids), pg: cpuOfAll(pg), redis: cpuOfAll([]int{redis}), gen: selfCPU(), machine: machineCPU(),
		metrics: map[string]float64{}}
	for _, r := range reps {
		m, err := r.metrics()
		if err != nil {
			s.metrics = nil
			break
		}
		for k, v := range m {
			s.metrics[k] += v
		}
	}
	return s
}

// seed migrates the database and loads what the flow needs: agencies with
// the real binary (one call), liaison roles by SQL (one call per user would
// cost a process each).
func seed(ctx context.Context, bin string, db *database, liaisons []int64) error {
	env := baseEnv(db.url)
	if err := runOnce(ctx, bin, env, "migrate"); err != nil {
		return err
	}
	csv, err := os.CreateTemp("", "agencies-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(csv.Name())
	_, err = csv.WriteString(agencyCSV)
	if cerr := csv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := runOnce(ctx, bin, env, "import", "agencies", csv.Name()); err != nil {
		return err
	}
	return db.grantLiaisons(ctx, liaisons)
}

// perUpdate lists the commands called most between two INFO commandstats
// readings, per update.
func perUpdate(before, after map[string]int64, updates int) string {
	type cmd struct {
		name string
		n    int64
	}
	var cmds []cmd
	for name, n := range after {
		if d := n - before[name]; d > 0 {
			cmds = append(cmds, cmd{name, d})
		}
	}
	slices.SortFunc(cmds, func(a, b cmd) int { return int(b.n - a.n) })
	var parts []string
	for _, c := range cmds[:min(len(cmds), 8)] {
		parts = append(parts, fmt.Sprintf("%s %.2f", strings.ToUpper(c.name), float64(c.n)/float64(max(updates, 1))))
	}
	return strings.Join(parts, ", ")
}

// firstErrors keeps a report short when many users failed alike.
func firstErrors(errs []error, n int) error {
	var kept []error
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if len(kept) < n {
				kept = append(kept, err)
			}
		}
	}
	return fmt.Errorf("%d of %d users failed: %w", failed, len(errs), errors.Join(kept...))
}

// sumDelta is the CPU the processes used between two readings. One started
// meanwhile counts from zero; one gone meanwhile is lost (pool connections
// live for the whole run).
func sumDelta(before, after map[int]float64) float64 {
	total := 0.0
	for pid, a := range after {
		total += a - before[pid]
	}
	return total
}

func portOf(rawURL string) int {
	i := strings.LastIndexByte(rawURL, ':')
	p, _ := strconv.Atoi(rawURL[i+1:])
	return p
}

// machineTimes is the first line of /proc/stat: all CPUs' time by state.
// steal is time the hypervisor gave this machine's CPUs to others: on a
// shared host it makes the same run slower, and is reported beside it.
type machineTimes struct{ total, idle, steal float64 }

func machineCPU() machineTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var m machineTimes
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		m.total += v
		switch i {
		case 3, 4: // idle, iowait
			m.idle += v
		case 7:
			m.steal += v
		}
	}
	return m
}

// stolenSince is the share of the machine's CPU time the hypervisor
// took since before.
func (m machineTimes) stolenSince(before machineTimes) float64 {
	total := m.total - before.total
	if total <= 0 {
		return math.NaN()
	}
	return (m.steal - before.steal) / total
}

func (m machineTimes) busySince(before machineTimes) float64 {
	total := m.total - before.total
	if total <= 0 {
		return math.NaN()
	}
	return 1 - (m.idle-before.idle)/total
}

// --- the report ---

func printReport(w *os.File, opt options, results []result) {
	fmt.Fprintf(w, "command: %s\n", commandLine())
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s/%s, %s; %d users x %d rounds per scenario\n\n",
		runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version(), opt.users, opt.rounds)

	const head = "%-9s %7s %7s %7s %7s %7s %7s %6s %9s %6s %8s %6s %7s %5s %6s %6s  %s\n"
	const row = "%-9s %7d %7.1f %7.1f %7.1f %7.1f %7s %6.2f %9.3f %6.2f %8s %6s %7s %5s %6s %6s  %s\n"
	fmt.Fprintf(w, head, "", "", "", "", "", "", "bot", "", "bot CPU", "gen", "bot peak", "PG", "Redis", "CPUs", "others", "host", "")
	fmt.Fprintf(w, head, "scenario", "updates", "upd/s", "p50 ms", "p95 ms", "p99 ms", "hdl ms", "plc/s", "s/1k upd", "CPU s", "RSS MB", "tx/upd", "cmd/upd", "busy", "CPU s", "stole", "placements in DB (correctness)")
	var notes []string
	for _, r := range results {
		secs := r.wall.Seconds()
		perSec := func(n int) float64 {
			if secs <= 0 {
				return 0
			}
			return float64(n) / secs
		}
		p50, p95, p99 := percentile(r.latencies, 50), percentile(r.latencies, 95), percentile(r.latencies, 99)
		perK := math.NaN()
		if r.updates > 0 {
			perK = r.botCPU / float64(r.updates) * 1000
		}
		// What the machine's busy CPUs did that none of the measured
		// processes did: other work on the host (and Postgres' own
		// background processes) competing for the same CPUs.
		others := max((r.busy-r.stolen)*secs*float64(runtime.NumCPU())-r.botCPU-r.genCPU-r.pgCPU-r.redisCPU, 0)
		fmt.Fprintf(w, row, r.sc.name, r.updates, perSec(r.updates), p50, p95, p99, num(r.handleMs, 1), perSec(r.placements), perK, r.genCPU,
			rssColumn(r.rssMB), num(r.pgTxPerUpd, 1), num(r.redisCmdPerUpd, 1), pct(r.busy), num(others, 2), pct(r.stolen), correctness(r))
		if r.wall > 0 {
			notes = append(notes, fmt.Sprintf("%s: warm-up user alone: p50 %.1f ms; %.1f s measured; CPU s in it: bot %.2f, generator %.2f, Postgres backends %.2f, Redis %.2f, others %.2f; TIME_WAIT sockets to the Bot API server: %d, to the webhook: %d; replica log: %d warnings, %d errors",
				r.sc.name, r.alone, secs, r.botCPU, r.genCPU, r.pgCPU, r.redisCPU, others, r.timeWait, r.hookTimeWait, r.warns, r.errs))
		}
		if r.handled > 0 {
			notes = append(notes, fmt.Sprintf("%s: the bot's /metrics: %.0f updates handled, %.2f Bot API requests per update", r.sc.name, r.handled, r.apiCalls/r.handled))
		}
		if r.redisCalls != "" {
			notes = append(notes, fmt.Sprintf("%s: Redis commands per update (inside scripts too): %s", r.sc.name, r.redisCalls))
		}
		if r.proxyErrs > 0 {
			notes = append(notes, fmt.Sprintf("%s: the proxy failed %d webhook requests (502)", r.sc.name, r.proxyErrs))
		}
		if r.err != nil {
			notes = append(notes, fmt.Sprintf("%s FAILED:\n%s", r.sc.name, indent(r.err.Error())))
		}
		if r.logTail != "" {
			notes = append(notes, fmt.Sprintf("%s replica log tail:\n%s", r.sc.name, indent(r.logTail)))
		}
	}
	fmt.Fprintln(w, "\nlatency: from sending an update to the first bot message after it, every update of the measured phase;")
	fmt.Fprintln(w, "bot hdl ms: the bot's own mean time from taking an update up to having handled it (rasad_update_handling_seconds);")
	fmt.Fprintln(w, "bot CPU and RSS from /proc (CPU summed over replicas, RSS peak per replica); gen = this process (Bot API server, proxy, users);")
	fmt.Fprintln(w, "PG tx/upd and Redis cmd/upd count the warm-up too; Redis counts every client of the server;")
	fmt.Fprintln(w, "CPUs busy = the whole machine (/proc/stat); others = busy CPU time not spent by the bot, generator, its Postgres backends, Redis or the host;")
	fmt.Fprintln(w, "host stole = share of the CPUs' time the hypervisor gave to other machines (steal): the same run is slower the more it steals.")
	for _, n := range notes {
		fmt.Fprintln(w, "  "+n)
	}
}

func correctness(r result) string {
	if r.check == nil {
		return "FAIL (not checked)"
	}
	c := *r.check
	verdict := "ok"
	if c.rows != r.expected || c.distinct != r.expected || c.expected != r.expected || r.err != nil || r.unanswered > 0 {
		verdict = "FAIL"
	}
	s := fmt.Sprintf("%s: %d rows, %d distinct, want %d", verdict, c.rows, c.distinct, r.expected)
	if c.expected != c.rows {
		s += fmt.Sprintf(", %d of them typed", c.expected)
	}
	if r.unanswered > 0 {
		s += fmt.Sprintf(", %d presses unanswered", r.unanswered)
	}
	return s
}

// percentile is the exact nearest-rank percentile of the samples, in ms.
func percentile(samples []time.Duration, p float64) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return float64(s[max(i, 0)]) / float64(time.Millisecond)
}

func rssColumn(mb []float64) string {
	if len(mb) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", slices.Max(mb))
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// commandLine is how this run was started; `go run` leaves a temporary
// binary in argv[0], shown as the command it came from.
func commandLine() string {
	argv0 := os.Args[0]
	if strings.Contains(argv0, "go-build") {
		argv0 = "go run ./cmd/loadtest"
	}
	parts := []string{argv0}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}
