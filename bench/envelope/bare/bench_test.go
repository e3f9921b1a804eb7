package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
)

// These benchmarks split the round trip that bench/envelope measures over HTTP into its
// in-process parts, so a gap between the handler and this bare server can be traced without
// a profiler.

func timerD(b *testing.B) []byte {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "funchost", "testdata", "envelopes", "timer_D.json"))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeTimer compares decoding the timer_D envelope the way the handler does
// (funchost.DecodeEnvelope then DecodeTick) with the bare server's one generic decode.
func BenchmarkDecodeTimer(b *testing.B) {
	body := timerD(b)
	b.Run("funchost", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			env, err := funchost.DecodeEnvelope(body)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := funchost.DecodeTick(env, "timer"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generic", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var env envelope
			if err := json.NewDecoder(bytes.NewReader(body)).Decode(&env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTimerAdapter is one TenantHealthSweep-shaped invocation through funchost's timer
// adapter with a no-op TickFunc, without and with one Warn record per invocation written as
// JSON to a discarded writer (what the handler's sweep does while the database is not
// configured), against the bare server's handler.
func BenchmarkTimerAdapter(b *testing.B) {
	body := timerD(b)
	noop := func(context.Context, funchost.Tick) error { return nil }
	logger := logging.NewSplit(io.Discard, io.Discard, slog.LevelInfo)
	warn := func(ctx context.Context, t funchost.Tick) error {
		logger.WarnContext(ctx, "dependency not ready", "dependency", "database", "state", "disabled",
			"detail", "DATABASE_URL is not set", "past_due", t.IsPastDue)
		return nil
	}
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"funchost-noop", funchost.New(funchost.Options{Logger: logger}).Timer("TenantHealthSweep", "timer", noop)},
		{"funchost-warn", funchost.New(funchost.Options{Logger: logger}).Timer("TenantHealthSweep", "timer", warn)},
		{"bare", http.HandlerFunc(sweep)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			rd := bytes.NewReader(body)
			for b.Loop() {
				rd.Reset(body)
				req := httptest.NewRequest(http.MethodPost, "/TenantHealthSweep", rd)
				req.Header.Set(funchost.InvocationHeader, "0f8fad5b-d9cb-469f-a165-70867728950e")
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
