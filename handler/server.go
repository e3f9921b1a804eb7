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
	"time"

	"github.com/meetingminutes/minutes/shared/buildinfo"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/queue"
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
	// Self-hosted is unlocked by a licence; without one, standalone still starts (evaluation,
	// local use) but says so when it serves beyond this machine.
	if m == modeStandalone && !isLoopback(ln.Addr()) && !cfg.LicenseKey.IsSet() && cfg.Marketplace.ResourceURI == "" {
		log.Warn("unlicensed: standalone serves beyond this machine without LICENSE_KEY; self-hosted installs need a licence",
			"addr", ln.Addr().String())
	}
	// newApp runs the licence gate and opens nothing: a process that may not run stops
	// before it migrates anything.
	a, err := newApp(cfg, m, log)
	if err != nil {
		return err
	}
	defer a.close()
	// The schema before anything reads it (the web start-up and the pool's first users).
	if err := migrateOnStart(ctx, cfg, log); err != nil {
		return err
	}

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

	var workers *queue.Workers
	if m == modeStandalone && a.pool != nil {
		// Standalone runs the queue and timer functions in-process on River (PostgreSQL):
		// periodic timers are leader-elected, so N replicas run each timer once.
		if workers, err = a.startWorkers(ctx); err != nil {
			_ = srv.Close()
			return err
		}
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
	if workers != nil {
		if werr := workers.Stop(sctx); werr != nil {
			log.Warn("stop queue workers", "error", werr)
		}
	}
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
// function.json apply.
func timerEvery(name string) (time.Duration, bool) {
	switch name {
	case "TenantHealthSweep":
		return 5 * time.Minute, true
	case "SubscriptionRenewal", "UsageReport":
		return time.Hour, true
	}
	return 0, false
}

// startWorkers starts River workers calling the same queue and timer functions the Functions
// host would. River's schema comes with 'handler migrate up'.
func (a *app) startWorkers(ctx context.Context) (*queue.Workers, error) {
	funcs := map[queue.Name]funchost.MessageFunc{}
	timers := map[string]queue.PeriodicTimer{}
	for _, f := range a.functions() {
		switch f.kind {
		case kindQueue:
			funcs[queue.Name(f.queue)] = f.msg
		case kindTimer:
			if every, ok := timerEvery(f.name); ok {
				timers[f.name] = queue.PeriodicTimer{Interval: every, Fn: f.tick}
			}
		}
	}
	w, err := queue.NewWorkers(a.pool, funcs, queue.WorkerOptions{Parker: queue.NewParkingLot(a.pool), Timers: timers,
		Logger: a.log, Timeout: a.cfg.InvocationTimeout})
	if err != nil {
		return nil, fmt.Errorf("queue workers: %w", err)
	}
	if err := w.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start queue workers (has 'handler migrate up' run?): %w", err)
	}
	return w, nil
}
