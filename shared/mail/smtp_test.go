package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	mmail "github.com/meetingminutes/minutes/shared/mail"
)

// envelope is what the fake server received in one SMTP session.
type envelope struct {
	helo     string
	tls      bool
	authUser string
	from     string
	to       []string
	data     []byte // as received after dot-unstuffing, CRLF turned to LF by textproto
	commands []string
}

// fakeSMTP is a loopback ESMTP server speaking just enough for net/smtp: EHLO, STARTTLS
// (when given a certificate), AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type fakeSMTP struct {
	ln       net.Listener
	user     string         // AUTH PLAIN user; "" advertises no AUTH
	pass     string         // AUTH PLAIN password
	tlsConf  *tls.Config    // advertise and run STARTTLS when set
	rejectTo string         // RCPT TO this address gets 550
	silent   bool           // accept, then never say a word
	wg       sync.WaitGroup // connection goroutines
	mu       sync.Mutex     // guards below
	conns    int            // connections accepted
	sessions []*envelope    // sessions that reached DATA, in order
	open     map[net.Conn]bool
}

type fakeOpts struct {
	user, pass string
	tls        *tls.Config
	rejectTo   string
	silent     bool
}

// newFakeSMTP starts a server on 127.0.0.1 and stops it on cleanup.
func newFakeSMTP(t *testing.T, o fakeOpts) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeSMTP{ln: ln, user: o.user, pass: o.pass, tlsConf: o.tls, rejectTo: o.rejectTo, silent: o.silent, open: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for c := range f.open {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeSMTP) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns++
		f.open[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer func() {
				c.Close()
				f.mu.Lock()
				delete(f.open, c)
				f.mu.Unlock()
			}()
			if f.silent {
				_, _ = c.Read(make([]byte, 1)) // until the client gives up or cleanup closes
				return
			}
			f.serve(c)
		}()
	}
}

// serve speaks SMTP on c until QUIT or an error.
func (f *fakeSMTP) serve(c net.Conn) {
	env := &envelope{}
	tp := textproto.NewConn(c)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			if err := tp.PrintfLine("%s", l); err != nil {
				return false
			}
		}
		return true
	}
	if !reply("220 fake.test ESMTP ready") {
		return
	}
	authed := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		f.mu.Lock() // recorded before replying, so the client never outruns it
		env.commands = append(env.commands, verb)
		f.mu.Unlock()
		switch verb {
		case "EHLO", "HELO":
			env.helo = arg
			lines := []string{"250-fake.test"}
			if f.tlsConf != nil && !env.tls {
				lines = append(lines, "250-STARTTLS")
			}
			if f.user != "" {
				lines = append(lines, "250-AUTH PLAIN")
			}
			reply(append(lines, "250 HELP")...)
		case "STARTTLS":
			if f.tlsConf == nil || env.tls {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, f.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, env.tls = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if f.user == "" || !strings.EqualFold(mech, "PLAIN") {
				reply("504 5.5.4 mechanism not supported")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if len(parts) == 3 && parts[1] == f.user && parts[2] == f.pass {
				authed, env.authUser = true, parts[1]
				reply("235 2.7.0 Authentication successful")
			} else {
				reply("535 5.7.8 Authentication credentials invalid")
			}
		case "MAIL":
			if f.user != "" && !authed {
				reply("530 5.7.0 Authentication required")
				continue
			}
			env.from = strings.TrimSuffix(strings.TrimPrefix(arg, "FROM:<"), ">")
			reply("250 2.1.0 OK")
		case "RCPT":
			to := strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">")
			if to == f.rejectTo {
				reply("550 5.1.1 <" + to + ">: no such user")
				continue
			}
			env.to = append(env.to, to)
			reply("250 2.1.5 OK")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			f.mu.Lock()
			env.data = data
			f.sessions = append(f.sessions, env)
			f.mu.Unlock()
			reply("250 2.0.0 queued as 1")
		case "RSET", "NOOP":
			reply("250 2.0.0 OK")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

// received returns the connection count and copies of the sessions that reached DATA.
func (f *fakeSMTP) received() (conns int, sessions []envelope) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.sessions {
		c := *e
		c.commands = append([]string(nil), e.commands...)
		sessions = append(sessions, c)
	}
	return f.conns, sessions
}

// newSMTP returns a sender for the fake server; tweak adjusts the config.
func newSMTP(t *testing.T, f *fakeSMTP, tweak func(*mmail.SMTPConfig)) *mmail.SMTP {
	t.Helper()
	cfg := mmail.SMTPConfig{
		Host:    "127.0.0.1",
		Port:    f.port(),
		From:    sender,
		Timeout: 5 * time.Second,
		Now:     func() time.Time { return at },
	}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := mmail.NewSMTP(cfg)
	require.NoError(t, err)
	return s
}

func TestSMTPSend(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, fakeOpts{})
	s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.LocalName = "app.example.com" })
	msg := message(func(m *mmail.Message) {
		m.From = mmail.Address{}
		m.Cc = append(m.Cc, mmail.Address{Email: "ANN@example.com"}) // duplicate of a To
		m.Text = "Line one\n.leading dot\n..two dots\n"
	})
	require.NoError(t, s.Send(context.Background(), msg))

	conns, sessions := f.received()
	require.Equal(t, 1, conns)
	require.Len(t, sessions, 1)
	env := sessions[0]
	require.Equal(t, "app.example.com", env.helo)
	require.Equal(t, "minutes@example.com", env.from)
	require.Equal(t, []string{"juergen@example.de", "ann@example.com", "john@example.com"}, env.to)
	require.Equal(t, []string{"EHLO", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", "QUIT"}, env.commands)

	p := parse(t, bytes.ReplaceAll(env.data, []byte("\n"), []byte("\r\n")))
	require.Equal(t, msg.Subject, p.subject)
	require.Equal(t, msg.Text, p.parts["text/plain"], "dot-stuffing round-trips")
	require.Equal(t, msg.HTML, p.parts["text/html"])
	require.Equal(t, "<"+msg.ID+"@example.com>", p.header.Get("Message-ID"))

	want, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	require.Equal(t, strings.ReplaceAll(string(want), "\r\n", "\n"), string(env.data),
		"SMTP sends exactly the rendered bytes")
}

func TestSMTPAuth(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, fakeOpts{user: "minutes", pass: "s3cret!pw"})

	t.Run("accepted", func(t *testing.T) {
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.Username, c.Password = "minutes", "s3cret!pw" })
		require.NoError(t, s.Send(context.Background(), message(nil)))
		_, sessions := f.received()
		require.Equal(t, "minutes", sessions[len(sessions)-1].authUser)
	})

	t.Run("refused", func(t *testing.T) {
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.Username, c.Password = "minutes", "wrong-password" })
		err := s.Send(context.Background(), message(nil))
		require.Error(t, err)
		require.ErrorContains(t, err, "auth as minutes")
		require.ErrorContains(t, err, "535", "the error names the server's reply")
		require.ErrorContains(t, err, "5.7.8 Authentication credentials invalid")
		require.NotContains(t, err.Error(), "wrong-password")
		var te *textproto.Error
		require.ErrorAs(t, err, &te)
		require.Equal(t, 535, te.Code)
		require.True(t, mmail.Permanent(err))
	})

	t.Run("server without AUTH", func(t *testing.T) {
		plain := newFakeSMTP(t, fakeOpts{})
		s := newSMTP(t, plain, func(c *mmail.SMTPConfig) { c.Username, c.Password = "minutes", "s3cret!pw" })
		require.ErrorContains(t, s.Send(context.Background(), message(nil)), "does not offer AUTH")
	})
}

func TestSMTPRecipientRefused(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, fakeOpts{rejectTo: "ann@example.com"})
	err := newSMTP(t, f, nil).Send(context.Background(), message(nil))
	require.ErrorContains(t, err, "550")
	require.ErrorContains(t, err, "5.1.1")
	require.ErrorContains(t, err, "recipient 2 of 3")
	require.True(t, mmail.Permanent(err))
	_, sessions := f.received()
	require.Empty(t, sessions, "nothing is sent when a recipient is refused")
}

func TestSMTPStartTLS(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t)
	f := newFakeSMTP(t, fakeOpts{user: "minutes", pass: "pw", tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})

	t.Run("upgrades before auth", func(t *testing.T) {
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) {
			c.StartTLS, c.Username, c.Password = true, "minutes", "pw"
			c.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		})
		require.NoError(t, s.Send(context.Background(), message(nil)))
		_, sessions := f.received()
		env := sessions[len(sessions)-1]
		require.True(t, env.tls)
		require.Equal(t, []string{"EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", "QUIT"}, env.commands)
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.StartTLS, c.Username, c.Password = true, "minutes", "pw" })
		err := s.Send(context.Background(), message(nil))
		require.ErrorContains(t, err, "starttls")
		var unknown x509.UnknownAuthorityError
		require.ErrorAs(t, err, &unknown)
	})

	t.Run("required but not offered", func(t *testing.T) {
		plain := newFakeSMTP(t, fakeOpts{user: "minutes", pass: "pw"})
		s := newSMTP(t, plain, func(c *mmail.SMTPConfig) { c.StartTLS, c.Username, c.Password = true, "minutes", "pw" })
		err := s.Send(context.Background(), message(nil))
		require.ErrorContains(t, err, "does not offer STARTTLS")
		require.Eventually(t, func() bool {
			plain.mu.Lock()
			defer plain.mu.Unlock()
			return len(plain.open) == 0
		}, 2*time.Second, 10*time.Millisecond)
		_, sessions := plain.received()
		require.Empty(t, sessions)
	})
}

func TestSMTPTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, fakeOpts{silent: true})

	t.Run("config timeout", func(t *testing.T) {
		t.Parallel()
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.Timeout = 200 * time.Millisecond })
		start := time.Now()
		err := s.Send(context.Background(), message(nil))
		require.Less(t, time.Since(start), 3*time.Second)
		require.Error(t, err)
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded), err)
		require.False(t, mmail.Permanent(err), "a timeout is worth a retry")
	})

	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		s := newSMTP(t, f, func(c *mmail.SMTPConfig) { c.Timeout = time.Minute })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := s.Send(ctx, message(nil))
		require.Less(t, time.Since(start), 3*time.Second)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestSMTPRefusesBeforeConnecting(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, fakeOpts{})
	s := newSMTP(t, f, nil)
	for _, tweak := range []func(*mmail.Message){
		func(m *mmail.Message) { m.Subject = "x\r\nBcc: victim@example.org" },
		func(m *mmail.Message) { m.To[1].Email = "ann@example.com\r\nRCPT TO:<victim@example.org>" },
		func(m *mmail.Message) { m.Cc[0].Name = "John\nBcc: victim@example.org" },
		func(m *mmail.Message) { m.Headers["X-A"] = "b\rc" },
	} {
		require.ErrorIs(t, s.Send(context.Background(), message(tweak)), mmail.ErrInvalidMessage)
	}
	conns, _ := f.received()
	require.Zero(t, conns, "no connection was made")
}

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cfg  mmail.SMTPConfig
		want string
	}{
		"no host":                {mmail.SMTPConfig{}, "Host"},
		"remote without tls":     {mmail.SMTPConfig{Host: "smtp.example.com"}, "StartTLS: required"},
		"bad port":               {mmail.SMTPConfig{Host: "localhost", Port: 70000}, "Port"},
		"user without password":  {mmail.SMTPConfig{Host: "localhost", Username: "u"}, "Password"},
		"password without user":  {mmail.SMTPConfig{Host: "localhost", Password: "hunter2"}, "Username"},
		"bad from":               {mmail.SMTPConfig{Host: "localhost", From: mmail.Address{Email: "nope"}}, "From"},
		"remote with tls":        {mmail.SMTPConfig{Host: "smtp.example.com", StartTLS: true}, ""},
		"loopback ipv6 no tls":   {mmail.SMTPConfig{Host: "::1"}, ""},
		"localhost with auth":    {mmail.SMTPConfig{Host: "localhost", Username: "u", Password: "p"}, ""},
		"loopback range, no tls": {mmail.SMTPConfig{Host: "127.0.0.2"}, ""},
	}
	for name, tt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := mmail.NewSMTP(tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	c, err := mmail.ParseSMTPURL("smtp://user:p%40ss%3Aw0rd@smtp.example.com:2587?from=Minutes%20<minutes@example.com>&timeout=10s&helo=app.example.com")
	require.NoError(t, err)
	require.Equal(t, "smtp.example.com", c.Host)
	require.Equal(t, 2587, c.Port)
	require.Equal(t, "user", c.Username)
	require.Equal(t, "p@ss:w0rd", c.Password)
	require.Equal(t, mmail.Address{Name: "Minutes", Email: "minutes@example.com"}, c.From)
	require.True(t, c.StartTLS, "STARTTLS is the default")
	require.Equal(t, 10*time.Second, c.Timeout)
	require.Equal(t, "app.example.com", c.LocalName)

	c, err = mmail.ParseSMTPURL("smtp://localhost:1025?starttls=false")
	require.NoError(t, err)
	require.False(t, c.StartTLS)
	require.Empty(t, c.Username)

	c, err = mmail.ParseSMTPURL("smtp://smtp.example.com")
	require.NoError(t, err)
	require.Zero(t, c.Port, "defaults are filled by NewSMTP")

	for raw, want := range map[string]string{
		"smtps://smtp.example.com":                          "scheme",
		"smtp://smtp.example.com?starttls=false":            "StartTLS: required",
		"smtp://smtp.example.com?tls=1":                     "unknown parameter",
		"smtp://smtp.example.com?from=nobody":               "from",
		"smtp://smtp.example.com?timeout=soon":              "timeout",
		"smtp://smtp.example.com/path":                      "no path",
		"smtp://user:topsecret pw@smtp.example.com":         "invalid userinfo",
		"smtp://user:topsecret@smtp.example.com:99999":      "Port",
		"smtp://user:topsecret@smtp.example.com:x":          "port",
		"smtp://user:topsecret@smtp.example.com?%zz=1":      "malformed query",
		"smtp://:topsecret@smtp.example.com":                "Username",
		"smtp://user:topsecret@smtp.example.com\r\n?from=x": "parse smtp url",
	} {
		_, err := mmail.ParseSMTPURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "topsecret", raw)
	}
}

func TestSMTPConfigRedaction(t *testing.T) {
	t.Parallel()
	c := mmail.SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "minutes", Password: "topsecret", StartTLS: true, From: sender}
	wrapper := struct{ SMTP mmail.SMTPConfig }{c}
	var out []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out = append(out, fmt.Sprintf(f, c), fmt.Sprintf(f, wrapper))
	}
	b, err := json.Marshal(wrapper)
	require.NoError(t, err)
	out = append(out, string(b))
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("mail", "smtp", c)
	out = append(out, logged.String())
	for _, s := range out {
		require.NotContains(t, s, "topsecret")
		require.Contains(t, s, "smtp.example.com", "still useful: %s", s)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
