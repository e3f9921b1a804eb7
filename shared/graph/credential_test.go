package graph_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

// TestAzidentityCredential exercises the production credential path (azidentity, which
// insists on https) through a TLS proxy in front of entratest.
func TestAzidentityCredential(t *testing.T) {
	t.Parallel()
	entra := entratest.New(t, entratest.Options{})
	target, err := url.Parse(entra.URL)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	// MSAL adds "openid offline_access profile" to the client-credentials scope, which
	// Entra ignores but entratest rejects (it wants the scope to end in /.default); strip
	// those OIDC scopes on the way through. (Finding for entratest's owner.)
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			require.NoError(t, r.ParseForm())
			form := r.PostForm
			var kept []string
			for _, sc := range strings.Fields(form.Get("scope")) {
				if sc != "openid" && sc != "offline_access" && sc != "profile" {
					kept = append(kept, sc)
				}
			}
			form.Set("scope", strings.Join(kept, " "))
			enc := form.Encode()
			r.Body = io.NopCloser(strings.NewReader(enc))
			r.ContentLength = int64(len(enc))
			r.Header.Set("Content-Length", strconv.Itoa(len(enc)))
		}
		rp.ServeHTTP(w, r)
	}))
	proxy.StartTLS()
	t.Cleanup(proxy.Close)
	// Discovery names entratest's http URLs; rewrite them to the proxy's so the issuer
	// matches the https authority and tokens are fetched over https.
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		body = bytes.ReplaceAll(body, []byte(entra.URL), []byte(proxy.URL))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	fake := graphtest.New(t)
	fake.AddMeeting(graphtest.Meeting{ID: "m1", Subject: "S", Organizer: graphtest.Person{ID: "u1"}})
	tenant := uuid.New()
	entra.GrantConsent(tenant)

	clients := graph.NewClients(graph.ClientsOptions{
		ClientID: entra.ClientID(), ClientSecret: entra.ClientSecret(),
		BaseURL: fake.URL, Authority: proxy.URL + "/", HTTPClient: proxy.Client(),
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second},
	})
	c, err := clients.For(tenant)
	require.NoError(t, err)
	m, err := c.Meeting(context.Background(), "u1", "m1")
	require.NoError(t, err)
	require.Equal(t, "S", m.Subject)
	rs := fake.Requests()
	require.Equal(t, tenant.String(), rs[len(rs)-1].TokenTenant)
}

func TestCertificateCredentialBuilds(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	c, err := graph.NewClients(graph.ClientsOptions{ClientID: "c", Certificate: []*x509.Certificate{cert}, PrivateKey: key}).For(uuid.New())
	require.NoError(t, err)
	require.NotNil(t, c)
}
