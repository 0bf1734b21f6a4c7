package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/safir/safirtest"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/domain/csvimport"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env("BOT_TOKEN", "1:x", "DATABASE_URL", "postgres://h/db", "REDIS_URL", "redis://h:6379/0"), needDatabase|needRedis|needBot)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BotAPIURL != "https://api.telegram.org" || cfg.Language != "fa" || cfg.Calendar.Location().String() != "Asia/Tehran" ||
		cfg.SessionTTL != 24*time.Hour || cfg.LinkBase != "https://t.me/" || !cfg.EditMessages || cfg.LogLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestConfigBale(t *testing.T) {
	cfg, err := loadConfig(env("BOT_TOKEN", "1:x", "DATABASE_URL", "postgres://h/db", "REDIS_URL", "redis://h/0",
		"BOT_API_URL", "https://tapi.bale.ai", "BOT_LINK_BASE", "https://ble.ir", "EDIT_MESSAGES", "false",
		"ADMIN_IDS", "12, 34", "SESSION_TTL", "90m", "DEFAULT_LANGUAGE", "en", "LOG_LEVEL", "debug"), needBot|needDatabase|needRedis)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BotAPIURL != "https://tapi.bale.ai" || cfg.LinkBase != "https://ble.ir/" || cfg.EditMessages ||
		!slices.Equal(cfg.AdminIDs, []int64{12, 34}) || cfg.SessionTTL != 90*time.Minute || cfg.Language != "en" || cfg.LogLevel != slog.LevelDebug {
		t.Errorf("bale config: %+v", cfg)
	}
}

// PLATFORM=bale sets Bale's defaults, each still overridable, and refuses
// a webhook on a port Bale does not post to, in one line.
func TestConfigPlatformBale(t *testing.T) {
	base := []string{"BOT_TOKEN", "1:x", "DATABASE_URL", "postgres://h/db", "REDIS_URL", "redis://h/0", "PLATFORM", "bale"}
	cfg, err := loadConfig(env(base...), needBot)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BotAPIURL != "https://tapi.bale.ai" || cfg.LinkBase != "https://ble.ir/" || cfg.EditMessages || !cfg.SecretInPath {
		t.Errorf("bale defaults: %+v", cfg)
	}
	cfg, err = loadConfig(env(append(base, "EDIT_MESSAGES", "true", "BOT_API_URL", "https://bale.example")...), needBot)
	if err != nil || !cfg.EditMessages || cfg.BotAPIURL != "https://bale.example" {
		t.Errorf("overrides: %+v, %v", cfg, err)
	}
	hook := append(base, "MODE", "webhook", "WEBHOOK_SECRET", "a-webhook-secret-of-some-length")
	for url, ok := range map[string]bool{
		"https://bot.example.ir/":      true,
		"https://bot.example.ir:88/":   true,
		"https://bot.example.ir:8443/": false,
		"http://bot.example.ir/":       false,
	} {
		_, err := loadConfig(env(append(hook, "WEBHOOK_URL", url)...), needBot)
		if (err == nil) != ok {
			t.Errorf("WEBHOOK_URL %s: %v", url, err)
		}
		if err != nil && !strings.Contains(err.Error(), "WEBHOOK_URL: bale posts webhooks only to ports 443 and 88") {
			t.Errorf("WEBHOOK_URL %s: %v", url, err)
		}
	}
	// Telegram's defaults hold any port.
	if _, err := loadConfig(env("BOT_TOKEN", "1:x", "MODE", "webhook", "WEBHOOK_SECRET", "a-webhook-secret-of-some-length",
		"WEBHOOK_URL", "https://bot.example:8443/"), needBot); err != nil {
		t.Errorf("telegram on 8443: %v", err)
	}
	if _, err := loadConfig(env("BOT_TOKEN", "1:x", "PLATFORM", "whatsapp"), needBot); err == nil || !strings.Contains(err.Error(), "PLATFORM") {
		t.Errorf("unknown platform: %v", err)
	}
}

// TIME_ZONE becomes the calendar the bot and the store are given.
func TestConfigTimeZone(t *testing.T) {
	cfg, err := loadConfig(env("DATABASE_URL", "postgres://h/db", "TIME_ZONE", "Asia/Kabul"), needDatabase)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Calendar.Location().String(); got != "Asia/Kabul" {
		t.Errorf("calendar's zone = %s, want Asia/Kabul", got)
	}
}

// A missing or malformed setting stops start-up with one line naming it.
func TestConfigErrorsNameTheSetting(t *testing.T) {
	base := []string{"BOT_TOKEN", "1:x", "DATABASE_URL", "postgres://h/db", "REDIS_URL", "redis://h/0"}
	with := func(kv ...string) []string { return append(slices.Clone(base), kv...) }
	without := func(name string) []string {
		var out []string
		for i := 0; i < len(base); i += 2 {
			if base[i] != name {
				out = append(out, base[i], base[i+1])
			}
		}
		return out
	}
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{without("BOT_TOKEN"), "BOT_TOKEN: is required"},
		{without("DATABASE_URL"), "DATABASE_URL: is required"},
		{without("REDIS_URL"), "REDIS_URL: is required"},
		{with("DATABASE_URL", "not a url"), "DATABASE_URL"},
		{with("BOT_API_URL", "tapi.bale.ai"), "BOT_API_URL"},
		{with("ADMIN_IDS", "12,abc"), `ADMIN_IDS: "abc"`},
		{with("ADMIN_IDS", "-5"), "ADMIN_IDS"},
		{with("DEFAULT_LANGUAGE", "de"), "DEFAULT_LANGUAGE"},
		{with("TIME_ZONE", "Mars/Olympus"), "TIME_ZONE"},
		{with("SESSION_TTL", "1 day"), "SESSION_TTL"},
		{with("SESSION_TTL", "-1h"), "SESSION_TTL"},
		{with("INVITE_TTL", "7"), "INVITE_TTL"},
		{with("EDIT_MESSAGES", "nope"), "EDIT_MESSAGES"},
		{with("LOG_LEVEL", "loud"), "LOG_LEVEL"},
		{with("POLL_TIMEOUT", "x"), "POLL_TIMEOUT"},
		{with("OFFER_TTL", "two days"), "OFFER_TTL"},
		{with("ALLOCATE_AT", "25:00"), "ALLOCATE_AT"},
		{with("ALLOCATE_AT", "6"), "ALLOCATE_AT"},
		{with("SEND_RATE", "-1"), "SEND_RATE"},
		{with("SEND_CHAT_RATE", "fast"), "SEND_CHAT_RATE"},
	} {
		_, err := loadConfig(env(tc.env...), needBot|needDatabase|needRedis)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: err = %v, want one line containing %q", tc.env[len(base)-2:], err, tc.want)
		}
	}
	// migrate needs only the database.
	if _, err := loadConfig(env("DATABASE_URL", "postgres://h/db"), needDatabase); err != nil {
		t.Errorf("migrate config: %v", err)
	}
}

// Safir is off unless its key is set; its URL defaults to Bale's.
func TestConfigSafir(t *testing.T) {
	cfg, err := loadConfig(env("DATABASE_URL", "postgres://h/db"), needDatabase)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SafirKey != "" || cfg.SafirURL != "https://safir.bale.ai" || cfg.SafirBotID != 0 {
		t.Errorf("defaults: key %q, url %q, bot %d", cfg.SafirKey, cfg.SafirURL, cfg.SafirBotID)
	}
	if phoneMessenger(cfg, nil, slog.New(slog.DiscardHandler)) != nil {
		t.Error("a phone messenger without SAFIR_API_KEY")
	}
	cfg, err = loadConfig(env("DATABASE_URL", "postgres://h/db", "SAFIR_API_KEY", "k", "SAFIR_URL", "http://127.0.0.1:1", "SAFIR_BOT_ID", "77"), needDatabase)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SafirKey != "k" || cfg.SafirURL != "http://127.0.0.1:1" || cfg.SafirBotID != 77 {
		t.Errorf("set: key %q, url %q, bot %d", cfg.SafirKey, cfg.SafirURL, cfg.SafirBotID)
	}
	for _, tc := range [][]string{{"SAFIR_URL", "safir.bale.ai"}, {"SAFIR_BOT_ID", "bot"}, {"SAFIR_BOT_ID", "-1"}} {
		_, err := loadConfig(env("DATABASE_URL", "postgres://h/db", tc[0], tc[1]), needDatabase)
		if err == nil || !strings.Contains(err.Error(), tc[0]) {
			t.Errorf("%s=%s: err = %v", tc[0], tc[1], err)
		}
	}
}

// selfAPI is a Bot API that only knows who the bot is.
type selfAPI struct {
	transport.API
	id int64
}

func (a selfAPI) Self() transport.User { return transport.User{ID: a.id} }

// With a key the bot gets a client of SAFIR_URL sending as SAFIR_BOT_ID, or
// as the bot itself.
func TestConfigSafirWiring(t *testing.T) {
	srv := safirtest.NewServer("k", 0)
	defer srv.Close()
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		botID, want int64
	}{{0, 555}, {77, 77}} {
		cfg := config{SafirKey: "k", SafirURL: srv.URL, SafirBotID: tc.botID}
		p := phoneMessenger(cfg, selfAPI{id: 555}, log)
		if p == nil {
			t.Fatal("no phone messenger with SAFIR_API_KEY set")
		}
		if err := p.SendText(t.Context(), "+989121234567", "hi"); err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent()
		if last := sent[len(sent)-1]; last.BotID != tc.want || last.Phone != "+989121234567" || last.Text != "hi" {
			t.Errorf("SAFIR_BOT_ID %d: sent %+v, want bot %d", tc.botID, last, tc.want)
		}
	}
}

func TestConfigDoesNotPrintPasswords(t *testing.T) {
	_, err := loadConfig(env("DATABASE_URL", "postgres://rasad:s3cret@h:bad/db"), needDatabase)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v", err)
	}
}

func TestReadAgencies(t *testing.T) {
	as, err := csvimport.Agencies(strings.NewReader("\ufeffname_fa,code\nسازمان جهاد كشاورزي,AGRI\n\nاداره کار,labour\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Code != "agri" || as[0].NameFa != "سازمان جهاد کشاورزی" || as[1].NameEn != "" {
		t.Errorf("agencies = %+v", as)
	}
	for _, tc := range []struct{ csv, want string }{
		{"", "empty file"},
		{"code,name\nx,y\n", "header must have code,name_fa"},
		{"code,name_fa\nlabour,\nbad code!,اداره\n", "line 2: agency.name\nline 3: agency.code"},
		{"code,name_fa\nlabour,الف\nlabour,ب\n", `line 3: code "labour" repeated`},
	} {
		_, err := csvimport.Agencies(strings.NewReader(tc.csv))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.csv, err, tc.want)
		}
	}
}

// The operator commands against a real database: import agencies, grant
// roles, revoke them; bad arguments are refused with a usage line.
func TestOperatorCommands(t *testing.T) {
	url := postgrestest.NewURL(t)
	getenv := env("DATABASE_URL", url)
	ctx := context.Background()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, args, getenv, &out, &errOut); err != nil {
			t.Fatalf("rasad %v: %v", args, err)
		}
		return out.String()
	}
	file := t.TempDir() + "/agencies.csv"
	if err := writeFile(file, testAgencies); err != nil {
		t.Fatal(err)
	}
	if out := runOK("import", "agencies", file); out != "agencies: 3 added, 0 updated\n" {
		t.Errorf("import: %q", out)
	}
	if out := runOK("import", "agencies", file); out != "agencies: 0 added, 0 updated\n" {
		t.Errorf("unchanged re-import: %q", out)
	}
	if err := writeFile(file, strings.Replace(testAgencies, "Agriculture Jihad Organization", "Agriculture Jihad", 1)); err != nil {
		t.Fatal(err)
	}
	if out := runOK("import", "agencies", file); out != "agencies: 0 added, 1 updated\n" {
		t.Errorf("re-import with a rename: %q", out)
	}
	runOK("migrate")
	runOK("admin", "grant", "42", "admin")
	runOK("admin", "grant", "43", "liaison", "labour")
	db := postgrestest.Open(t, url)
	if u := must[domain.User](t)(db.User(ctx, 42)); !u.Has(domain.RoleAdmin) {
		t.Errorf("42 grants = %+v", u.Grants)
	}
	if u := must[domain.User](t)(db.User(ctx, 43)); u.LiaisonAgency() == 0 {
		t.Errorf("43 grants = %+v", u.Grants)
	}
	runOK("admin", "revoke", "42", "admin")
	if u := must[domain.User](t)(db.User(ctx, 42)); u.Has(domain.RoleAdmin) {
		t.Error("revoke left the admin role")
	}
	for _, args := range [][]string{
		{"admin", "grant", "x", "admin"},
		{"admin", "grant", "44", "king"},
		{"admin", "grant", "44", "liaison"},
		{"admin", "grant", "44", "liaison", "nosuch"},
		{"import", "targets", file},
		{"frobnicate"},
		{},
	} {
		if err := run(ctx, args, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("rasad %v succeeded", args)
		}
	}
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o600) }

// The sample data in shared/data must stay loadable by the import commands.
func TestSharedDataLoads(t *testing.T) {
	dir := "../../../shared/data"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared/data not beside the repository")
	}
	for file, read := range map[string]func(io.Reader) (int, error){
		"agencies.csv": func(r io.Reader) (int, error) { as, err := csvimport.Agencies(r); return len(as), err },
		"markets.csv":  func(r io.Reader) (int, error) { ms, err := csvimport.Markets(r, cal, time.Now()); return len(ms), err },
	} {
		f, err := os.Open(dir + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		n, err := read(f)
		f.Close()
		if err != nil || n == 0 {
			t.Errorf("%s: %d rows, %v", file, n, err)
		}
	}
}
