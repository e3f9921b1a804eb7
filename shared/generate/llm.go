package generate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// LLM drafts minutes with a language model through openai-go: Azure OpenAI or any
// OpenAI-compatible server, with structured output (a strict JSON schema). Transcripts
// longer than the context budget are split at speaker turns, each part is summarised, and
// the parts are merged. Every quote the model gives is looked up in the transcript:
// decisions without a real quote are dropped, action items keep Verified false and lose the
// quote. When the provider's content filter refuses, or retries or the retry budget run
// out, or the model's output does not parse twice, Generate returns the [Offline] draft
// with Generator GeneratorFallback and FallbackReason saying why.
type LLM struct {
	cfg      LLMConfig
	client   openai.Client
	model    string
	offline  *Offline
	log      *slog.Logger
	sleep    func(context.Context, time.Duration) error
	attempts int // requests made, for tests and logs
}

var _ Generator = (*LLM)(nil)

// LLMOptions are the optional dependencies of [NewLLM]; nil means all defaults.
type LLMOptions struct {
	// HTTPClient sends the requests (default http.DefaultClient via openai-go).
	HTTPClient *http.Client
	// Credential authenticates to Azure OpenAI when APIKey is empty (default
	// azidentity.NewDefaultAzureCredential).
	Credential azcore.TokenCredential
	// Logger receives one line per failed attempt and per fallback (default discard).
	Logger *slog.Logger
	// Sleep waits between attempts (default a timer honouring ctx); tests record it.
	Sleep func(context.Context, time.Duration) error
}

// NewLLM builds the generator. cfg must be Configured and valid.
func NewLLM(cfg LLMConfig, opts *LLMOptions) (*LLM, error) {
	if opts == nil {
		opts = &LLMOptions{}
	}
	if !cfg.Configured() {
		return nil, errors.New("generate: LLM is not configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("generate: LLM configuration: %w", err)
	}
	cfg = cfg.WithDefaults()
	g := &LLM{cfg: cfg, offline: &Offline{}, log: opts.Logger, sleep: opts.Sleep}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.sleep == nil {
		g.sleep = sleepCtx
	}
	reqOpts := []option.RequestOption{option.WithMaxRetries(0)} // retries are ours: see complete
	if opts.HTTPClient != nil {
		reqOpts = append(reqOpts, option.WithHTTPClient(opts.HTTPClient))
	}
	if cfg.Azure() {
		reqOpts = append(reqOpts, azure.WithEndpoint(cfg.Endpoint, cfg.APIVersion))
		if u, err := url.Parse(cfg.Endpoint); err == nil && u.Scheme == "http" {
			reqOpts = append(reqOpts, azure.WithUnsafeAllowHTTP()) // loopback only, for local servers and tests
		}
		if cfg.APIKey != "" {
			reqOpts = append(reqOpts, azure.WithAPIKey(string(cfg.APIKey)))
		} else {
			cred := opts.Credential
			if cred == nil {
				c, err := azidentity.NewDefaultAzureCredential(nil)
				if err != nil {
					return nil, fmt.Errorf("generate: Entra credential for Azure OpenAI: %w", err)
				}
				cred = c
			}
			reqOpts = append(reqOpts, azure.WithTokenCredential(cred))
		}
		g.model = cfg.Deployment
	} else {
		key := string(cfg.APIKey)
		if key == "" {
			key = "unused" // local servers (Ollama, vLLM) take any key
		}
		reqOpts = append(reqOpts, option.WithBaseURL(cfg.BaseURL), option.WithAPIKey(key))
		g.model = cfg.Model
	}
	g.client = openai.NewClient(reqOpts...)
	return g, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Errors that make Generate fall back to the offline draft; FallbackReason says which.
var (
	errContentFilter = errors.New("content filter")
	errUnavailable   = errors.New("model unavailable")
	errBudget        = errors.New("budget exhausted")
	errMalformed     = errors.New("malformed model output")
)

// Generate implements [Generator].
func (g *LLM) Generate(ctx context.Context, in Input) (Minutes, error) {
	if in.Transcript == nil {
		return Minutes{}, ErrNoTranscript
	}
	started := time.Now()
	run := &llmRun{g: g, in: in, budget: g.cfg.RetryBudget}
	m, err := run.generate(ctx)
	if err == nil {
		g.log.InfoContext(ctx, "minutes generated", "generator", GeneratorLLM, "requests", run.requests,
			"chunks", run.chunks, "decisions", len(m.Decisions), "action_items", len(m.ActionItems),
			"unverified", run.unverified, "dropped", run.dropped, "duration_ms", time.Since(started).Milliseconds())
		return m, nil
	}
	if ctx.Err() != nil {
		return Minutes{}, ctx.Err()
	}
	reason := ""
	switch {
	case errors.Is(err, errContentFilter):
		reason = ReasonContentFilter
	case errors.Is(err, errBudget):
		reason = ReasonBudget
	case errors.Is(err, errMalformed):
		reason = ReasonMalformed
	case errors.Is(err, errUnavailable):
		reason = ReasonUnavailable
	default:
		return Minutes{}, err
	}
	g.log.WarnContext(ctx, "minutes: falling back to the offline draft", "reason", reason, "requests", run.requests,
		"error", err.Error())
	m, oerr := g.offline.Generate(ctx, in)
	if oerr != nil {
		return Minutes{}, oerr
	}
	m.Generator, m.FallbackReason = GeneratorFallback, reason
	return m, nil
}

// llmRun is the state of one Generate.
type llmRun struct {
	g                   *LLM
	in                  Input
	budget              time.Duration // left to wait between attempts
	requests, chunks    int
	unverified, dropped int
}

func (r *llmRun) generate(ctx context.Context) (Minutes, error) {
	t := r.in.Transcript
	turns := t.Turns()
	lines := make([]string, len(turns))
	for i, turn := range turns {
		sp := turn.Speaker
		if sp == "" {
			sp = "Unknown"
		}
		lines[i] = "[" + minutes.FormatTimestamp(turn.Start) + "] " + sp + ": " + turn.Text
	}
	system := systemPrompt(r.in)
	// Room for the transcript: the context less the prompt, the answer and a margin.
	room := r.g.cfg.ContextTokens - estimateTokens(system) - 800 - maxOutputTokens
	chunks := chunkLines(lines, max(room, 500))
	r.chunks = len(chunks)

	var parts []modelMinutes
	for i, c := range chunks {
		user := meetingHeader(r.in)
		if len(chunks) > 1 {
			user += fmt.Sprintf("This is part %d of %d of the transcript; write minutes for this part only.\n", i+1, len(chunks))
		}
		user += "\nTranscript:\n" + c
		var out modelMinutes
		if err := r.complete(ctx, system, user, "minutes", minutesSchema(), &out); err != nil {
			return Minutes{}, err
		}
		parts = append(parts, out)
	}
	merged := parts[0]
	if len(parts) > 1 {
		var b strings.Builder
		b.WriteString(meetingHeader(r.in))
		b.WriteString("\nSummaries of consecutive parts of the meeting:\n")
		for i, p := range parts {
			fmt.Fprintf(&b, "\nPart %d (%s): %s\n", i+1, p.Title, p.Summary)
		}
		var m mergedSummary
		if err := r.complete(ctx, mergePrompt(r.in), b.String(), "merged_summary", mergeSchema(), &m); err != nil {
			return Minutes{}, err
		}
		merged = modelMinutes{Title: m.Title, Summary: m.Summary}
		for _, p := range parts {
			merged.Decisions = append(merged.Decisions, p.Decisions...)
			merged.ActionItems = append(merged.ActionItems, p.ActionItems...)
		}
	}
	return r.finish(merged), nil
}

// finish turns the model's minutes into verified Minutes.
func (r *llmRun) finish(mm modelMinutes) Minutes {
	in, t := r.in, r.in.Transcript
	people := newRoster(in.Attendees, t.Speakers)
	m := Minutes{
		Title:       firstNonEmpty(strings.TrimSpace(in.Subject), clip(mm.Title, 1000), title(in)),
		Summary:     clip(mm.Summary, 50000),
		Decisions:   []Decision{},
		ActionItems: []ActionItem{},
		Attendees:   attendees(in, people),
		Generator:   GeneratorLLM,
		Language:    firstNonEmpty(in.Template.Language, t.Language),
	}
	seen := map[string]bool{}
	for _, d := range mm.Decisions {
		text := clip(d.Text, 2000)
		key := strings.Join(words(text), " ")
		if text == "" || seen["d:"+key] {
			continue
		}
		span, ok := t.Quote(d.Quote)
		if !ok {
			r.dropped++ // a decision is only worth showing with its evidence
			continue
		}
		seen["d:"+key] = true
		m.Decisions = append(m.Decisions, Decision{Text: text, Quote: strings.TrimSpace(d.Quote), At: minutes.FormatTimestamp(span.Start)})
	}
	for _, a := range mm.ActionItems {
		task := clip(a.Task, 2000)
		key := strings.Join(words(task+" "+a.Owner), " ")
		if task == "" || seen["a:"+key] {
			continue
		}
		seen["a:"+key] = true
		it := ActionItem{Task: task}
		if span, ok := t.Quote(a.Quote); ok {
			it.Quote, it.At, it.Verified = strings.TrimSpace(a.Quote), minutes.FormatTimestamp(span.Start), true
		} else {
			r.unverified++
		}
		owner := strings.TrimSpace(a.Owner)
		if p, ok := people.lookup(owner); ok {
			it.Owner, it.OwnerEmail = p.Name, p.Email
		} else {
			it.Owner = clip(owner, 200)
		}
		it.Due = resolveModelDue(a.Due, it.Quote, in.Start)
		m.ActionItems = append(m.ActionItems, it)
	}
	if !in.Template.has("summary") {
		m.Summary = ""
	}
	if !in.Template.has("decisions") {
		m.Decisions = []Decision{}
	}
	if !in.Template.has("action_items") {
		m.ActionItems = []ActionItem{}
	}
	if !in.Template.has("attendees") {
		m.Attendees = []Attendee{}
	}
	return m
}

// resolveModelDue reads the model's due field: a date as is, a phrase resolved against the
// meeting date, and failing both, a phrase in the verified quote.
func resolveModelDue(due, quote string, start time.Time) string {
	due = strings.TrimSpace(due)
	if _, err := time.Parse(time.DateOnly, due); err == nil {
		return due
	}
	if d, ok := ResolveDue(due, start); ok {
		return d.Date
	}
	if quote != "" {
		if d, ok := ResolveDue(quote, start); ok {
			return d.Date
		}
	}
	return ""
}

// clip trims s and cuts it to at most n runes.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n]))
}

// maxOutputTokens caps each answer.
const maxOutputTokens = 4096

// estimateTokens is a cheap upper-ish estimate: about four bytes a token for English.
func estimateTokens(s string) int { return len(s)/4 + 1 }

// chunkLines groups lines (speaker turns) into chunks of at most room tokens each; a turn
// longer than that is cut at spaces.
func chunkLines(lines []string, room int) []string {
	var chunks []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			chunks = append(chunks, b.String())
			b.Reset()
		}
	}
	for _, l := range lines {
		for estimateTokens(l) > room {
			cut := strings.LastIndexByte(l[:room*4], ' ')
			if cut <= 0 {
				cut = room * 4
			}
			flush()
			chunks = append(chunks, l[:cut]+"\n")
			l = l[cut:]
		}
		if b.Len() > 0 && estimateTokens(b.String())+estimateTokens(l) > room {
			flush()
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	flush()
	if len(chunks) == 0 {
		chunks = []string{""}
	}
	return chunks
}

// complete makes one chat completion with a JSON schema response format and decodes the
// answer into out, retrying what is worth retrying.
func (r *llmRun) complete(ctx context.Context, system, user, name string, schema map[string]any, out interface{ parse([]byte) error }) error {
	g := r.g
	params := openai.ChatCompletionNewParams{
		Model: g.model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(system),
			openai.UserMessage(user),
		},
		Temperature:         openai.Float(0),
		MaxCompletionTokens: openai.Int(maxOutputTokens),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
				Name: name, Strict: openai.Bool(true), Schema: schema,
			}},
		},
	}
	malformed := 0
	var last error
	for attempt := 1; attempt <= g.cfg.MaxAttempts; attempt++ {
		r.requests++
		g.attempts++
		resp, err := g.client.Chat.Completions.New(ctx, params, option.WithRequestTimeout(g.cfg.RequestTimeout))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		switch {
		case err == nil && len(resp.Choices) == 0:
			last, wait = fmt.Errorf("%w: no choices", errMalformed), 0
			malformed++
		case err == nil && resp.Choices[0].FinishReason == "content_filter":
			return fmt.Errorf("%w: finish_reason content_filter", errContentFilter)
		case err == nil:
			perr := out.parse([]byte(resp.Choices[0].Message.Content))
			if perr == nil {
				return nil
			}
			malformed++
			last = fmt.Errorf("%w: %v", errMalformed, perr)
		default:
			retry, d, cls := classify(err, attempt)
			g.log.WarnContext(ctx, "minutes: model request failed", "attempt", attempt, "status", statusOf(err), "retry", retry)
			if !retry {
				return cls
			}
			last, wait = cls, d
		}
		if malformed >= 2 {
			return last
		}
		if attempt == g.cfg.MaxAttempts {
			break
		}
		if wait > r.budget {
			return fmt.Errorf("%w: next retry in %s, %s of the retry budget left", errBudget, wait, r.budget)
		}
		r.budget -= wait
		if wait > 0 {
			if err := g.sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	if errors.Is(last, errMalformed) {
		return last
	}
	return fmt.Errorf("%w after %d attempts: %v", errUnavailable, g.cfg.MaxAttempts, last)
}

func statusOf(err error) int {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// classify decides whether a failed request is retried and after how long: 408, 409, 429
// and 5xx are, after Retry-After (seconds or an HTTP date, or retry-after-ms) when the
// server gives one, else after 1s, 2s, 4s… (at most 30s); timeouts and network errors are
// too. A content-filter refusal (Azure's 400 with code "content_filter") and an exhausted
// quota ("insufficient_quota") are final.
func classify(err error, attempt int) (retry bool, wait time.Duration, cls error) {
	backoff := min(time.Second<<(attempt-1), 30*time.Second)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		// Timeouts, refused connections, resets: worth another try.
		return true, backoff, fmt.Errorf("%w: %v", errUnavailable, err)
	}
	code := apiErr.Code
	raw := apiErr.RawJSON()
	if code == "content_filter" || strings.Contains(raw, "ResponsibleAIPolicyViolation") {
		return false, 0, fmt.Errorf("%w: status %d", errContentFilter, apiErr.StatusCode)
	}
	if code == "insufficient_quota" {
		return false, 0, fmt.Errorf("%w: insufficient quota", errBudget)
	}
	s := apiErr.StatusCode
	if s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500 {
		if d, ok := retryAfter(apiErr.Response); ok {
			backoff = d
		}
		return true, backoff, fmt.Errorf("%w: status %d", errUnavailable, s)
	}
	return false, 0, fmt.Errorf("model request: status %d", s)
}

// retryAfter reads retry-after-ms, then Retry-After (seconds or an HTTP date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if v := resp.Header.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e6 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
