package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

// The playground as `rasad serve` starts it without BOT_TOKEN: the page's
// address is printed, the page is served, and the sample data is loaded.
func TestPlaygroundFromServe(t *testing.T) {
	dbURL := postgrestest.NewURL(t)
	prefix := "test:" + randomName() + ":"
	t.Cleanup(func() {
		if err := clearRedisPrefix(context.Background(), redistest.URL(), prefix); err != nil {
			t.Error(err)
		}
	})
	getenv := env("DATABASE_URL", dbURL, "REDIS_URL", redistest.URL(), "REDIS_PREFIX", prefix,
		"PLAYGROUND_ADDR", "127.0.0.1:0", "HTTP_ADDR", "127.0.0.1:0", "METRICS_ADDR", "127.0.0.1:0", "LOG_LEVEL", "warn")
	stdout, lines := watchLines(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--seed"}, getenv, stdout, testWriter{t}) }()
	t.Cleanup(func() { stopWithin(t, cancel, done) })
	page := waitPage(t, lines, done)

	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `dir="rtl"`) {
		t.Fatalf("page: %d\n%s", resp.StatusCode, body)
	}
	resp, err = http.Get(page + "api/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	// --seed: the seeded admin (ADMIN_IDS by default), manager, new user,
	// verifier and inspector.
	for _, want := range []string{`"id":1001`, `"id":1002`, `"id":1003`, `"id":1004`, `"id":1005`,
		`"roles":["admin"]`, `"roles":["manager"]`, `"roles":["verifier"]`, `"roles":["inspector"]`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("users lack %s: %s", want, body)
		}
	}
}

// Seeding twice changes nothing; targets move to the clock's program year;
// the sample placements wait for a call, a visit or their person's answer.
func TestPlaygroundSeedTwice(t *testing.T) {
	db := postgrestest.New(t)
	ctx := context.Background()
	users, err := readSeedUsers()
	if err != nil {
		t.Fatal(err)
	}
	now := cal.Date(2027, time.June, 1)
	if y := cal.ProgramYear(now); y != 1406 {
		t.Fatalf("program year %d", y)
	}
	rows, err := readSeedPlacements(nil, cal, now)
	if err == nil || !strings.Contains(err.Error(), "agency") {
		t.Fatalf("placements without their agencies: %v", err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// state is every sample placement with its check and audit trail.
	state := func() string {
		t.Helper()
		var b strings.Builder
		for _, r := range rows {
			p := must[domain.Placement](t)(db.PlacementByNationalID(ctx, 1406, r.placement.NationalID))
			c, err := db.Check(ctx, p.ID)
			if err != nil && domain.CodeOf(err) != "verify.not_sampled" {
				t.Fatal(err)
			}
			events := must[[]domain.VerifyEvent](t)(db.VerifyEvents(ctx, p.ID))
			fmt.Fprintf(&b, "%d %s %s %s %d %+v %d\n", p.ID, p.NationalID, p.Mobile, p.Verification, p.AgencyID, c, len(events))
		}
		return b.String()
	}
	var first string
	for i := range 2 {
		got, err := seedPlayground(ctx, db, cal, now, users, log)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || got[0].ID != 1001 || got[2].Phone != "+989120001003" || got[3].ID != 1004 || got[4].ID != 1005 {
			t.Fatalf("seeded users %+v", got)
		}
		if i == 0 {
			rows = must[[]seedPlacement](t)(readSeedPlacements(must[[]domain.Agency](t)(db.Agencies(ctx)), cal, now))
			first = state()
		}
	}
	if again := state(); again != first {
		t.Errorf("seeding again changed the sample placements:\n%s\nthen\n%s", first, again)
	}
	agencies := must[[]domain.Agency](t)(db.Agencies(ctx))
	targets := must[[]domain.Target](t)(db.Targets(ctx, 1406))
	if len(agencies) != 20 || len(targets) != 60 {
		t.Errorf("%d agencies, %d targets for 1406 after seeding twice", len(agencies), len(targets))
	}
	if n := len(must[[]domain.Target](t)(db.Targets(ctx, 1405))); n != 0 {
		t.Errorf("%d targets left in 1405", n)
	}
	for id, role := range map[int64]domain.Role{1002: domain.RoleManager, 1004: domain.RoleVerifier, 1005: domain.RoleInspector} {
		if u := must[domain.User](t)(db.User(ctx, id)); !u.Has(role) || len(u.Grants) != 1 {
			t.Errorf("user %d grants %+v, want %s", id, u.Grants, role)
		}
	}
	if _, err := db.User(ctx, 1003); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("the new user exists before talking to the bot: %v", err)
	}

	// The verifier has records to call at once, the inspector one to visit.
	queues := map[seedCheck]int{}
	for _, r := range rows {
		p := must[domain.Placement](t)(db.PlacementByNationalID(ctx, 1406, r.placement.NationalID))
		c, err := db.Check(ctx, p.ID)
		switch r.check {
		case seedNotSampled:
			if domain.CodeOf(err) != "verify.not_sampled" {
				t.Errorf("placement %s: sampled, want not: %+v %v", p.NationalID, c, err)
			}
		case seedCall:
			if err != nil || c.Stage != domain.StageCall || c.State != domain.VerifyWaiting || c.NextAt.After(now) {
				t.Errorf("placement %s: %+v %v, want waiting for a call now", p.NationalID, c, err)
			}
		case seedVisit:
			if err != nil || c.Stage != domain.StageField || c.State != domain.VerifyWaiting || c.NextAt.After(now) {
				t.Errorf("placement %s: %+v %v, want waiting for a visit now", p.NationalID, c, err)
			}
		}
		queues[r.check]++
	}
	if queues[seedCall] < 2 || queues[seedVisit] < 1 || queues[seedNotSampled] < 1 {
		t.Errorf("sample placements by check: %v", queues)
	}
	held := must[domain.Check](t)(db.NextCheck(ctx, domain.StageCall, 1004, now, time.Minute))
	if p := must[domain.Placement](t)(db.Placement(ctx, held.PlacementID)); p.Mobile == "" {
		t.Errorf("the verifier is to call a placement without a mobile: %+v", p)
	}

	// What the README tells to try /myjob with: the new user's own number
	// is on a placement nobody has asked about yet.
	p := must[domain.Placement](t)(db.PlacementByNationalID(ctx, 1406, myjobCode))
	if phone := must[domain.Mobile](t)(domain.ParseMobile(users[2].Phone)); p.Mobile != phone || users[2].ID != 1003 || p.Verification != domain.VerifyNotSampled {
		t.Errorf("/myjob's placement %+v, want user 1003's number %s, not sampled", p, phone)
	}
}

// myjobCode is the national code the README gives for trying /myjob as
// user 1003.
const myjobCode domain.NationalID = "0024681350"

// TestPlaygroundBrowser drives the page in headless Chromium: a new user
// signs up as a liaison, the admin approves in the next column, the liaison
// registers a placement and confirms a job of their own, the inspector
// visits a sampled record with the location and a photo, and the manager
// asks for the summary with its chart. It ends with a screenshot of the
// page.
func TestPlaygroundBrowser(t *testing.T) {
	start := time.Now()
	b, T := openPlayground(t, 1440, 900) // a laptop screen
	ready := time.Now()

	admin, manager, liaison := b.user(1001), b.user(1002), b.user(1003)
	liaison.send("/start")
	liaison.expect(T("start.welcome"))
	liaison.tap(T("role.liaison"))
	liaison.expect(T("liaison.phone.prompt"))
	liaison.tapReply(T("btn.share_phone"))
	liaison.expect(T("contact.received"))
	b.poll("the share-contact keyboard removed", `(uid) => !document.querySelector('section.chat[data-user="' + uid + '"] .kb button')`, 1003)
	liaison.expect(T("liaison.agency.prompt"))
	liaison.tap(labourFa)
	liaison.expect(T("liaison.name.prompt"))
	liaison.send("مریم کریمی")
	liaison.expect(T("liaison.position.prompt"))
	liaison.send("کارشناس اشتغال")
	review := liaison.expect(T("liaison.review"))
	for _, want := range []string{"مریم کریمی", "۰۹۱۲۰۰۰۱۰۰۳", labourFa} {
		if !strings.Contains(review, want) {
			t.Errorf("review lacks %q:\n%s", want, review)
		}
	}
	liaison.tap(T("btn.confirm"))
	liaison.expect(T("liaison.submitted"))

	admin.expect("مریم کریمی")
	admin.tap(T("btn.approve"))
	admin.toast(T("liaison.status.approved"))
	liaison.expect(T("liaison.welcome", "agency", labourFa))
	b.poll("the liaison role shown", `(uid) => !!document.querySelector('section.chat[data-user="' + uid + '"] .role[data-role="liaison"]')`, 1003)
	signedUp := time.Now()

	code := validCode(t, 11)
	liaison.send("/register")
	liaison.expect(T("placement.nationalid.prompt"))
	liaison.send(domain.PersianDigits(string(code)))
	for _, s := range []struct{ expect, tap, send string }{
		{expect: "placement.name.prompt", send: "علی رضایی"},
		{expect: "placement.gender.prompt", tap: T("gender.male")},
		{expect: "placement.birthyear.prompt", send: "۱۳۷۰"},
		{expect: "placement.mobile.prompt", send: "۰۹۱۲۱۲۳۴۵۶۷"},
		{expect: "placement.sector.prompt", tap: T("sector.industry")},
		{expect: "placement.activity.prompt", send: "جوشکاری"},
		{expect: "placement.employer.prompt", send: "کارگاه نمونه"},
		{expect: "placement.kind.prompt", tap: T("kind.new_job")},
		{expect: "placement.support.prompt", tap: T("support.financing")},
		{expect: "placement.funding.prompt", tap: T("funding.qard_hasan")},
		{expect: "placement.amount.prompt", send: "۵۰۰٬۰۰۰٬۰۰۰"},
		{expect: "placement.county.prompt", tap: "تهران"},
		{expect: "placement.area.prompt", tap: T("area.urban")},
		{expect: "placement.district.prompt", tap: "۱۵"},
		{expect: "placement.startdate.prompt", tap: T("btn.today")},
		{expect: "placement.insurance.prompt", tap: T("insurance.insured")},
	} {
		liaison.expect(T(s.expect))
		if s.tap != "" {
			liaison.tap(s.tap)
		} else {
			liaison.send(s.send)
		}
	}
	liaison.expect(T("placement.review"))
	liaison.tap(T("btn.confirm"))
	// The seeded placements came first; the number is the database's.
	if saved := liaison.expect(strings.Split(T("placement.saved"), "{")[0]); !strings.Contains(saved, "علی رضایی") {
		t.Errorf("saved: %s", saved)
	}
	registered := time.Now()

	// Files both ways: the template the bot sends is a link on the page,
	// and sent back with the attach button it comes back as a result sheet.
	liaison.send("/template")
	liaison.expect(strings.Split(T("bulk.template_caption"), ".")[0])
	template := b.download(liaison.file())
	upload := filepath.Join(t.TempDir(), T("bulk.template_file"))
	if err := os.WriteFile(upload, template, 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("attach the template", chromedp.SetUploadFiles(liaison.sel(`input[type=file]`), []string{upload}))
	liaison.expect(strings.Split(T("bulk.summary"), "{")[0])
	if sheet := b.download(liaison.file()); !strings.HasPrefix(string(sheet), "PK") {
		t.Errorf("the result sheet is not an xlsx file: %.20q", sheet)
	}
	filesDone := time.Now()

	// The README's way to try /myjob: user 1003's own number is on a
	// seeded placement.
	liaison.send("/myjob")
	liaison.expect(T("myjob.phone.prompt"))
	liaison.tapReply(T("btn.share_phone"))
	liaison.expect(T("contact.received"))
	liaison.expect(strings.Split(T("myjob.nationalid.prompt"), "{")[0])
	liaison.send(domain.PersianDigits(string(myjobCode)))
	if job := liaison.expect(strings.Split(T("myjob.outcome.prompt"), "{")[0]); !strings.Contains(job, "خیاطی") {
		t.Errorf("the job shown: %s", job)
	}
	liaison.tap(T("outcome.works"))
	liaison.expect(T("myjob.review"))
	liaison.tap(T("btn.confirm"))
	liaison.expect(T("myjob.thanks"))

	// The verifier has a seeded record to call at once.
	verifier := b.user(1004)
	verifier.send("/verify")
	verifier.expect(strings.Split(T("call.card"), "{")[0])

	// The inspector visits: the location typed in the column, as on a
	// Persian keyboard, is what the share-location button sends, and the
	// camera button sends a photo.
	inspector := b.user(1005)
	inspector.send("/visit")
	inspector.expect(strings.Split(T("visit.card"), "{")[0])
	inspector.expect(strings.Split(T("visit.outcome.prompt"), "{")[0])
	inspector.tap(T("outcome.works"))
	inspector.expect(T("visit.location.prompt"))
	b.poll("the inspector's location set", `(uid) => {
		const col = document.querySelector('section.chat[data-user="' + uid + '"]');
		const input = col.querySelector('input.location');
		if (!col.dataset.located) {
			col.dataset.located = '1';
			input.value = '۳۵٫۷۲۱۹، ۵۱٫۳۳۴۷';
			input.dispatchEvent(new Event('change'));
			return false;
		}
		const t = col.querySelector('.toast');
		return !t.hidden && t.textContent === texts.locationSaved;
	}`, 1005)
	inspector.tapReply(T("btn.share_location"))
	inspector.expect(T("location.received"))
	b.poll("the location shown as sent", `(uid) => [...document.querySelectorAll('section.chat[data-user="' + uid + '"] .msg.me a.place')].some((a) => a.textContent.includes('35.7219, 51.3347'))`, 1005)
	inspector.expect(strings.Split(T("visit.photo.prompt"), "(")[0])
	b.do("send a sample photo", chromedp.Click(inspector.sel("button.photo-btn")))
	b.poll("the photo shown as sent", `(uid) => { const img = document.querySelector('section.chat[data-user="' + uid + '"] .msg.me .photo img'); return !!img && img.complete && img.naturalWidth > 0; }`, 1005)
	inspector.expect(strings.Split(T("visit.note.prompt"), "(")[0])
	inspector.tap(T("btn.skip"))
	visit := inspector.expect(strings.Split(T("visit.review"), "{")[0])
	for _, want := range []string{"۳۵٫۷۲۱۹۰۰", T("value.photo")} {
		if !strings.Contains(visit, want) {
			t.Errorf("the visit's review lacks %q:\n%s", want, visit)
		}
	}
	inspector.tap(T("btn.confirm"))
	inspector.expect(strings.Split(T("check.saved"), "{")[0])
	checked := time.Now()

	// The manager's summary counts it and comes with its chart, a photo
	// the page loads from the server.
	manager.send("/summary")
	manager.expect(strings.Split(T("summary.chart_caption"), "{")[0])
	b.poll("the chart loaded", `(uid) => { const img = document.querySelector('section.chat[data-user="' + uid + '"] .msg.bot .photo img'); return !!img && img.complete && img.naturalWidth > 0; }`, 1002)

	sctx, cancelShot := b.step()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	cancelShot()
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(os.TempDir(), "rasad-playground.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if local := "/tmp/rasad-playground.png"; os.Getenv("CI") != "true" && shot != local {
		if err := os.WriteFile(local, png, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot copied to %s", local)
	}
	t.Logf("page ready %v, liaison signed up and approved %v, placement %v, template and upload %v, checks %v, summary %v",
		ready.Sub(start).Round(time.Millisecond), signedUp.Sub(ready).Round(time.Millisecond),
		registered.Sub(signedUp).Round(time.Millisecond), filesDone.Sub(registered).Round(time.Millisecond),
		checked.Sub(filesDone).Round(time.Millisecond), time.Since(checked).Round(time.Millisecond))
	b.checkConsole()
}

// openPlayground runs the playground as `rasad playground` does, opens its
// page in headless Chromium at width × height and loads the sample data. T
// is a catalogue text in Persian.
func openPlayground(t *testing.T, width, height int64) (*browser, func(key string, args ...string) string) {
	t.Helper()
	const chromium = "/usr/bin/chromium"

	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install it (.ci/run: apt-get install chromium)", chromium)
		}
		t.Skipf("%s is not installed (apt-get install chromium): skipping the browser test", chromium)
	}
	db, rs := postgrestest.New(t), redistest.New(t)
	cfg, err := loadConfig(env("DATABASE_URL", "postgres://unused", "REDIS_URL", "redis://unused"), needDatabase|needRedis)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PlaygroundAddr = "127.0.0.1:0"
	cfg.HTTPAddr, cfg.MetricsAddr = freeAddr(t), freeAddr(t)
	cfg.PollTimeout = 2 * time.Second
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cat, err := bot.LoadCatalogue("fa", log)
	if err != nil {
		t.Fatal(err)
	}
	T := func(key string, args ...string) string { return cat.T("fa", key, args...) }

	stdout, lines := watchLines(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runPlayground(ctx, cfg, log, db, rs, stdout) }()
	t.Cleanup(func() { stopWithin(t, cancel, done) })
	page := waitPage(t, lines, done)

	b := newBrowser(t, chromium)
	b.do("open the page", chromedp.EmulateViewport(width, height), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`section.chat[data-user="1001"]`)))
	b.do("seed", chromedp.Click(chromedp.CSS(`#seed`)), chromedp.WaitVisible(chromedp.CSS(`section.chat[data-user="1003"] .phone`)))
	return b, T
}

// browser is a headless Chromium on the page.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string // errors the page logged
}

// stepWait bounds one step: a wait for the bot's answer or a click.
const stepWait = 15 * time.Second

func newBrowser(t *testing.T, execPath string) *browser {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a small /dev/shm
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900), // a laptop screen
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	// The first Run starts the browser; it must not have a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s: %s %s", m.Type, m.Text, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// step is a context for one step, under the browser's.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepWait)
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// poll waits until the JavaScript function, called with args, returns a
// truthy value, which it returns. Waiting is done in the page, not by
// sleeping here.
func (b *browser) poll(what, fn string, args ...any) any {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.PollFunction[any](fn,
		chromedp.WithPollingArgs(args...), chromedp.WithPollingTimeout(stepWait)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v\n%s", what, err, b.dump())
	}
	return v
}

// dump describes the page for a failed step: each column's last messages,
// and a screenshot saved beside the one of a passing run.
func (b *browser) dump() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('section.chat')].map((c) =>
		'--- user ' + c.dataset.user + '\n' + [...c.querySelectorAll('.msg')].slice(-6).map((m) =>
			(m.classList.contains('bot') ? 'bot #' : 'user #') + m.dataset.id + ': ' + m.innerText.replaceAll('\n', ' / ')).join('\n')).join('\n')`))
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := filepath.Join(os.TempDir(), "rasad-playground-failed.png")
		if os.WriteFile(name, png, 0o644) == nil {
			text += "\nscreenshot: " + name
		}
	}
	return text
}

// download fetches a link of the page as the browser would.
func (b *browser) download(url string) []byte {
	b.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || len(data) == 0 {
		b.t.Fatalf("GET %s: %d, %d bytes, %v", url, resp.StatusCode, len(data), err)
	}
	return data
}

func (b *browser) checkConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		b.t.Errorf("page console: %s", m)
	}
}

// column acts as one simulated user in their column, as a person would:
// typing, pressing the buttons shown, reading the bot's messages.
type column struct {
	b    *browser
	id   int64
	last int // the newest bot message expected so far
}

func (b *browser) user(id int64) *column { return &column{b: b, id: id} }

func (c *column) sel(css string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`section.chat[data-user="%d"] %s`, c.id, css))
}

// send types text in the column's box and clicks the send button.
func (c *column) send(text string) {
	c.b.t.Helper()
	c.b.do(fmt.Sprintf("user %d sends %q", c.id, text),
		chromedp.SendKeys(c.sel("textarea.compose"), text), chromedp.Click(c.sel("button.send")))
}

// expect waits for a bot message newer than the last one expected whose
// text contains want, and returns its text.
func (c *column) expect(want string) string {
	c.b.t.Helper()
	want, _, _ = strings.Cut(want, "\n") // the page keeps line breaks; one line is enough to know the message
	v := c.b.poll(fmt.Sprintf("user %d to get %q", c.id, want), `(uid, after, want) => {
		for (const m of document.querySelectorAll('section.chat[data-user="' + uid + '"] .msg.bot')) {
			const text = m.querySelector('.text');
			if (+m.dataset.id > after && text && text.textContent.includes(want)) return [+m.dataset.id, text.textContent];
		}
		return null;
	}`, c.id, c.last, want)
	got, ok := v.([]any)
	if !ok || len(got) != 2 {
		c.b.t.Fatalf("user %d: unexpected poll result %#v", c.id, v)
	}
	c.last = int(got[0].(float64))
	return got[1].(string)
}

// tap presses the newest inline button labelled label. The click is
// dispatched in the page in the same turn as the lookup, since each answer
// of the bot redraws the column.
func (c *column) tap(label string) {
	c.b.t.Helper()
	c.b.poll(fmt.Sprintf("user %d to press %q", c.id, label), `(uid, label) => {
		const buttons = [...document.querySelectorAll('section.chat[data-user="' + uid + '"] button.ib')].filter((b) => b.textContent === label);
		if (!buttons.length) return false;
		buttons[buttons.length - 1].click();
		return true;
	}`, c.id, label)
}

// file is the address of the document in the last message expected.
func (c *column) file() string {
	c.b.t.Helper()
	v := c.b.poll(fmt.Sprintf("user %d to see the file of message %d", c.id, c.last), `(uid, id) => {
		const a = document.querySelector('section.chat[data-user="' + uid + '"] .msg.bot[data-id="' + id + '"] a.doc');
		return a && a.href;
	}`, c.id, c.last)
	return v.(string)
}

// tapReply presses a button of the reply keyboard.
func (c *column) tapReply(label string) {
	c.b.t.Helper()
	c.b.poll(fmt.Sprintf("user %d to tap %q on the keyboard", c.id, label), `(uid, label) => {
		const b = [...document.querySelectorAll('section.chat[data-user="' + uid + '"] .kb button.rb')].find((b) => b.textContent === label);
		if (!b) return false;
		b.click();
		return true;
	}`, c.id, label)
}

// toast waits for the bot's answer to a pressed button to show.
func (c *column) toast(want string) {
	c.b.t.Helper()
	c.b.poll(fmt.Sprintf("user %d to see the toast %q", c.id, want), `(uid, want) => {
		const t = document.querySelector('section.chat[data-user="' + uid + '"] .toast');
		return !!t && !t.hidden && t.textContent.includes(want);
	}`, c.id, want)
}

// watchLines gives a writer for the program's stdout and its lines.
func watchLines(t *testing.T) (io.Writer, <-chan string) {
	pr, pw := io.Pipe()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { pw.Close() })
	return pw, lines
}

// waitPage waits for the line with the page's address.
func waitPage(t *testing.T, lines <-chan string, done <-chan error) string {
	t.Helper()
	const prefix = "Rasad playground: "
	timeout := time.After(time.Minute) // migrations on a fresh database
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("stdout closed before the page's address")
			}
			if page, found := strings.CutPrefix(line, prefix); found {
				if !strings.HasPrefix(page, "http://127.0.0.1:") || !strings.HasSuffix(page, "/") {
					t.Fatalf("printed %q", line)
				}
				return page
			}
		case err := <-done:
			t.Fatalf("the playground stopped before serving: %v", err)
		case <-timeout:
			t.Fatal("the playground printed no address within a minute")
		}
	}
}

func stopWithin(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("playground: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the playground did not stop within 15s")
	}
}

func randomName() string { return strings.ToLower(rand.Text()[:12]) }
