package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
	"github.com/rasad-gov/rasad/storage/redis"
	"github.com/rasad-gov/rasad/storage/redis/redistest"
)

// Faults the bot survives, each for real: its own Redis restarted, Postgres
// cut off by a proxy, the process killed or stopped.

// requireProgram finds a program the test runs, skipping outside CI when it is absent.
func requireProgram(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", program)
		}
		t.Skipf("%s is not installed", program)
	}
	return path
}

// ownRedis runs a Redis of the test's own that keeps its data in an
// append-only file, as compose runs it, so it can be restarted.
type ownRedis struct {
	t    *testing.T
	bin  string
	dir  string
	port string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	r := &ownRedis{t: t, bin: requireProgram(t, "redis-server"), dir: t.TempDir()}
	_, r.port, _ = net.SplitHostPort(freeAddr(t))
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", r.port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	eventually(r.t, "redis to answer", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+r.port)
		if err != nil {
			return false
		}
		defer c.Close()
		fmt.Fprint(c, "PING\r\n")
		buf := make([]byte, 7)
		n, _ := c.Read(buf)
		return strings.HasPrefix(string(buf[:n]), "+PONG")
	})
}

func (r *ownRedis) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.cmd.Wait()
	r.cmd = nil
}

func TestRedisRestartedMidFlow(t *testing.T) {
	t.Parallel()
	own := startOwnRedis(t)
	rs := must[*redis.Store](t)(redis.Open(context.Background(), own.url(), "rasad:"))
	t.Cleanup(func() { rs.Close() })
	h := newHarnessOn(t, fakeapi.Options{}, postgrestest.New(t), rs, func(c *config) {
		c.Retries = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	})
	p := h.person(11001, "Maryam")
	toNameStep(h, p)

	own.stop()
	p.send("مریم کریمی") // while Redis is down: retried, not lost
	time.Sleep(300 * time.Millisecond)
	own.start()
	p.expect(h.T("liaison.position.prompt"))
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "مریم کریمی") || !strings.Contains(review.Text, labourFa) {
		t.Errorf("review after Redis restarted:\n%s", review.Text)
	}
}

// pgProxy stands between the bot and Postgres and can cut it off: open
// connections are dropped and new ones refused until it is up again.
type pgProxy struct {
	l     net.Listener
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func startPGProxy(t *testing.T, target string) *pgProxy {
	p := &pgProxy{l: must[net.Listener](t)(net.Listen("tcp", "127.0.0.1:0")), conns: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := p.l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns[c] = true
			p.mu.Unlock()
			go p.pipe(c, target)
		}
	}()
	t.Cleanup(func() { p.l.Close(); p.setDown(true) })
	return p
}

func (p *pgProxy) pipe(c net.Conn, target string) {
	s, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[s] = true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *pgProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// Postgres unreachable when the applicant confirms: after the retries the
// applicant is told to try again; nothing typed is lost, and confirming
// again once Postgres is back saves once.
func TestPostgresDownAtConfirm(t *testing.T) {
	t.Parallel()
	direct := postgrestest.NewURL(t)
	u := must[*url.URL](t)(url.Parse(direct))
	proxy := startPGProxy(t, u.Host)
	u.Host = proxy.l.Addr().String()
	db := must[*postgres.DB](t)(postgres.Open(context.Background(), u.String(), cal))
	t.Cleanup(db.Close)
	must[struct{}](t)(struct{}{}, db.Migrate(context.Background()))
	h := newHarnessOn(t, fakeapi.Options{}, db, redistest.New(t), func(c *config) {
		c.Retries = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
	})
	p := h.person(11002, "Reza")
	signUpToReview(h, p)
	review := p.expect(h.T("liaison.review"))

	proxy.setDown(true)
	if a := p.press(review.ID, h.T("btn.confirm")); a.Text != h.T("err.temporary") {
		t.Errorf("confirm with Postgres down answered %q", a.Text)
	}
	p.expect(h.T("err.temporary"))
	proxy.setDown(false)
	p.press(review.ID, h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	if _, err := h.db.PendingLiaisonRequest(context.Background(), p.ID()); err != nil {
		t.Errorf("request not saved: %v", err)
	}
	p.expectNothing(300 * time.Millisecond)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// rasadBinary builds the real command once for the tests that run it.
func rasadBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rasad-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "rasad")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is the real rasad binary serving against the test's Bot API
// server, database and Redis.
type process struct {
	cmd *exec.Cmd
	out *strings.Builder
}

func startProcess(t *testing.T, h *harness, dbURL string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(rasadBinary(t), "serve")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"BOT_TOKEN=" + h.srv.Token(),
		"BOT_API_URL=" + h.srv.URL(),
		"DATABASE_URL=" + dbURL,
		"REDIS_URL=" + redistest.URL(),
		"REDIS_PREFIX=" + h.rs.Prefix(),
		"ADMIN_IDS=1000",
		"POLL_TIMEOUT=1s",
		"SEND_RATE=0",
		"HTTP_ADDR=" + freeAddr(t),
		"METRICS_ADDR=" + freeAddr(t),
		"LOG_LEVEL=warn",
		"CLAIM_LEASE=2s", // a dead process's updates are taken up soon
	}
	cmd.Env = append(cmd.Env, env...) // later settings win
	out := &strings.Builder{}
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("rasad output:\n%s", out.String())
			mu.Unlock()
		}
	})
	return &process{cmd: cmd, out: out}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// subprocessHarness is a harness whose bot runs as real processes.
func subprocessHarness(t *testing.T) (*harness, string) {
	dbURL := postgrestest.NewURL(t)
	db := postgrestest.Open(t, dbURL)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, fakeapi.Options{}, db, redistest.New(t), nil)
	h.procs[0].stop(t) // the in-process bot gives way to the real binary
	return h, dbURL
}

// Killed with SIGKILL between two answers: a new process takes the polling
// over and the conversation goes on where it was, nothing answered twice.
func TestKilledMidFlowContinues(t *testing.T) {
	t.Parallel()
	h, dbURL := subprocessHarness(t)
	first := startProcess(t, h, dbURL)
	p := h.person(11003, "Sara")
	toAgencyStep(h, p)

	first.cmd.Process.Kill()
	first.cmd.Wait()
	startProcess(t, h, dbURL)
	if _, err := p.Tap(labourFa, 30*time.Second); err != nil { // the new process waits out the dead one's polling lease
		t.Fatal(err)
	}
	// Killed after handling the contact but before recording it done, the
	// process leaves the update to be taken up again: that shows the
	// current step once more instead of applying it twice.
	for {
		m, err := p.Next(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Text, h.T("liaison.name.prompt")) {
			break
		}
		if !strings.Contains(m.Text, h.T("liaison.agency.prompt")) && m.Text != h.T("contact.received") {
			t.Fatalf("after the restart: %q", m.Text)
		}
	}
	p.send("سارا احمدی")
	p.expect(h.T("liaison.position.prompt"))
	p.expectNothing(300 * time.Millisecond)
}

// Killed after a batch was confirmed to the Bot API server but before its
// update was handled: the update waits in the inbox in Redis, and the next
// process takes it up once the dead one's claim lapses, once.
func TestKilledAfterConfirmTakesUpInbox(t *testing.T) {
	t.Parallel()
	h, dbURL := subprocessHarness(t)
	first, p := answeringProcess(t, h, dbURL, 11005, "Reza")

	h.srv.SetDelay("sendMessage", time.Minute) // the reply never leaves
	before := sendCalls(h)
	p.send("/start")
	eventually(t, "the update confirmed with its reply under way", func() bool {
		return h.srv.Pending() == 0 && replyUnderWay(h, before)
	})
	first.cmd.Process.Kill()
	first.cmd.Wait()
	h.srv.SetDelay("sendMessage", 0)

	startProcess(t, h, dbURL)
	m, err := p.Next(30 * time.Second) // the dead process's claim lapses first
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != h.T("start.welcome") {
		t.Fatalf("after the restart: %q, want the welcome", m.Text)
	}
	p.expectNothing(time.Second)
}

// answeringProcess starts a bot process and sees it answer a person.
func answeringProcess(t *testing.T, h *harness, dbURL string, id int64, name string) (*process, person) {
	t.Helper()
	proc := startProcess(t, h, dbURL)
	p := h.person(id, name)
	p.send("/help")
	p.expect(strings.Split(h.T("help.common"), "\n")[0])
	return proc, p
}

// sendCalls counts the sendMessage calls so far, for replyUnderWay.
func sendCalls(h *harness) int { return len(h.srv.Calls("sendMessage")) }

// replyUnderWay says whether a sendMessage call made after the first
// `after` is being answered now. Earlier ones are not the reply waited
// for: an earlier reply's call is marked done a moment after its message
// arrives, and taking it for the new one let a test act before the new
// update was even fetched.
func replyUnderWay(h *harness, after int) bool {
	for _, c := range h.srv.Calls("sendMessage")[after:] {
		if !c.Done {
			return true
		}
	}
	return false
}

// SIGTERM while an update is being handled: the reply still goes out, the
// update's offset is confirmed, the process exits cleanly, and the next
// process does not handle it again.
func TestSIGTERMFinishesInFlightUpdate(t *testing.T) {
	t.Parallel()
	h, dbURL := subprocessHarness(t)
	first, p := answeringProcess(t, h, dbURL, 11004, "Ali")

	h.srv.SetDelay("sendMessage", 1500*time.Millisecond)
	before := sendCalls(h)
	p.send("/start")
	eventually(t, "the reply to be under way", func() bool { return replyUnderWay(h, before) })
	first.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- first.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop within 20s of SIGTERM")
	}
	h.srv.SetDelay("sendMessage", 0)
	p.expect(h.T("start.welcome"))
	if n := h.srv.Pending(); n != 0 {
		t.Errorf("%d updates left unconfirmed", n)
	}
	startProcess(t, h, dbURL)
	p.expectNothing(2 * time.Second)
	if _, err := p.Tap(h.T("role.liaison"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	p.expect(h.T("liaison.phone.prompt"))
}

// A burst of 429s: each is waited out and the reply arrives once.
func TestBurstOf429s(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.srv.FailNext("sendMessage", 3, 429, 1)
	p := h.person(11005, "Burst")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.expectNothing(300 * time.Millisecond)
	refused := 0
	for _, c := range h.srv.Calls("sendMessage") {
		if c.ErrorCode == 429 {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("%d refusals seen, want 3", refused)
	}

}
