// Command envelope measures the default-mode invocation round trip of a no-op timer function,
// POST /TenantHealthSweep with the timer_D fixture, through the real handler and through a
// bare net/http server that only decodes the envelope and encodes the empty reply
// (bench/envelope/bare).
//
//	go run ./bench/envelope [-c 32] [-d 5s] [-warmup 1s] [-rounds 2]
//
// Both binaries are built with CGO_ENABLED=0 -trimpath -ldflags "-s -w" and started like the
// host starts them: a free 127.0.0.1 port in FUNCTIONS_CUSTOMHANDLER_PORT and no product
// configuration (every dependency check is "disabled"). Their stdout and stderr go to pipes
// that are drained and counted, as the host's console reader does. The servers run one at a
// time, bare then handler, -rounds times, so the spread between rounds shows the noise.
//
// Each run drives -c workers sharing one keep-alive http.Client for -warmup (discarded), then
// for -d. Every reply must be 200 with a JSON content type and the body
// {"Outputs":{},"Logs":[],"ReturnValue":null}; anything else counts as an error. The load
// generator shares the machine with the server, so absolute figures are a floor; the ratio is
// the point.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
)

const (
	function    = "TenantHealthSweep"
	hostVersion = "4.1037.0.0"
	// goalRatio: the handler should keep at least this share of the bare server's throughput.
	goalRatio = 0.8
)

var wantBody = []byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`)

type server struct {
	name string
	pkg  string
	args []string
	bin  string
}

type config struct {
	workers  int
	duration time.Duration
	warmup   time.Duration
	maxReqs  int64
	body     []byte
}

// phase is what one timed drive of a server produced.
type phase struct {
	requests int64 // replies received, good or bad
	errors   int64 // transport errors, non-200 replies, wrong content type or body
	firstErr string
	elapsed  time.Duration
	lat      []time.Duration // sorted, one per reply
}

type result struct {
	round  int
	server *server
	phase
	stdoutLines, stdoutBytes, stderrLines int64 // written during the measured phase
	serverCPU, clientCPU                  time.Duration
	stdoutHead                            string
}

func (r *result) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerReq returns d per request in microseconds.
func (r *result) cpuPerReq(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond) / float64(max(r.requests, 1))
}

func main() {
	workers := flag.Int("c", 32, "concurrent workers (1..256)")
	duration := flag.Duration("d", 5*time.Second, "measured duration of each run (100ms..60s)")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run (0..10s)")
	rounds := flag.Int("rounds", 2, "bare/handler alternations (1..10)")
	maxReqs := flag.Int64("max", 5_000_000, "stop a phase after this many requests")
	fixture := flag.String("fixture", "", "envelope to POST (default shared/funchost/testdata/envelopes/timer_D.json)")
	handlerBin := flag.String("handler-bin", "", "use this handler binary instead of building ./handler (e.g. one built for profiling)")
	flag.Parse()
	if *workers < 1 || *workers > 256 || *duration < 100*time.Millisecond || *duration > time.Minute ||
		*warmup < 0 || *warmup > 10*time.Second || *rounds < 1 || *rounds > 10 || *maxReqs < 1 {
		fmt.Fprintln(os.Stderr, "envelope: -c 1..256, -d 100ms..60s, -warmup 0..10s, -rounds 1..10, -max >= 1")
		os.Exit(2)
	}
	cfg := config{workers: *workers, duration: *duration, warmup: *warmup, maxReqs: *maxReqs}
	if err := run(cfg, *rounds, *fixture, *handlerBin); err != nil {
		fmt.Fprintln(os.Stderr, "envelope:", err)
		os.Exit(1)
	}
}

func run(cfg config, rounds int, fixture, handlerBin string) error {
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	if fixture == "" {
		fixture = filepath.Join(root, "shared", "funchost", "testdata", "envelopes", "timer_D.json")
	}
	if cfg.body, err = os.ReadFile(fixture); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "envelope-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bare := &server{name: "bare", pkg: "./bench/envelope/bare"}
	handler := &server{name: "handler", pkg: "./handler", args: []string{"serve"}, bin: handlerBin}
	servers := []*server{bare, handler}
	for _, s := range servers {
		if s.bin != "" {
			continue
		}
		if s.bin, err = benchkit.Build(root, dir, s.name, s.pkg); err != nil {
			return err
		}
	}

	fmt.Printf("envelope: POST /%s (%s, %d bytes), %d workers, one keep-alive client, %s warm-up + %s measured per run; servers one at a time\n",
		function, filepath.Base(fixture), len(cfg.body), cfg.workers, cfg.warmup, cfg.duration)
	fmt.Printf("build: CGO_ENABLED=0 go build -trimpath -ldflags %q; %s\n\n", benchkit.LDFlags, benchkit.Load())
	const row = "%5v  %-7v  %8v  %7v  %7v  %7v  %6v  %14v  %14v  %16v  %12v\n"
	fmt.Printf(row, "round", "server", "requests", "req/s", "p50 ms", "p99 ms", "errors", "server CPU/req", "client CPU/req", "stdout lines/req", "stderr lines")

	var results []*result
	for round := 1; round <= rounds; round++ {
		for _, s := range servers {
			r, err := measure(s, cfg)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round, s.name, err)
			}
			r.round = round
			results = append(results, r)
			fmt.Printf(row, round, s.name, r.requests, fmt.Sprintf("%.0f", r.throughput()),
				benchkit.Ms(benchkit.Percentile(r.lat, 50)), benchkit.Ms(benchkit.Percentile(r.lat, 99)),
				r.errors, fmt.Sprintf("%.1f µs", r.cpuPerReq(r.serverCPU)), fmt.Sprintf("%.1f µs", r.cpuPerReq(r.clientCPU)),
				fmt.Sprintf("%.2f", float64(r.stdoutLines)/float64(max(r.requests, 1))), r.stderrLines)
		}
	}

	fmt.Printf("\n%s\n", benchkit.Load())
	var (
		sum  = map[*server]float64{}
		cpu  = map[*server]time.Duration{}
		reqs = map[*server]int64{}
		errs int64
	)
	for _, r := range results {
		sum[r.server] += r.throughput()
		cpu[r.server] += r.serverCPU
		reqs[r.server] += r.requests
		errs += r.errors
		if r.errors > 0 {
			fmt.Printf("round %d %s: first error: %s\n", r.round, r.server.name, r.firstErr)
		}
	}
	for round := 1; round <= rounds; round++ {
		var b, h float64
		for _, r := range results {
			if r.round == round {
				switch r.server {
				case bare:
					b = r.throughput()
				case handler:
					h = r.throughput()
				}
			}
		}
		fmt.Printf("round %d: throughput handler/bare = %.2f\n", round, h/b)
	}
	ratio := sum[handler] / sum[bare]
	fmt.Printf("mean throughput: bare %.0f req/s, handler %.0f req/s; ratio handler/bare = %.2f (goal >= %.1f): %s\n",
		sum[bare]/float64(rounds), sum[handler]/float64(rounds), ratio, goalRatio, verdict(ratio >= goalRatio))
	perReq := func(s *server) float64 { return float64(cpu[s]) / float64(time.Microsecond) / float64(max(reqs[s], 1)) }
	fmt.Printf("server CPU per request (all rounds): bare %.1f µs, handler %.1f µs; handler/bare = %.2f\n",
		perReq(bare), perReq(handler), perReq(handler)/perReq(bare))
	for _, r := range results {
		if r.server == handler && r.stdoutLines > 0 {
			fmt.Printf("note: the handler wrote %d stdout lines (%d bytes) in round %d's measured phase, %.2f per invocation; first lines:\n%s\n",
				r.stdoutLines, r.stdoutBytes, r.round, float64(r.stdoutLines)/float64(max(r.requests, 1)), indent(firstLines(r.stdoutHead, 2)))
			break
		}
	}
	if errs > 0 {
		return fmt.Errorf("%d failed invocations", errs)
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// measure starts s, warms it up, drives it for cfg.duration and stops it.
func measure(s *server, cfg config) (r *result, err error) {
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	p := benchkit.Command(s.bin, s.args, port)
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		if serr := p.Stop(30 * time.Second); serr != nil && err == nil {
			err = fmt.Errorf("stop: %w (output: %s)", serr, p.Describe())
		}
	}()
	if err := waitReady(p.Addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w (output: %s)", err, p.Describe())
	}

	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        2 * cfg.workers,
		MaxIdleConnsPerHost: 2 * cfg.workers,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + p.Addr + "/" + function

	if cfg.warmup > 0 {
		if w := drive(client, url, cfg, cfg.warmup); w.errors > 0 {
			return nil, fmt.Errorf("warm-up: %d errors, first: %s", w.errors, w.firstErr)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the warm-up's output reach the pipes
	outLines0, outBytes0 := p.Stdout.Counts()
	errLines0, _ := p.Stderr.Counts()
	srv0, err := benchkit.CPUTime(p.Cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	cli0 := benchkit.SelfCPUTime()
	ph := drive(client, url, cfg, cfg.duration)
	cli1 := benchkit.SelfCPUTime()
	srv1, err := benchkit.CPUTime(p.Cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	time.Sleep(50 * time.Millisecond)
	outLines1, outBytes1 := p.Stdout.Counts()
	errLines1, _ := p.Stderr.Counts()
	return &result{server: s, phase: ph,
		stdoutLines: outLines1 - outLines0, stdoutBytes: outBytes1 - outBytes0, stderrLines: errLines1 - errLines0,
		stdoutHead: p.Stdout.Head(), serverCPU: srv1 - srv0, clientCPU: cli1 - cli0}, nil
}

// waitReady polls GET / until it answers, like the host's readiness probe.
func waitReady(addr string, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for {
		res, err := c.Get("http://" + addr + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET / not answered within %s: %w", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drive runs cfg.workers workers against url for d (or until cfg.maxReqs requests).
func drive(client *http.Client, url string, cfg config, d time.Duration) phase {
	var (
		issued   atomic.Int64
		mu       sync.Mutex
		all      phase
		wg       sync.WaitGroup
		start    = time.Now()
		deadline = start.Add(d)
	)
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				lat      = make([]time.Duration, 0, 1<<14)
				errs     int64
				firstErr string
				buf      bytes.Buffer
				prefix   = fmt.Sprintf("%08x-0000-4000-8000-", w)
			)
			fail := func(err error) {
				errs++
				if firstErr == "" {
					firstErr = err.Error()
				}
			}
			for n := 0; time.Now().Before(deadline) && issued.Add(1) <= cfg.maxReqs; n++ {
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(cfg.body))
				if err != nil {
					fail(err)
					break
				}
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
				req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("%s%012x", prefix, n))
				req.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
				req.Header.Set("User-Agent", "Azure-Functions-Host/"+hostVersion)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					fail(err)
					continue
				}
				buf.Reset()
				_, err = buf.ReadFrom(io.LimitReader(res.Body, 1<<16))
				_ = res.Body.Close()
				lat = append(lat, time.Since(t0))
				switch {
				case err != nil:
					fail(fmt.Errorf("read reply: %w", err))
				case res.StatusCode != http.StatusOK:
					fail(fmt.Errorf("status %d: %s", res.StatusCode, bytes.TrimSpace(buf.Bytes())))
				case !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"):
					fail(fmt.Errorf("content type %q", res.Header.Get("Content-Type")))
				case !bytes.Equal(bytes.TrimSpace(buf.Bytes()), wantBody):
					fail(errors.New("unexpected body: " + string(bytes.TrimSpace(buf.Bytes()))))
				}
			}
			mu.Lock()
			all.lat = append(all.lat, lat...)
			all.errors += errs
			if all.firstErr == "" {
				all.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	all.requests = int64(len(all.lat))
	all.lat = benchkit.Sorted(all.lat)
	return all
}

// firstLines returns the first n complete lines of s that are not the start-up line.
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(out) < n && l != "" && !strings.Contains(l, `"msg":"listening"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
