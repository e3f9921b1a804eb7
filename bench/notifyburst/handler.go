package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
)

// handlerBin is the handler built for this run.
type handlerBin struct {
	dir string
	bin string
}

// buildHandler builds ./handler into a temporary directory, like the other benchmarks.
func buildHandler() (*handlerBin, error) {
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "notifyburst-")
	if err != nil {
		return nil, err
	}
	bin, err := benchkit.Build(root, dir, "handler", "./handler")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &handlerBin{dir: dir, bin: bin}, nil
}

func (h *handlerBin) cleanup() { _ = os.RemoveAll(h.dir) }

// baseEnv is PATH, HOME and the Go runtime's knobs if set: no product configuration.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// migrate runs 'handler migrate up' as the owner role, as operators do.
func (h *handlerBin) migrate(ctx context.Context, ownerURL string) error {
	start := time.Now()
	cmd := exec.CommandContext(ctx, h.bin, "migrate", "up")
	cmd.Env = append(baseEnv(), "MIGRATIONS_DATABASE_URL="+ownerURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("handler migrate up: %w\n%s", err, out)
	}
	fmt.Printf("migrations: handler migrate up as %s in %.1f s (%s)\n", ownerRole, time.Since(start).Seconds(),
		strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
	return nil
}

// startStandalone starts 'handler standalone' on a free 127.0.0.1 port with DATABASE_URL as the
// runtime role and waits until it answers GET /api/health (any status: readiness is the
// warm-up's business).
func (h *handlerBin) startStandalone(ctx context.Context, appURL string, cfg config) (*benchkit.Proc, error) {
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	p := benchkit.Command(h.bin, []string{"standalone"}, port)
	p.Cmd.Env = append(baseEnv(), "PORT="+strconv.Itoa(port), "LISTEN_HOST=127.0.0.1", "DATABASE_URL="+appURL)
	if cfg.pool > 0 {
		p.Cmd.Env = append(p.Cmd.Env, "DATABASE_MAX_CONNS="+strconv.Itoa(cfg.pool))
	}
	if cfg.logLevel != "" {
		p.Cmd.Env = append(p.Cmd.Env, "LOG_LEVEL="+cfg.logLevel)
	}
	if err := p.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start handler standalone: %w", err)
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + p.Addr + "/api/health")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		if exited(p.Cmd.Process.Pid) {
			_ = p.Stop(time.Second)
			return nil, fmt.Errorf("handler standalone exited during start-up: %s", p.Describe())
		}
		select {
		case <-ctx.Done():
			_ = p.Stop(10 * time.Second)
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.Stop(10 * time.Second)
			return nil, errors.New("handler standalone did not answer within 30 s: " + p.Describe())
		}
	}
}

// exited reports whether child pid has exited (a zombie not yet waited for, or gone).
func exited(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}
