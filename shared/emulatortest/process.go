package emulatortest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds an emulator's start, from exec to every port accepting.
	readyTimeout = 60 * time.Second
	// stopTimeout is how long an emulator gets to exit after SIGTERM before it is killed.
	stopTimeout = 5 * time.Second
	// startAttempts covers another process taking a chosen free port before the emulator binds it.
	startAttempts = 3
)

// process is one running emulator.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *tail
	done chan struct{} // closed when the process has exited
	dir  string        // working directory removed after exit
}

// start runs bin with args(ports) on freshly chosen ports and waits until every port accepts
// TCP connections, retrying with other ports when the process exits early.
func start(name, bin string, nports int, args func(ports []int) []string) (*process, []int, error) {
	var errs []error
	for range startAttempts {
		ports, err := freePorts(nports)
		if err != nil {
			return nil, nil, err
		}
		p, err := launch(name, bin, args(ports))
		if err != nil {
			return nil, nil, err
		}
		err = p.waitReady(ports)
		if err == nil {
			return p, ports, nil
		}
		p.stop()
		errs = append(errs, err)
		if !p.exited() {
			break // it ran but did not answer: another try would not help
		}
	}
	return nil, nil, errors.Join(errs...)
}

// launch starts bin in a temporary working directory, output captured.
func launch(name, bin string, args []string) (*process, error) {
	dir, err := os.MkdirTemp("", "emulatortest-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("create working directory for %s: %w", name, err)
	}
	p := &process{name: name, out: &tail{max: 16 << 10}, done: make(chan struct{}), dir: dir}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady waits until every port accepts a TCP connection, the process exits or
// readyTimeout passes.
func (p *process) waitReady(ports []int) error {
	deadline := time.Now().Add(readyTimeout)
	for _, port := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for {
			conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
			if err == nil {
				_ = conn.Close()
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s exited before listening on %s (%s); output:\n%s",
					p.name, addr, p.cmd.ProcessState, p.out)
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not listening on %s after %s; output:\n%s", p.name, addr, readyTimeout, p.out)
			}
		}
	}
	return nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop terminates the process (SIGTERM, then SIGKILL after stopTimeout) and removes its
// working directory.
func (p *process) stop() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	_ = os.RemoveAll(p.dir)
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close() // held until all are chosen, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// findBinary returns $env when set, else rel found in the working directory or a parent, up
// to the repository root (the directory holding go.mod). It skips or fails t when there is none.
func findBinary(t testing.TB, env, rel string) string {
	t.Helper()
	if bin := os.Getenv(env); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			missing(t, fmt.Sprintf("%s=%s: %v", env, bin, err))
		}
		return bin
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			bin := filepath.Join(dir, rel)
			if _, err := os.Stat(bin); err == nil {
				return bin
			}
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	missing(t, fmt.Sprintf("%s is not set and no %s was found up to the repository root", env, rel))
	return ""
}

// missing skips t, or fails it when CI is set, because an emulator binary is not installed.
func missing(t testing.TB, why string) {
	t.Helper()
	msg := "emulatortest: " + why + "; run `make test`, or scripts/services.sh to install the emulators"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// tail is an io.Writer keeping the last max bytes written, safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tail) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(b), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.TrimSpace(w.buf))
}
