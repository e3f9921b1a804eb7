package minutespublish

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const wantPath = "/Meeting Minutes/Board/2026-03-10 Budget stand-up (v1).docx"

// documentText returns the text of word/document.xml in a .docx.
func documentText(t *testing.T, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			require.NoError(t, err)
			defer rc.Close()
			data, err := io.ReadAll(rc)
			require.NoError(t, err)
			return string(data)
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

func TestPublish(t *testing.T) {
	t.Parallel()

	t.Run("uploads the document, mails the distribution list, records everything", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))

		f, ok := b.fake.File(driveID, wantPath)
		require.True(t, ok, "the document is in the library, at the folder from the settings")
		require.Equal(t, "replace", f.ConflictBehavior)
		require.Empty(t, f.Chunks, "a small document is one PUT")
		doc := documentText(t, f.Content)
		require.Contains(t, doc, "Approve the Q3 budget of 1.2M")
		require.Contains(t, doc, "Send the &lt;final&gt; deck to finance")
		require.Contains(t, doc, "Approved by Ada Lovelace")

		mails := b.sendMails()
		require.Len(t, mails, 1)
		require.Equal(t, "/v1.0/users/"+sender+"/sendMail", mails[0].Path)
		require.Equal(t, []string{"ada@contoso.com", "grace@contoso.com", "board@contoso.com"}, mails[0].To,
			"organizer, attendees with an address, extras; deduplicated ignoring case")
		require.Equal(t, "Minutes: Budget stand-up (10 Mar 2026)", mails[0].Subject)
		require.Equal(t, "html", strings.ToLower(mails[0].ContentType))
		for _, want := range []string{"Approve the Q3 budget of 1.2M", "Send the &lt;final&gt; deck to finance", "Grace Hopper",
			"2026-03-13", `href="https://minutes.example/api/app/meetings/` + b.meeting.ID.String() + `"`,
			"Word document: Meeting Minutes/Board/2026-03-10 Budget stand-up (v1).docx"} {
			require.Contains(t, mails[0].HTML, want)
		}

		got, err := b.st.Minutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesPublished, got.Status)
		require.Equal(t, b.now, got.PublishedAt.UTC())
		mt, err := b.st.Meeting(b.ctx, b.meeting.ID)
		require.NoError(t, err)
		require.Equal(t, store.MeetingPublished, mt.Status)

		ev := b.events(b.meeting.ID)
		require.Len(t, ev, 1)
		require.Equal(t, StagePublish, ev[0].Stage)
		require.Equal(t, store.OutcomeOK, ev[0].Outcome)
		require.Contains(t, ev[0].Detail, "sharepoint (uploaded")
		require.Contains(t, ev[0].Detail, "email (sent to 3 recipients (1 invalid addresses left out) through Graph)")
		require.NotContains(t, ev[0].Detail, "budget", "no content on the timeline")

		pubs := b.publications(m.ID)
		require.Equal(t, StateDone, pubs[ChannelSharePoint].State)
		require.Equal(t, StateDone, pubs[ChannelEmail].State)
		require.NotContains(t, pubs, ChannelDirectory)

		logRows := b.auditLog(b.tenant.ID)
		last := logRows[len(logRows)-1]
		require.Equal(t, ActionPublished, last.Action)
		require.Equal(t, "minutes", last.TargetType)
		require.Equal(t, m.ID.String(), last.TargetID)
		require.Equal(t, map[string]any{"meeting_id": b.meeting.ID.String(), "version": float64(1),
			"channels": []any{"sharepoint", "email"}, "failed": []any{}}, last.Details)
	})

	t.Run("five redeliveries: one email, one upload", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		for range 5 {
			require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		}
		require.Len(t, b.sendMails(), 1)
		require.Equal(t, 1, b.uploads())
		require.Len(t, b.events(b.meeting.ID), 1)
		require.Contains(t, b.logs.String(), "minutes already published")
	})

	t.Run("five concurrent deliveries: one email", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Go(func() { errs[i] = b.deliver(b.tenant.ID, m.ID) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				_, later := funchost.RetryAfter(err)
				require.True(t, later, "a delivery racing the sender waits: %v", err)
			}
		}
		require.Len(t, b.sendMails(), 1)
		// Whoever lost the race comes back later and finds the work done.
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Len(t, b.sendMails(), 1)
		got, err := b.st.Minutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesPublished, got.Status)
		_, ok := b.fake.File(driveID, wantPath)
		require.True(t, ok)
	})

	t.Run("channels settled before a crash are not repeated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		// The crash came after both channels, before the minutes were marked published.
		for _, ch := range []Channel{ChannelSharePoint, ChannelEmail} {
			k := Key{Tenant: b.tenant.ID, Minutes: m.ID, Channel: ch}
			c, err := b.ledger.Claim(b.ctx, k, b.now.Add(-time.Minute), b.now)
			require.NoError(t, err)
			ok, err := b.ledger.Settle(b.ctx, k, c.ClaimedAt, StateDone, "before the crash", b.now)
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Empty(t, b.sendMails())
		require.Zero(t, b.uploads())
		got, err := b.st.Minutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesPublished, got.Status)
	})

	t.Run("a crash between claim and done: no second email, the upload is redone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		// An attempt claimed both channels 11 minutes ago and died without settling.
		for _, ch := range []Channel{ChannelSharePoint, ChannelEmail} {
			_, err := b.ledger.Claim(b.ctx, Key{Tenant: b.tenant.ID, Minutes: m.ID, Channel: ch}, b.now.Add(-11*time.Minute), b.now.Add(-11*time.Minute))
			require.NoError(t, err)
		}
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Empty(t, b.sendMails(), "the mail may have left before the crash: never sent again")
		_, ok := b.fake.File(driveID, wantPath)
		require.True(t, ok, "the upload replaces whatever the dead attempt left")
		pubs := b.publications(m.ID)
		require.Equal(t, StateFailed, pubs[ChannelEmail].State)
		require.Equal(t, DetailUncertain, pubs[ChannelEmail].Detail)
		require.Equal(t, StateDone, pubs[ChannelSharePoint].State)
		ev := b.events(b.meeting.ID)
		require.Len(t, ev, 2)
		require.Equal(t, store.OutcomeFailed, ev[0].Outcome)
		require.Contains(t, ev[0].Detail, "email delivery uncertain")
		require.Equal(t, store.OutcomeOK, ev[1].Outcome)
		require.Contains(t, ev[1].Detail, "failed: email")
	})

	t.Run("a claim younger than the timeout waits for its attempt", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		_, err := b.ledger.Claim(b.ctx, Key{Tenant: b.tenant.ID, Minutes: m.ID, Channel: ChannelEmail}, b.now.Add(-2*time.Minute), b.now)
		require.NoError(t, err)
		err = b.deliver(b.tenant.ID, m.ID)
		d, later := funchost.RetryAfter(err)
		require.True(t, later, "%v", err)
		require.Equal(t, 8*time.Minute, d, "retried when the claim goes stale")
		require.Empty(t, b.sendMails())

		b.now = b.now.Add(8 * time.Minute)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Empty(t, b.sendMails())
		require.Equal(t, StateFailed, b.publications(m.ID)[ChannelEmail].State)
	})

	t.Run("403 on SharePoint: recorded, the email still goes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		b.fake.Fail(graphtest.Fault{Status: http.StatusForbidden, Code: "accessDenied", Message: "Access denied", PathContains: "/drives/"})
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))

		require.Len(t, b.sendMails(), 1)
		pubs := b.publications(m.ID)
		require.Equal(t, StateFailed, pubs[ChannelSharePoint].State)
		require.Equal(t, "access denied (403 accessDenied)", pubs[ChannelSharePoint].Detail)
		require.Equal(t, StateDone, pubs[ChannelEmail].State)
		ev := b.events(b.meeting.ID)
		require.Len(t, ev, 2)
		require.Equal(t, store.OutcomeFailed, ev[0].Outcome)
		require.Contains(t, ev[0].Detail, "SharePoint upload access denied (403 accessDenied): check")
		require.Contains(t, ev[1].Detail, "failed: sharepoint")
		got, err := b.st.Minutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesPublished, got.Status)
		logRows := b.auditLog(b.tenant.ID)
		require.Equal(t, []any{"sharepoint"}, logRows[len(logRows)-1].Details["failed"])
		// A redelivery does not try the refused upload again.
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Equal(t, 1, b.uploads())
	})

	t.Run("429 on sendMail: retried after Retry-After, then sent once", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		// Graph throttles sendMail three times: the SDK retries within a delivery (how often
		// depends on its timing), then the function asks to be retried after Retry-After.
		f := graphtest.Throttled("1")
		f.PathContains, f.Times = "/sendMail", 3
		b.fake.Fail(f)
		laters := 0
		for range 4 {
			err := b.deliver(b.tenant.ID, m.ID)
			if err == nil {
				break
			}
			d, later := funchost.RetryAfter(err)
			require.True(t, later, "%v", err)
			require.Equal(t, time.Second, d)
			require.NotContains(t, b.publications(m.ID), ChannelEmail, "a throttled send is not a claim")
			got, err := b.st.Minutes(b.ctx, m.ID)
			require.NoError(t, err)
			require.Equal(t, store.MinutesApproved, got.Status)
			laters++
		}
		require.Equal(t, 1, laters, "the SDK retried once within each delivery; the first delivery was told to come back")
		require.Equal(t, 1, b.uploads(), "the upload was done once, before the throttled mail")
		require.Equal(t, StateDone, b.publications(m.ID)[ChannelEmail].State, "%+v", b.publications(m.ID)[ChannelEmail])
		n := 0
		for _, r := range b.fake.Requests() {
			if strings.HasSuffix(r.Path, "/sendMail") {
				n++
			}
		}
		require.Equal(t, 4, n, "three throttled, one accepted: one email")
	})

	t.Run("a document over 4 MB goes through an upload session", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// Incompressible action items: the deflated document stays above 4 MB.
		var items []map[string]string
		seed := uint64(1)
		for range 300 {
			var sb strings.Builder
			for range 20000 {
				seed = seed*6364136223846793005 + 1442695040888963407
				sb.WriteByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[seed>>58])
			}
			items = append(items, map[string]string{"task": sb.String(), "owner": "Grace Hopper"})
		}
		content, err := json.Marshal(map[string]any{"title": "Budget stand-up", "summary": "Long.", "action_items": items})
		require.NoError(t, err)
		m := b.minutes(b.st, b.meeting.ID, string(content), store.MinutesApproved)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		f, ok := b.fake.File(driveID, wantPath)
		require.True(t, ok)
		require.Greater(t, len(f.Content), 4<<20)
		require.Greater(t, len(f.Chunks), 1, "sent in chunks")
		require.Equal(t, "replace", f.ConflictBehavior)
		zr, err := zip.NewReader(bytes.NewReader(f.Content), int64(len(f.Content)))
		require.NoError(t, err, "the chunks reassemble into the document")
		require.NotEmpty(t, zr.File)
		require.Len(t, b.sendMails(), 1)
	})

	t.Run("no SharePoint library configured: email only", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		set, err := b.st.Settings(b.ctx)
		require.NoError(t, err)
		set.SharePointDriveID = ""
		_, err = b.st.SaveSettings(b.ctx, set)
		require.NoError(t, err)
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		require.Zero(t, b.uploads())
		require.Len(t, b.sendMails(), 1)
		require.NotContains(t, b.sendMails()[0].HTML, "Word document:")
	})

	t.Run("without a sender mailbox the organizer sends", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(*bundle) option { return func(d *Deps) { d.SenderMailbox = "" } })
		m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		mails := b.sendMails()
		require.Len(t, mails, 1)
		require.Equal(t, "/v1.0/users/"+organizerID+"/sendMail", mails[0].Path)
	})
}

func TestPublishWithoutGraph(t *testing.T) {
	t.Parallel()
	b := setup(t, withoutGraph)
	m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
	require.NoError(t, b.deliver(b.tenant.ID, m.ID))
	require.NoError(t, b.deliver(b.tenant.ID, m.ID))
	require.Empty(t, b.fake.Requests(), "no Graph at all")

	mails := b.files(b.mailDir)
	require.Len(t, mails, 1)
	eml := string(mails["minutes-"+m.ID.String()+".eml"])
	require.Contains(t, eml, `From: "Minutes" <minutes@selfhosted.example>`)
	require.Contains(t, eml, `To: "Ada Lovelace" <ada@contoso.com>, "Grace Hopper" <grace@contoso.com>,`+"\r\n <board@contoso.com>")
	require.Contains(t, eml, "Subject: Minutes: Budget stand-up (10 Mar 2026)")
	require.Contains(t, eml, "Auto-Submitted: auto-generated")
	require.Contains(t, eml, "text/html")

	out := b.files(b.outDir)
	base := b.tenant.ID.String() + "/2026-03-10 Budget stand-up (v1)"
	require.Len(t, out, 2)
	require.Contains(t, documentText(t, out[base+".docx"]), "Approve the Q3 budget of 1.2M")
	require.Contains(t, string(out[base+".html"]), "Send the &lt;final&gt; deck to finance")

	pubs := b.publications(m.ID)
	require.Equal(t, StateDone, pubs[ChannelDirectory].State)
	require.Equal(t, StateDone, pubs[ChannelEmail].State)
	require.NotContains(t, pubs, ChannelSharePoint)
	got, err := b.st.Minutes(b.ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPublished, got.Status)
}

func TestNotPublished(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for _, status := range []store.MinutesStatus{store.MinutesDraft, store.MinutesPendingApproval, store.MinutesRejected} {
		t.Run(string(status)+" minutes are acknowledged, not published", func(t *testing.T) {
			mt := b.newMeeting(b.st, "Meeting "+string(status))
			m := b.minutes(b.st, mt.ID, sampleContent, status)
			require.NoError(t, b.deliver(b.tenant.ID, m.ID))
			got, err := b.st.Minutes(b.ctx, m.ID)
			require.NoError(t, err)
			require.Equal(t, status, got.Status)
			require.Empty(t, b.publications(m.ID))
			require.Empty(t, b.events(mt.ID))
		})
	}

	t.Run("a version superseded by an edit is not published", func(t *testing.T) {
		mt := b.newMeeting(b.st, "Superseded")
		m := b.minutes(b.st, mt.ID, sampleContent, store.MinutesApproved)
		_, err := b.st.AddMinutesVersion(b.ctx, store.MinutesInput{MeetingID: mt.ID, Content: json.RawMessage(sampleContent), Generator: "edit"})
		require.NoError(t, err)
		require.NoError(t, b.deliver(b.tenant.ID, m.ID))
		got, err := b.st.Minutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesApproved, got.Status)
		ev := b.events(mt.ID)
		require.Len(t, ev, 1)
		require.Equal(t, store.OutcomeFailed, ev[0].Outcome)
		require.Contains(t, ev[0].Detail, "version 2 replaced it")
	})

	t.Run("another tenant's minutes id: nothing happens", func(t *testing.T) {
		other := b.newTenant("Fabrikam")
		ost, err := b.stores.For(b.ctx, other.ID)
		require.NoError(t, err)
		om := b.minutes(ost, b.newMeeting(ost, "Fabrikam board").ID, sampleContent, store.MinutesApproved)
		// Contoso's message naming Fabrikam's minutes.
		require.NoError(t, b.deliver(b.tenant.ID, om.ID))
		got, err := ost.Minutes(b.ctx, om.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesApproved, got.Status)
		require.Contains(t, b.logs.String(), "minutes that do not exist")
	})

	require.Empty(t, b.sendMails())
	require.Zero(t, b.uploads())
	require.Contains(t, b.logs.String(), "not approved dropped")
}

func TestMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
	valid := `{"tenant_id":"` + b.tenant.ID.String() + `","minutes_id":"` + m.ID.String() + `"}`

	poison := []struct {
		name  string
		body  string
		props map[string]any
	}{
		{name: "junk", body: "not json"},
		{name: "array", body: `[1]`},
		{name: "no tenant", body: `{"minutes_id":"` + m.ID.String() + `"}`},
		{name: "no minutes", body: `{"tenant_id":"` + b.tenant.ID.String() + `"}`},
		{name: "bad uuid", body: `{"tenant_id":"` + b.tenant.ID.String() + `","minutes_id":"x"}`},
		{name: "oversized id", body: `{"tenant_id":"` + b.tenant.ID.String() + `","minutes_id":"` + strings.Repeat("a", 3000) + `"}`},
		{name: "oversized body", body: `{"tenant_id":"` + b.tenant.ID.String() + `","x":"` + strings.Repeat("a", 5000) + `"}`},
		{name: "tenant property differs", body: valid, props: map[string]any{queue.PropertyTenantID: tenancy.NewID().String()}},
	}
	for _, tc := range poison {
		t.Run("poison: "+tc.name, func(t *testing.T) {
			err := b.handler.Handle(b.ctx, funchost.Message{Body: []byte(tc.body), Properties: tc.props})
			require.True(t, funchost.IsPoison(err), "%v", err)
		})
	}

	t.Run("unknown tenant: acknowledged", func(t *testing.T) {
		require.NoError(t, b.deliver(tenancy.NewID(), m.ID))
		require.Contains(t, b.logs.String(), "unknown tenant dropped")
	})

	t.Run("cancelled tenant: acknowledged", func(t *testing.T) {
		other := b.newTenant("Gone")
		require.NoError(t, b.registry.SetStatus(b.ctx, other.ID, tenancy.StatusCancelled, b.now))
		require.NoError(t, b.deliver(other.ID, m.ID))
		require.Contains(t, b.logs.String(), "cancelled tenant dropped")
	})

	require.Empty(t, b.sendMails())
	got, err := b.st.Minutes(b.ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesApproved, got.Status)
}

func TestPublishKey(t *testing.T) {
	t.Parallel()
	tn := tenancy.NewID()
	var id store.MinutesID
	require.NoError(t, id.UnmarshalText([]byte("7d0e6c1e-1111-4a4a-9b9b-000000000001")))
	m := PublishMessage{TenantID: tn, MinutesID: id}
	require.Equal(t, "publish:"+tn.String()+":7d0e6c1e-1111-4a4a-9b9b-000000000001", PublishKey(m))
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, `{"tenant_id":"`+tn.String()+`","minutes_id":"7d0e6c1e-1111-4a4a-9b9b-000000000001"}`, string(raw))
}

// TestUncertainEmail: an SMTP-like transport error leaves the email claimed, so it is never
// retried blindly; the redelivery after the timeout records the doubt.
func TestUncertainEmail(t *testing.T) {
	t.Parallel()
	fm := &flakyMailer{err: errors.New("connection reset by peer")}
	b := setup(t, withoutGraph, func(*bundle) option { return func(d *Deps) { d.Mail = fm; d.OutputDir = "" } })
	m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
	err := b.deliver(b.tenant.ID, m.ID)
	require.Error(t, err)
	require.False(t, funchost.IsPoison(err))
	require.Equal(t, StateClaimed, b.publications(m.ID)[ChannelEmail].State)

	fm.err = nil
	_, later := funchost.RetryAfter(b.deliver(b.tenant.ID, m.ID))
	require.True(t, later, "the claim is fresh: wait")
	b.now = b.now.Add(DefaultClaimTimeout + time.Second)
	require.NoError(t, b.deliver(b.tenant.ID, m.ID))
	require.Equal(t, 1, fm.calls, "tried once, never again")
	require.Equal(t, StateFailed, b.publications(m.ID)[ChannelEmail].State)
}

type flakyMailer struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (f *flakyMailer) Send(_ context.Context, _ mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.err
}
