package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetingminutes/minutes/shared/logging"
)

// Config is the whole process configuration.
type Config struct {
	// HostPort is FUNCTIONS_CUSTOMHANDLER_PORT, set by the Functions host; serve listens on
	// 127.0.0.1 at it. 0 when unset (required by serve only).
	HostPort int
	// Port is PORT, the standalone listen port. Default 8080.
	Port int
	// ListenHost is LISTEN_HOST, the standalone listen address. Default "" (every interface,
	// as containers need); make run sets 127.0.0.1.
	ListenHost string
	// PublicBaseURL is PUBLIC_BASE_URL, how users reach us (links in mail, OIDC redirects).
	PublicBaseURL *url.URL
	// LogLevel is LOG_LEVEL: debug, info (default), warn, error.
	LogLevel slog.Level
	// ShutdownTimeout is SHUTDOWN_TIMEOUT: how long SIGTERM waits for in-flight invocations.
	// Default 30s.
	ShutdownTimeout time.Duration
	// InvocationTimeout is INVOCATION_TIMEOUT: the deadline of one queue or timer invocation,
	// below host.json's functionTimeout (10 min). Default 9m.
	InvocationTimeout time.Duration
	// DevAuth is DEV_AUTH=1: the loopback-only local sign-in for make run.
	DevAuth bool

	Database Database
	Blob     Blob
	Queue    Queue
	Stripe   Stripe
	Identity Identity
	Graph    Graph
	// Marketplace is set on a Marketplace managed-application install.
	Marketplace Marketplace
	// Publish configures where approved minutes go besides SharePoint and Graph mail.
	Publish Publish
	// Lookup is where this configuration was read from, for packages that parse keys of
	// their own (shared/generate: OPENAI_*) so that they read the same source.
	Lookup Lookup
	Mail   Mail
	// LicenseKey is LICENSE_KEY: the self-hosted license token, or a path to a file holding it.
	LicenseKey Secret
}

// Database is the PostgreSQL configuration.
type Database struct {
	// URL is DATABASE_URL, the runtime connection as minutes_app.
	URL Secret
	// MigrationsURL is MIGRATIONS_DATABASE_URL, the owner connection for migrate; falls back
	// to URL.
	MigrationsURL Secret
	// MaxConns is DATABASE_MAX_CONNS, the pool size. Default 10.
	MaxConns int
	// EntraAuth is DATABASE_AUTH=entra: the connections authenticate with a Microsoft Entra
	// token of the app's managed identity (Azure Database for PostgreSQL), fetched per new
	// connection, instead of a password in the URL.
	EntraAuth bool
	// MigrateOnStart is MIGRATE_ON_START: serve and standalone apply pending migrations (as
	// 'handler migrate up' does, under its advisory locks) before they answer anything. For
	// installs nobody runs commands in: the Azure templates and the Marketplace app set it.
	MigrateOnStart bool
}

// Blob is where transcripts and documents are stored.
type Blob struct {
	// Dir is BLOB_DIR, a local directory (standalone and self-hosted).
	Dir string
	// AccountURL is AZURE_STORAGE_BLOB_URL (identity-based access).
	AccountURL *url.URL
	// ConnectionString is AZURE_STORAGE_CONNECTION_STRING (Azurite, key-based access).
	ConnectionString Secret
	// Container is AZURE_STORAGE_CONTAINER, the container of the Azure stores; default
	// "minutes".
	Container string
}

// QueueBackend names where queue messages travel.
type QueueBackend string

// Queue backends.
const (
	QueueAuto       QueueBackend = ""
	QueueServiceBus QueueBackend = "servicebus"
	QueuePostgres   QueueBackend = "postgres"
)

// Queue configures the queue.
type Queue struct {
	// Backend is QUEUE_BACKEND: servicebus, postgres, or empty to choose Service Bus when it
	// is configured and PostgreSQL otherwise.
	Backend QueueBackend
	// ServiceBusNamespace is SERVICEBUS_NAMESPACE (identity-based), e.g.
	// sb-mm.servicebus.windows.net.
	ServiceBusNamespace string
	// ServiceBusConnectionString is ServiceBusConnection, the connection string the host's
	// trigger also uses.
	ServiceBusConnectionString Secret
}

// Stripe configures billing.
type Stripe struct {
	// SecretKey is STRIPE_SECRET_KEY.
	SecretKey Secret
	// WebhookSecret is STRIPE_WEBHOOK_SECRET.
	WebhookSecret Secret
	// APIBase is STRIPE_API_BASE (stripe-mock in tests); nil means Stripe's own.
	APIBase *url.URL
	// Prices is STRIPE_PRICES: comma-separated name=id pairs mapping our price list to Stripe
	// prices, e.g. "starter=price_1Ab,pro=price_2Cd". Names: starter, pro, enterprise (the
	// plans' per-user prices), byoi_user, byoi_platform, premium_support (BYOI's per-user price,
	// flat monthly data-plane management fee and optional premium support). Nil when unset
	// (Checkout then refuses every plan).
	Prices map[string]string
	// Meters is STRIPE_METERS: comma-separated name=id pairs of the Billing Meters usage is
	// reported to, for the reconciliation report, e.g. "meetings_processed=mtr_1". Names:
	// meetings_processed, active_users. Nil when unset (usage is still reported by event name).
	Meters map[string]string
}

// priceNames and meterNames are the names STRIPE_PRICES and STRIPE_METERS may map.
var (
	containerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	priceNames    = []string{"starter", "pro", "enterprise", "byoi_user", "byoi_platform", "premium_support"}
	meterNames    = []string{"meetings_processed", "active_users"}
)

// Identity configures sign-in and admin consent with Microsoft Entra ID.
type Identity struct {
	// ClientID is ENTRA_CLIENT_ID, our multi-tenant app registration's id (a GUID).
	ClientID string
	// ClientSecret is ENTRA_CLIENT_SECRET.
	ClientSecret Secret
	// Authority is ENTRA_AUTHORITY. Default https://login.microsoftonline.com (sovereign clouds
	// and tests set another).
	Authority *url.URL
	// OperatorTenantID is OPERATOR_TENANT_ID: our own Entra tenant; its users holding the
	// "Operator" app role reach the operator console.
	OperatorTenantID string
	// SessionKeys is SESSION_KEYS: comma-separated base64 32-byte keys; the first encrypts
	// session cookies and signs state and invitation links, all decrypt (rotation).
	SessionKeys [][]byte
}

// Mail configures outgoing mail when Graph sendMail is not used (self-hosted).
type Mail struct {
	// SMTPURL is SMTP_URL, e.g. smtp://user:pass@host:587?from=Minutes%20<m@example.com>.
	SMTPURL Secret
	// Dir is MAIL_DIR: write messages as .eml files there instead (make run, air-gapped).
	Dir string
	// FromUser is MAIL_FROM_USER: the mailbox in our own Entra tenant (OPERATOR_TENANT_ID)
	// that sends product mail through Graph sendMail on managed installs.
	FromUser string
}

// Publish configures MinutesPublish.
type Publish struct {
	// FromMailbox is PUBLISH_FROM_MAILBOX: the mailbox in each customer tenant that sends
	// published minutes through Graph; "" sends from the meeting organizer's mailbox.
	FromMailbox string
	// Dir is PUBLISH_DIR: also write each published .docx and .html under it (self-hosted
	// installs without SharePoint); "" for none.
	Dir string
}

// Marketplace describes a Marketplace managed-application install: the purchase is the
// licence, and usage is billed through the Marketplace metering service.
type Marketplace struct {
	// ResourceURI is MARKETPLACE_RESOURCE_URI, the managed application's resource id
	// (/subscriptions/…/providers/Microsoft.Solutions/applications/…); "" off Marketplace.
	ResourceURI string
	// PlanID is MARKETPLACE_PLAN_ID, the purchased plan (it sets seats and edition).
	PlanID string
	// ClientID is AZURE_CLIENT_ID, the user-assigned identity the metering calls use; ""
	// means the system-assigned one.
	ClientID string
}

// Error is a configuration error naming the key at fault.
type Error struct {
	Key    string
	Reason string
}

func (e *Error) Error() string { return e.Key + ": " + e.Reason }

// Lookup reads one variable, like os.LookupEnv.
type Lookup func(key string) (string, bool)

// FromEnv parses the process environment.
func FromEnv() (*Config, error) { return Load(os.LookupEnv) }

// Load parses the configuration from lookup. The error is an *Error for the first bad key.
func Load(lookup Lookup) (*Config, error) {
	p := parser{lookup: lookup}
	c := &Config{
		HostPort:          p.port("FUNCTIONS_CUSTOMHANDLER_PORT", 0),
		Port:              p.port("PORT", 8080),
		ListenHost:        p.host("LISTEN_HOST"),
		PublicBaseURL:     p.url("PUBLIC_BASE_URL", "http", "https"),
		LogLevel:          p.level("LOG_LEVEL"),
		ShutdownTimeout:   p.duration("SHUTDOWN_TIMEOUT", 30*time.Second),
		InvocationTimeout: p.duration("INVOCATION_TIMEOUT", 9*time.Minute),
		DevAuth:           p.boolean("DEV_AUTH"),
		Database: Database{
			URL:            p.postgres("DATABASE_URL"),
			MigrationsURL:  p.postgres("MIGRATIONS_DATABASE_URL"),
			MaxConns:       p.integer("DATABASE_MAX_CONNS", 10, 1, 1000),
			EntraAuth:      p.oneOf("DATABASE_AUTH", "", "password", "entra") == "entra",
			MigrateOnStart: p.boolean("MIGRATE_ON_START"),
		},
		Blob: Blob{
			Dir:              p.str("BLOB_DIR"),
			AccountURL:       p.url("AZURE_STORAGE_BLOB_URL", "https", "http"),
			ConnectionString: Secret(p.str("AZURE_STORAGE_CONNECTION_STRING")),
			Container:        p.container("AZURE_STORAGE_CONTAINER", "minutes"),
		},
		Queue: Queue{
			Backend:                    QueueBackend(p.oneOf("QUEUE_BACKEND", "", "servicebus", "postgres")),
			ServiceBusNamespace:        p.str("SERVICEBUS_NAMESPACE"),
			ServiceBusConnectionString: Secret(p.str("ServiceBusConnection")),
		},
		Stripe: Stripe{
			SecretKey:     Secret(p.str("STRIPE_SECRET_KEY")),
			WebhookSecret: Secret(p.str("STRIPE_WEBHOOK_SECRET")),
			APIBase:       p.url("STRIPE_API_BASE", "https", "http"),
			Prices:        p.pairs("STRIPE_PRICES", priceNames),
			Meters:        p.pairs("STRIPE_METERS", meterNames),
		},
		LicenseKey: Secret(p.str("LICENSE_KEY")),
		Identity: Identity{
			ClientID:         p.guid("ENTRA_CLIENT_ID"),
			ClientSecret:     Secret(p.str("ENTRA_CLIENT_SECRET")),
			Authority:        p.url("ENTRA_AUTHORITY", "https", "http"),
			OperatorTenantID: p.guid("OPERATOR_TENANT_ID"),
			SessionKeys:      p.keys("SESSION_KEYS"),
		},
		Graph:   Graph{BaseURL: p.url("GRAPH_BASE_URL", "https", "http")},
		Publish: Publish{FromMailbox: p.str("PUBLISH_FROM_MAILBOX"), Dir: p.str("PUBLISH_DIR")},
		Marketplace: Marketplace{ResourceURI: p.marketplaceResource("MARKETPLACE_RESOURCE_URI"),
			PlanID: p.str("MARKETPLACE_PLAN_ID"), ClientID: p.guid("AZURE_CLIENT_ID")},
		Mail: Mail{
			SMTPURL:  Secret(p.str("SMTP_URL")),
			Dir:      p.str("MAIL_DIR"),
			FromUser: p.str("MAIL_FROM_USER"),
		},
	}
	c.Lookup = lookup
	for _, key := range []string{"GRAPH_NOTIFICATION_CERT", "GRAPH_NOTIFICATION_CERT_PREVIOUS"} {
		if nc := p.notificationCert(key); nc != nil {
			c.Graph.NotificationCerts = append(c.Graph.NotificationCerts, *nc)
		}
	}
	if c.Marketplace.ResourceURI != "" && c.Marketplace.PlanID == "" {
		p.fail("MARKETPLACE_PLAN_ID", "required with MARKETPLACE_RESOURCE_URI")
	}
	if p.err != nil {
		return nil, p.err
	}
	if c.Database.MigrationsURL == "" {
		c.Database.MigrationsURL = c.Database.URL
	}
	if c.Publish.Dir != "" {
		abs, err := filepath.Abs(c.Publish.Dir)
		if err != nil {
			return nil, &Error{"PUBLISH_DIR", err.Error()}
		}
		c.Publish.Dir = abs
	}
	if c.Blob.Dir != "" {
		abs, err := filepath.Abs(c.Blob.Dir)
		if err != nil {
			return nil, &Error{"BLOB_DIR", err.Error()}
		}
		c.Blob.Dir = abs
	}
	if c.Identity.Authority == nil {
		c.Identity.Authority = &url.URL{Scheme: "https", Host: "login.microsoftonline.com"}
	}
	if c.Identity.ClientID != "" && !c.Identity.ClientSecret.IsSet() {
		return nil, &Error{"ENTRA_CLIENT_SECRET", "not set (ENTRA_CLIENT_ID is)"}
	}
	if c.Mail.FromUser != "" && (c.Identity.ClientID == "" || c.Identity.OperatorTenantID == "") {
		return nil, &Error{"MAIL_FROM_USER", "needs ENTRA_CLIENT_ID and OPERATOR_TENANT_ID (the mailbox lives in our own tenant)"}
	}
	if c.Mail.SMTPURL.IsSet() {
		if u, err := url.Parse(c.Mail.SMTPURL.Reveal()); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return nil, &Error{"SMTP_URL", "want smtp://[user:pass@]host:port?from=..."}
		}
	}
	if c.Queue.Backend == QueueServiceBus && c.Queue.ServiceBusNamespace == "" && !c.Queue.ServiceBusConnectionString.IsSet() {
		return nil, &Error{"QUEUE_BACKEND", "servicebus needs SERVICEBUS_NAMESPACE or ServiceBusConnection"}
	}
	return c, nil
}

// RequireHostPort checks the setting serve cannot run without.
func (c *Config) RequireHostPort() error {
	if c.HostPort == 0 {
		return &Error{"FUNCTIONS_CUSTOMHANDLER_PORT", "not set (the Functions host sets it; use 'handler standalone' outside Azure)"}
	}
	return nil
}

// QueueBackend resolves Auto to the backend in use, or "" when none is configured.
func (c *Config) QueueBackend() QueueBackend {
	switch {
	case c.Queue.Backend != QueueAuto:
		return c.Queue.Backend
	case c.Queue.ServiceBusNamespace != "" || c.Queue.ServiceBusConnectionString.IsSet():
		return QueueServiceBus
	case c.Database.URL.IsSet():
		return QueuePostgres
	}
	return QueueAuto
}

type parser struct {
	lookup Lookup
	err    error
}

func (p *parser) fail(key, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
}

func (p *parser) str(key string) string {
	v, _ := p.lookup(key)
	return strings.TrimSpace(v)
}

// container reads an Azure Blob container name: 3 to 63 lower-case letters, digits and
// single hyphens, starting and ending with a letter or digit.
func (p *parser) container(key, def string) string {
	v := p.str(key)
	if v == "" {
		return def
	}
	if !containerName.MatchString(v) || strings.Contains(v, "--") {
		p.fail(key, "not a container name (3-63 lower-case letters, digits, single hyphens): %q", clip(v))
		return def
	}
	return v
}

// marketplaceResource reads a managed application's resource id.
func (p *parser) marketplaceResource(key string) string {
	v := p.str(key)
	if v == "" {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(v, "/"), "/")
	if !strings.HasPrefix(v, "/subscriptions/") || len(parts) != 8 || !strings.EqualFold(parts[5], "Microsoft.Solutions") ||
		!strings.EqualFold(parts[6], "applications") {
		p.fail(key, "not a managed application resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Solutions/applications/…): %q", clip(v))
		return ""
	}
	return v
}

func (p *parser) port(key string, def int) int {
	v := p.str(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		p.fail(key, "not a port number: %q", clip(v))
		return def
	}
	return n
}

func (p *parser) integer(key string, def, min, max int) int {
	v := p.str(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		p.fail(key, "want a whole number from %d to %d, got %q", min, max, clip(v))
		return def
	}
	return n
}

func (p *parser) host(key string) string {
	v := p.str(key)
	if v == "" || v == "localhost" {
		return v
	}
	if net.ParseIP(strings.Trim(v, "[]")) == nil {
		p.fail(key, "not an IP address: %q", clip(v))
	}
	return strings.Trim(v, "[]")
}

func (p *parser) url(key string, schemes ...string) *url.URL {
	v := p.str(key)
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		p.fail(key, "not an absolute URL: %q", clip(v))
		return nil
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return u
		}
	}
	p.fail(key, "scheme %q not allowed (want %s)", u.Scheme, strings.Join(schemes, " or "))
	return nil
}

// postgres validates a connection string without echoing it: it may hold a password.
func (p *parser) postgres(key string) Secret {
	v := p.str(key)
	if v == "" {
		return ""
	}
	if _, err := pgconn.ParseConfig(v); err != nil {
		var pe *pgconn.ParseConfigError
		reason := "not a PostgreSQL connection string"
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			reason += " (" + redactURL(pe.Unwrap().Error()) + ")"
		}
		p.fail(key, "%s", reason)
		return ""
	}
	return Secret(v)
}

func (p *parser) guid(key string) string {
	v := strings.ToLower(p.str(key))
	if v == "" {
		return ""
	}
	if len(v) != 36 || strings.Count(v, "-") != 4 || strings.Trim(v, "0123456789abcdef-") != "" ||
		v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		p.fail(key, "not a GUID: %q", clip(v))
		return ""
	}
	return v
}

// keys reads comma-separated base64 (standard or URL alphabet) 32-byte keys; the values are
// secret, so errors name the position, never the text.
func (p *parser) keys(key string) [][]byte {
	v := p.str(key)
	if v == "" {
		return nil
	}
	var out [][]byte
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		var b []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err = enc.DecodeString(part); err == nil {
				break
			}
		}
		if err != nil || len(b) != 32 {
			p.fail(key, "key %d is not 32 bytes of base64 (make one with: openssl rand -base64 32)", i+1)
			return nil
		}
		out = append(out, b)
	}
	return out
}

// pairs reads comma-separated name=value pairs whose names are among names, each at most once;
// a value is a Stripe-style id (letters, digits and underscores, at most 255).
func (p *parser) pairs(key string, names []string) map[string]string {
	v := p.str(key)
	if v == "" {
		return nil
	}
	out := map[string]string{}
	for _, part := range strings.Split(v, ",") {
		name, id, ok := strings.Cut(strings.TrimSpace(part), "=")
		name, id = strings.TrimSpace(name), strings.TrimSpace(id)
		switch {
		case !ok || name == "" || id == "":
			p.fail(key, "want name=id pairs separated by commas, got %q", clip(part))
			return nil
		case !slices.Contains(names, name):
			p.fail(key, "unknown name %q (want %s)", clip(name), strings.Join(names, ", "))
			return nil
		case out[name] != "":
			p.fail(key, "%s given twice", name)
			return nil
		case len(id) > 255 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "":
			p.fail(key, "%s: not an id: %q", name, clip(id))
			return nil
		}
		out[name] = id
	}
	return out
}

func (p *parser) level(key string) slog.Level {
	l, err := logging.ParseLevel(p.str(key))
	if err != nil {
		p.fail(key, "%v", err)
	}
	return l
}

func (p *parser) duration(key string, def time.Duration) time.Duration {
	v := p.str(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(key, "not a positive duration like 30s or 5m: %q", clip(v))
		return def
	}
	return d
}

func (p *parser) boolean(key string) bool {
	switch strings.ToLower(p.str(key)) {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	}
	p.fail(key, "want 1 or 0, got %q", clip(p.str(key)))
	return false
}

func (p *parser) oneOf(key string, allowed ...string) string {
	v := strings.ToLower(p.str(key))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(key, "want one of %s, got %q", strings.Join(allowed[1:], ", "), clip(v))
	return ""
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// redactURL drops anything that looks like user:password@ from a parse error message.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.Index(s[i+3:], "@"); j >= 0 {
			return s[:i+3] + "…@" + s[i+3+j+1:]
		}
	}
	return s
}
