package graphhook_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

func TestParseTranscriptResource(t *testing.T) {
	t.Parallel()
	const (
		m = graphhooktest.ReferenceMeetingID
		x = graphhooktest.ReferenceTranscriptID
		u = graphhooktest.ReferenceOrganizerID
	)
	tenantLevel := graphhook.TranscriptRef{MeetingID: m, TranscriptID: x}
	userLevel := graphhook.TranscriptRef{UserID: u, MeetingID: m, TranscriptID: x}
	cases := []struct {
		name     string
		resource string
		want     graphhook.TranscriptRef
		ok       bool
	}{
		{name: "tenant-level OData keys (reference)", resource: "communications/onlineMeetings('" + m + "')/transcripts('" + x + "')", want: tenantLevel, ok: true},
		{name: "tenant-level path form", resource: "communications/onlineMeetings/" + m + "/transcripts/" + x, want: tenantLevel, ok: true},
		{name: "leading slash", resource: "/communications/onlineMeetings('" + m + "')/transcripts('" + x + "')", want: tenantLevel, ok: true},
		{name: "user-level OData keys", resource: "users('" + u + "')/onlineMeetings('" + m + "')/transcripts('" + x + "')", want: userLevel, ok: true},
		{name: "user-level path form", resource: "users/" + u + "/onlineMeetings/" + m + "/transcripts/" + x, want: userLevel, ok: true},
		{name: "mixed forms", resource: "users/" + u + "/onlineMeetings('" + m + "')/transcripts/" + x, want: userLevel, ok: true},
		{name: "unquoted key", resource: "users(" + u + ")/onlineMeetings('" + m + "')/transcripts('" + x + "')", want: userLevel, ok: true},
		{name: "names are case-insensitive", resource: "Communications/OnlineMeetings('" + m + "')/Transcripts('" + x + "')", want: tenantLevel, ok: true},
		{name: "base64 ids with / + =", resource: "communications/onlineMeetings('a/b+c==')/transcripts('d/e=')", want: graphhook.TranscriptRef{MeetingID: "a/b+c==", TranscriptID: "d/e="}, ok: true},
		{name: "percent-encoded id", resource: "communications/onlineMeetings/abc%3D%3D/transcripts/x", want: graphhook.TranscriptRef{MeetingID: "abc==", TranscriptID: "x"}, ok: true},
		{name: "empty", resource: ""},
		{name: "just a slash", resource: "/"},
		{name: "subscription resource, not an item", resource: "communications/onlineMeetings/getAllTranscripts"},
		{name: "missing transcript id", resource: "communications/onlineMeetings('" + m + "')/transcripts"},
		{name: "empty key", resource: "communications/onlineMeetings('')/transcripts('" + x + "')"},
		{name: "unterminated quote", resource: "communications/onlineMeetings('" + m + "/transcripts('" + x + "')"},
		{name: "unterminated paren", resource: "communications/onlineMeetings(" + m},
		{name: "text after key", resource: "communications/onlineMeetings('" + m + "')x/transcripts('" + x + "')"},
		{name: "double slash", resource: "communications//onlineMeetings/" + m + "/transcripts/" + x},
		{name: "trailing slash", resource: "communications/onlineMeetings/" + m + "/transcripts/" + x + "/"},
		{name: "content suffix", resource: "communications/onlineMeetings/" + m + "/transcripts/" + x + "/content"},
		{name: "query string", resource: "communications/onlineMeetings/" + m + "/transcripts/" + x + "?$format=text/vtt"},
		{name: "recordings", resource: "communications/onlineMeetings('" + m + "')/recordings('" + x + "')"},
		{name: "ad hoc call", resource: "communications/adhocCalls('" + m + "')/transcripts('" + x + "')"},
		{name: "absolute URL", resource: "https://graph.microsoft.com/v1.0/communications/onlineMeetings/" + m + "/transcripts/" + x},
		{name: "version prefix", resource: "v1.0/communications/onlineMeetings/" + m + "/transcripts/" + x},
		{name: "escaped quote in key", resource: "communications/onlineMeetings('a''b')/transcripts('x')"},
		{name: "space in id", resource: "communications/onlineMeetings/a%20b/transcripts/x"},
		{name: "control in id", resource: "communications/onlineMeetings/a%0Ab/transcripts/x"},
		{name: "bad percent escape", resource: "communications/onlineMeetings/a%zzb/transcripts/x"},
		{name: "non-ASCII id", resource: "communications/onlineMeetings('é')/transcripts('x')"},
		{name: "oversized id", resource: "communications/onlineMeetings('" + strings.Repeat("a", graphhook.MaxResourceIDLength+1) + "')/transcripts('x')"},
		{name: "name in key position", resource: "users('" + u + "')/onlineMeetings('" + m + "')/transcripts"},
		{name: "call record", resource: "communications/callRecords/" + u},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := graphhook.ParseTranscriptResource(tt.resource)
			if !tt.ok {
				require.ErrorIs(t, err, graphhook.ErrUnsupportedResource)
				require.Zero(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseCallRecordResource(t *testing.T) {
	t.Parallel()
	const id = "2f1a1100-b174-40a0-aba7-0b405e01ed92"
	cases := []struct {
		name     string
		resource string
		ok       bool
	}{
		{name: "documented path form", resource: "communications/callRecords/" + id, ok: true},
		{name: "leading slash", resource: "/communications/callRecords/" + id, ok: true},
		{name: "OData key", resource: "communications/callRecords('" + id + "')", ok: true},
		{name: "subscription resource", resource: "/communications/callRecords"},
		{name: "sessions", resource: "communications/callRecords/" + id + "/sessions"},
		{name: "transcript", resource: "communications/onlineMeetings('m')/transcripts('t')"},
		{name: "junk", resource: "))(('"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := graphhook.ParseCallRecordResource(tt.resource)
			if !tt.ok {
				require.ErrorIs(t, err, graphhook.ErrUnsupportedResource)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, id, got)
		})
	}
}

func TestParseLifecycleEvent(t *testing.T) {
	t.Parallel()
	for _, e := range []graphhook.LifecycleEvent{graphhook.LifecycleReauthorizationRequired, graphhook.LifecycleSubscriptionRemoved, graphhook.LifecycleMissed} {
		got, err := graphhook.ParseLifecycleEvent(string(e))
		require.NoError(t, err)
		require.Equal(t, e, got)
	}
	for _, s := range []string{"", "ReauthorizationRequired", "removed", "missed "} {
		_, err := graphhook.ParseLifecycleEvent(s)
		require.ErrorIs(t, err, graphhook.ErrUnknownLifecycleEvent, s)
	}
}
