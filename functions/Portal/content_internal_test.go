package portal

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

const sample = `{"title":"T","summary":"S","language":"de","confidence":0.8,
 "decisions":[{"text":"Ship it","quote":"we ship","at":"00:01:02","why":"x"},"Bare decision"],
 "action_items":[{"task":"Send the deck","owner":"Amy","owner_user_id":"u-1","owner_email":"amy@x.example","quote":"I'll send","at":754.5},
                 {"task":"Book the room","owner":"Bo","due":"2026-03-01T00:00:00Z"}]}`

func TestContentReadsEveryAllowedShape(t *testing.T) {
	t.Parallel()
	c, ok := parseContent(json.RawMessage(sample))
	require.True(t, ok)
	require.Equal(t, "00:12:34.500", string(c.ActionItems[0].At), "seconds become a clock")
	require.Equal(t, "Bare decision", c.Decisions[1].Text)
	d := newDoc(store.Minutes{Content: json.RawMessage(sample)}, nil, nil)
	require.Equal(t, "2026-03-01", d.Items[1].Due)
	require.Empty(t, d.Items[0].Unverified)
	require.NotEmpty(t, d.Items[1].Unverified, "no quote: unverified")

	_, ok = parseContent(json.RawMessage(`{"title": 5}`))
	require.False(t, ok)
}

func TestEditKeepsEvidenceAndUnknownMembers(t *testing.T) {
	t.Parallel()
	src := newSource(json.RawMessage(sample), nil)
	f := formFromContent(src)
	require.Len(t, f.Decisions, 2+blankRows)
	require.Len(t, f.Items, 2+blankRows)

	v := url.Values{"title": {"New"}, "summary": {"Sum"},
		"decision-0-text": {"Ship it Friday"}, "decision-0-src": {"0"},
		"decision-1-text": {"Bare decision"}, "decision-1-src": {"1"}, "decision-1-remove": {"1"},
		"decision-2-text": {"New decision"}, "decision-2-src": {"-1"},
		"item-0-task": {"Send the deck"}, "item-0-owner": {"Amy"}, "item-0-due": {""}, "item-0-src": {"0"},
		"item-1-task": {"Book the room"}, "item-1-owner": {"Cy"}, "item-1-due": {"2026-04-01"}, "item-1-src": {"1"},
		"item-2-task": {""}, "item-2-owner": {""}, "item-2-due": {""}, "item-2-src": {"-1"},
	}
	f, ok := parseEditForm(v, src)
	require.True(t, ok, "%+v", f)
	raw, err := f.content(src)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, "New", got["title"])
	require.Equal(t, "de", got["language"])
	require.Equal(t, 0.8, got["confidence"], "members the form does not know are kept")
	ds := got["decisions"].([]any)
	require.Len(t, ds, 2)
	require.Equal(t, map[string]any{"text": "Ship it Friday", "quote": "we ship", "at": "00:01:02", "why": "x"}, ds[0])
	require.Equal(t, map[string]any{"text": "New decision"}, ds[1])
	items := got["action_items"].([]any)
	require.Equal(t, map[string]any{"task": "Send the deck", "owner": "Amy", "owner_user_id": "u-1", "owner_email": "amy@x.example",
		"quote": "I'll send", "at": 754.5}, items[0], "an unchanged owner keeps their id; the evidence stays as stored")
	require.Equal(t, map[string]any{"task": "Book the room", "owner": "Cy", "due": "2026-04-01"}, items[1])
}

func TestEditIgnoresTamperedSources(t *testing.T) {
	t.Parallel()
	src := newSource(json.RawMessage(sample), nil)
	v := url.Values{"title": {"T"}, "summary": {""},
		"item-0-task": {"Send the deck"}, "item-0-owner": {"Amy"}, "item-0-src": {"0"},
		"item-1-task": {"Copy the quote"}, "item-1-owner": {"Amy"}, "item-1-src": {"0"}, // the same source twice
		"item-2-task": {"Out of range"}, "item-2-src": {"99"},
	}
	f, ok := parseEditForm(v, src)
	require.True(t, ok)
	raw, err := f.content(src)
	require.NoError(t, err)
	var got struct {
		ActionItems []map[string]any `json:"action_items"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Len(t, got.ActionItems, 3)
	require.Equal(t, "I'll send", got.ActionItems[0]["quote"])
	require.NotContains(t, got.ActionItems[1], "quote", "a repeated source copies no evidence")
	require.NotContains(t, got.ActionItems[2], "quote")
}

func TestEditFormValidation(t *testing.T) {
	t.Parallel()
	src := newSource(json.RawMessage(sample), nil)
	cases := []struct {
		name string
		set  url.Values
		want string
	}{
		{"no title", url.Values{"title": {" "}}, "Give the minutes a title."},
		{"bad due", url.Values{"item-0-task": {"x"}, "item-0-due": {"31/12/2026"}}, "The due date must be a date"},
		{"owner without task", url.Values{"item-0-task": {""}, "item-0-owner": {"Amy"}, "item-0-src": {"-1"}}, "Say what is to be done"},
		{"emptied decision", url.Values{"decision-0-text": {""}, "decision-0-src": {"0"}}, "Write the decision, or tick Remove."},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"title": {"T"}, "summary": {"S"}}
			for k, vals := range tt.set {
				v[k] = vals
			}
			f, ok := parseEditForm(v, src)
			require.False(t, ok)
			msgs := []string{f.Errors["title"]}
			for _, d := range f.Decisions {
				msgs = append(msgs, d.Err)
			}
			for _, it := range f.Items {
				msgs = append(msgs, it.Err)
			}
			found := false
			for _, m := range msgs {
				found = found || (m != "" && len(m) >= len(tt.want) && m[:len(tt.want)] == tt.want)
			}
			require.True(t, found, "%q not in %q", tt.want, msgs)
		})
	}
}

func TestEnrichFromStoredItems(t *testing.T) {
	t.Parallel()
	uid, err := store.ParseUserID("0b9d6c2e-8f1f-4a57-9d55-3f3b2f0a7c11")
	require.NoError(t, err)
	off := 90 * time.Second
	raw := json.RawMessage(`{"title":"T","summary":"S","action_items":[{"task":"A","owner":"Amy"},{"task":"B","owner":"Bo"}]}`)
	stored := []store.ActionItem{ // the store's order, not the content's
		{Task: "B", OwnerName: "Bo"},
		{Task: "A", OwnerName: "Amy", OwnerUserID: uid, OwnerEmail: "amy@x.example", SourceQuote: "I will do A", SourceOffset: &off},
	}
	src := newSource(raw, stored)
	require.Equal(t, "I will do A", src.shown.ActionItems[0].Quote)
	require.Equal(t, "00:01:30", string(src.shown.ActionItems[0].At))
	var id string
	require.NoError(t, json.Unmarshal(src.items[0]["owner_user_id"], &id))
	require.Equal(t, uid.String(), id)
	require.NotContains(t, src.items[1], "owner_user_id")
}

func TestHealthView(t *testing.T) {
	t.Parallel()
	d, err := healthView(map[string]any{"status": "degraded", "schema": map[string]any{"control": 4},
		"dependencies": []map[string]any{{"state": "down", "name": "db", "detail": "refused"}}}, 503)
	require.NoError(t, err)
	require.False(t, d.OK)
	require.Equal(t, "degraded", d.Status)
	require.Equal(t, []string{"name", "detail", "state"}, d.Tables[0].Columns)
	require.Equal(t, []string{"db", "refused", "down"}, d.Tables[0].Rows[0])
	require.Equal(t, "schema", d.Tables[1].Name)
}

func TestBackToAdmitsOnlyPortalPaths(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/api/app/action-items?owner=all": "/api/app/action-items?owner=all",
		"https://evil.example/api/app/":   "/d",
		"//evil.example/api/app/":         "/d",
		"/api/v1/x":                       "/d",
		"/api/app/\\evil":                 "/d",
		"":                                "/d",
	} {
		require.Equal(t, want, backTo(in, "/d"), in)
	}
	require.True(t, safeRedirect("https://checkout.stripe.com/c/pay"))
	require.True(t, safeRedirect("/api/app/meetings"))
	require.False(t, safeRedirect("http://checkout.stripe.com/"))
	require.False(t, safeRedirect("//evil.example"))
	require.False(t, safeRedirect("javascript:alert(1)"))
}
