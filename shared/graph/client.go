package graph

import (
	"container/list"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/google/uuid"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	msgraphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
)

// DefaultBaseURL is the Graph v1.0 endpoint.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// DefaultAuthority is the public-cloud Entra authority host.
const DefaultAuthority = "https://login.microsoftonline.com/"

// DefaultMaxTenants is the default size of the per-tenant client cache.
const DefaultMaxTenants = 1024

// graphScope is the app-only scope for Graph.
const graphScope = "https://graph.microsoft.com/.default"

// RetryOptions tunes the SDK's retry middleware, which retries 429, 503 and 504 and honours
// Retry-After.
type RetryOptions struct {
	// MaxRetries is the number of retries after the first attempt. Default 3, at most 10.
	MaxRetries int
	// Delay is the base of the exponential backoff used when Graph sends no Retry-After,
	// rounded down to whole seconds. Default 3 s, at least 1 s.
	Delay time.Duration
}

// ClientsOptions configures Clients. ClientID and one of ClientSecret or
// Certificate+PrivateKey are required.
type ClientsOptions struct {
	// ClientID is our multi-tenant app registration's client ID.
	ClientID string
	// ClientSecret is the app's client secret. Either it or Certificate+PrivateKey is set.
	ClientSecret string
	// Certificate is the app's certificate chain (leaf first), for certificate credentials.
	Certificate []*x509.Certificate
	// PrivateKey is the private key of Certificate[0].
	PrivateKey crypto.PrivateKey
	// BaseURL is the Graph endpoint including the version. Default DefaultBaseURL.
	BaseURL string
	// Authority is the Entra authority host tokens are requested from, e.g.
	// https://login.microsoftonline.com/ or an entratest server's URL. Default
	// DefaultAuthority. An http authority is accepted only on a loopback host (tests).
	Authority string
	// HTTPClient supplies the transport (and timeout) under the SDK middleware, and is used
	// for token requests and for upload-session chunk PUTs. Default: a client with a 100 s
	// timeout over http.DefaultTransport.
	HTTPClient *http.Client
	// ValidHosts are the hosts the bearer token may be sent to. The BaseURL host is always
	// added. Default: just the BaseURL host.
	ValidHosts []string
	// RetryOptions tunes retries of throttled requests. Default: the SDK's (3 retries,
	// 3 s base delay).
	RetryOptions RetryOptions
	// MaxTenants bounds the per-tenant client cache; the least recently used tenant is
	// evicted. Default DefaultMaxTenants.
	MaxTenants int
	// Now is the clock subscription expiries are computed from. Default time.Now.
	Now func() time.Time
}

// Clients hands out one Client per tenant, caching each tenant's credential (and so its
// token) and SDK client. It is safe for concurrent use.
type Clients struct {
	opts  ClientsOptions
	base  *url.URL
	err   error
	mu    sync.Mutex
	lru   *list.List // of *Client, most recently used first
	byTID map[uuid.UUID]*list.Element
}

// NewClients returns Clients for opts. Invalid options are reported by the first For.
func NewClients(opts ClientsOptions) *Clients {
	c := &Clients{lru: list.New(), byTID: map[uuid.UUID]*list.Element{}}
	c.opts, c.base, c.err = opts.withDefaults()
	return c
}

func (o ClientsOptions) withDefaults() (ClientsOptions, *url.URL, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Authority == "" {
		o.Authority = DefaultAuthority
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 100 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxTenants <= 0 {
		o.MaxTenants = DefaultMaxTenants
	}
	var errs []error
	if o.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	switch {
	case o.ClientSecret == "" && (len(o.Certificate) == 0 || o.PrivateKey == nil):
		errs = append(errs, errors.New("ClientSecret or Certificate and PrivateKey is required"))
	case o.ClientSecret != "" && len(o.Certificate) > 0:
		errs = append(errs, errors.New("ClientSecret and Certificate are exclusive"))
	}
	base, err := url.Parse(o.BaseURL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("BaseURL: %w", err))
	case base.Scheme != "https" && !(base.Scheme == "http" && isLoopback(base.Hostname())):
		errs = append(errs, fmt.Errorf("BaseURL %q: must be https (http only on loopback)", o.BaseURL))
	}
	auth, err := url.Parse(o.Authority)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("Authority: %w", err))
	case auth.Scheme != "https" && !(auth.Scheme == "http" && isLoopback(auth.Hostname())):
		errs = append(errs, fmt.Errorf("Authority %q: must be https (http only on loopback)", o.Authority))
	}
	if err := errors.Join(errs...); err != nil {
		return o, nil, fmt.Errorf("graph options: %w", err)
	}
	hosts := []string{base.Hostname()}
	for _, h := range o.ValidHosts {
		if h != "" && h != base.Hostname() {
			hosts = append(hosts, h)
		}
	}
	o.ValidHosts = hosts
	return o, base, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// For returns the Client acting for tenant, creating and caching it on first use.
func (c *Clients) For(tenant uuid.UUID) (*Client, error) {
	if c.err != nil {
		return nil, c.err
	}
	if tenant == uuid.Nil {
		return nil, errors.New("graph client: tenant ID is nil")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byTID[tenant]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*Client), nil
	}
	cl, err := c.newClient(tenant)
	if err != nil {
		return nil, fmt.Errorf("graph client for tenant %s: %w", tenant, err)
	}
	c.byTID[tenant] = c.lru.PushFront(cl)
	for c.lru.Len() > c.opts.MaxTenants {
		old := c.lru.Remove(c.lru.Back()).(*Client)
		delete(c.byTID, old.tenant)
	}
	return cl, nil
}

// Client calls Graph for one tenant. It is safe for concurrent use.
type Client struct {
	tenant  uuid.UUID
	baseURL string
	sdk     *msgraphsdk.GraphServiceClient
	adapter *msgraphsdk.GraphRequestAdapter
	// plain is the HTTP client without auth or SDK middleware, for upload-session chunk PUTs
	// to the pre-authenticated uploadUrl.
	plain *http.Client
	now   func() time.Time
}

// Tenant returns the tenant the client acts for.
func (c *Client) Tenant() uuid.UUID { return c.tenant }

func (c *Clients) newClient(tenant uuid.UUID) (*Client, error) {
	cred, err := newCredential(c.opts, tenant)
	if err != nil {
		return nil, err
	}
	return newClientWithCredential(c.opts, tenant, cred)
}

func newClientWithCredential(o ClientsOptions, tenant uuid.UUID, cred azcore.TokenCredential) (*Client, error) {
	auth, err := msgraphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, o.ValidHosts)
	if err != nil {
		return nil, fmt.Errorf("auth provider: %w", err)
	}
	clientOpts := msgraphsdk.GetDefaultClientOptions()
	retry := &khttp.RetryHandlerOptions{
		ShouldRetry:  func(time.Duration, int, *http.Request, *http.Response) bool { return true },
		MaxRetries:   o.RetryOptions.MaxRetries,
		DelaySeconds: int(o.RetryOptions.Delay / time.Second),
	}
	kiota, err := khttp.GetDefaultMiddlewaresWithOptions(retry)
	if err != nil {
		return nil, fmt.Errorf("middleware: %w", err)
	}
	mws := append([]khttp.Middleware{
		core.NewGraphTelemetryHandler(&clientOpts),
		khttp.NewUrlReplaceHandler(true, core.ReplacementPairs),
	}, withSeekableBodies(kiota)...)
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(o.HTTPClient.Transport, mws...),
		// The redirect middleware follows redirects; the client must not.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       o.HTTPClient.Timeout,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("request adapter: %w", err)
	}
	adapter.SetBaseUrl(o.BaseURL)
	return &Client{
		tenant:  tenant,
		baseURL: o.BaseURL,
		sdk:     newServiceClient(adapter),
		adapter: adapter,
		plain:   o.HTTPClient,
		now:     o.Now,
	}, nil
}

// pathURL joins escaped path segments onto the base URL.
func (c *Client) pathURL(segments ...string) string {
	var b strings.Builder
	b.WriteString(c.baseURL)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// newServiceClient is msgraphsdk.NewGraphServiceClient without its data race: that
// constructor passes store.BackingStoreFactoryInstance back to the adapter, which writes it
// to the package-level variable again, racing with every model constructor (they read it)
// in other goroutines — i.e. with other tenants' requests while For builds a new tenant's
// client (found by go test -race). Passing nil keeps the (default, unchanged) global as is
// and still enables the backing store on this adapter's serializers.
func newServiceClient(adapter *msgraphsdk.GraphRequestAdapter) *msgraphsdk.GraphServiceClient {
	return &msgraphsdk.GraphServiceClient{GraphBaseServiceClient: *msgraphsdk.NewGraphBaseServiceClient(adapter, nil)}
}
