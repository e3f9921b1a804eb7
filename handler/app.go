package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	healthfn "github.com/meetingminutes/minutes/functions/Health"
	"github.com/meetingminutes/minutes/shared/buildinfo"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/health"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/pgauth"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/signin"
)

// mode is the shape the binary runs in.
type mode string

const (
	modeFunctions  mode = "functions"
	modeStandalone mode = "standalone"
)

// app is the wired product: shared clients, every function, and the router that serves them.
type app struct {
	cfg     *config.Config
	mode    mode
	log     *slog.Logger
	pool    *pgxpool.Pool
	adapter *funchost.Adapter
	health  *healthfn.Handler
	router  *funchost.Router
	runner  health.Runner
	// checkList is built once: the configuration, and so the set of checks, never changes.
	checkList []health.Check
	// web is the browser-facing wiring (nil when sign-in is not configured).
	web        *web
	signinDeps signin.Deps
	reviewer   *review.Service
	fns        []function
	shared     shared
	// license is the license the process runs under (nil: none configured).
	license *licenseGate
}

// newApp wires the product without touching the network: pools connect lazily, so the port
// is answering before any slow start-up work happens.
func newApp(cfg *config.Config, m mode, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, mode: m, log: log, runner: health.Runner{Timeout: 2 * time.Second}}
	// The license gate first: a process that may not run opens nothing.
	var err error
	if a.license, err = newLicenseGate(cfg, log, time.Now, managedIdentity); err != nil {
		return nil, err
	}
	opts := funchost.Options{Logger: log, Timeout: cfg.InvocationTimeout}
	if cfg.Database.URL.IsSet() {
		pc, err := pgxpool.ParseConfig(cfg.Database.URL.Reveal())
		if err != nil {
			return nil, &config.Error{Key: "DATABASE_URL", Reason: "not a PostgreSQL connection string"}
		}
		pc.MaxConns = int32(cfg.Database.MaxConns)
		pc.MinConns = 0
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
		if pc.ConnConfig.RuntimeParams == nil {
			pc.ConnConfig.RuntimeParams = map[string]string{}
		}
		pc.ConnConfig.RuntimeParams["application_name"] = "meeting-minutes/" + string(m)
		if cfg.Database.EntraAuth {
			cred, err := entraCredential(cfg)
			if err != nil {
				return nil, &config.Error{Key: "DATABASE_AUTH", Reason: err.Error()}
			}
			pc.BeforeConnect = pgauth.BeforeConnect(cred)
		}
		if a.pool, err = pgxpool.NewWithConfig(context.Background(), pc); err != nil {
			return nil, fmt.Errorf("create database pool: %w", err)
		}
		opts.Parker = queue.NewParkingLot(a.pool)
	}
	opts.Requeuer = appRequeuer{a}
	a.adapter = funchost.New(opts)
	a.checkList = a.checks()
	deps := healthfn.Deps{
		Version: buildinfo.Version, Commit: buildinfo.Commit, Mode: string(m),
		Features: cfg.Features(), Checks: func() []health.Check { return a.checkList }, Runner: a.runner,
	}
	if a.pool != nil {
		deps.Schema = a.schema
	}
	a.health = healthfn.New(deps)

	if a.web, err = a.newWeb(cfg); err != nil {
		a.close()
		return nil, err
	}
	a.router = funchost.NewRouter(m == modeFunctions, a.root())
	for _, f := range a.functions() {
		if err := a.mount(f); err != nil {
			a.close()
			return nil, err
		}
	}
	return a, nil
}

func (a *app) mount(f function) error {
	switch f.kind {
	case kindHTTP:
		var opts []funchost.RouteOption
		if f.maxBody > 0 {
			opts = append(opts, funchost.MaxBody(f.maxBody))
		}
		own := http.NewServeMux() // the function's own routes, for the envelope form below
		for _, rt := range f.routes {
			var h http.Handler = a.adapter.HTTP(f.name, rt.h, opts...)
			if f.web {
				h = a.webMiddleware(h)
			}
			if err := a.router.Public(rt.pattern, h); err != nil {
				return fmt.Errorf("mount %s: %w", f.name, err)
			}
			own.Handle(rt.pattern, h)
		}
		if a.mode == modeFunctions {
			// Should forwarding ever be off (a host.json override), the host sends the request
			// as an envelope to /{Name}; the same handlers answer it through Outputs.res.
			return a.router.Envelope(f.name, a.adapter.HTTPEnvelope(f.name, "req", "res", own))
		}
	case kindQueue:
		if a.mode == modeFunctions {
			return a.router.Envelope(f.name, a.adapter.Queue(f.name, f.binding, f.msg))
		}
	case kindTimer:
		if a.mode == modeFunctions {
			return a.router.Envelope(f.name, a.adapter.Timer(f.name, f.binding, f.tick))
		}
	}
	return nil
}

// root answers GET /: the host's readiness probe under Functions, a pointer to the portal and
// health in standalone.
func (a *app) root() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		funchost.WriteJSON(w, http.StatusOK, map[string]string{
			"service": "meeting-minutes", "version": buildinfo.Version, "health": "/api/health", "portal": "/api/app/",
		})
	})
}

func (a *app) close() {
	if a.pool != nil {
		a.pool.Close()
	}
}

// schema reads the database's schema versions as the runtime role.
func (a *app) schema(ctx context.Context) (map[string]healthfn.Schema, error) {
	v, err := migrate.Versions(ctx, a.pool)
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	out := map[string]healthfn.Schema{}
	for _, s := range []migrate.Set{migrate.SetControl, migrate.SetTenant} {
		out[string(s)] = healthfn.Schema{Current: v[s], Latest: migrate.Latest(s)}
	}
	return out, nil
}

// checks lists the dependency checks for the current configuration.
func (a *app) checks() []health.Check {
	cfg := a.cfg
	db := health.Check{Name: config.FeatureDatabase, Required: true, Disabled: cfg.Feature(config.FeatureDatabase).Reason}
	if a.pool != nil {
		db.Run = func(ctx context.Context) (string, error) {
			var v string
			if err := a.pool.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&v); err != nil {
				return "", fmt.Errorf("query database: %w", err)
			}
			return "postgres " + v, nil
		}
	}
	q := health.Check{Name: config.FeatureQueue, Disabled: cfg.Feature(config.FeatureQueue).Reason}
	switch cfg.QueueBackend() {
	case config.QueuePostgres:
		q.Required = true
		q.Disabled, q.Run = db.Disabled, func(ctx context.Context) (string, error) {
			if a.pool == nil {
				return "", fmt.Errorf("the PostgreSQL queue needs DATABASE_URL")
			}
			var jobs *string
			if err := a.pool.QueryRow(ctx, "SELECT to_regclass('river_job')::text").Scan(&jobs); err != nil {
				return "", fmt.Errorf("query queue database: %w", err)
			}
			if jobs == nil {
				return "", fmt.Errorf("the queue's tables are missing: run 'handler migrate up'")
			}
			return "postgres (river)", nil
		}
	case config.QueueServiceBus:
		q.Required = true
		q.Run = func(ctx context.Context) (string, error) { return resolves(ctx, serviceBusHost(cfg.Queue)) }
	}
	b := health.Check{Name: config.FeatureBlob, Disabled: cfg.Feature(config.FeatureBlob).Reason}
	switch {
	case cfg.Blob.Dir != "":
		b.Run = func(context.Context) (string, error) { return writableDir(cfg.Blob.Dir) }
	case cfg.Blob.AccountURL != nil:
		b.Run = func(ctx context.Context) (string, error) { return reachable(ctx, cfg.Blob.AccountURL) }
	case cfg.Blob.ConnectionString.IsSet():
		b.Run = func(ctx context.Context) (string, error) {
			u, err := blobEndpoint(cfg.Blob.ConnectionString.Reveal())
			if err != nil {
				return "", err
			}
			return reachable(ctx, u)
		}
	}
	lic := a.license.check(cfg.Feature(config.FeatureLicense).Reason)
	return []health.Check{db, q, b, lic}
}

// sweep is TenantHealthSweep. BYOI tenants' resources are checked once their profiles exist;
// until then it checks the platform's own dependencies and logs a warning when one is down,
// so a broken dependency shows in the host's logs every five minutes.
func (a *app) sweep(ctx context.Context, t funchost.Tick) error {
	results := a.runner.Run(ctx, a.checkList)
	for _, r := range results {
		// Down, not merely disabled: a feature switched off by configuration is reported by
		// /api/health, and warning about it every five minutes would only bury real faults.
		if r.State == health.Down {
			a.log.WarnContext(ctx, "dependency not ready", "dependency", r.Name, "state", r.State, "detail", r.Detail, "past_due", t.IsPastDue)
		}
	}
	a.pipelineSweep(ctx)
	return nil
}

func writableDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create blob directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".health-*")
	if err != nil {
		return "", fmt.Errorf("write in blob directory: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return "", fmt.Errorf("clean up in blob directory: %w", err)
	}
	return "directory " + filepath.Base(dir) + " writable", nil
}

// reachable dials the endpoint's host: a shallow check until the blob client arrives.
func reachable(ctx context.Context, u *url.URL) (string, error) {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	host := net.JoinHostPort(u.Hostname(), port)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", u.Hostname(), err)
	}
	_ = c.Close()
	return "endpoint " + u.Hostname() + " reachable", nil
}

func resolves(ctx context.Context, host string) (string, error) {
	if host == "" {
		return "", fmt.Errorf("no Service Bus namespace in the configuration")
	}
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	return "namespace " + host + " resolves", nil
}

func serviceBusHost(q config.Queue) string {
	if q.ServiceBusNamespace != "" {
		return q.ServiceBusNamespace
	}
	for _, part := range strings.Split(q.ServiceBusConnectionString.Reveal(), ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), "Endpoint") {
			if u, err := url.Parse(strings.TrimSpace(v)); err == nil {
				return u.Hostname()
			}
		}
	}
	return ""
}

func blobEndpoint(conn string) (*url.URL, error) {
	for _, part := range strings.Split(conn, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), "BlobEndpoint") {
			return url.Parse(strings.TrimSpace(v))
		}
	}
	if strings.Contains(conn, "UseDevelopmentStorage=true") {
		return url.Parse("http://127.0.0.1:10000/devstoreaccount1")
	}
	var account, suffix string
	for _, part := range strings.Split(conn, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "accountname":
			account = strings.TrimSpace(v)
		case "endpointsuffix":
			suffix = strings.TrimSpace(v)
		}
	}
	if account == "" || suffix == "" {
		return nil, fmt.Errorf("AZURE_STORAGE_CONNECTION_STRING has no BlobEndpoint, nor AccountName and EndpointSuffix")
	}
	return url.Parse("https://" + account + ".blob." + suffix)
}
