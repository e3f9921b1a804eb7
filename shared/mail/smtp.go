package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SMTP defaults.
const (
	DefaultSMTPPort    = 587
	DefaultSMTPTimeout = 30 * time.Second
)

// SMTPConfig configures an [SMTP] sender. It redacts Password when printed (%v, %+v, %#v),
// logged with slog or encoded as JSON.
type SMTPConfig struct {
	// Host is the relay's host name or IP. Required.
	Host string
	// Port is the relay's port. Default 587 (submission).
	Port int
	// Username enables AUTH PLAIN with Password; empty means no authentication.
	Username string
	// Password is the AUTH PLAIN password; never logged.
	Password string
	// From is the default author for messages with a zero Message.From.
	From Address
	// StartTLS upgrades the connection with STARTTLS before authenticating or sending, and
	// fails if the server does not offer it. Required unless Host is loopback (localhost,
	// 127.0.0.0/8, ::1).
	StartTLS bool
	// TLSConfig is used for STARTTLS. Default: verify against the system roots for Host,
	// TLS 1.2 or later. A given config gets ServerName Host when it has none.
	TLSConfig *tls.Config
	// Timeout bounds one Send — dial, conversation and data — besides the caller's context.
	// Default 30s.
	Timeout time.Duration
	// LocalName is the name sent in EHLO. Default "localhost".
	LocalName string
	// Now is the clock for the Date header. Default time.Now.
	Now func() time.Time
}

// withDefaults fills in defaults.
func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.Port == 0 {
		c.Port = DefaultSMTPPort
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSMTPTimeout
	}
	if c.LocalName == "" {
		c.LocalName = "localhost"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks c after withDefaults; errors name the field and never the password.
func (c SMTPConfig) validate() error {
	switch {
	case c.Host == "" || strings.ContainsAny(c.Host, " /\\@\r\n"):
		return errors.New("Host: required, a host name or IP")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("Port: %d is not a TCP port", c.Port)
	case c.Timeout < 0:
		return fmt.Errorf("Timeout: %s is negative", c.Timeout)
	case !c.StartTLS && !isLoopback(c.Host):
		return fmt.Errorf("StartTLS: required for %s, which is not a loopback host", c.Host)
	case c.Username == "" && c.Password != "":
		return errors.New("Username: required with a Password")
	case c.Username != "" && c.Password == "":
		return errors.New("Password: required with a Username")
	case hasControl(c.Username) || hasControl(c.LocalName) || strings.ContainsAny(c.LocalName, " <>"):
		return errors.New("Username or LocalName: contains a control character or space")
	}
	if !c.From.IsZero() {
		if err := c.From.validate(); err != nil {
			return fmt.Errorf("From: %w", err)
		}
	}
	return nil
}

// redacted is c without its password, for String, GoString, LogValue and MarshalJSON.
func (c SMTPConfig) redacted() map[string]any {
	m := map[string]any{"host": c.Host, "port": c.Port, "starttls": c.StartTLS, "timeout": c.Timeout.String()}
	if c.Username != "" {
		m["username"] = c.Username
		m["password"] = "[redacted]"
	}
	if !c.From.IsZero() {
		m["from"] = c.From.String()
	}
	return m
}

// String describes c without its password.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "redacted")
	}
	return fmt.Sprintf("%s starttls=%t", u.String(), c.StartTLS)
}

// GoString is String, so %#v redacts too.
func (c SMTPConfig) GoString() string { return "mail.SMTPConfig(" + c.String() + ")" }

// LogValue logs c without its password.
func (c SMTPConfig) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("host", c.Host), slog.Int("port", c.Port), slog.Bool("starttls", c.StartTLS)}
	if c.Username != "" {
		attrs = append(attrs, slog.String("username", c.Username), slog.String("password", "[redacted]"))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes c without its password.
func (c SMTPConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

var (
	_ fmt.Stringer   = SMTPConfig{}
	_ fmt.GoStringer = SMTPConfig{}
	_ slog.LogValuer = SMTPConfig{}
	_ json.Marshaler = SMTPConfig{}
)

// ParseSMTPURL parses a relay URL into an SMTPConfig:
//
//	smtp://user:pass@host:587?from=Minutes%20<minutes@example.com>
//
// User and password are percent-decoded. Query parameters: from (default author),
// starttls (default true; false is accepted only for a loopback host), timeout (a Go
// duration, default 30s), helo (EHLO name). Unknown parameters are refused. Errors never
// repeat the URL, which holds the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return c, fmt.Errorf("parse smtp url: %w", err)
	}
	if u.Scheme != "smtp" {
		return c, fmt.Errorf("parse smtp url: scheme %q, want smtp", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return c, errors.New("parse smtp url: want smtp://[user:pass@]host[:port][?params], no path")
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return c, errors.New("parse smtp url: port is not a number")
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	c.StartTLS = true
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, errors.New("parse smtp url: malformed query")
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "from":
			if c.From, err = ParseAddress(v); err != nil {
				return c, fmt.Errorf("parse smtp url: from: %w", err)
			}
		case "starttls":
			if c.StartTLS, err = strconv.ParseBool(v); err != nil {
				return c, fmt.Errorf("parse smtp url: starttls %q is not a boolean", v)
			}
		case "timeout":
			if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 {
				return c, fmt.Errorf("parse smtp url: timeout %q is not a positive duration", v)
			}
		case "helo":
			c.LocalName = v
		default:
			return c, fmt.Errorf("parse smtp url: unknown parameter %q", k)
		}
	}
	if err := c.withDefaults().validate(); err != nil {
		return c, fmt.Errorf("parse smtp url: %w", err)
	}
	return c, nil
}

// SMTP sends mail through an SMTP relay with net/smtp, one connection per message. Build it
// with [NewSMTP]; it is safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	addr string
}

// NewSMTP validates cfg and returns a sender. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("smtp config: %w", err)
	}
	return &SMTP{cfg: cfg, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}, nil
}

// Send validates and renders msg, then delivers it in one SMTP session: EHLO, STARTTLS
// (when configured), AUTH PLAIN (when a Username is set), MAIL FROM, RCPT TO for each of To
// and Cc, DATA, QUIT. A refused recipient fails the whole message. Errors name the step and
// include the server's reply (a *textproto.Error, see [Permanent]) but never the password;
// when ctx or the Timeout ended the send, the error also matches the context's error.
func (s *SMTP) Send(ctx context.Context, msg Message) error {
	r, err := render(msg, s.cfg.From, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := s.send(ctx, r); err != nil {
		return fmt.Errorf("send mail %s via %s: %w", r.id, s.addr, err)
	}
	return nil
}

// send runs the SMTP conversation for r.
func (s *SMTP) send(ctx context.Context, r rendered) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	defer func() { // name the cancellation or timeout, not just "i/o timeout"
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("set deadline: %w", err)
	}
	// Cancellation interrupts a blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("read greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.LocalName); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if s.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("starttls: the server does not offer STARTTLS")
		}
		tc := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
		if s.cfg.TLSConfig != nil {
			tc = s.cfg.TLSConfig.Clone()
			if tc.ServerName == "" {
				tc.ServerName = s.cfg.Host
			}
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("auth: the server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("auth as %s: %w", s.cfg.Username, err)
		}
	}
	if err := c.Mail(r.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for i, to := range r.rcpt {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("rcpt to (recipient %d of %d): %w", i+1, len(r.rcpt), err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(r.data); err != nil {
		w.Close()
		return fmt.Errorf("write data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end data: %w", err)
	}
	_ = c.Quit() // the message was accepted at the end of DATA; a failed QUIT does not undo that
	return nil
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
