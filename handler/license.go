package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/buildinfo"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/health"
	"github.com/meetingminutes/minutes/shared/license"
	"github.com/meetingminutes/minutes/shared/signin"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const licenseUsage = `usage: handler license keygen [--out DIR]
       handler license issue --key PRIVATE.pem --customer NAME --edition E --seats N --days D
                             [--features a,b] [--grace 14d] [--phone-home]
       handler license verify [--public-key FILE] [TOKEN|FILE|-]

keygen  writes a new RSA 3072 key pair, DIR/license_private.pem (mode 0600: keep it offline)
        and DIR/license_public.pem (DIR default .), and prints the -ldflags that build the
        public key into a release; existing files are never overwritten
issue   prints a license signed with the private key, valid from now for D days; editions:
        standard, professional, enterprise; --grace is the offline grace period after
        expiry (14d, 36h; default 14d, 0 for none)
verify  checks a license (default LICENSE_KEY; "-" reads standard input) against the key
        built into this binary, or --public-key, and prints its claims and state; exit 0
        valid or in its grace period, 1 invalid, revoked, not yet valid or expired, 2 bad usage
`

// Names of the files keygen writes.
const (
	licensePrivateFile = "license_private.pem"
	licensePublicFile  = "license_public.pem"
)

// licenseCmd is `handler license keygen|issue|verify`.
func licenseCmd(args []string, stdin io.Reader, stdout io.Writer, lookup config.Lookup, now func() time.Time) error {
	if len(args) == 0 {
		return usagef("license: want keygen, issue or verify (try 'handler license --help')")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, licenseUsage)
		return nil
	case "keygen":
		return licenseKeygen(args[1:], stdout)
	case "issue":
		return licenseIssue(args[1:], stdout, now)
	case "verify":
		return licenseVerify(args[1:], stdin, stdout, lookup, now)
	}
	return usagef("license: unknown subcommand %q (want keygen, issue or verify)", args[0])
}

// parseFlags parses flags from args, flags before or after the positional arguments, and
// returns the positional ones. --help prints the usage and returns errHelp.
func parseFlags(flags *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	flags.SetOutput(io.Discard)
	var pos []string
	for rest := args; ; {
		if err := flags.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, licenseUsage)
				return nil, errHelp
			}
			return nil, usagef("license %s: %v (try 'handler license --help')", flags.Name(), err)
		}
		if flags.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, flags.Arg(0))
		rest = flags.Args()[1:]
	}
}

// errHelp ends a command that printed its usage: exit 0.
var errHelp = errors.New("help printed")

func licenseKeygen(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := flags.String("out", ".", "")
	pos, err := parseFlags(flags, args, stdout)
	if err != nil || len(pos) > 0 {
		return helpOr(err, usagef("license keygen: takes no arguments besides --out DIR"))
	}
	priv, pub := filepath.Join(*out, licensePrivateFile), filepath.Join(*out, licensePublicFile)
	for _, p := range []string{priv, pub} {
		if _, err := os.Stat(p); err == nil {
			return usagef("license keygen: %s exists; not overwritten (choose another --out)", p)
		}
	}
	key, err := license.GenerateKey()
	if err != nil {
		return err
	}
	privPEM, err := license.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pubPEM, err := license.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	flagValue, err := license.ReleaseKeyValue(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("license keygen: %w", err)
	}
	if err := writeNew(priv, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(pub, pubPEM, 0o644); err != nil {
		_ = os.Remove(priv)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (private: keep it offline, mode 0600)\nwrote %s\n", priv, pub)
	fmt.Fprintf(stdout, "release builds verify with it given: -ldflags \"-X %s=%s\"\n", license.ReleaseKeyVar, flagValue)
	return nil
}

// writeNew creates path with mode perm, failing if it exists.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("license keygen: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("license keygen: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("license keygen: write %s: %w", path, err)
	}
	return nil
}

func licenseIssue(args []string, stdout io.Writer, now func() time.Time) error {
	flags := flag.NewFlagSet("issue", flag.ContinueOnError)
	keyPath := flags.String("key", "", "")
	customer := flags.String("customer", "", "")
	edition := flags.String("edition", "", "")
	seats := flags.Int("seats", 0, "")
	days := flags.Int("days", 0, "")
	features := flags.String("features", "", "")
	grace := flags.String("grace", "14d", "")
	phoneHome := flags.Bool("phone-home", false, "")
	pos, err := parseFlags(flags, args, stdout)
	if err != nil || len(pos) > 0 {
		return helpOr(err, usagef("license issue: unexpected argument %q (try 'handler license --help')", strings.Join(pos, " ")))
	}
	switch {
	case *keyPath == "":
		return usagef("license issue: --key PRIVATE.pem is required")
	case strings.TrimSpace(*customer) == "":
		return usagef("license issue: --customer NAME is required")
	case *seats < 1 || *seats > license.MaxSeats:
		return usagef("license issue: --seats must be from 1 to %d", license.MaxSeats)
	case *days < 1 || *days > 3660:
		return usagef("license issue: --days must be from 1 to 3660")
	}
	ed, err := license.ParseEdition(*edition)
	if err != nil {
		return usagef("license issue: --edition: %v", err)
	}
	g, err := license.ParseDuration(*grace)
	if err != nil {
		return usagef("license issue: --grace: %v", err)
	}
	var fl []string
	for f := range strings.SplitSeq(*features, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fl = append(fl, f)
		}
	}
	key, err := readPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	at := now().UTC().Truncate(time.Second)
	tok, err := license.Issue(key, license.Claims{Customer: strings.TrimSpace(*customer), Edition: ed, Seats: *seats,
		Features: fl, IssuedAt: at, ExpiresAt: at.AddDate(0, 0, *days), OfflineGracePeriod: g, PhoneHomeRequired: *phoneHome})
	if err != nil {
		return usagef("license %v", err) // only the claims given can be wrong here
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func readPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("license issue: --key: %v", err)
	}
	k, err := license.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, usagef("license issue: --key %s: %v", path, err)
	}
	return k, nil
}

func licenseVerify(args []string, stdin io.Reader, stdout io.Writer, lookup config.Lookup, now func() time.Time) error {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	pubPath := flags.String("public-key", "", "")
	pos, err := parseFlags(flags, args, stdout)
	if err != nil || len(pos) > 1 {
		return helpOr(err, usagef("license verify: want one TOKEN, FILE or -, got %d arguments", len(pos)))
	}
	var token string
	switch {
	case len(pos) == 0:
		cfg, err := config.Load(lookup)
		if err != nil {
			return err
		}
		if !cfg.LicenseKey.IsSet() {
			return usagef("license verify: give a TOKEN, FILE or -, or set LICENSE_KEY")
		}
		token, err = license.Load(cfg.LicenseKey.Reveal())
		if err != nil {
			return loadError("LICENSE_KEY", err)
		}
	case pos[0] == "-":
		if token, err = license.ReadToken(stdin); err != nil {
			return fmt.Errorf("license verify: %w", err)
		}
	default:
		if token, err = license.Load(pos[0]); err != nil {
			return loadError("license verify", err)
		}
	}
	var v *license.Verifier
	if *pubPath != "" {
		b, err := os.ReadFile(*pubPath)
		if err != nil {
			return usagef("license verify: --public-key: %v", err)
		}
		key, err := license.ParsePublicKeyPEM(b)
		if err != nil {
			return usagef("license verify: --public-key %s: %v", *pubPath, err)
		}
		v, err = license.NewVerifier(key, license.KeyFile, &license.Options{Now: now})
		if err != nil {
			return err
		}
	} else if v, err = license.NewEmbeddedVerifier(&license.Options{Now: now}); err != nil {
		return err
	}
	lic, verr := v.Verify(token)
	if lic.Source != "" {
		printLicense(stdout, lic, verr, now())
	}
	if verr != nil {
		return fmt.Errorf("license verify: %w", verr)
	}
	return nil
}

// loadError is a token that could not be read: a missing or unreadable file is bad usage
// (exit 2), a damaged token an invalid license (exit 1).
func loadError(what string, err error) error {
	if errors.Is(err, license.ErrInvalid) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return usagef("%s: %v", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// printLicense writes what verify found: the claims of a token whose signature verified, and
// its state.
func printLicense(w io.Writer, l license.License, verr error, now time.Time) {
	state := "valid"
	switch {
	case verr != nil:
		state = verr.Error()
	case l.State(now) == license.StateGrace:
		state = fmt.Sprintf("in its grace period until %s (expired %s): renew it", stamp(l.GraceEnds()), stamp(l.ExpiresAt))
	}
	features := strings.Join(l.Features, ", ")
	if features == "" {
		features = "none"
	}
	phone := "no"
	if l.PhoneHomeRequired {
		phone = "required (not enforced: this build has no licensing service to call)"
	}
	key := string(l.Key)
	if l.Key != license.KeyFile {
		key += " (built in)"
	}
	fmt.Fprintf(w, "state:       %s\ncustomer:    %s\nedition:     %s\nseats:       %d\nfeatures:    %s\n",
		state, l.Customer, l.Edition, l.Seats, features)
	fmt.Fprintf(w, "issued:      %s\nvalid from:  %s\nexpires:     %s\ngrace:       %s\nphone home:  %s\nlicense id:  %s\nkey:         %s\n",
		stamp(l.IssuedAt), stamp(l.NotBefore), stamp(l.ExpiresAt), license.FormatDuration(l.OfflineGracePeriod), phone, l.ID, key)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// helpOr returns nil when err is errHelp (the usage was printed), err when there is one, else
// fallback.
func helpOr(err, fallback error) error {
	switch {
	case errors.Is(err, errHelp):
		return nil
	case err != nil:
		return err
	}
	return fallback
}

// licenseGate is the license the process runs under: checked at start (ARCHITECTURE §8) and
// reported by /api/health. nil when no license is configured (local development, managed SaaS).
type licenseGate struct {
	lic license.License
	// identity proves a Marketplace install's managed identity; nil for a token.
	identity *license.Identity
	now      func() time.Time
	log      *slog.Logger
}

// credentialFunc builds the managed identity's credential (a fake in tests).
type credentialFunc func(clientID string) (azcore.TokenCredential, error)

// managedIdentity is the production credentialFunc: the user-assigned identity clientID
// (AZURE_CLIENT_ID), or the system-assigned one when it is empty.
func managedIdentity(clientID string) (azcore.TokenCredential, error) {
	o := &azidentity.ManagedIdentityCredentialOptions{}
	if clientID != "" {
		o.ID = azidentity.ClientID(clientID)
	}
	return azidentity.NewManagedIdentityCredential(o)
}

// newLicenseGate applies the start-up gate. A Marketplace install (MARKETPLACE_RESOURCE_URI)
// is licensed by its plan: an unknown plan refuses to start; its identity is proved beside
// start-up and by every health check (at most once a minute), not before serving, so an
// identity endpoint that is slow or down at boot shows as a warning and a down check, retried,
// instead of a crash loop. Otherwise LICENSE_KEY, when set, must
// verify: invalid, revoked, not yet valid or past its grace period refuses to start; within
// the grace period the process starts with a warning. Refusals are *config.Error: exit 2
// with one line naming the key. Neither configured: nil, nothing to gate.
func newLicenseGate(cfg *config.Config, log *slog.Logger, now func() time.Time, cred credentialFunc) (*licenseGate, error) {
	g := &licenseGate{now: now, log: log}
	switch {
	case cfg.Marketplace.ResourceURI != "":
		lic, err := license.FromPlan(cfg.Marketplace.PlanID)
		if err != nil {
			return nil, &config.Error{Key: "MARKETPLACE_PLAN_ID", Reason: err.Error()}
		}
		if cfg.LicenseKey.IsSet() {
			log.Warn("LICENSE_KEY is ignored: a Marketplace managed application is licensed by its plan",
				"plan_id", lic.PlanID)
		}
		c, err := cred(cfg.Marketplace.ClientID)
		if err != nil {
			c = failingCredential{err}
		}
		g.lic, g.identity = lic, license.NewIdentity(c, &license.IdentityOptions{Now: now})
		log.Info("license: Marketplace plan", "plan_id", lic.PlanID, "edition", string(lic.Edition), "seats", lic.Seats)
		// The first proof runs beside start-up, so a failure is in the log at once rather than
		// at the first health probe or sweep.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := g.identity.Prove(ctx); err != nil {
				log.Warn("license: the Marketplace managed identity cannot get a token; /api/health reports the license down until it can",
					"plan_id", lic.PlanID, "error", clipLine(err.Error(), 300))
			}
		}()
		return g, nil
	case cfg.LicenseKey.IsSet():
		token, err := license.Load(cfg.LicenseKey.Reveal())
		if err != nil {
			return nil, &config.Error{Key: "LICENSE_KEY", Reason: err.Error()}
		}
		v, err := license.NewEmbeddedVerifier(&license.Options{Now: now})
		if err != nil {
			return nil, fmt.Errorf("license verifier: %w", err)
		}
		if g.lic, err = v.Verify(token); err != nil {
			return nil, &config.Error{Key: "LICENSE_KEY", Reason: err.Error()}
		}
		g.announce()
		return g, nil
	}
	return nil, nil
}

// announce logs the license a process starts with: a warning in the grace period or when a
// release build verified with the development key.
func (g *licenseGate) announce() {
	l := g.lic
	attrs := []any{"license_state", string(l.State(g.now())), "edition", string(l.Edition), "seats", l.Seats,
		"expires_at", l.ExpiresAt, "license_id", l.ID}
	if l.State(g.now()) == license.StateGrace {
		g.log.Warn("license expired: running in its offline grace period; renew it before the period ends",
			append(attrs, "grace_ends", l.GraceEnds())...)
	} else {
		g.log.Info("license verified", attrs...)
	}
	if l.Key == license.KeyDevelopment && buildinfo.Version != "dev" {
		g.log.Warn("license verified with the development key: this release was built without its release key")
	}
}

// check is the license's /api/health check: state, edition, seats and expiry or grace end;
// down once the grace period is over, or while a Marketplace identity cannot get a token.
func (g *licenseGate) check(disabled string) health.Check {
	c := health.Check{Name: config.FeatureLicense, Disabled: disabled}
	if g == nil {
		return c
	}
	c.Disabled = ""
	c.Run = func(ctx context.Context) (string, error) {
		detail, err := g.lic.Check(g.now())
		if err != nil {
			return "", err
		}
		if g.identity != nil {
			if err := g.identity.Prove(ctx); err != nil {
				return "", fmt.Errorf("%s; %s", detail, clipLine(err.Error(), 300))
			}
			detail += "; managed identity ok"
		}
		return detail, nil
	}
	return c
}

// seats is the invitation seat gate of an install without Stripe billing: nil without a
// license. Beyond the licensed seats it warns the admin and logs; it never refuses
// (ARCHITECTURE §8: seats over → warn).
func (g *licenseGate) seats(reg *tenancy.Registry, stores store.Resolver) signin.Seats {
	if g == nil {
		return nil
	}
	return licenseSeats{seats: g.lic.Seats, log: g.log, count: func(ctx context.Context, tenant tenancy.ID, st store.Store) (int, error) {
		return installSeats(ctx, reg, stores, tenant, st, g.now())
	}}
}

// licenseSeats implements signin.Seats over the license's seats, which cover the whole install.
type licenseSeats struct {
	seats int
	count func(ctx context.Context, tenant tenancy.ID, st store.Store) (int, error)
	log   *slog.Logger
}

var _ signin.Seats = licenseSeats{}

func (s licenseSeats) Check(ctx context.Context, tenant tenancy.ID, st store.Store) (string, error) {
	inUse, err := s.count(ctx, tenant, st)
	if err != nil {
		// A warn-only gate: a failed count must not stop an invitation.
		s.log.WarnContext(ctx, "license seats not counted", "error", err.Error())
		return "", nil
	}
	if inUse+1 <= s.seats {
		return "", nil
	}
	s.log.WarnContext(ctx, "license seats exceeded", "seats_in_use", inUse+1, "seats_licensed", s.seats)
	return fmt.Sprintf("This adds seat %d of the %d your license covers: extend the license to stay within it.", inUse+1, s.seats), nil
}

// installSeats counts the seats taken across the install: active users plus pending
// invitations of every active tenant (the inviting tenant through st).
func installSeats(ctx context.Context, reg *tenancy.Registry, stores store.Resolver, tenant tenancy.ID, st store.Store, now time.Time) (int, error) {
	total := 0
	for after := (tenancy.ID{}); ; {
		page, err := reg.List(ctx, after, 200)
		if err != nil {
			return 0, err
		}
		for _, t := range page {
			after = t.ID
			if t.Status != tenancy.StatusActive {
				continue
			}
			tst := st
			if t.ID != tenant {
				if tst, err = stores.For(ctx, t.ID); err != nil {
					return 0, fmt.Errorf("count seats of tenant %s: %w", t.ID, err)
				}
			}
			n, err := billing.SeatsInUse(ctx, tst, now)
			if err != nil {
				return 0, err
			}
			total += n
		}
		if len(page) < 200 {
			return total, nil
		}
	}
}

// failingCredential stands for a managed identity credential that could not be built: the
// health check reports why.
type failingCredential struct{ err error }

func (c failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, c.err
}

func clipLine(s string, n int) string {
	s = oneLine(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
