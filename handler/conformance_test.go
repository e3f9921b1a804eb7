package main

// The conformance suite starts the real binary exactly as the Functions host does — a child
// process with a random FUNCTIONS_CUSTOMHANDLER_PORT, polled on GET / — and replays the
// payloads of shared/reference/functions.md §6 (fixtures in shared/funchost/testdata),
// asserting every reply is one the host can parse.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/migrate"
)

const hostVersion = "4.1037.0.0"

// proc is one running handler process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stdout *logtest.Buffer
	stderr *logtest.Buffer
	done   chan struct{}
	err    error
}

// start spawns the binary with env (plus a random port for serve) and waits for GET / to
// answer, as the host's readiness probe does (every 25 ms, 30 s budget).
func start(t *testing.T, args []string, env ...string) *proc {
	t.Helper()
	port := freePort(t)
	key := "FUNCTIONS_CUSTOMHANDLER_PORT"
	if len(args) > 0 && args[0] == "standalone" {
		key = "PORT"
		env = append(env, "LISTEN_HOST=127.0.0.1")
	}
	cmd := exec.Command(handlerBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), key + "=" + port}, env...)
	p := &proc{cmd: cmd, base: "http://127.0.0.1:" + port, stdout: &logtest.Buffer{}, stderr: &logtest.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, cmd.Start())
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.base + "/")
		if err == nil {
			res.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("handler exited before answering GET /: %v\nstderr: %s", p.err, p.stderr.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler did not answer GET / within 30s")
		}
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("handler did not exit within 20s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// invoke POSTs an envelope to /{function} with the host's headers.
func (p *proc) invoke(t *testing.T, function string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.base+"/"+function, bytes.NewReader(body))
	require.NoError(t, err)
	hostHeaders(req)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return do(t, req)
}

func hostHeaders(req *http.Request) {
	req.Header.Set("X-Azure-Functions-InvocationId", uuid.NewString())
	req.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+hostVersion)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// requireParseable asserts what the host's GetHttpScriptInvocationResult needs: JSON content
// type and a non-empty JSON object, whatever the status. On 2xx it also checks the shape.
func requireParseable(t *testing.T, res *http.Response, body []byte) map[string]any {
	t.Helper()
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"), "content type %q", res.Header.Get("Content-Type"))
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj), "body %s", body)
	require.NotEmpty(t, obj, "an empty object or null hangs the host")
	if res.StatusCode/100 == 2 {
		require.IsType(t, map[string]any{}, obj["Outputs"], "Outputs must be an object")
		require.IsType(t, []any{}, obj["Logs"], "Logs must be an array")
	} else {
		require.GreaterOrEqual(t, res.StatusCode, 400)
	}
	return obj
}

func fixtures(t *testing.T, prefix string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "shared", "funchost", "testdata", "envelopes", prefix+"*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return out
}

// env returns the settings of a ready, database-backed instance on db.
func dbEnv(t *testing.T, db *dbtest.DB) []string {
	return []string{"DATABASE_URL=" + db.AppURL, "BLOB_DIR=" + t.TempDir()}
}

func TestConformanceTimerReplays(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, nil, dbEnv(t, db)...)
	for name, body := range fixtures(t, "timer_") {
		t.Run(name, func(t *testing.T) {
			res, b := p.invoke(t, "TenantHealthSweep", body)
			require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
			obj := requireParseable(t, res, b)
			require.Empty(t, obj["Outputs"], "a timer has no output bindings")
		})
	}
	require.Equal(t, 0, p.stop(t))
	require.Empty(t, p.stderr.String(), "stderr lines are Error logs in the host: none on success")
	require.Contains(t, p.stdout.String(), `"msg":"listening"`)
}

func TestConformanceServiceBusReplays(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, nil, dbEnv(t, db)...)
	for name, body := range fixtures(t, "sb_") {
		t.Run(name, func(t *testing.T) {
			res, b := p.invoke(t, "TranscriptIngest", body)
			obj := requireParseable(t, res, b)
			if strings.Contains(name, "poison") {
				require.Equal(t, http.StatusOK, res.StatusCode, "poison is parked and acknowledged: %s", b)
				require.Contains(t, fmt.Sprint(obj["Logs"]), "parked")
				return
			}
			// A well-formed message reaches the function, which has no Graph app registration
			// here: it answers 503 naming the settings, so Service Bus keeps the message
			// (abandon → redelivery → DLQ) until an operator configures them.
			require.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "%s", b)
			require.Contains(t, obj["error"], "TranscriptIngest needs ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET")
		})
	}
	var n, times int
	require.NoError(t, db.App.QueryRow(context.Background(),
		"SELECT count(*), coalesce(sum(times_parked),0) FROM failed_messages WHERE function = 'TranscriptIngest'").Scan(&n, &times))
	require.Equal(t, 1, n, "exactly one parked row for the poison fixture")

	t.Run("redelivered poison folds into its row", func(t *testing.T) {
		poison := fixtures(t, "sb_C5")
		for _, body := range poison {
			res, b := p.invoke(t, "TranscriptIngest", body)
			require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		}
		var n2, times2 int
		require.NoError(t, db.App.QueryRow(context.Background(),
			"SELECT count(*), sum(times_parked) FROM failed_messages WHERE function = 'TranscriptIngest'").Scan(&n2, &times2))
		require.Equal(t, 1, n2)
		require.Equal(t, times+1, times2)
	})
	t.Run("garbage body is parked, not crashed on", func(t *testing.T) {
		res, b := p.invoke(t, "MinutesGenerate", []byte("\x00\xffnot json at all"))
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		requireParseable(t, res, b)
		var body []byte
		require.NoError(t, db.App.QueryRow(context.Background(),
			"SELECT body FROM failed_messages WHERE function = 'MinutesGenerate'").Scan(&body))
		require.Equal(t, []byte("\x00\xffnot json at all"), body, "kept byte for byte for replay")
	})
	require.Equal(t, 0, p.stop(t))
}

func TestConformanceHTTPDefaultModeReplays(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, nil, dbEnv(t, db)...)
	for name, body := range fixtures(t, "http_") {
		t.Run(name, func(t *testing.T) {
			res, b := p.invoke(t, "Health", body)
			require.Equal(t, http.StatusOK, res.StatusCode, "default-mode HTTP always answers 200: %s", b)
			obj := requireParseable(t, res, b)
			out, ok := obj["Outputs"].(map[string]any)["res"].(map[string]any)
			require.True(t, ok, "Outputs.res present: %s", b)
			require.IsType(t, float64(0), out["statusCode"])
			require.IsType(t, "", out["body"])
			for k, v := range out["headers"].(map[string]any) {
				require.IsType(t, "", v, "header %s must be a single string", k)
			}
		})
	}
	require.Equal(t, 0, p.stop(t))
}

func TestConformanceForwardedHTTP(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, nil, dbEnv(t, db)...)

	req, _ := http.NewRequest(http.MethodGet, p.base+"/api/health", nil)
	hostHeaders(req)
	req.Host = "func-mm-x.azurewebsites.net"
	req.Header.Set("x-functions-key", "redacted")
	res, b := do(t, req)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
	var rep struct {
		Status string
		Mode   string
		Schema map[string]struct{ Current, Latest int64 }
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Equal(t, "ready", rep.Status)
	require.Equal(t, "functions", rep.Mode)
	require.Equal(t, rep.Schema["control"].Latest, rep.Schema["control"].Current)
	require.NotZero(t, rep.Schema["control"].Current)

	t.Run("a database without the queue's tables is not ready", func(t *testing.T) {
		// Our sets only: the database 'migrate up' would leave if River's step had not run.
		db := dbtest.Empty(t)
		_, err := migrate.Up(context.Background(), db.OwnerURL)
		require.NoError(t, err)
		bare := start(t, nil, dbEnv(t, db)...)
		req, _ := http.NewRequest(http.MethodGet, bare.base+"/api/health", nil)
		res, b := do(t, req)
		require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		require.Contains(t, string(b), "run 'handler migrate up'")
		require.Equal(t, 0, bare.stop(t))
	})
	t.Run("disabled feature answers 503 with its reason", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, p.base+"/api/stripe/webhook", strings.NewReader(`{"id":"evt_1"}`))
		hostHeaders(req)
		res, b := do(t, req)
		require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		require.Contains(t, string(b), "not available")
	})
	t.Run("oversized public body gets a clear 413", func(t *testing.T) {
		big := bytes.Repeat([]byte("a"), 10<<20)
		req, _ := http.NewRequest(http.MethodPost, p.base+"/api/graph/notifications", bytes.NewReader(big))
		hostHeaders(req)
		res, b := do(t, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		require.Contains(t, string(b), "too large")
	})
	t.Run("oversized envelope gets a clear 413", func(t *testing.T) {
		big := append([]byte(`{"Data":{"msg":"`), bytes.Repeat([]byte("A"), 5<<20)...)
		big = append(big, `"}}`...)
		res, b := p.invoke(t, "TranscriptIngest", big)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		requireParseable(t, res, b)
	})
	t.Run("public paths never reach envelope paths", func(t *testing.T) {
		for _, path := range []string{"/api/TranscriptIngest", "/api/../TranscriptIngest", "/api/v1/../../TranscriptIngest", "/transcriptingest"} {
			req, _ := http.NewRequest(http.MethodPost, p.base+path, strings.NewReader(`{"Data":{"msg":"eyJ9"}}`))
			req.URL.Opaque = path // send the path uncleaned, as an attacker would
			hostHeaders(req)
			res, b := do(t, req)
			require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusServiceUnavailable}, res.StatusCode, "%s: %s", path, b)
			require.NotContains(t, string(b), "Outputs", path)
			require.Empty(t, res.Header.Get("Location"), "no redirect toward an envelope path")
		}
	})
	require.Equal(t, 0, p.stop(t))
}

func TestConformanceConcurrentInvocations(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, nil, dbEnv(t, db)...)
	timer := fixtures(t, "timer_D2")["timer_D2_status_null"]
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var req *http.Request
			if i%2 == 0 {
				req, _ = http.NewRequest(http.MethodPost, p.base+"/TenantHealthSweep", bytes.NewReader(timer))
				req.Header.Set("Content-Type", "application/json")
			} else {
				req, _ = http.NewRequest(http.MethodGet, p.base+"/api/health", nil)
			}
			hostHeaders(req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("invocation %d: %d %s", i, res.StatusCode, b)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Equal(t, 0, p.stop(t))
	require.Empty(t, p.stderr.String())
}

func TestConformanceSIGTERMDrainsInFlightInvocations(t *testing.T) {
	t.Parallel()
	// A blob endpoint that accepts connections and never answers keeps /api/health busy for
	// its 2 s check deadline: an invocation in flight when SIGTERM arrives.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	// The endpoint accepts, so the shallow reachability check passes; make the database hang
	// instead: a listener that never speaks the PostgreSQL protocol.
	hang := "postgres://minutes_app@" + ln.Addr().String() + "/x?sslmode=disable&connect_timeout=10"
	p := start(t, nil, "DATABASE_URL="+hang)

	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, p.base+"/api/health", nil)
		hostHeaders(req)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		got <- result{status: res.StatusCode}
	}()
	time.Sleep(300 * time.Millisecond) // the request is now inside the health check
	require.Equal(t, 0, p.stop(t), "SIGTERM exits 0 after draining")
	r := <-got
	require.NoError(t, r.err, "the in-flight invocation got its answer before exit")
	require.Equal(t, http.StatusServiceUnavailable, r.status, "database unreachable → not ready")
}

func TestConformanceStandaloneHasNoEnvelopePaths(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	p := start(t, []string{"standalone"}, dbEnv(t, db)...)
	for _, name := range []string{"TranscriptIngest", "TenantHealthSweep", "Health", "Api"} {
		res, b := p.invoke(t, name, fixtures(t, "sb_C2")["sb_C2_binary"])
		require.Equal(t, http.StatusNotFound, res.StatusCode, "%s: %s", name, b)
	}
	req, _ := http.NewRequest(http.MethodGet, p.base+"/api/health", nil)
	res, b := do(t, req)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
	require.Contains(t, string(b), `"mode":"standalone"`)
	require.Equal(t, 0, p.stop(t))
}

func TestConformanceBadConfigExitsTwoWithOneLine(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(handlerBin, "serve")
	cmd.Env = []string{"FUNCTIONS_CUSTOMHANDLER_PORT=" + freePort(t), "LOG_LEVEL=chatty"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.Error(t, err)
	require.Equal(t, 2, cmd.ProcessState.ExitCode())
	require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%q", stderr.String())
	require.Contains(t, stderr.String(), "LOG_LEVEL")
}
