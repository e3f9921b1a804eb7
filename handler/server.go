package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/meetingminutes/minutes/shared/buildinfo"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
)

// serve runs the HTTP server until ctx ends (SIGTERM), then drains in-flight invocations.
// The listener is bound first: the host's readiness probe starts 25 ms after spawn and Flex
// Consumption allows 30 s in all, so nothing slow may precede it.
func serve(ctx context.Context, cfg *config.Config, m mode, stdout, stderr io.Writer) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HostPort))
	if m == modeStandalone {
		addr = net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	defer ln.Close()
	if cfg.DevAuth && !isLoopback(ln.Addr()) {
		return &config.Error{Key: "DEV_AUTH", Reason: "the local sign-in needs a loopback listener (set LISTEN_HOST=127.0.0.1)"}
	}

	log := logging.NewSplit(stdout, stderr, cfg.LogLevel)
	a, err := newApp(cfg, m, log)
	if err != nil {
		return err
	}
	defer a.close()

	// The port is bound: now the start-up work that touches the database.
	if err := a.startWeb(ctx); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Errors of the server itself (bad TLS, hijack) are logged as warnings: stderr lines
		// are Error in the host's logs and a client's reset is not ours.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "mode", string(m), "version", buildinfo.Version, "commit", buildinfo.Commit)

	var wg sync.WaitGroup
	if m == modeStandalone {
		wg.Add(1)
		go func() { defer wg.Done(); a.runTimers(ctx) }()
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight invocations", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("drain in-flight invocations: %w", err)
	}
	log.Info("stopped")
	return nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// timerEvery is how often each timer runs in standalone mode; under the host the schedules in
// function.json apply. (River's leader-elected periodic jobs replace this with the queue.)
var timerEvery = map[string]time.Duration{
	"TenantHealthSweep":   5 * time.Minute,
	"SubscriptionRenewal": time.Hour,
	"UsageReport":         time.Hour,
}

// runTimers calls the timer functions in-process until ctx ends. A timer still running when
// its next tick comes is not started twice.
func (a *app) runTimers(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range a.functions() {
		every, ok := timerEvery[f.name]
		if f.kind != kindTimer || !ok {
			continue
		}
		wg.Add(1)
		go func(f function) {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					ictx := logging.With(ctx, slog.String(logging.KeyFunction, f.name), slog.String(logging.KeyInvocationID, funchost.NewInvocationID()))
					ictx, cancel := context.WithTimeout(ictx, a.cfg.InvocationTimeout)
					if err := f.tick(ictx, funchost.Tick{At: now.UTC()}); err != nil {
						a.log.ErrorContext(ictx, "timer invocation failed", "error", err)
					}
					cancel()
				}
			}
		}(f)
	}
	wg.Wait()
}
