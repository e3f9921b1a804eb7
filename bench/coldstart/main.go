// Command coldstart measures how long the handler takes from exec to its first answer to
// GET / (the Functions host's readiness probe), against a bare net/http hello-world built the
// same way.
//
//	go run ./bench/coldstart [-n 20] [-poll 200us]
//
// Both binaries are built with CGO_ENABLED=0 -trimpath -ldflags "-s -w" into a temp dir. Each
// start gets a free 127.0.0.1 port in FUNCTIONS_CUSTOMHANDLER_PORT and no other configuration;
// the clock starts just before exec, the program dials the port, sleeping -poll (nanosleep:
// time.Sleep rounds sub-millisecond sleeps up to about 1 ms here) between tries, until it connects
// ("listening": the socket is bound), sends GET / and stops the clock at the response's status
// line ("GET /"). The child is then stopped with SIGTERM and reaped. Starts alternate
// handler/hello so both share the machine's noise; one warm-up start of each is not recorded.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
)

// Goals (see the bench brief): the handler answers the probe in under 20 ms, at most twice
// what the bare server takes.
const (
	goalMedian = 20 * time.Millisecond
	goalRatio  = 2.0
)

type target struct {
	name string
	pkg  string
	args []string
	bin  string

	listening, answered []time.Duration
	polls               int
}

type sample struct {
	listening, answered time.Duration
	polls               int
}

func main() {
	n := flag.Int("n", 20, "recorded starts of each binary (1..1000)")
	poll := flag.Duration("poll", 200*time.Microsecond, "sleep between connection attempts (nanosleep; at most 1ms)")
	timeout := flag.Duration("timeout", 5*time.Second, "give up on one start after this long")
	warmup := flag.Int("warmup", 1, "unrecorded starts of each binary first")
	flag.Parse()
	if *n < 1 || *n > 1000 || *poll < 0 || *poll > time.Millisecond || *warmup < 0 || *warmup > 10 {
		fmt.Fprintln(os.Stderr, "coldstart: -n must be 1..1000, -poll 0..1ms, -warmup 0..10")
		os.Exit(2)
	}
	if err := run(*n, *warmup, *poll, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(n, warmup int, poll, timeout time.Duration) error {
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	targets := []*target{
		{name: "handler", pkg: "./handler", args: []string{"serve"}},
		{name: "hello", pkg: "./bench/coldstart/hello"},
	}
	for _, t := range targets {
		if t.bin, err = benchkit.Build(root, dir, t.name, t.pkg); err != nil {
			return err
		}
	}

	for i := -warmup; i < n; i++ {
		for _, t := range targets {
			s, err := start(t, poll, timeout)
			if err != nil {
				return fmt.Errorf("%s start %d: %w", t.name, i+1, err)
			}
			if i >= 0 {
				t.listening = append(t.listening, s.listening)
				t.answered = append(t.answered, s.answered)
				t.polls += s.polls
			}
		}
	}

	fmt.Printf("coldstart: exec -> first answer to GET /, %d starts each, interleaved handler/hello, poll every %s, %d warm-up start(s) each not recorded\n", n, poll, warmup)
	fmt.Printf("build: CGO_ENABLED=0 go build -trimpath -ldflags %q; %s\n\n", benchkit.LDFlags, benchkit.Load())
	for _, t := range targets {
		size := benchkit.Size(t.bin)
		fmt.Printf("size  %-8s %s (%d bytes)\n", t.name, benchkit.MiB(size), size)
	}
	const row = "%-8s  %-15s  %8s  %8s  %8s  %8s  %11s\n"
	fmt.Printf("\n"+row, "binary", "ms from exec to", "median", "p90", "min", "max", "polls/start")
	for _, t := range targets {
		for _, st := range []struct {
			stage string
			ds    []time.Duration
		}{{"listening", t.listening}, {"GET / answered", t.answered}} {
			s := benchkit.Sorted(st.ds)
			fmt.Printf(row, t.name, st.stage,
				benchkit.Ms(benchkit.Median(s)), benchkit.Ms(benchkit.Percentile(s, 90)),
				benchkit.Ms(s[0]), benchkit.Ms(s[len(s)-1]), fmt.Sprintf("%.1f", float64(t.polls)/float64(n)))
		}
	}

	h, b := benchkit.Median(benchkit.Sorted(targets[0].answered)), benchkit.Median(benchkit.Sorted(targets[1].answered))
	ratio := float64(h) / float64(b)
	fmt.Printf("\nhandler median GET /: %s ms (goal < %s ms): %s\n", benchkit.Ms(h), benchkit.Ms(goalMedian), verdict(h < goalMedian))
	fmt.Printf("ratio handler/hello (medians): %.2f (goal <= %.1f): %s\n", ratio, goalRatio, verdict(ratio <= goalRatio))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// start runs one cold start of t and stops it again.
func start(t *target, poll, timeout time.Duration) (s sample, err error) {
	port, err := benchkit.FreePort()
	if err != nil {
		return s, err
	}
	p := benchkit.Command(t.bin, t.args, port)
	t0 := time.Now()
	if err := p.Cmd.Start(); err != nil {
		return s, err
	}
	defer func() {
		if serr := p.Stop(10 * time.Second); serr != nil && err == nil {
			err = fmt.Errorf("stop: %w (output: %s)", serr, p.Describe())
		}
	}()
	deadline := t0.Add(timeout)
	for {
		s.polls++
		c, derr := net.DialTimeout("tcp", p.Addr, 100*time.Millisecond)
		if derr == nil {
			s.listening = time.Since(t0)
			status, rerr := get(c, p.Addr)
			s.answered = time.Since(t0)
			_ = c.Close()
			if rerr != nil {
				return s, fmt.Errorf("GET /: %w (output: %s)", rerr, p.Describe())
			}
			if status != http.StatusOK {
				return s, fmt.Errorf("GET / answered %d, want 200", status)
			}
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("not listening on %s after %s: %v (output: %s)", p.Addr, timeout, derr, p.Describe())
		}
		benchkit.Nap(poll)
	}
}

// get sends GET / on c and returns the status once the status line and headers are in; the
// body is read afterwards, off the clock.
func get(c net.Conn, host string) (int, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, nil
}
