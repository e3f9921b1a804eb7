// Package openaitest is a fake OpenAI-compatible chat completions server for tests: it
// answers POST …/chat/completions (the OpenAI path and Azure's
// /openai/deployments/{deployment}/chat/completions?api-version=…) from a script of
// replies, checks that each request asks for a JSON schema response format, and records
// what it received. It drives the real openai-go client, so tests exercise the real
// request and error paths.
//
//	srv := openaitest.NewServer(t)
//	srv.Enqueue(openaitest.RateLimited("2"), openaitest.Completion(`{"title":…}`))
//	cfg := generate.LLMConfig{BaseURL: srv.URL + "/v1", Model: "gpt-test", APIKey: "k"}
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status (default 200).
	Status int
	// Header is added to the response.
	Header map[string]string
	// Body is the raw response body; when empty and Status is 200, a chat completion
	// whose message content is Content and whose finish_reason is FinishReason ("stop"
	// by default).
	Body         string
	Content      string
	FinishReason string
	// Delay holds the response back, to make the client time out.
	Delay time.Duration
	// Func, when set, computes the reply from the request instead.
	Func func(Request) Reply
}

// Request is what the server received.
type Request struct {
	Path, APIVersion   string
	APIKey, Authorized string // the api-key header; the Authorization header
	Model              string
	Messages           []Message
	// SchemaName is response_format.json_schema.name; Schema its schema; Strict its flag.
	SchemaName string
	Schema     json.RawMessage
	Strict     bool
}

// Message is one chat message.
type Message struct {
	Role, Content string
}

// Server is the fake. Replies are used in order; when the script runs out, Default
// answers (a 500 unless set).
type Server struct {
	*httptest.Server
	// Default answers when the script is empty.
	Default Reply

	mu       sync.Mutex
	script   []Reply
	requests []Request
}

// NewServer starts a server closed when the test ends.
func NewServer(tb testing.TB) *Server {
	s := &Server{Default: ServerError()}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// Enqueue appends replies to the script.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// Requests returns what the server received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		writeError(w, http.StatusNotFound, "not_found", "only POST …/chat/completions is faked")
		return
	}
	var body struct {
		Model          string    `json:"model"`
		Messages       []Message `json:"messages"`
		ResponseFormat struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Name   string          `json:"name"`
				Schema json.RawMessage `json:"schema"`
				Strict bool            `json:"strict"`
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body is not JSON")
		return
	}
	if body.ResponseFormat.Type != "json_schema" || body.ResponseFormat.JSONSchema.Name == "" || len(body.ResponseFormat.JSONSchema.Schema) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "response_format must be a json_schema")
		return
	}
	req := Request{
		Path: r.URL.Path, APIVersion: r.URL.Query().Get("api-version"),
		APIKey: r.Header.Get("api-key"), Authorized: r.Header.Get("Authorization"),
		Model: body.Model, Messages: body.Messages,
		SchemaName: body.ResponseFormat.JSONSchema.Name, Schema: body.ResponseFormat.JSONSchema.Schema,
		Strict: body.ResponseFormat.JSONSchema.Strict,
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	reply := s.Default
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if reply.Func != nil {
		reply = reply.Func(req)
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	b := reply.Body
	if b == "" && status == http.StatusOK {
		fr := reply.FinishReason
		if fr == "" {
			fr = "stop"
		}
		content, _ := json.Marshal(reply.Content)
		b = fmt.Sprintf(`{"id":"chatcmpl-test","object":"chat.completion","created":1772532000,"model":%q,`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":%q}],`+
			`"usage":{"prompt_tokens":10,"completion_tokens":10,"total_tokens":20}}`, body.Model, content, fr)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error","param":null,"code":%q}}`, msg, code)
}

// Completion answers with a chat completion whose content is content.
func Completion(content string) Reply { return Reply{Content: content} }

// JSON answers with a chat completion whose content is v marshalled.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a test's own value
	}
	return Reply{Content: string(b)}
}

// RateLimited is a 429 with Retry-After set to retryAfter ("" for none).
func RateLimited(retryAfter string) Reply {
	r := Reply{Status: http.StatusTooManyRequests,
		Body: `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded the token rate limit. Please retry after 2 seconds."}}`}
	if retryAfter != "" {
		r.Header = map[string]string{"Retry-After": retryAfter}
	}
	return r
}

// QuotaExhausted is OpenAI's 429 for a spent quota, which retrying does not fix.
func QuotaExhausted() Reply {
	return Reply{Status: http.StatusTooManyRequests,
		Body: `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`}
}

// ServerError is a 500.
func ServerError() Reply {
	return Reply{Status: http.StatusInternalServerError,
		Body: `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`}
}

// Timeout answers only after d (longer than the client's request timeout).
func Timeout(d time.Duration) Reply { return Reply{Delay: d, Content: "{}"} }

// ContentFilter is Azure OpenAI's refusal of a prompt by its content filter: a 400 whose
// error code is "content_filter" with the filter results in innererror.
func ContentFilter() Reply {
	return Reply{Status: http.StatusBadRequest, Body: `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}`}
}

// FilteredCompletion is a 200 whose choice was cut by the content filter on the output.
func FilteredCompletion() Reply { return Reply{Content: "", FinishReason: "content_filter"} }

// Malformed is a 200 whose content is not the JSON the schema asks for.
func Malformed() Reply {
	return Reply{Content: `{"title": "Weekly sync", "summary": "The team met` /* cut off */}
}
