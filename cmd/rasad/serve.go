package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"crypto/rand"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/safir"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/redis"
)

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	rs, err := redis.Open(ctx, cfg.RedisURL, cfg.RedisPrefix)
	if err != nil {
		return fmt.Errorf("redis at REDIS_URL: %w", err)
	}
	defer rs.Close()
	api, err := telegram.Connect(ctx, telegram.Endpoint(cfg.BotAPIURL), cfg.BotToken, apiClient(cfg))
	if err != nil {
		return fmt.Errorf("bot api at BOT_API_URL %s: %w", cfg.BotAPIURL, err)
	}
	log.Info("connected", "bot", api.Self().UserName, "api", cfg.BotAPIURL)
	// Handled update ids are kept per bot and server: another server's
	// ids start again.
	scoped, err := rs.ForBot(ctx, api.Scope())
	if err != nil {
		return err
	}
	cfg.metrics = newPromMetrics()
	return runBot(ctx, cfg, log, db, scoped, api)
}

// apiClient talks to the Bot API server. Every update makes about two
// requests and many are in flight at once (a button press sends three
// together): the default two idle connections per host made half of them
// open a new one (a TLS handshake, against Telegram), which the load test
// measured at a fifth of the bot's CPU. 256 keeps the connections of 50
// busy chats' presses.
func apiClient(cfg config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Transport: t, Timeout: cfg.PollTimeout + 15*time.Second}
}

// runBot runs the bot on opened services until ctx ends: the update loop
// (polling or webhook), the timed jobs, and the HTTP listener for the
// webhook, health and metrics.
func runBot(ctx context.Context, cfg config, log *slog.Logger, db *postgres.DB, rs *redis.Store, api transport.API) error {
	b, err := newBot(ctx, cfg, log, db, rs, api)
	if err != nil {
		return err
	}
	return runWired(ctx, cfg, log, b, db, rs, api)
}

// runWired runs a wired bot until ctx ends.
func runWired(ctx context.Context, cfg config, log *slog.Logger, b *bot.Bot, db *postgres.DB, rs *redis.Store, api transport.API) error {
	owner := processName()
	// Users are looked up for every update; they are kept in memory while
	// Postgres announces their changes.
	cacheCtx, stopCache := context.WithCancel(context.WithoutCancel(ctx))
	cacheDone := db.CacheUsers(cacheCtx, log)
	defer func() { stopCache(); cacheDone() }()
	var jobs sync.WaitGroup
	jobs.Go(func() { b.RunJobs(ctx, owner, cfg.AllocateAt) })
	defer jobs.Wait()
	// Health and metrics on their own address: the webhook's is public,
	// and a readiness probe must not let strangers make database calls.
	internal := http.NewServeMux()
	internal.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }))
	internal.Handle("GET /readyz", readyz(db, rs))
	if cfg.metrics != nil {
		internal.Handle("GET /metrics", cfg.metrics.handler())
	}
	// Profiles of a live replica (where its time goes under load); this
	// address is kept off the public network with /metrics.
	internal.HandleFunc("GET /debug/pprof/", pprof.Index)
	internal.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	stopInternal, err := listen(ctx, cfg.MetricsAddr, internal, log)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	defer stopInternal()
	if cfg.Mode == "webhook" {
		err = serveWebhook(ctx, cfg, log, b, rs, api, owner)
	} else {
		err = poll(ctx, cfg, log, b, rs, api, owner)
	}
	// Presses' answers and prompts' edits go out after their updates were
	// handled; give them a moment.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if werr := b.Wait(wctx); werr != nil {
		log.Warn("acknowledgements still unsent at shutdown", "err", werr)
	}
	return err
}

// readyz answers 200 while Postgres and Redis answer, 503 naming the one
// that does not.
func readyz(db *postgres.DB, rs *redis.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		for name, ping := range map[string]func(context.Context) error{"postgres": db.Ping, "redis": rs.Ping} {
			if err := ping(ctx); err != nil {
				http.Error(w, name+" unreachable", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
}

// listen binds addr now, so a taken port stops start-up with its reason,
// and serves mux until the returned stop is called.
func listen(ctx context.Context, addr string, mux http.Handler, log *slog.Logger) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http listener", "addr", addr, "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("http shutdown", "err", err)
		}
	}, nil
}

// webhookPath is where the Bot API server posts updates.
const webhookPath = "/telegram/webhook"

// serveWebhook registers the webhook and handles what it receives until ctx
// ends; then it stops taking requests and finishes, for a while, what it
// took.
func serveWebhook(ctx context.Context, cfg config, log *slog.Logger, b *bot.Bot, rs *redis.Store, api transport.API, owner string) error {
	d := dispatcherFor(cfg, b, rs, log, owner)
	d.Locks = rs // a chat's updates may reach several replicas at once
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	defer endLife()
	wait := cmp.Or(cfg.WebhookWait, 2*time.Second)
	wh := &transport.Webhook{Dispatcher: d, Secret: cfg.Secret, SecretInPath: cfg.SecretInPath, MaxWait: wait, Logger: log, Life: life}
	path, secretHeader := webhookPath, cfg.Secret
	mux := http.NewServeMux()
	if cfg.SecretInPath {
		// Any last segment reaches the handler, which compares it in
		// constant time and logs a wrong one.
		path, secretHeader = webhookPath+"/"+cfg.Secret, ""
		mux.Handle("POST "+webhookPath+"/", wh)
	} else {
		mux.Handle("POST "+webhookPath, wh)
	}
	stopHTTP, err := listen(ctx, cfg.HTTPAddr, mux, log)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	hook := transport.SetWebhook{URL: strings.TrimRight(cfg.WebhookURL, "/") + path, Secret: secretHeader, MaxConnections: 40}
	if err := api.Do(ctx, hook); err != nil {
		stopHTTP()
		return fmt.Errorf("set webhook at WEBHOOK_URL: %w", err)
	}
	log.Info("receiving updates by webhook", "addr", cfg.HTTPAddr)
	<-ctx.Done()
	stopHTTP()
	// Updates already answered are not sent again: give them time to
	// finish, then cut what is left (it is logged).
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := wh.Wait(wctx); err != nil {
		endLife()
		log.Error("shutdown cut updates still being handled", "err", err)
	}
	log.Info("stopped")
	return nil
}

// killAt is the checkpoint that kills this process at point, or nil.
func killAt(point string, log *slog.Logger) func(string) {
	if point == "" {
		return nil
	}
	log.Warn("TEST_KILL_AT is set: this process will kill itself at a confirm", "point", point)
	return func(p string) {
		if p == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way: nothing more happens here
		}
	}
}

// newBot wires the bot to its services and sets the default command menu.
func newBot(ctx context.Context, cfg config, log *slog.Logger, db *postgres.DB, rs *redis.Store, api transport.API) (*bot.Bot, error) {
	for _, id := range cfg.AdminIDs {
		if err := db.GrantRole(ctx, id, domain.Grant{Role: domain.RoleAdmin}); err != nil {
			return nil, fmt.Errorf("grant admin from ADMIN_IDS: %w", err)
		}
	}
	b, err := bot.New(bot.Config{
		DefaultLanguage: cfg.Language,
		SessionTTL:      cfg.SessionTTL,
		InviteTTL:       cfg.InviteTTL,
		OfferTTL:        cfg.OfferTTL,
		SummaryAt:       cfg.SummaryAt,
		LinkBase:        cfg.LinkBase,
		EditMessages:    cfg.EditMessages,
		Secret:          cfg.callbackSecret(),
		Now:             cfg.Now,
		Calendar:        cfg.Calendar,
		SendRate:        cfg.SendRate,
		SendChatRate:    cfg.SendChatRate,
		SendChatBurst:   cfg.ChatBurst,
		Metrics:         metricsOf(cfg),
		Checkpoint:      killAt(cfg.KillAt, log),
		SavingHold:      cfg.ClaimLease,
		Verify:          cfg.Verify,
		Phone:           phoneMessenger(cfg, api, log),
	}, api, db, rs, log)
	if err != nil {
		return nil, err
	}
	b.SetDefaultCommands(ctx)
	return b, nil
}

// phoneMessenger is Safir's client when SAFIR_API_KEY is set, sending as
// SAFIR_BOT_ID or else as this bot; otherwise nil, an interface nil and not
// a nil *safir.Client, so the bot sees that it cannot.
func phoneMessenger(cfg config, api transport.API, log *slog.Logger) bot.PhoneMessenger {
	if cfg.SafirKey == "" {
		return nil
	}
	botID := cmp.Or(cfg.SafirBotID, api.Self().ID)
	log.Info("safir on: numbers that never wrote to the bot can be messaged", "url", cfg.SafirURL, "bot_id", botID)
	return safir.New(cfg.SafirURL, cfg.SafirKey, botID, nil)
}

// poll runs the long-polling update loop until ctx ends. One replica polls;
// the others stand by.
func poll(ctx context.Context, cfg config, log *slog.Logger, b *bot.Bot, rs *redis.Store, api transport.API, owner string) error {
	poller := &transport.Poller{
		API:        api,
		Dispatcher: dispatcherFor(cfg, b, rs, log, owner),
		Timeout:    cfg.PollTimeout,
		Logger:     log,
		Locks:      rs,
		Owner:      owner,
		Inbox:      rs,
	}
	log.Info("polling for updates")
	err := poller.Run(ctx)
	log.Info("stopped")
	return err
}

// processName tells this process apart from other replicas in claims.
func processName() string {
	host, _ := os.Hostname()
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + rand.Text()[:6]
}

// metricsOf is cfg's metrics as the bot's interface: a nil pointer must not
// become a non-nil interface.
func metricsOf(cfg config) bot.Metrics {
	if cfg.metrics == nil {
		return nil
	}
	return cfg.metrics
}

func dispatcherFor(cfg config, b *bot.Bot, rs *redis.Store, log *slog.Logger, owner string) *transport.Dispatcher {
	d := newDispatcher(b, rs, log, owner, cfg.ClaimLease)
	d.Metrics = metricsOf(cfg)
	if cfg.Retries != nil {
		d.Retries = cfg.Retries
	}
	return d
}

// retries try a failing update again for about half a minute (Postgres or
// Redis away for a moment) before the user is told.
var retries = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}

func newDispatcher(b *bot.Bot, rs *redis.Store, log *slog.Logger, owner string, lease time.Duration) *transport.Dispatcher {
	return &transport.Dispatcher{
		Handler: b,
		Log:     rs,
		Owner:   owner,
		Lease:   lease,
		Keep:    24 * time.Hour,
		Retries: retries,
		Logger:  log,
		Timeout: time.Minute,
	}
}

// openDatabase waits up to a minute for Postgres at DATABASE_URL, which
// often starts alongside the bot (compose, a rebooted host).
func openDatabase(ctx context.Context, cfg config, log *slog.Logger) (*postgres.DB, error) {
	url := cfg.DatabaseURL
	deadline := time.Now().Add(time.Minute)
	for {
		db, err := postgres.Open(ctx, url, cfg.Calendar)
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("postgres at DATABASE_URL %s: %w", redactURL(url), err)
		}
		log.Warn("postgres not reachable yet, retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func migrate(ctx context.Context, cfg config, out io.Writer) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.Calendar)
	if err != nil {
		return fmt.Errorf("postgres at DATABASE_URL %s: %w", redactURL(cfg.DatabaseURL), err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "migrations applied")
	return nil
}

var errArgs = errors.New("wrong arguments")
