package generate

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment keys read by [LoadLLMConfig]. Azure OpenAI needs OPENAI_ENDPOINT and
// OPENAI_DEPLOYMENT (and OPENAI_API_VERSION, defaulted); any other OpenAI-compatible
// server (OpenAI, vLLM, Ollama) needs OPENAI_BASE_URL and OPENAI_MODEL. Without either,
// the LLM is not configured and the offline generator is used.
const (
	EnvEndpoint      = "OPENAI_ENDPOINT"       // Azure OpenAI resource, https://NAME.openai.azure.com
	EnvDeployment    = "OPENAI_DEPLOYMENT"     // Azure deployment name
	EnvAPIVersion    = "OPENAI_API_VERSION"    // Azure API version, default DefaultAPIVersion
	EnvAPIKey        = "OPENAI_API_KEY"        // key; on Azure, empty means an Entra token (azidentity)
	EnvBaseURL       = "OPENAI_BASE_URL"       // OpenAI-compatible base URL, e.g. http://localhost:11434/v1
	EnvModel         = "OPENAI_MODEL"          // model name for OPENAI_BASE_URL
	EnvContextTokens = "OPENAI_CONTEXT_TOKENS" // context budget, default DefaultContextTokens
	EnvTimeout       = "OPENAI_TIMEOUT"        // per request, Go duration, default DefaultRequestTimeout
)

// Defaults of [LLMConfig].
const (
	DefaultAPIVersion     = "2024-10-21"
	DefaultContextTokens  = 100_000
	DefaultRequestTimeout = 90 * time.Second
	DefaultMaxAttempts    = 4
	DefaultRetryBudget    = 3 * time.Minute
)

// Secret is a credential: it prints and logs as "[redacted]".
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return "[redacted]" }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// LLMConfig configures [LLM]. Either Endpoint+Deployment (Azure OpenAI) or BaseURL+Model
// (OpenAI-compatible) must be set.
type LLMConfig struct {
	// Endpoint is the Azure OpenAI resource URL; Deployment the deployment to call;
	// APIVersion the Azure API version (default DefaultAPIVersion).
	Endpoint, Deployment, APIVersion string
	// APIKey authenticates. On Azure, empty means an Entra ID token from azidentity's
	// default credential chain (managed identity in Azure, az login locally).
	APIKey Secret
	// BaseURL and Model address any OpenAI-compatible server.
	BaseURL, Model string
	// ContextTokens is the model's context window in tokens (default
	// DefaultContextTokens); transcripts that do not fit are chunked by speaker turn.
	ContextTokens int
	// RequestTimeout bounds one request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxAttempts bounds the tries of one request (default DefaultMaxAttempts).
	MaxAttempts int
	// RetryBudget bounds the total time spent waiting between tries of all requests of
	// one Generate (default DefaultRetryBudget).
	RetryBudget time.Duration
}

// Azure reports whether c addresses Azure OpenAI.
func (c LLMConfig) Azure() bool { return c.Endpoint != "" }

// Configured reports whether c names a model at all.
func (c LLMConfig) Configured() bool { return c.Endpoint != "" || c.BaseURL != "" }

// WithDefaults returns c with zero fields set to their defaults.
func (c LLMConfig) WithDefaults() LLMConfig {
	if c.Azure() && c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	if c.ContextTokens <= 0 {
		c.ContextTokens = DefaultContextTokens
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBudget <= 0 {
		c.RetryBudget = DefaultRetryBudget
	}
	return c
}

// Validate names the first bad field.
func (c LLMConfig) Validate() error {
	check := func(key, raw string) error {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s: want an http(s) URL", key)
		}
		return nil
	}
	switch {
	case c.Endpoint != "" && c.BaseURL != "":
		return fmt.Errorf("%s and %s: set one, not both", EnvEndpoint, EnvBaseURL)
	case c.Endpoint != "":
		if err := check(EnvEndpoint, c.Endpoint); err != nil {
			return err
		}
		if c.Deployment == "" {
			return fmt.Errorf("%s: required with %s", EnvDeployment, EnvEndpoint)
		}
	case c.BaseURL != "":
		if err := check(EnvBaseURL, c.BaseURL); err != nil {
			return err
		}
		if c.Model == "" {
			return fmt.Errorf("%s: required with %s", EnvModel, EnvBaseURL)
		}
	}
	if c.ContextTokens < 0 || c.ContextTokens > 0 && c.ContextTokens < 2000 {
		return fmt.Errorf("%s: want at least 2000", EnvContextTokens)
	}
	return nil
}

// LoadLLMConfig reads the OPENAI_* keys through lookup (os.Getenv-shaped, so the caller
// decides where configuration comes from). The result may be unconfigured (see
// Configured); it is validated and defaulted.
func LoadLLMConfig(lookup func(string) string) (LLMConfig, error) {
	get := func(k string) string { return strings.TrimSpace(lookup(k)) }
	c := LLMConfig{
		Endpoint: get(EnvEndpoint), Deployment: get(EnvDeployment), APIVersion: get(EnvAPIVersion),
		APIKey: Secret(get(EnvAPIKey)), BaseURL: get(EnvBaseURL), Model: get(EnvModel),
	}
	if v := get(EnvContextTokens); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return LLMConfig{}, fmt.Errorf("%s: want a number of tokens", EnvContextTokens)
		}
		c.ContextTokens = n
	}
	if v := get(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return LLMConfig{}, fmt.Errorf("%s: want a duration such as 90s", EnvTimeout)
		}
		c.RequestTimeout = d
	}
	if err := c.Validate(); err != nil {
		return LLMConfig{}, err
	}
	return c.WithDefaults(), nil
}
