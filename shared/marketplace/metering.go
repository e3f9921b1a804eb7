package marketplace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Scope is the token scope of the Marketplace metering service (its application id).
const Scope = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"

// APIVersion is the metering API version.
const APIVersion = "2018-08-31"

// DefaultBaseURL is the metering service.
const DefaultBaseURL = "https://marketplaceapi.microsoft.com"

// MaxBatch is the most events one batchUsageEvent request carries.
const MaxBatch = 25

// ErrTooOld is returned for an event whose hour started more than 24 hours ago: the service
// no longer accepts it.
var ErrTooOld = errors.New("marketplace: usage event older than 24 hours")

// UsageEvent is one hour of one dimension's usage for a managed application.
type UsageEvent struct {
	// ResourceURI is the managed application's resource id
	// (/subscriptions/…/resourceGroups/…/providers/Microsoft.Solutions/applications/…).
	ResourceURI string `json:"resourceUri"`
	// Quantity is the usage in the dimension's unit; positive.
	Quantity float64 `json:"quantity"`
	// Dimension is the custom meter id defined in the plan.
	Dimension string `json:"dimension"`
	// EffectiveStartTime is the start of the hour the usage belongs to (UTC).
	EffectiveStartTime time.Time `json:"effectiveStartTime"`
	// PlanID is the plan the customer bought.
	PlanID string `json:"planId"`
}

// Status is the service's verdict on one event.
type Status string

// Statuses the service returns.
const (
	StatusAccepted              Status = "Accepted"
	StatusDuplicate             Status = "Duplicate"
	StatusExpired               Status = "Expired"
	StatusError                 Status = "Error"
	StatusResourceNotFound      Status = "ResourceNotFound"
	StatusResourceNotAuthorized Status = "ResourceNotAuthorized"
	StatusResourceNotActive     Status = "ResourceNotActive"
	StatusInvalidDimension      Status = "InvalidDimension"
	StatusInvalidQuantity       Status = "InvalidQuantity"
	StatusBadArgument           Status = "BadArgument"
)

// Result is the service's answer for one event.
type Result struct {
	// UsageEventID is the service's id of the accepted (or earlier duplicate) event.
	UsageEventID string `json:"usageEventId"`
	Status       Status `json:"status"`
	// MessageTime is when the service recorded the event.
	MessageTime time.Time `json:"messageTime"`
	ResourceURI string    `json:"resourceUri"`
	// ResourceID is the service's echo of the resource (it may answer with either field).
	ResourceID         string    `json:"resourceId"`
	Quantity           float64   `json:"quantity"`
	Dimension          string    `json:"dimension"`
	EffectiveStartTime time.Time `json:"effectiveStartTime"`
	PlanID             string    `json:"planId"`
	// Error details a failed event of a batch.
	Error *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is the service's error body.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// ResponseError is a request the service refused as a whole (not a per-event status).
type ResponseError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Detail is the decoded error body, when there was one.
	Detail ErrorDetail
	// RequestID is the x-ms-requestid header, for support.
	RequestID string
}

func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("marketplace metering: HTTP %d", e.StatusCode)
	if e.Detail.Code != "" {
		msg += " " + e.Detail.Code
	}
	for _, d := range e.Detail.Details {
		msg += fmt.Sprintf("; %s: %s", d.Target, d.Message)
	}
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

// Retryable reports whether err is worth retrying later (throttling, server errors, network).
func Retryable(err error) bool {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500
	}
	return err != nil && !errors.Is(err, ErrTooOld)
}

// Options are the optional settings of [NewClient].
type Options struct {
	// BaseURL is the service; default [DefaultBaseURL]. Tests point it at a fake.
	BaseURL string
	// HTTPClient sends the requests; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock the 24-hour rule is checked against; default time.Now.
	Now func() time.Time
}

// Client posts usage events.
type Client struct {
	base *url.URL
	cred azcore.TokenCredential
	http *http.Client
	now  func() time.Time
}

// NewClient returns a Client authenticating with cred (the managed identity in a managed
// application; see [NewManagedIdentityClient]). opts may be nil.
func NewClient(cred azcore.TokenCredential, opts *Options) (*Client, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("marketplace metering base URL %q: not an absolute URL", o.BaseURL)
	}
	return &Client{base: base, cred: cred, http: o.HTTPClient, now: o.Now}, nil
}

// NewManagedIdentityClient returns a Client using the user-assigned managed identity clientID
// (AZURE_CLIENT_ID), or the system-assigned one when clientID is empty.
func NewManagedIdentityClient(clientID string, opts *Options) (*Client, error) {
	mio := &azidentity.ManagedIdentityCredentialOptions{}
	if clientID != "" {
		mio.ID = azidentity.ClientID(clientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(mio)
	if err != nil {
		return nil, fmt.Errorf("managed identity for marketplace metering: %w", err)
	}
	return NewClient(cred, opts)
}

// Events turns one hour's usage per dimension into events, one per dimension with a positive
// quantity, in dimension order. hour is truncated to the hour (UTC).
func Events(resourceURI, planID string, hour time.Time, usage map[string]float64) []UsageEvent {
	start := HourStart(hour)
	dims := make([]string, 0, len(usage))
	for d, q := range usage {
		if q > 0 {
			dims = append(dims, d)
		}
	}
	sort.Strings(dims)
	out := make([]UsageEvent, 0, len(dims))
	for _, d := range dims {
		out = append(out, UsageEvent{ResourceURI: resourceURI, Quantity: usage[d], Dimension: d, EffectiveStartTime: start, PlanID: planID})
	}
	return out
}

// HourStart is the start of t's clock hour in UTC.
func HourStart(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

func (c *Client) validate(e UsageEvent) error {
	switch {
	case e.ResourceURI == "" || !strings.HasPrefix(e.ResourceURI, "/subscriptions/"):
		return fmt.Errorf("marketplace usage event: resourceUri %q is not a resource id", e.ResourceURI)
	case e.Dimension == "":
		return errors.New("marketplace usage event: no dimension")
	case e.PlanID == "":
		return errors.New("marketplace usage event: no planId")
	case e.Quantity <= 0:
		return fmt.Errorf("marketplace usage event %s: quantity %v is not positive", e.Dimension, e.Quantity)
	case c.now().Sub(e.EffectiveStartTime) > 24*time.Hour:
		return fmt.Errorf("%w: %s at %s", ErrTooOld, e.Dimension, e.EffectiveStartTime.Format(time.RFC3339))
	}
	return nil
}

// Post sends one event. A Duplicate (HTTP 409: this resource, dimension and hour were already
// reported) is a Result with StatusDuplicate and a nil error; a refused request is a
// *ResponseError.
func (c *Client) Post(ctx context.Context, e UsageEvent) (Result, error) {
	e.EffectiveStartTime = e.EffectiveStartTime.UTC()
	if err := c.validate(e); err != nil {
		return Result{}, err
	}
	status, body, reqID, err := c.do(ctx, "api/usageEvent", e)
	if err != nil {
		return Result{}, err
	}
	switch status {
	case http.StatusOK, http.StatusCreated:
		var r Result
		if err := json.Unmarshal(body, &r); err != nil {
			return Result{}, fmt.Errorf("decode marketplace usage event answer: %w", err)
		}
		return r, nil
	case http.StatusConflict:
		var conflict struct {
			AdditionalInfo struct {
				AcceptedMessage Result `json:"acceptedMessage"`
			} `json:"additionalInfo"`
		}
		if err := json.Unmarshal(body, &conflict); err != nil {
			return Result{}, fmt.Errorf("decode marketplace duplicate answer: %w", err)
		}
		r := conflict.AdditionalInfo.AcceptedMessage
		r.Status = StatusDuplicate
		return r, nil
	}
	return Result{}, responseError(status, body, reqID)
}

// PostBatch sends up to [MaxBatch] events in one request and returns one Result per event,
// in the service's order (match them by dimension and start time).
func (c *Client) PostBatch(ctx context.Context, events []UsageEvent) ([]Result, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if len(events) > MaxBatch {
		return nil, fmt.Errorf("marketplace batch of %d events: at most %d", len(events), MaxBatch)
	}
	req := struct {
		Request []UsageEvent `json:"request"`
	}{Request: make([]UsageEvent, len(events))}
	for i, e := range events {
		e.EffectiveStartTime = e.EffectiveStartTime.UTC()
		if err := c.validate(e); err != nil {
			return nil, err
		}
		req.Request[i] = e
	}
	status, body, reqID, err := c.do(ctx, "api/batchUsageEvent", req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, responseError(status, body, reqID)
	}
	var resp struct {
		Count  int      `json:"count"`
		Result []Result `json:"result"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decode marketplace batch answer: %w", err)
	}
	return resp.Result, nil
}

func (c *Client) do(ctx context.Context, path string, payload any) (status int, body []byte, requestID string, err error) {
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		return 0, nil, "", fmt.Errorf("token for marketplace metering: %w", err)
	}
	buf, err := json.Marshal(payload)
	if err != nil {
		return 0, nil, "", fmt.Errorf("encode marketplace usage: %w", err)
	}
	u := c.base.JoinPath(path)
	u.RawQuery = url.Values{"api-version": {APIVersion}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(buf))
	if err != nil {
		return 0, nil, "", fmt.Errorf("marketplace metering request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("post marketplace usage: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, "", fmt.Errorf("read marketplace answer: %w", err)
	}
	return resp.StatusCode, body, resp.Header.Get("x-ms-requestid"), nil
}

func responseError(status int, body []byte, requestID string) error {
	e := &ResponseError{StatusCode: status, RequestID: requestID}
	_ = json.Unmarshal(body, &e.Detail) // a body that is not the error shape still leaves the status
	return e
}
