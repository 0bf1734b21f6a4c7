package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The bot runs as the real binary in subprocesses, so its CPU and memory
// are read from /proc apart from the generator's (getrusage on itself).

// buildBinary builds cmd/rasad from the module root into a temporary
// directory; cleanup removes it.
func buildBinary(ctx context.Context) (bin string, cleanup func(), err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", nil, fmt.Errorf("not inside the rasad module (go env GOMOD: %q %v); run from /work/main or give -bin", gomod, err)
	}
	dir, err := os.MkdirTemp("", "rasad-loadtest")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "rasad")
	bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-o", bin, "./cmd/rasad")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build ./cmd/rasad: %v\n%s", err, out)
	}
	return bin, cleanup, nil
}

// baseEnv is the environment every rasad process gets: nothing inherited
// but PATH and HOME, so a stray setting of the caller's cannot change the
// run.
func baseEnv(dbURL string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"DATABASE_URL=" + dbURL,
		"LOG_LEVEL=warn",
	}
}

// runOnce runs a short rasad subcommand (migrate, import) to completion.
func runOnce(ctx context.Context, bin string, env []string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rasad %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// replica is one `rasad serve` process.
type replica struct {
	cmd      *exec.Cmd
	addr     string // HTTP_ADDR: the webhook, in webhook mode
	internal string // METRICS_ADDR: /healthz and /metrics
	out      *logTail
	done     chan struct{} // closed when the process has exited
	err      error         // its exit status, once done
}

func startReplica(bin string, env []string, addr, internal string) (*replica, error) {
	r := &replica{addr: addr, internal: internal, out: &logTail{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = append(slices.Clip(env), "HTTP_ADDR="+addr, "METRICS_ADDR="+internal)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	// Should the generator die, its replicas die with it.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	return r, nil
}

func (r *replica) pid() int { return r.cmd.Process.Pid }

func (r *replica) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// stopAll ends the replicas as an orchestrator would: SIGTERM to all,
// which lets each finish its in-flight updates, then SIGKILL to those still
// running after grace.
func stopAll(reps []*replica, grace time.Duration) error {
	var errs []error
	for _, r := range reps {
		if r.exited() {
			errs = append(errs, fmt.Errorf("replica %s had exited: %v", r.addr, r.err))
			continue
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(grace)
	for _, r := range reps {
		select {
		case <-r.done:
			if r.err != nil {
				errs = append(errs, fmt.Errorf("replica %s: exit after SIGTERM: %v", r.addr, r.err))
			}
		case <-deadline:
			_ = r.cmd.Process.Kill()
			<-r.done
			errs = append(errs, fmt.Errorf("replica %s did not stop within %v of SIGTERM; killed", r.addr, grace))
		}
	}
	return errors.Join(errs...)
}

// waitHealthy waits for the replica's /healthz, which it serves before it
// polls or registers its webhook.
func (r *replica) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	for {
		if r.exited() {
			return fmt.Errorf("replica %s exited at start: %v\n%s", r.addr, r.err, r.out.String())
		}
		resp, err := client.Get("http://" + r.internal + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica %s not healthy at %s/healthz: %v\n%s", r.addr, r.internal, err, r.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metrics reads the replica's Prometheus counters, each summed over its
// labels (kinds of update, methods).
func (r *replica) metrics() (map[string]float64, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + r.internal + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name := line[:i]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[name] += v
		}
	}
	return out, nil
}

// logTail keeps the last lines a replica wrote (LOG_LEVEL=warn keeps them
// few) and counts warnings and errors.
type logTail struct {
	mu     sync.Mutex
	buf    []byte
	warns  int
	errors int
}

const logTailMax = 32 << 10

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warns += bytes.Count(p, []byte("level=WARN"))
	l.errors += bytes.Count(p, []byte("level=ERROR"))
	l.buf = append(l.buf, p...)
	if len(l.buf) > logTailMax {
		l.buf = append([]byte(nil), l.buf[len(l.buf)-logTailMax/2:]...)
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

func (l *logTail) counts() (warns, errs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warns, l.errors
}

// lastLines is the tail of s, for a failure note.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddrs finds n loopback addresses nothing listens on now.
func freeAddrs(n int) ([]string, error) {
	var out []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l) // held until all are picked, so they differ
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// startProxy is the round-robin load balancer in front of several webhook
// replicas, as one public URL spread over replicas would be in production.
// Requests it could not pass on are counted in errs and answered 502, which
// the Bot API server retries.
// It serves on l, taken before the replicas' free ports are picked so that
// none of them can be the proxy's.
func startProxy(l net.Listener, targets []string, errs *atomic.Int64) (proxyURL string, stop func()) {
	urls := make([]*url.URL, len(targets))
	for i, t := range targets {
		urls[i] = &url.URL{Scheme: "http", Host: t}
	}
	var next atomic.Uint64
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(urls[(next.Add(1)-1)%uint64(len(urls))])
		},
		// Keep connections to the replicas open: the default of two idle
		// connections per host would make the proxy itself a source of
		// reconnects under 40 concurrent deliveries.
		Transport: &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: time.Minute},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			errs.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return "http://" + l.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// --- /proc readings ---

// cpuSeconds is a process's user+system CPU time so far, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; count fields after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(utime+stime) / float64(clockTicks), nil
}

// cpuOfAll sums cpuSeconds over pids; processes gone meanwhile count 0.
func cpuOfAll(pids []int) map[int]float64 {
	out := map[int]float64{}
	for _, pid := range pids {
		if s, err := cpuSeconds(pid); err == nil {
			out[pid] = s
		}
	}
	return out
}

// peakRSSMB is a process's peak resident set (VmHWM), in MB.
func peakRSSMB(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// clockTicks is the unit of /proc's CPU times (sysconf(_SC_CLK_TCK)), read
// without cgo from the auxiliary vector the kernel gave this process.
var clockTicks = func() int64 {
	const atClkTck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err == nil && strconv.IntSize == 64 {
		for i := 0; i+16 <= len(b); i += 16 {
			if binary.NativeEndian.Uint64(b[i:]) == atClkTck {
				if v := int64(binary.NativeEndian.Uint64(b[i+8:])); v > 0 {
					return v
				}
			}
		}
	}
	return 100 // USER_HZ on every Linux architecture Go supports
}()

// selfCPU is the generator's own user+system CPU time (getrusage): the
// in-process Bot API server, the proxy and the simulated users.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// timeWaitTo counts loopback TCP sockets in TIME_WAIT towards port: each is
// a connection closed after use instead of kept alive.
func timeWaitTo(port int) int {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return -1
	}
	want := fmt.Sprintf(":%04X", port)
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		// local, remote, state: 06 is TIME_WAIT. Either end may hold it.
		if len(f) > 3 && f[3] == "06" && (strings.HasSuffix(f[1], want) || strings.HasSuffix(f[2], want)) {
			n++
		}
	}
	return n
}
