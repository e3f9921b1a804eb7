package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/health"
	"github.com/meetingminutes/minutes/shared/license"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// devKeyPath is the development private key, whose public half every test binary embeds.
const devKeyPath = "../shared/license/testdata/dev_private.pem"

// devLicense signs a license with the development key; mod adjusts the claims, which start
// valid for a year from now with a 14-day grace period.
func devLicense(t *testing.T, mod ...func(*license.Claims)) string {
	t.Helper()
	b, err := os.ReadFile(devKeyPath)
	require.NoError(t, err)
	key, err := license.ParsePrivateKeyPEM(b)
	require.NoError(t, err)
	at := time.Now().UTC().Truncate(time.Second)
	c := license.Claims{Customer: "Contoso Ltd", Edition: license.EditionProfessional, Seats: 25, Features: []string{"byoi"},
		IssuedAt: at.AddDate(-1, 0, 0), ExpiresAt: at.AddDate(0, 0, 365), OfflineGracePeriod: 14 * 24 * time.Hour}
	for _, m := range mod {
		m(&c)
	}
	tok, err := license.Issue(key, c)
	require.NoError(t, err)
	return tok
}

func expiredDaysAgo(days int) func(*license.Claims) {
	return func(c *license.Claims) { c.ExpiresAt = time.Now().UTC().Truncate(time.Second).AddDate(0, 0, -days) }
}

// licenseRun is run with a fresh stdout and stderr.
func licenseRun(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, lookup(env...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLicenseCLIRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")

	code, out, errOut := licenseRun(t, nil, "license", "keygen", "--out", dir)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "-X "+license.ReleaseKeyVar+"=", "keygen says how to build the key into a release")
	priv, pub := filepath.Join(dir, "license_private.pem"), filepath.Join(dir, "license_public.pem")
	info, err := os.Stat(priv)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the private key is readable by its owner only")
	b, err := os.ReadFile(pub)
	require.NoError(t, err)
	k, err := license.ParsePublicKeyPEM(b)
	require.NoError(t, err)
	require.Equal(t, license.KeyBits, k.N.BitLen())

	code, _, errOut = licenseRun(t, nil, "license", "keygen", "--out", dir)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "exists; not overwritten")

	code, token, errOut := licenseRun(t, nil, "license", "issue", "--key", priv, "--customer", "Fabrikam Inc", "--edition", "Enterprise",
		"--seats", "40", "--days", "30", "--features", "byoi, priority_support", "--grace", "7d", "--phone-home")
	require.Equal(t, exitOK, code, errOut)
	token = strings.TrimSpace(token)
	require.Equal(t, 2, strings.Count(token, "."), "issue prints one token")

	file := filepath.Join(t.TempDir(), "license.jwt")
	require.NoError(t, os.WriteFile(file, []byte(token+"\n"), 0o600))
	for _, arg := range []string{token, file} {
		code, out, errOut = licenseRun(t, nil, "license", "verify", "--public-key", pub, arg)
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "state:       valid\n")
		require.Contains(t, out, "customer:    Fabrikam Inc\n")
		require.Contains(t, out, "edition:     enterprise\n")
		require.Contains(t, out, "seats:       40\n")
		require.Contains(t, out, "features:    byoi, priority_support\n")
		require.Contains(t, out, "grace:       7d\n")
		require.Contains(t, out, "phone home:  required")
		require.Contains(t, out, "key:         file\n")
	}

	// The binary's own key is the development key: a license from a new vendor key is not
	// accepted by it.
	code, out, errOut = licenseRun(t, nil, "license", "verify", file)
	require.Equal(t, exitFailure, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "signature does not match")
	require.NotContains(t, errOut, token)
}

func TestLicenseVerifyStatesAndExitCodes(t *testing.T) {
	t.Parallel()
	valid := devLicense(t)
	grace := devLicense(t, expiredDaysAgo(3))
	expired := devLicense(t, expiredDaysAgo(20))
	future := devLicense(t, func(c *license.Claims) { c.NotBefore = time.Now().AddDate(0, 0, 10) })
	cases := []struct {
		name   string
		args   []string
		env    []string
		code   int
		stdout string
		stderr string
	}{
		{"valid", []string{valid}, nil, exitOK, "state:       valid\n", ""},
		{"valid from LICENSE_KEY", nil, []string{"LICENSE_KEY", valid}, exitOK, "key:         development (built in)", ""},
		{"in its grace period", []string{grace}, nil, exitOK, "state:       in its grace period until", ""},
		{"expired past its grace period", []string{expired}, nil, exitFailure, "state:       license expired on", "its 14d grace period ended"},
		{"not yet valid", []string{future}, nil, exitFailure, "state:       license not yet valid", "license not yet valid: valid from"},
		{"forged with HS256", []string{forgeHS256(t)}, nil, exitFailure, "", "not signed with RS256"},
		{"garbage", []string{"eyJhbGciOi.garbage"}, nil, exitFailure, "", "not a well-formed license token"},
		{"missing file", []string{"/nonexistent/license.jwt"}, nil, exitUsage, "", "no such file"},
		{"no license at all", nil, nil, exitUsage, "", "set LICENSE_KEY"},
		{"two arguments", []string{valid, valid}, nil, exitUsage, "", "want one TOKEN"},
		{"public key file missing", []string{"--public-key", "/nonexistent.pem", valid}, nil, exitUsage, "", "--public-key"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := licenseRun(t, tt.env, append([]string{"license", "verify"}, tt.args...)...)
			require.Equal(t, tt.code, code, "stderr: %s", errOut)
			require.Contains(t, out, tt.stdout)
			if tt.stderr == "" {
				require.Empty(t, errOut)
				return
			}
			require.Contains(t, errOut, tt.stderr)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			for _, tok := range []string{valid, grace, expired, future} {
				require.NotContains(t, errOut, tok, "never echo a token")
			}
		})
	}
}

func TestLicenseVerifyReadsStandardInput(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := licenseCmd([]string{"verify", "-"}, strings.NewReader(devLicense(t)+"\n"), &out, lookup(), time.Now)
	require.NoError(t, err)
	require.Contains(t, out.String(), "state:       valid\n")
}

func TestLicenseUsageErrors(t *testing.T) {
	t.Parallel()
	key := []string{"--key", devKeyPath, "--customer", "C", "--edition", "standard", "--seats", "5", "--days", "30"}
	with := func(over ...string) []string {
		args := append([]string{"license", "issue"}, key...)
		for i := 0; i+1 < len(over); i += 2 {
			for j := range args {
				if args[j] == over[i] {
					args[j+1] = over[i+1]
				}
			}
		}
		return args
	}
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no subcommand", []string{"license"}, "want keygen, issue or verify"},
		{"unknown subcommand", []string{"license", "renew"}, `unknown subcommand "renew"`},
		{"unknown flag", []string{"license", "issue", "--colour", "red"}, "flag provided but not defined"},
		{"issue without a key", []string{"license", "issue", "--customer", "C"}, "--key PRIVATE.pem is required"},
		{"issue with seats 0", with("--seats", "0"), "--seats must be from 1"},
		{"issue with an unknown edition", with("--edition", "gold"), `unknown edition "gold"`},
		{"issue without days", with("--days", "0"), "--days must be from 1"},
		{"issue with a bad grace", append(with(), "--grace", "two weeks"), "--grace"},
		{"issue with a bad feature", append(with(), "--features", "Not A Name"), "feature 1"},
		{"issue with a missing key file", with("--key", "/nonexistent.pem"), "--key"},
		{"issue with a public key as the key", with("--key", "../shared/license/dev_public.pem"), "not a private key"},
		{"keygen with an argument", []string{"license", "keygen", "extra"}, "takes no arguments"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := licenseRun(t, nil, tt.args...)
			require.Equal(t, exitUsage, code, "stderr: %s", errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tt.stderr)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		})
	}
	code, out, _ := licenseRun(t, nil, "license", "--help")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "handler license verify")
	code, out, _ = licenseRun(t, nil, "help")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "license keygen", "the main usage lists the license commands")
}

// TestStandaloneLicenseGateRefuses: a configured license that is not good stops standalone
// before it serves: exit 2, one line naming the setting, never the token.
func TestStandaloneLicenseGateRefuses(t *testing.T) {
	t.Parallel()
	expired := devLicense(t, expiredDaysAgo(20))
	forged := forgeHS256(t)
	cases := []struct {
		name   string
		env    []string
		stderr string
	}{
		{"forged license", []string{"LICENSE_KEY", forged}, "LICENSE_KEY: invalid license: not signed with RS256"},
		{"garbage license", []string{"LICENSE_KEY", "eyJnot.a-token"}, "LICENSE_KEY: invalid license: not a well-formed license token"},
		{"license file missing", []string{"LICENSE_KEY", "/etc/minutes/license.jwt"}, "LICENSE_KEY: read license file: open /etc/minutes/license.jwt: no such file"},
		{"expired past its grace period", []string{"LICENSE_KEY", expired}, "LICENSE_KEY: license expired on"},
		{"unknown Marketplace plan", []string{"MARKETPLACE_RESOURCE_URI", marketplaceApp, "MARKETPLACE_PLAN_ID", "platinum"},
			`MARKETPLACE_PLAN_ID: unknown Marketplace plan "platinum" (this build knows standard, professional, enterprise)`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"PORT", freePort(t), "LISTEN_HOST", "127.0.0.1"}, tt.env...)
			code, out, errOut := licenseRun(t, env, "standalone")
			require.Equal(t, exitUsage, code, "stderr: %s", errOut)
			require.True(t, strings.HasPrefix(errOut, "handler: configuration: "+tt.stderr), "stderr: %s", errOut)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			require.NotContains(t, out, `"msg":"listening"`, "refused before serving")
			require.NotContains(t, errOut+out, expired)
			require.NotContains(t, errOut+out, forged)
		})
	}
}

// TestStandaloneRunsInGraceWithNotices starts the real binary with a license expired three
// days ago: it serves, warns once at start (structured, without the token) and /api/health
// says until when.
func TestStandaloneRunsInGraceWithNotices(t *testing.T) {
	t.Parallel()
	tok := devLicense(t, expiredDaysAgo(3))
	p := start(t, []string{"standalone"}, "LICENSE_KEY="+tok)
	rep := healthReport(t, p.base)
	lic := dependency(t, rep, "license")
	require.Equal(t, health.Up, lic.State)
	require.Contains(t, lic.Detail, "in the grace period until")
	require.Contains(t, lic.Detail, "professional edition, 25 seats")
	require.Equal(t, 0, p.stop(t))

	var warned bool
	for line := range strings.SplitSeq(p.stdout.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || !strings.HasPrefix(rec["msg"].(string), "license expired") {
			continue
		}
		warned = true
		require.Equal(t, "WARN", rec["level"])
		require.Equal(t, "grace", rec["license_state"])
		require.NotEmpty(t, rec["grace_ends"])
	}
	require.True(t, warned, "a structured warning at start: %s", p.stdout.String())
	require.NotContains(t, p.stdout.String()+p.stderr.String(), tok, "logs never hold the token")
	_, payload, _ := strings.Cut(tok, ".")
	require.NotContains(t, p.stdout.String()+p.stderr.String(), payload[:40])
}

// TestStandaloneWithoutLicense keeps make run working: no LICENSE_KEY, no gate, and health
// says how to turn it on.
func TestStandaloneWithoutLicense(t *testing.T) {
	t.Parallel()
	p := start(t, []string{"standalone"})
	lic := dependency(t, healthReport(t, p.base), "license")
	require.Equal(t, health.Disabled, lic.State)
	require.Equal(t, "LICENSE_KEY is not set", lic.Detail)
	require.Equal(t, 0, p.stop(t))
}

const marketplaceApp = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Solutions/applications/minutes"

// fakeCredential answers GetToken with err.
type fakeCredential struct{ err error }

func (f fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestMarketplaceLicenseGate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		env    []string
		cred   credentialFunc
		state  health.State
		detail string
		err    string
	}{
		{name: "known plan, identity ok", env: []string{"MARKETPLACE_PLAN_ID", "enterprise"},
			cred: func(string) (azcore.TokenCredential, error) { return fakeCredential{}, nil }, state: health.Up,
			detail: "valid; enterprise edition, 1000 seats; Marketplace plan enterprise; managed identity ok"},
		{name: "identity cannot get a token", env: []string{"MARKETPLACE_PLAN_ID", "standard"},
			cred: func(string) (azcore.TokenCredential, error) {
				return fakeCredential{errors.New("IMDS unreachable")}, nil
			},
			state: health.Down, detail: "valid; standard edition, 50 seats; Marketplace plan standard; managed identity: get a Marketplace metering token: IMDS unreachable"},
		{name: "identity credential cannot be built", env: []string{"MARKETPLACE_PLAN_ID", "standard"},
			cred:  func(string) (azcore.TokenCredential, error) { return nil, errors.New("bad client id") },
			state: health.Down, detail: "bad client id"},
		{name: "a LICENSE_KEY beside it is ignored", env: []string{"MARKETPLACE_PLAN_ID", "professional", "LICENSE_KEY", "garbage"},
			cred: func(string) (azcore.TokenCredential, error) { return fakeCredential{}, nil }, state: health.Up, detail: "professional edition, 250 seats"},
		{name: "unknown plan refuses", env: []string{"MARKETPLACE_PLAN_ID", "gold"}, err: `MARKETPLACE_PLAN_ID: unknown Marketplace plan "gold"`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(lookup(append([]string{"MARKETPLACE_RESOURCE_URI", marketplaceApp}, tt.env...)...))
			require.NoError(t, err)
			var logs logtest.Buffer
			g, err := newLicenseGate(cfg, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now, tt.cred)
			if tt.err != "" {
				var ce *config.Error
				require.ErrorAs(t, err, &ce)
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			res := health.Runner{}.Run(context.Background(), []health.Check{g.check("")})
			require.Equal(t, tt.state, res[0].State)
			require.Contains(t, res[0].Detail, tt.detail)
			require.Equal(t, tt.state == health.Up, health.Ready(res), "a managed identity that cannot get a token makes the app not ready")
			if tt.state == health.Down {
				require.Eventually(t, func() bool {
					return strings.Contains(logs.String(), `"level":"WARN","msg":"license: the Marketplace managed identity cannot get a token`)
				}, 5*time.Second, 10*time.Millisecond, "a warning at start: %s", logs.String())
			}
		})
	}
}

func TestLicenseSeatsWarnBeyondTheLicense(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	count := func(n int, err error) func(context.Context, tenancy.ID, store.Store) (int, error) {
		return func(context.Context, tenancy.ID, store.Store) (int, error) { return n, err }
	}
	gate := licenseSeats{seats: 10, log: log}

	gate.count = count(9, nil)
	warning, err := gate.Check(context.Background(), tenancy.ID{}, nil)
	require.NoError(t, err)
	require.Empty(t, warning, "the tenth seat is covered")

	gate.count = count(10, nil)
	warning, err = gate.Check(context.Background(), tenancy.ID{}, nil)
	require.NoError(t, err, "beyond the license warns, never refuses")
	require.Equal(t, "This adds seat 11 of the 10 your license covers: extend the license to stay within it.", warning)
	require.Contains(t, logs.String(), `"msg":"license seats exceeded"`)

	gate.count = count(0, errors.New("database down"))
	warning, err = gate.Check(context.Background(), tenancy.ID{}, nil)
	require.NoError(t, err, "a failed count does not stop an invitation")
	require.Empty(t, warning)
	require.Contains(t, logs.String(), "database down")
}

// TestInstallSeatsCountsEveryActiveTenant: the license covers the install, so seats are
// counted across tenants (users plus pending invitations), cancelled tenants aside.
func TestInstallSeatsCountsEveryActiveTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	reg, stores := tenancy.NewRegistry(db.App), store.NewManagedResolver(db.App)
	now := time.Now()
	add := func(name string, users, invites int) tenancy.Tenant {
		tn, _, err := reg.Create(ctx, tenancy.NewTenant{Name: name})
		require.NoError(t, err)
		st, err := stores.For(ctx, tn.ID)
		require.NoError(t, err)
		for i := range users {
			_, err := st.CreateUser(ctx, store.UserInput{Email: name + string(rune('a'+i)) + "@example.com"})
			require.NoError(t, err)
		}
		for i := range invites {
			_, err := st.CreateInvitation(ctx, store.InvitationInput{Email: name + "-inv" + string(rune('a'+i)) + "@example.com",
				Role: store.RoleMember, TokenSHA256: [32]byte{byte(len(name)), byte(i)}, ExpiresAt: now.Add(time.Hour)})
			require.NoError(t, err)
		}
		return tn
	}
	a := add("alpha", 3, 1)
	add("beta", 2, 0)
	gone := add("gamma", 4, 0)
	require.NoError(t, reg.SetStatus(ctx, gone.ID, tenancy.StatusCancelled, now))

	st, err := stores.For(ctx, a.ID)
	require.NoError(t, err)
	n, err := installSeats(ctx, reg, stores, a.ID, st, now)
	require.NoError(t, err)
	require.Equal(t, 6, n)
	own, err := billing.SeatsInUse(ctx, st, now)
	require.NoError(t, err)
	require.Equal(t, 4, own)
}

// forgeHS256 is the classic algorithm-confusion forgery: an HS256 token keyed with the bytes
// of the public key the product verifies with.
func forgeHS256(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../shared/license/dev_public.pem")
	require.NoError(t, err)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": license.Issuer, "sub": "Mallory",
		"edition": "enterprise", "seats": 100000, "jti": "x", "iat": 1767225600, "nbf": 1767225600, "exp": 4102444800}).SignedString(b)
	require.NoError(t, err)
	return tok
}

func healthReport(t *testing.T, base string) map[string]any {
	t.Helper()
	res, err := http.Get(base + "/api/health")
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal(b, &rep), "%s", b)
	return rep
}

func dependency(t *testing.T, rep map[string]any, name string) health.Result {
	t.Helper()
	deps, _ := json.Marshal(rep["dependencies"])
	var rs []health.Result
	require.NoError(t, json.Unmarshal(deps, &rs))
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s dependency in %v", name, rep)
	return health.Result{}
}
