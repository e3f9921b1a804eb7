package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

type testBundle struct {
	fake    *graphtest.Server
	entra   *entratest.Server
	tenant  uuid.UUID
	clients *graph.Clients
	now     time.Time
}

const (
	organizer = "976f4b31-fd01-4e0b-9178-29cc40c14438"
	meetingID = "MSo5NzZmNGIzMS1mZDAxLTRlMGItOTE3OC0yOWNjNDBjMTQ0MzgqMCoqMTk6bWVldGluZ19aalk0QHRocmVhZC52Mg=="
	transID   = "MSMjMCMjZDAwYWU3NjUtNmM2Yi00NjQxLTgwMWQtMTkzMmFmMjEzNzdh"
)

var vtt = []byte("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Ada Lovelace>Hello everyone.</v>\n")

func setup(t *testing.T) (*graph.Client, *testBundle) {
	t.Helper()
	b := &testBundle{
		fake:   graphtest.New(t),
		entra:  entratest.New(t, entratest.Options{}),
		tenant: uuid.New(),
		now:    time.Now(),
	}
	b.entra.GrantConsent(b.tenant)
	b.fake.AddMeeting(graphtest.Meeting{
		ID: meetingID, Subject: "Quarterly planning", JoinURL: "https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZjY4%40thread.v2/0",
		ThreadID: "19:meeting_ZjY4@thread.v2",
		Start:    time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC),
		Organizer: graphtest.Person{ID: organizer, Name: "Ada Lovelace", UPN: "ada@contoso.com"},
		Attendees: []graphtest.Person{{ID: "5f4b0d6a-8c6e-4e43-9c2c-2f7f8b1d2a10", Name: "Grace Hopper", UPN: "grace@contoso.com"}},
		Transcripts: []graphtest.Transcript{{ID: transID, CallID: "call-1", ContentCorrelationID: "cc-1",
			Created: time.Date(2026, 3, 10, 14, 1, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 59, 0, 0, time.UTC), VTT: vtt}},
	})
	b.clients = graph.NewClients(graph.ClientsOptions{
		ClientID:     b.entra.ClientID(),
		ClientSecret: b.entra.ClientSecret(),
		BaseURL:      b.fake.URL,
		Authority:    b.entra.URL,
		ValidHosts:   []string{b.fake.Host},
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second},
		Now:          func() time.Time { return b.now },
	})
	c, err := b.clients.For(b.tenant)
	require.NoError(t, err)
	return c, b
}

func lastRequest(t *testing.T, s *graphtest.Server) graphtest.Request {
	t.Helper()
	rs := s.Requests()
	require.NotEmpty(t, rs)
	return rs[len(rs)-1]
}

func TestMeeting(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	m, err := c.Meeting(context.Background(), organizer, meetingID)
	require.NoError(t, err)
	require.Equal(t, graph.Meeting{
		ID: meetingID, Subject: "Quarterly planning",
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC),
		Organizer:    graph.Person{ID: organizer, Name: "Ada Lovelace", Email: "ada@contoso.com"},
		Participants: []graph.Person{{ID: "5f4b0d6a-8c6e-4e43-9c2c-2f7f8b1d2a10", Name: "Grace Hopper", Email: "grace@contoso.com"}},
		JoinURL:      "https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZjY4%40thread.v2/0",
		ThreadID:     "19:meeting_ZjY4@thread.v2",
	}, m)
	r := lastRequest(t, b.fake)
	require.Equal(t, "/v1.0/users/"+organizer+"/onlineMeetings/"+meetingID, r.Path)
}

func TestTokenIsSentForTheTenant(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	_, err := c.Meeting(context.Background(), organizer, meetingID)
	require.NoError(t, err)
	r := lastRequest(t, b.fake)
	require.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey"), "bearer JWT must be sent to the configured Graph host")
	require.Equal(t, b.tenant.String(), r.TokenTenant)

	t.Run("cached per tenant", func(t *testing.T) {
		before := b.entra.TokenRequests()
		c2, err := b.clients.For(b.tenant)
		require.NoError(t, err)
		require.Same(t, c, c2)
		_, err = c2.Meeting(context.Background(), organizer, meetingID)
		require.NoError(t, err)
		require.Equal(t, before, b.entra.TokenRequests())
	})

	t.Run("other tenant gets its own token", func(t *testing.T) {
		other := uuid.New()
		b.entra.GrantConsent(other)
		c3, err := b.clients.For(other)
		require.NoError(t, err)
		_, err = c3.Meeting(context.Background(), organizer, meetingID)
		require.NoError(t, err)
		require.Equal(t, other.String(), lastRequest(t, b.fake).TokenTenant)
	})

	t.Run("unconsented tenant fails before Graph", func(t *testing.T) {
		c4, err := b.clients.For(uuid.New())
		require.NoError(t, err)
		n := len(b.fake.Requests())
		_, err = c4.Meeting(context.Background(), organizer, meetingID)
		require.Error(t, err)
		require.Len(t, b.fake.Requests(), n)
	})
}

func TestTranscripts(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	b.fake.AddMeeting(graphtest.Meeting{ID: "m2", Organizer: graphtest.Person{ID: organizer},
		Transcripts: []graphtest.Transcript{{ID: "t1"}, {ID: "t2"}, {ID: "t3"}}})
	b.fake.SetTranscriptPageSize(2)

	ts, err := c.Transcripts(context.Background(), organizer, meetingID)
	require.NoError(t, err)
	require.Equal(t, []graph.Transcript{{ID: transID, MeetingID: meetingID, CallID: "call-1", ContentCorrelationID: "cc-1",
		CreatedAt: time.Date(2026, 3, 10, 14, 1, 0, 0, time.UTC), EndAt: time.Date(2026, 3, 10, 14, 59, 0, 0, time.UTC)}}, ts)

	ts, err = c.Transcripts(context.Background(), organizer, "m2")
	require.NoError(t, err)
	require.Len(t, ts, 3, "follows @odata.nextLink")
	require.Equal(t, graph.TranscriptID("t3"), ts[2].ID)
}

func TestTranscriptContent(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	got, err := c.TranscriptContent(context.Background(), organizer, meetingID, transID)
	require.NoError(t, err)
	require.Equal(t, vtt, got)
	r := lastRequest(t, b.fake)
	require.Equal(t, "/v1.0/users/"+organizer+"/onlineMeetings/"+meetingID+"/transcripts/"+transID+"/content", r.Path)
	require.Equal(t, "text/vtt", r.Query().Get("$format"))
}

func TestErrorsMapped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     graphtest.Fault
		status    int
		notFound  bool
		payment   bool
		throttled bool
		denial    graph.AccessDenial
	}{
		{name: "402 metering", fault: graphtest.PaymentRequired(), status: 402, payment: true},
		{name: "403 access policy", fault: graphtest.AccessPolicyDenied(organizer), status: 403, denial: graph.DenialAccessPolicy},
		{name: "403 access policy, documented Unauthorized text", fault: graphtest.Fault{Status: 403, Code: "Unauthorized",
			Message: "App 11111111-1111-1111-1111-111111111111 is not authorized to get transcripts on behalf of user " + organizer}, status: 403, denial: graph.DenialAccessPolicy},
		{name: "403 transcript API disabled", fault: graphtest.TranscriptAPIDisabled(), status: 403, denial: graph.DenialTranscriptAPIDisabled},
		{name: "403 other", fault: graphtest.OtherForbidden(), status: 403, denial: graph.DenialOther},
		{name: "404 not yet available", fault: graphtest.NotFound(), status: 404, notFound: true},
		{name: "500", fault: graphtest.InternalError(), status: 500},
		{name: "429 persisting", fault: graphtest.Fault{Status: 429, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: "0", Times: 2}, status: 429, throttled: true},
		{name: "503 persisting", fault: graphtest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "Unavailable.", RetryAfter: "0", Times: 2}, status: 503, throttled: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, b := setup(t)
			b.fake.Fail(tt.fault)
			_, err := c.TranscriptContent(context.Background(), organizer, meetingID, transID)
			require.Error(t, err)
			var re *graph.ResponseError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tt.status, re.Status)
			require.Equal(t, tt.fault.Code, re.Code)
			require.Equal(t, tt.fault.Message, re.Message)
			require.Contains(t, err.Error(), "get transcript "+transID+" content")
			require.Equal(t, tt.notFound, graph.IsNotFound(err))
			require.Equal(t, tt.payment, graph.IsPaymentRequired(err))
			require.Equal(t, tt.throttled, graph.IsThrottled(err))
			require.Equal(t, tt.denial != graph.DenialNone, graph.IsAccessDenied(err))
			require.Equal(t, tt.denial, graph.AccessDenialOf(err))
		})
	}
}

func TestThrottledRetried(t *testing.T) {
	t.Parallel()

	t.Run("429 once then success", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t)
		b.fake.Fail(graphtest.Throttled("0"))
		got, err := c.TranscriptContent(context.Background(), organizer, meetingID, transID)
		require.NoError(t, err)
		require.Equal(t, vtt, got)
		rs := b.fake.Requests()
		require.Len(t, rs, 2)
		require.Equal(t, "1", rs[1].Header.Get("Retry-Attempt"))
	})

	t.Run("Retry-After honoured", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t)
		b.fake.Fail(graphtest.Throttled("1"))
		start := time.Now()
		_, err := c.Meeting(context.Background(), organizer, meetingID)
		require.NoError(t, err)
		require.GreaterOrEqual(t, time.Since(start), time.Second)
		require.Less(t, time.Since(start), 3*time.Second, "Retry-After, not the exponential backoff")
	})

	t.Run("RetryAfter exposed when retries run out", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t)
		b.fake.Fail(graphtest.Fault{Status: 429, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: "0", Times: 1})
		b.fake.Fail(graphtest.Fault{Status: 429, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: "120", Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		// With MaxRetries 1 the second 429 is final and carries Retry-After 120.
		_, err := c.Meeting(ctx, organizer, meetingID)
		require.Error(t, err)
		require.True(t, graph.IsThrottled(err))
		d, ok := graph.RetryAfter(err)
		require.True(t, ok)
		require.Equal(t, 120*time.Second, d)
	})
}

func TestClientsOptionsValidated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts graph.ClientsOptions
		want string
	}{
		{name: "no client ID", opts: graph.ClientsOptions{ClientSecret: "s"}, want: "ClientID"},
		{name: "no secret", opts: graph.ClientsOptions{ClientID: "c"}, want: "ClientSecret"},
		{name: "http base off loopback", opts: graph.ClientsOptions{ClientID: "c", ClientSecret: "s", BaseURL: "http://graph.example.com/v1.0"}, want: "BaseURL"},
		{name: "http authority off loopback", opts: graph.ClientsOptions{ClientID: "c", ClientSecret: "s", Authority: "http://login.example.com/"}, want: "Authority"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := graph.NewClients(tt.opts).For(uuid.New())
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := graph.NewClients(graph.ClientsOptions{ClientID: "c", ClientSecret: "s"}).For(uuid.Nil)
	require.Error(t, err)
}

func TestSendMail(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	err := c.SendMail(context.Background(), "minutes@contoso.com", graph.Mail{
		To:              []graph.Address{{Address: "ada@contoso.com", Name: "Ada"}, {Address: "grace@contoso.com"}},
		Subject:         "Minutes: Quarterly planning",
		HTMLBody:        "<h1>Minutes</h1>",
		SaveToSentItems: true,
	})
	require.NoError(t, err)
	r := lastRequest(t, b.fake)
	require.Equal(t, "POST", r.Method)
	require.Equal(t, "/v1.0/users/minutes@contoso.com/sendMail", r.Path)
	require.False(t, r.Gzipped, "request compression is off: it broke retries (see withSeekableBodies)")
	var body struct {
		Message struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []struct {
				EmailAddress struct {
					Address string `json:"address"`
					Name    string `json:"name"`
				} `json:"emailAddress"`
			} `json:"toRecipients"`
		} `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	require.Equal(t, "Minutes: Quarterly planning", body.Message.Subject)
	require.Equal(t, "html", strings.ToLower(body.Message.Body.ContentType))
	require.Equal(t, "<h1>Minutes</h1>", body.Message.Body.Content)
	require.Len(t, body.Message.ToRecipients, 2)
	require.Equal(t, "ada@contoso.com", body.Message.ToRecipients[0].EmailAddress.Address)
	require.Equal(t, "Ada", body.Message.ToRecipients[0].EmailAddress.Name)
	require.Equal(t, "grace@contoso.com", body.Message.ToRecipients[1].EmailAddress.Address)
	require.NotNil(t, body.SaveToSentItems)
	require.True(t, *body.SaveToSentItems)

	t.Run("no recipients", func(t *testing.T) {
		require.Error(t, c.SendMail(context.Background(), "minutes@contoso.com", graph.Mail{Subject: "x"}))
	})
	t.Run("403 mailbox policy", func(t *testing.T) {
		b.fake.Fail(graphtest.Fault{Status: http.StatusForbidden, Code: "ErrorAccessDenied", Message: "Access to OData is disabled."})
		err := c.SendMail(context.Background(), "minutes@contoso.com", graph.Mail{To: []graph.Address{{Address: "a@contoso.com"}}})
		require.True(t, graph.IsAccessDenied(err))
		require.Equal(t, graph.DenialOther, graph.AccessDenialOf(err))
	})
}

func TestClientsCacheBounded(t *testing.T) {
	t.Parallel()
	clients := graph.NewClients(graph.ClientsOptions{ClientID: "c", ClientSecret: "s", MaxTenants: 1})
	a, b := uuid.New(), uuid.New()
	ca, err := clients.For(a)
	require.NoError(t, err)
	require.Equal(t, a, ca.Tenant())
	ca2, err := clients.For(a)
	require.NoError(t, err)
	require.Same(t, ca, ca2)
	_, err = clients.For(b)
	require.NoError(t, err)
	ca3, err := clients.For(a)
	require.NoError(t, err)
	require.NotSame(t, ca, ca3, "a was evicted")
}

// TestConcurrentTenants builds clients for new tenants while others make requests; under
// -race it guards the SDK's global-write in NewGraphServiceClient (see newServiceClient).
func TestConcurrentTenants(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			tenant := uuid.New()
			b.entra.GrantConsent(tenant)
			nc, err := b.clients.For(tenant)
			assert.NoError(t, err)
			_, err = nc.Meeting(context.Background(), organizer, meetingID)
			assert.NoError(t, err)
		}()
		go func() {
			defer wg.Done()
			_, err := c.Transcripts(context.Background(), organizer, meetingID)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
}

func TestCallRecordAndMeetingByJoinURL(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	join := "https://teams.microsoft.com/l/meetup-join/19%3ameeting_ZjY4%40thread.v2/0"
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "call-1", JoinURL: join, OrganizerID: organizer,
		Start: time.Date(2026, 3, 10, 14, 2, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 58, 0, 0, time.UTC)})
	rec, err := c.CallRecord(ctx, "call-1")
	require.NoError(t, err)
	require.Equal(t, graph.CallRecord{ID: "call-1", Type: "groupCall", JoinURL: join, OrganizerID: organizer,
		Start: time.Date(2026, 3, 10, 14, 2, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 58, 0, 0, time.UTC)}, rec)
	require.Equal(t, "/v1.0/communications/callRecords/call-1", lastRequest(t, b.fake).Path)

	_, err = c.CallRecord(ctx, "gone")
	require.True(t, graph.IsNotFound(err), "%v", err)

	m, err := c.MeetingByJoinURL(ctx, organizer, join)
	require.NoError(t, err)
	require.Equal(t, graph.MeetingID(meetingID), m.ID)
	require.Equal(t, "Quarterly planning", m.Subject)
	req := lastRequest(t, b.fake)
	require.Equal(t, "/v1.0/users/"+organizer+"/onlineMeetings", req.Path)
	require.Equal(t, "JoinWebUrl eq '"+join+"'", req.Query().Get("$filter"))

	_, err = c.MeetingByJoinURL(ctx, organizer, "https://teams.microsoft.com/l/meetup-join/other'quote")
	require.True(t, graph.IsNotFound(err), "%v", err)
	require.Equal(t, "JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/other''quote'", lastRequest(t, b.fake).Query().Get("$filter"))
}

// TestRetriedPostKeepsItsBody: a POST the SDK retries after a 429 must carry the same body
// again (the SDK's compression handler otherwise leaves the retry empty: 400, mail lost).
func TestRetriedPostKeepsItsBody(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	f := graphtest.Throttled("0")
	f.PathContains = "/sendMail"
	b.fake.Fail(f)
	require.NoError(t, c.SendMail(context.Background(), "minutes@contoso.com", graph.Mail{
		To: []graph.Address{{Address: "ada@contoso.com"}}, Subject: "Minutes", HTMLBody: "<p>hello</p>"}))
	var sends []graphtest.Request
	for _, r := range b.fake.Requests() {
		if strings.HasSuffix(r.Path, "/sendMail") {
			sends = append(sends, r)
		}
	}
	require.Len(t, sends, 2, "throttled once, retried once")
	require.Equal(t, sends[0].Body, sends[1].Body, "the retry sends the same message")
	require.Contains(t, string(sends[1].Body), "<p>hello</p>")
}
