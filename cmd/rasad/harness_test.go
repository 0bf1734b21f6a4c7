package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
	"github.com/rasad-gov/rasad/storage/redis"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

// The end-to-end harness: the real bot, wired as `rasad serve` wires it, on
// a fresh Postgres database and Redis prefix, talking over HTTP to the
// in-repo Bot API server through the real client library. Several bot
// processes can run at once or one after another on the same state.

const (
	adminID = 1000
	wait    = 5 * time.Second
)

type harness struct {
	t     testing.TB
	srv   *fakeapi.Server
	db    *postgres.DB
	dbURL string // db's, for commands run as `rasad …`; "" on a database of the test's own
	rs    *redis.Store
	cfg   config
	clock *clock
	log   *slog.Logger
	cat   *bot.Catalogue

	mu    sync.Mutex
	procs []*proc
}

// proc is one running bot process.
type proc struct {
	bot    *bot.Bot
	cancel context.CancelFunc
	done   chan error
}

const testAgencies = `code,name_fa,name_en
labour,اداره کل تعاون، کار و رفاه اجتماعی استان تهران,"Directorate of Cooperatives, Labour and Social Welfare"
agriculture,سازمان جهاد کشاورزی استان تهران,Agriculture Jihad Organization
industry,سازمان صنعت، معدن و تجارت استان تهران,"Industry, Mine and Trade Organization"
`

func newHarness(t testing.TB, edit func(*config)) *harness {
	t.Helper()
	return newHarnessWith(t, fakeapi.Options{}, edit)
}

func newHarnessWith(t testing.TB, opts fakeapi.Options, edit func(*config)) *harness {
	t.Helper()
	db, url := postgrestest.NewWithURL(t)
	h := newHarnessOn(t, opts, db, redistest.New(t), edit)
	h.dbURL = url
	return h
}

// cal is the calendar of the default TIME_ZONE, which the harness keeps.
var cal = domain.DefaultCalendar()

// newHarnessOn runs the bot on the given database and Redis: a Redis of
// the test's own, or a database behind a proxy that can be cut.
func newHarnessOn(t testing.TB, opts fakeapi.Options, db *postgres.DB, rs *redis.Store, edit func(*config)) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		srv:   fakeapi.New(opts),
		db:    db,
		rs:    rs,
		clock: &clock{now: time.Date(2026, 6, 7, 9, 0, 0, 0, domain.Tehran())},
		log:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"BOT_TOKEN": h.srv.Token(), "DATABASE_URL": "postgres://unused", "REDIS_URL": "redis://unused"}[k]
	}, needBot)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AdminIDs = []int64{adminID}
	cfg.BotAPIURL = h.srv.URL()
	cfg.PollTimeout = 2 * time.Second
	cfg.SendRate = 0 // the in-repo server has no flood limits; pacing has tests of its own
	cfg.HTTPAddr = freeAddr(t)
	cfg.MetricsAddr = freeAddr(t)
	cfg.Now = h.clock.Now
	if edit != nil {
		edit(&cfg)
	}
	h.cfg = cfg
	agencies, err := csvimport.Agencies(strings.NewReader(testAgencies))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.db.UpsertAgencies(context.Background(), agencies); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.stopAll()
		if err := h.srv.CheckCallbacksAnswered(time.Second); err != nil {
			t.Error(err)
		}
		if h.cat != nil {
			if m := h.cat.Missing(); len(m) > 0 {
				t.Errorf("catalogue keys missing: %v", m)
			}
		}
		h.srv.Close()
	})
	h.start()
	return h
}

// start runs one more bot process.
func (h *harness) start() *proc {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	api, err := telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := newBot(ctx, h.cfg, h.log, h.db, h.rs, api)
	if err != nil {
		h.t.Fatal(err)
	}
	h.cat = b.Catalogue()
	p := &proc{bot: b, cancel: cancel, done: make(chan error, 1)}
	cfg := h.cfg
	if len(h.procs) > 0 { // a second process listens on addresses of its own
		cfg.MetricsAddr = freeAddr(h.t)
		if cfg.Mode != "webhook" {
			cfg.HTTPAddr = freeAddr(h.t)
		}
	}
	go func() { p.done <- runWired(ctx, cfg, h.log, b, h.db, h.rs, api) }()
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	return p
}

// stop ends the process the way SIGTERM does: in-flight updates finish and
// their offset is confirmed.
func (p *proc) stop(t testing.TB) {
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("bot process: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("bot process did not stop within 10s")
	}
	p.done <- nil // let stopAll see it stopped
}

func (h *harness) stopAll() {
	h.mu.Lock()
	procs := h.procs
	h.procs = nil
	h.mu.Unlock()
	for _, p := range procs {
		p.cancel()
		<-p.done
	}
}

// T is a catalogue text in Persian, as users see it by default.
func (h *harness) T(key string, args ...string) string { return h.in("fa", key, args...) }

// in is a catalogue text in lang. A prompt's example, filled in by the
// code, is left out: the prompt is known by its words (TestEveryExample…
// types the examples).
func (h *harness) in(lang, key string, args ...string) string {
	words, _, _ := strings.Cut(h.cat.T(lang, key, args...), "{example}")
	return words
}

// person is a simulated user with assertions that fail the test.
type person struct {
	*fakeapi.User
	h *harness
}

func (h *harness) person(id int64, name string) person {
	return person{User: h.srv.User(id, name), h: h}
}

func (p person) send(text string) int {
	p.h.t.Helper()
	id, err := p.SendText(text)
	if err != nil {
		p.h.t.Fatalf("send %q: %v", text, err)
	}
	return id
}

// expect waits for the next message to this person and checks it contains want.
func (p person) expect(want string) fakeapi.Message {
	p.h.t.Helper()
	m, err := p.Next(wait)
	if err != nil {
		p.h.t.Fatalf("user %d waiting for %q: %v", p.ID(), want, err)
	}
	if !strings.Contains(m.Text, want) {
		p.h.t.Fatalf("user %d got %q, want it to contain %q", p.ID(), m.Text, want)
	}
	return m
}

// expectNothing checks no message arrives for a while.
func (p person) expectNothing(d time.Duration) {
	p.h.t.Helper()
	if m, err := p.Next(d); err == nil {
		p.h.t.Fatalf("user %d got unexpected %q", p.ID(), m.Text)
	}
}

// tap presses the newest button with label and returns the bot's answer.
func (p person) tap(label string) fakeapi.CallbackAnswer {
	p.h.t.Helper()
	a, err := p.Tap(label, wait)
	if err != nil {
		p.h.t.Fatalf("user %d tap %q: %v", p.ID(), label, err)
	}
	return a
}

// press presses a button of one given message and waits for the answer.
func (p person) press(msg int, label string) fakeapi.CallbackAnswer {
	p.h.t.Helper()
	id, err := p.Press(msg, label)
	if err != nil {
		p.h.t.Fatalf("user %d press %q on %d: %v", p.ID(), label, msg, err)
	}
	a, err := p.h.srv.WaitAnswer(id, wait)
	if err != nil {
		p.h.t.Fatalf("user %d press %q: %v", p.ID(), label, err)
	}
	return a
}

// clock is the bot's time, moved by tests instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testWriter sends the bot's warnings and errors to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// eventually polls cond until it holds or the wait runs out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(fmt.Errorf("unexpected error: %w", err))
		}
		return v
	}
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// toAgencyStep takes a new user from /start, as a liaison applicant who
// shares their own phone, to the agency step, and returns its prompt.
func toAgencyStep(h *harness, p person) fakeapi.Message {
	h.t.Helper()
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
	must[int](h.t)(p.ShareContact("09121234567", p.ID()))
	p.expect(h.T("contact.received"))
	return p.expect(h.T("liaison.agency.prompt"))
}

// toNameStep goes on from the agency step, choosing the labour directorate.
func toNameStep(h *harness, p person) {
	h.t.Helper()
	toAgencyStep(h, p)
	p.tap(labourFa)
	p.expect(h.T("liaison.name.prompt"))
}
