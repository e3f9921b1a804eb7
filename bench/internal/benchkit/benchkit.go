// Package benchkit holds what the programs under bench/ share: building the binaries they
// compare, starting them the way the Functions host does (a free 127.0.0.1 port in
// FUNCTIONS_CUSTOMHANDLER_PORT, no other configuration), stopping them, and order statistics.
package benchkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LDFlags are the link flags of every binary a benchmark compares, so that sizes and start-up
// times are like for like (the product's own build adds only -X version stamps to these).
const LDFlags = "-s -w"

// ModuleRoot returns the directory of the main module, so the programs work from any
// working directory inside the clone.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// Build compiles pkg (relative to root, e.g. "./handler") into dir/name with CGO_ENABLED=0,
// -trimpath and LDFlags, and returns the binary's path.
func Build(root, dir, name, pkg string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", LDFlags, "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// Size returns the size of the file at path in bytes.
func Size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Env is the environment a benchmark child gets: the port, PATH and HOME, and the Go
// runtime's own knobs if the caller set them; no product configuration, so every dependency
// is "disabled" and nothing reaches beyond 127.0.0.1.
func Env(port int) []string {
	env := []string{"FUNCTIONS_CUSTOMHANDLER_PORT=" + strconv.Itoa(port)}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Output collects a child's stdout or stderr: it counts lines and bytes, and keeps the first
// few KiB to show when something goes wrong. It is what the host's console reader would see.
type Output struct {
	mu    sync.Mutex
	lines int64
	bytes int64
	head  bytes.Buffer
}

const headMax = 4 << 10

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines += int64(bytes.Count(p, []byte{'\n'}))
	o.bytes += int64(len(p))
	if room := headMax - o.head.Len(); room > 0 {
		o.head.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// Counts returns the lines and bytes written so far.
func (o *Output) Counts() (lines, n int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lines, o.bytes
}

// Head returns the first bytes written.
func (o *Output) Head() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.head.String()
}

var _ io.Writer = (*Output)(nil)

// Proc is a started child process.
type Proc struct {
	Cmd    *exec.Cmd
	Addr   string
	Stdout *Output
	Stderr *Output
}

// Command prepares bin with args for port, its output going to fresh Outputs. The caller
// times Cmd.Start itself when start-up is what it measures.
func Command(bin string, args []string, port int) *Proc {
	p := &Proc{Addr: "127.0.0.1:" + strconv.Itoa(port), Stdout: &Output{}, Stderr: &Output{}}
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Env = Env(port)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Stdout, p.Stderr
	return p
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then kills it. It returns
// an error when the process had to be killed or exited with a failure other than the SIGTERM
// itself (a bare server that does not catch SIGTERM dies of it, which is fine).
func (p *Proc) Stop(grace time.Duration) error {
	if p.Cmd.Process == nil {
		return nil
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
				return nil
			}
		}
		return err
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-done
		return fmt.Errorf("did not exit within %s of SIGTERM; killed", grace)
	}
}

// Describe returns the process's stderr head (or stdout's), for error messages.
func (p *Proc) Describe() string {
	if s := strings.TrimSpace(p.Stderr.Head()); s != "" {
		return s
	}
	return strings.TrimSpace(p.Stdout.Head())
}

// Sorted returns a sorted copy of ds.
func Sorted(ds []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted)) * p / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Median returns the median of sorted (the mean of the middle two for an even count).
func Median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
}

// Ms formats d in milliseconds with three decimals.
func Ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// MiB formats a byte count in MiB.
func MiB(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64) + " MiB"
}

// Nap sleeps for about d with nanosleep(2), blocking the calling thread. Sub-millisecond
// polling needs it: time.Sleep goes through the runtime's timers, which on Linux wake at
// millisecond granularity (a 250µs time.Sleep takes about 1.07 ms on the bench machine, a
// 250µs Nap about 0.35 ms).
func Nap(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

// Load returns the 1-minute load average and the CPU count, so a reader can tell a noisy
// run from a slow program ("load 0.12 on 2 CPUs").
func Load() string {
	b, err := os.ReadFile("/proc/loadavg")
	one := "?"
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		one = f[0]
	}
	return fmt.Sprintf("load %s on %d CPUs", one, runtime.NumCPU())
}

// CPUTime returns the user+system CPU time process pid has used so far, from /proc/pid/stat
// (USER_HZ resolution, 10 ms). On a shared machine CPU per request is steadier than
// throughput, which also depends on what else runs.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces; count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state is field 3, so utime (14) and stime (15) are f[11] and f[12].
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	const userHZ = 100
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// SelfCPUTime returns the CPU time (user+system) this process has used so far.
func SelfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
