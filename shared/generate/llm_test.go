package generate_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/generate/openaitest"
)

// sleeps records the waits between attempts instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type llmBundle struct {
	srv    *openaitest.Server
	sleeps *sleeps
	m      meeting
}

func setupLLM(t *testing.T, cfg generate.LLMConfig) (*generate.LLM, llmBundle) {
	t.Helper()
	srv := openaitest.NewServer(t)
	if cfg.Endpoint == "" {
		cfg.BaseURL, cfg.Model = srv.URL+"/v1", "gpt-test"
	} else {
		cfg.Endpoint = srv.URL
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 2 * time.Second
	}
	s := &sleeps{}
	g, err := generate.NewLLM(cfg, &generate.LLMOptions{Sleep: s.sleep})
	require.NoError(t, err)
	return g, llmBundle{srv: srv, sleeps: s, m: loadMeeting(t, "billing-migration")}
}

// answer is a model answer for the billing meeting: two real quotes and two invented ones.
func answer() map[string]any {
	return map[string]any{
		"title":   "Billing migration",
		"summary": "The team chose a phased migration.",
		"decisions": []map[string]any{
			{"text": "Go with option B, phased, EU first.", "quote": "Let's go with option B, the phased rollout, EU tenants first"},
			{"text": "Cancel the migration.", "quote": "We will cancel the whole migration and stay on legacy forever."},
		},
		"action_items": []map[string]any{
			{"task": "Send the revised deck to leadership", "owner": "Dan", "due": "by Friday", "quote": "I'll send the revised deck to the leadership team by Friday"},
			{"task": "Buy everyone lunch", "owner": "Tom Becker", "due": "2026-03-10", "quote": "I'll buy everyone lunch next Tuesday."},
		},
	}
}

func TestLLMVerifiesQuotes(t *testing.T) {
	t.Parallel()
	g, b := setupLLM(t, generate.LLMConfig{APIKey: "sk-test"})
	b.srv.Enqueue(openaitest.JSON(answer()))
	m, err := g.Generate(context.Background(), b.m.Input)
	require.NoError(t, err)
	require.Equal(t, generate.GeneratorLLM, m.Generator)
	require.Equal(t, "Billing migration: go/no-go", m.Title, "the subject wins over the model's title")

	// The invented decision is dropped; the real one keeps its quote and gets its time.
	require.Len(t, m.Decisions, 1)
	requireQuote(t, b.m.Transcript, m.Decisions[0].Quote, m.Decisions[0].At)

	require.Len(t, m.ActionItems, 2)
	deck := m.ActionItems[0]
	require.True(t, deck.Verified)
	requireQuote(t, b.m.Transcript, deck.Quote, deck.At)
	require.Equal(t, "Dan Okafor", deck.Owner, "first name resolved to the attendee")
	require.Equal(t, "dan.okafor@contoso.com", deck.OwnerEmail)
	require.Equal(t, "2026-03-06", deck.Due, "'by Friday' resolved against Tuesday 3 March")

	// The hallucinated quote is not shown: the item stays, marked unverified, without it.
	lunch := m.ActionItems[1]
	require.False(t, lunch.Verified)
	require.Empty(t, lunch.Quote)
	require.Empty(t, lunch.At)
	require.Equal(t, "2026-03-10", lunch.Due)

	reqs := b.srv.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/v1/chat/completions", reqs[0].Path)
	require.Equal(t, "gpt-test", reqs[0].Model)
	require.Equal(t, "Bearer sk-test", reqs[0].Authorized)
	require.Equal(t, "minutes", reqs[0].SchemaName)
	require.True(t, reqs[0].Strict)
	require.Contains(t, reqs[0].Messages[1].Content, "Attendees: Dan Okafor, Priya Raman")
	require.Contains(t, reqs[0].Messages[1].Content, "Let's go with option B")
}

func TestLLMAzure(t *testing.T) {
	t.Parallel()
	g, b := setupLLM(t, generate.LLMConfig{Endpoint: "set by setup", Deployment: "minutes-gpt", APIKey: "azure-key"})
	b.srv.Enqueue(openaitest.JSON(answer()))
	in := b.m.Input
	in.Template = generate.Template{Sections: []string{"summary", "action_items"}, Tone: "formal", Language: "de-DE"}
	m, err := g.Generate(context.Background(), in)
	require.NoError(t, err)
	require.Empty(t, m.Decisions)
	require.Equal(t, "de-DE", m.Language)
	reqs := b.srv.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/openai/deployments/minutes-gpt/chat/completions", reqs[0].Path)
	require.Equal(t, generate.DefaultAPIVersion, reqs[0].APIVersion)
	require.Equal(t, "azure-key", reqs[0].APIKey)
	require.Contains(t, reqs[0].Messages[0].Content, "Tone: formal")
	require.Contains(t, reqs[0].Messages[0].Content, "de-DE")
	require.Contains(t, reqs[0].Messages[0].Content, "summary, action_items")
}

func TestLLMChunksAndMerges(t *testing.T) {
	t.Parallel()
	g, b := setupLLM(t, generate.LLMConfig{APIKey: "k", ContextTokens: 6500})
	// Each part answers with the first line of its own transcript as the evidence.
	part := openaitest.Reply{Func: func(r openaitest.Request) openaitest.Reply {
		if r.SchemaName == "merged_summary" {
			return openaitest.JSON(map[string]string{"title": "Whole meeting", "summary": "Merged summary."})
		}
		user := r.Messages[1].Content
		line := user[strings.Index(user, "Transcript:\n")+len("Transcript:\n"):]
		line = line[:strings.IndexByte(line, '\n')]
		words := line[strings.Index(line, ": ")+2:]
		return openaitest.JSON(map[string]any{
			"title": "Part", "summary": "Part summary.",
			"decisions":    []map[string]string{{"text": "Part decision " + line[:10], "quote": words}},
			"action_items": []map[string]string{},
		})
	}}
	for range 20 {
		b.srv.Enqueue(part)
	}
	m, err := g.Generate(context.Background(), b.m.Input)
	require.NoError(t, err)
	reqs := b.srv.Requests()
	require.Greater(t, len(reqs), 2, "the transcript is split")
	require.Equal(t, "merged_summary", reqs[len(reqs)-1].SchemaName, "the last call merges")
	require.Equal(t, "Merged summary.", m.Summary)
	require.Len(t, m.Decisions, len(reqs)-1, "one verified decision per part")
	for i, r := range reqs[:len(reqs)-1] {
		require.Contains(t, r.Messages[1].Content, "This is part ")
		requireQuote(t, b.m.Transcript, m.Decisions[i].Quote, m.Decisions[i].At)
	}
}

func TestLLMRetries(t *testing.T) {
	t.Parallel()
	t.Run("429 honours Retry-After, 500 backs off", func(t *testing.T) {
		t.Parallel()
		g, b := setupLLM(t, generate.LLMConfig{APIKey: "k"})
		b.srv.Enqueue(openaitest.RateLimited("7"), openaitest.ServerError(), openaitest.JSON(answer()))
		m, err := g.Generate(context.Background(), b.m.Input)
		require.NoError(t, err)
		require.Equal(t, generate.GeneratorLLM, m.Generator)
		require.Equal(t, []time.Duration{7 * time.Second, 2 * time.Second}, b.sleeps.all())
		require.Len(t, b.srv.Requests(), 3)
	})
	t.Run("timeout is retried", func(t *testing.T) {
		t.Parallel()
		g, b := setupLLM(t, generate.LLMConfig{APIKey: "k", RequestTimeout: 200 * time.Millisecond})
		b.srv.Enqueue(openaitest.Timeout(2*time.Second), openaitest.JSON(answer()))
		m, err := g.Generate(context.Background(), b.m.Input)
		require.NoError(t, err)
		require.Equal(t, generate.GeneratorLLM, m.Generator)
		require.Equal(t, []time.Duration{time.Second}, b.sleeps.all())
	})
	t.Run("malformed JSON is asked again", func(t *testing.T) {
		t.Parallel()
		g, b := setupLLM(t, generate.LLMConfig{APIKey: "k"})
		b.srv.Enqueue(openaitest.Malformed(), openaitest.JSON(answer()))
		m, err := g.Generate(context.Background(), b.m.Input)
		require.NoError(t, err)
		require.Equal(t, generate.GeneratorLLM, m.Generator)
	})
}

func TestLLMFallback(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		replies []openaitest.Reply
		cfg     generate.LLMConfig
		reason  string
	}{
		{"content filter (Azure 400)", []openaitest.Reply{openaitest.ContentFilter()}, generate.LLMConfig{}, generate.ReasonContentFilter},
		{"content filter on the output", []openaitest.Reply{openaitest.FilteredCompletion()}, generate.LLMConfig{}, generate.ReasonContentFilter},
		{"retries exhausted", nil, generate.LLMConfig{MaxAttempts: 3}, generate.ReasonUnavailable},
		{"Retry-After beyond the budget", []openaitest.Reply{openaitest.RateLimited("600")}, generate.LLMConfig{RetryBudget: time.Minute}, generate.ReasonBudget},
		{"quota exhausted", []openaitest.Reply{openaitest.QuotaExhausted()}, generate.LLMConfig{}, generate.ReasonBudget},
		{"malformed twice", []openaitest.Reply{openaitest.Malformed(), openaitest.Malformed()}, generate.LLMConfig{}, generate.ReasonMalformed},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.APIKey = "k"
			g, b := setupLLM(t, tt.cfg)
			b.srv.Enqueue(tt.replies...)
			m, err := g.Generate(context.Background(), b.m.Input)
			require.NoError(t, err)
			require.Equal(t, generate.GeneratorFallback, m.Generator)
			require.Equal(t, tt.reason, m.FallbackReason)
			offline, err := (&generate.Offline{}).Generate(context.Background(), b.m.Input)
			require.NoError(t, err)
			require.Equal(t, offline.ActionItems, m.ActionItems, "the offline draft")
			raw, err := json.Marshal(m)
			require.NoError(t, err)
			require.Contains(t, string(raw), `"fallback_reason":"`+tt.reason+`"`)
		})
	}
	t.Run("cancelled context is an error, not a fallback", func(t *testing.T) {
		t.Parallel()
		g, b := setupLLM(t, generate.LLMConfig{APIKey: "k"})
		b.srv.Enqueue(openaitest.Timeout(5 * time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := g.Generate(ctx, b.m.Input)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestLoadLLMConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := generate.LoadLLMConfig(env())
	require.NoError(t, err)
	require.False(t, c.Configured())

	c, err = generate.LoadLLMConfig(env("OPENAI_ENDPOINT", "https://x.openai.azure.com", "OPENAI_DEPLOYMENT", "gpt", "OPENAI_API_KEY", "secret"))
	require.NoError(t, err)
	require.True(t, c.Azure())
	require.Equal(t, generate.DefaultAPIVersion, c.APIVersion)
	require.NotContains(t, c.APIKey.String(), "secret")

	for _, bad := range [][]string{
		{"OPENAI_ENDPOINT", "https://x.openai.azure.com"},
		{"OPENAI_BASE_URL", "http://localhost:11434/v1"},
		{"OPENAI_BASE_URL", "ftp://x", "OPENAI_MODEL", "m"},
		{"OPENAI_BASE_URL", "http://x/v1", "OPENAI_MODEL", "m", "OPENAI_TIMEOUT", "soon"},
		{"OPENAI_BASE_URL", "http://x/v1", "OPENAI_MODEL", "m", "OPENAI_CONTEXT_TOKENS", "100"},
	} {
		_, err := generate.LoadLLMConfig(env(bad...))
		require.Error(t, err, "%v", bad)
	}
}
