package main

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/safir"
	"github.com/rasad-gov/rasad/domain"
)

// config is every setting, read from the environment only. Each is
// documented in the README's table; keep the two in step.
type config struct {
	Platform    string // PLATFORM: "telegram" or "bale", the defaults of the settings that differ
	BotToken    string
	BotAPIURL   string
	DatabaseURL string
	RedisURL    string
	AdminIDs    []int64
	Language    string
	Calendar    domain.Calendar // TIME_ZONE's: every day boundary, handed to the bot and the store
	SessionTTL  time.Duration
	// ClaimLease is how long an update's claim and its chat's lock hold
	// against a process that died: renewed while the update is handled, a
	// dead process's updates wait this long for another.
	ClaimLease   time.Duration
	InviteTTL    time.Duration
	OfferTTL     time.Duration
	AllocateAt   string // "HH:MM" in TIME_ZONE for the daily allocation run; empty: operators run it
	SummaryAt    string // "HH:MM" in TIME_ZONE of the managers' daily summary
	LinkBase     string
	EditMessages bool
	PollTimeout  time.Duration
	SendRate     float64 // messages a second overall; 0: no pacing
	SendChatRate float64 // messages a second in one chat
	ChatBurst    int
	LogLevel     slog.Level

	Mode         string // "polling" or "webhook"
	WebhookURL   string // public base URL the Bot API server posts to
	Secret       string // webhook secret
	SecretInPath bool   // Bale sends no secret header: the secret goes in the path
	HTTPAddr     string // the webhook
	MetricsAddr  string // /healthz, /readyz, /metrics
	RedisPrefix  string

	// The playground: rasad playground, or serve without BOT_TOKEN.
	PlaygroundAddr string // PLAYGROUND_ADDR: the chat page's listen address
	PlaygroundSeed bool   // PLAYGROUND_SEED or --seed: load the sample data at start

	// Safir, Bale's service that messages a phone number which never wrote
	// to the bot: off while SafirKey (SAFIR_API_KEY) is empty. SafirBotID
	// 0 sends as the bot BOT_TOKEN logs in as.
	SafirKey   string
	SafirURL   string
	SafirBotID int64

	// KillAt (TEST_KILL_AT) names a point of a confirm (bot.PointSaved…)
	// where the process kills itself with SIGKILL: for the crash tests
	// that run the real binary. Never set in production.
	KillAt string

	Now     func() time.Time // the clock; tests move it, production leaves it nil
	Retries []time.Duration  // waits between a failing update's attempts; nil: the production schedule
	metrics *promMetrics     // set by the wiring; nil: not counted
	// WebhookWait (WEBHOOK_WAIT) is how long a webhook request waits for
	// its update to be handled before it is answered anyway. An update
	// answered early and then cut by a crash is not sent again.
	WebhookWait time.Duration

	Verify bot.VerifyConfig // VERIFY_SHARE, VERIFY_DAYS, VERIFY_CALL_AFTER, VERIFY_HOLD
}

// platform is what differs between the Bot API servers Rasad runs on
// (PLATFORM). Each is a default that its own setting overrides.
type platform struct {
	APIURL       string   // BOT_API_URL
	LinkBase     string   // BOT_LINK_BASE
	EditMessages bool     // EDIT_MESSAGES: Bale edits inline keyboards unreliably
	SecretInPath bool     // WEBHOOK_SECRET_IN_PATH: Bale sends no secret header
	WebhookPorts []string // the only ports it posts webhooks to; nil: any
}

// platforms is the table of PLATFORM's values; never assigned.
var platforms = map[string]platform{
	"telegram": {APIURL: "https://api.telegram.org", LinkBase: "https://t.me/", EditMessages: true},
	"bale":     {APIURL: "https://tapi.bale.ai", LinkBase: "https://ble.ir/", SecretInPath: true, WebhookPorts: []string{"443", "88"}},
}

// need says which settings a subcommand cannot run without.
type need int

const (
	needDatabase need = 1 << iota
	needRedis
	needBot
)

// loadConfig reads the environment. The first missing or malformed setting
// is reported in one line naming it.
func loadConfig(getenv func(string) string, needs need) (config, error) {
	r := envReader{getenv: getenv}
	name := r.oneOf("PLATFORM", "telegram", slices.Sorted(maps.Keys(platforms)))
	pf := platforms[name]
	cfg := config{
		Platform:     name,
		BotToken:     r.str("BOT_TOKEN", "", needs&needBot != 0),
		BotAPIURL:    r.url("BOT_API_URL", pf.APIURL, false),
		DatabaseURL:  r.url("DATABASE_URL", "", needs&needDatabase != 0),
		RedisURL:     r.url("REDIS_URL", "", needs&needRedis != 0),
		AdminIDs:     r.ids("ADMIN_IDS"),
		Language:     r.oneOf("DEFAULT_LANGUAGE", "fa", bot.Languages),
		Calendar:     r.calendar("TIME_ZONE", domain.DefaultZone),
		SessionTTL:   r.duration("SESSION_TTL", 24*time.Hour),
		ClaimLease:   r.duration("CLAIM_LEASE", 15*time.Second),
		WebhookWait:  r.duration("WEBHOOK_WAIT", 2*time.Second),
		InviteTTL:    r.duration("INVITE_TTL", 7*24*time.Hour),
		OfferTTL:     r.duration("OFFER_TTL", 48*time.Hour),
		AllocateAt:   r.clock("ALLOCATE_AT"),
		SummaryAt:    r.clockOr("SUMMARY_AT", "20:00"),
		LinkBase:     r.url("BOT_LINK_BASE", pf.LinkBase, false),
		EditMessages: r.boolean("EDIT_MESSAGES", pf.EditMessages),
		PollTimeout:  r.duration("POLL_TIMEOUT", 30*time.Second),
		SendRate:     r.rate("SEND_RATE", 30),
		SendChatRate: r.rate("SEND_CHAT_RATE", 1),
		ChatBurst:    int(r.rate("SEND_CHAT_BURST", 3)),
		LogLevel:     r.level("LOG_LEVEL", slog.LevelInfo),
		Mode:         r.oneOf("MODE", "polling", []string{"polling", "webhook"}),
		SecretInPath: r.boolean("WEBHOOK_SECRET_IN_PATH", pf.SecretInPath),
		HTTPAddr:     r.str("HTTP_ADDR", ":8090", false),
		MetricsAddr:  r.str("METRICS_ADDR", ":9090", false),
		RedisPrefix:  r.str("REDIS_PREFIX", "rasad:", false),
		KillAt:       r.str("TEST_KILL_AT", "", false),
		Verify: bot.VerifyConfig{
			Share:     r.share("VERIFY_SHARE", 0.5),
			Days:      r.days("VERIFY_DAYS", 7),
			CallAfter: r.duration("VERIFY_CALL_AFTER", 48*time.Hour),
			Hold:      r.duration("VERIFY_HOLD", 30*time.Minute),
		},
		SafirKey:   r.str("SAFIR_API_KEY", "", false),
		SafirURL:   r.url("SAFIR_URL", safir.DefaultURL, false),
		SafirBotID: r.id("SAFIR_BOT_ID"),
	}
	if cfg.Mode == "webhook" {
		cfg.WebhookURL = r.url("WEBHOOK_URL", "", true)
		r.webhookPort("WEBHOOK_URL", cfg.WebhookURL, name, pf.WebhookPorts)
		cfg.Secret = r.secret("WEBHOOK_SECRET")
	}
	cfg.PlaygroundAddr = r.str("PLAYGROUND_ADDR", "127.0.0.1:8080", false)
	cfg.PlaygroundSeed = r.boolean("PLAYGROUND_SEED", false)
	if r.err != nil {
		return config{}, r.err
	}
	if !strings.HasSuffix(cfg.LinkBase, "/") {
		cfg.LinkBase += "/"
	}
	return cfg, nil
}

// callbackSecret derives the key that signs buttons from the token, so every
// replica agrees on it without another setting.
func (c config) callbackSecret() []byte {
	sum := sha256.Sum256([]byte("rasad callback data\x00" + c.BotToken))
	return sum[:]
}

// envReader keeps the first error so loadConfig reads as a list.
type envReader struct {
	getenv func(string) string
	err    error
}

func (r *envReader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("config: %s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (r *envReader) raw(name, def string, required bool) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		if required {
			r.fail(name, "is required but not set")
		}
		return def, false
	}
	return v, true
}

func (r *envReader) str(name, def string, required bool) string {
	v, _ := r.raw(name, def, required)
	return v
}

func (r *envReader) url(name, def string, required bool) string {
	v, set := r.raw(name, def, required)
	if !set {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		r.fail(name, "%q is not a URL (like scheme://host/...)", redactURL(v))
	}
	return v
}

func (r *envReader) ids(name string) []int64 {
	v, set := r.raw(name, "", false)
	if !set {
		return nil
	}
	var out []int64
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			r.fail(name, "%q is not a Telegram user id (comma-separated numbers)", f)
			return nil
		}
		out = append(out, id)
	}
	return out
}

// id reads an optional positive number, 0 when unset.
func (r *envReader) id(name string) int64 {
	v, set := r.raw(name, "", false)
	if !set {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		r.fail(name, "%q is not a bot id (a positive number)", v)
	}
	return n
}

func (r *envReader) oneOf(name, def string, allowed []string) string {
	v, set := r.raw(name, def, false)
	if set && !slices.Contains(allowed, v) {
		r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return v
}

func (r *envReader) calendar(name, def string) domain.Calendar {
	v, _ := r.raw(name, def, false)
	loc, err := time.LoadLocation(v)
	if err != nil {
		r.fail(name, "%q is not a time zone (like Asia/Tehran)", v)
		return domain.Calendar{}
	}
	return domain.NewCalendar(loc)
}

func (r *envReader) duration(name string, def time.Duration) time.Duration {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "%q is not a positive duration (like 24h or 90m)", v)
	}
	return d
}

// secret reads a webhook secret: Telegram accepts 1–256 of A-Z a-z 0-9 _ -,
// and a short one is guessable.
func (r *envReader) secret(name string) string {
	v, _ := r.raw(name, "", true)
	if len(v) < 16 || len(v) > 256 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		r.fail(name, "must be 16 to 256 of A-Z, a-z, 0-9, _ and - (generate one with: openssl rand -hex 32)")
	}
	return v
}

// rate reads a non-negative number.
func (r *envReader) rate(name string, def float64) float64 {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f {
		r.fail(name, "%q is not a number of messages a second (0 or more)", v)
	}
	return f
}

// webhookPort refuses a webhook URL on a port the platform does not post
// to: the bot would start and never hear anything.
func (r *envReader) webhookPort(name, raw, platform string, ports []string) {
	u, err := url.Parse(raw)
	if err != nil || ports == nil {
		return
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	if !slices.Contains(ports, port) {
		r.fail(name, "%s posts webhooks only to ports %s; %q is on port %s", platform, strings.Join(ports, " and "), redactURL(raw), port)
	}
}

// share reads a fraction from 0 to 1.
func (r *envReader) share(name string, def float64) float64 {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 || f != f {
		r.fail(name, "%q is not a share from 0 to 1 (like 0.5)", v)
	}
	return f
}

// days reads a whole number of days, 1 to 366.
func (r *envReader) days(name string, def int) int {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 366 {
		r.fail(name, "%q is not a number of days from 1 to 366", v)
	}
	return n
}

// clock reads an optional time of day, "HH:MM".
func (r *envReader) clock(name string) string { return r.clockOr(name, "") }

func (r *envReader) clockOr(name, def string) string {
	v, set := r.raw(name, def, false)
	if !set {
		return def
	}
	if _, err := time.Parse("15:04", v); err != nil {
		r.fail(name, "%q is not a time of day (like 06:30)", v)
	}
	return v
}

func (r *envReader) boolean(name string, def bool) bool {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not true or false", v)
	}
	return b
}

func (r *envReader) level(name string, def slog.Level) slog.Level {
	v, set := r.raw(name, "", false)
	if !set {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "%q is not one of debug, info, warn, error", v)
	}
	return l
}

// redactURL hides a password in a URL before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}
