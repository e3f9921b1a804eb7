package graph_test

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
)

func TestOrganizerFromMeetingID(t *testing.T) {
	t.Parallel()
	b64 := func(s string) graph.MeetingID { return graph.MeetingID(base64.StdEncoding.EncodeToString([]byte(s))) }
	cases := []struct {
		name string
		id   graph.MeetingID
		want graph.UserID
	}{
		// The reference's decryptable fixture (graph.md §7.4).
		{"reference fixture", "MSphN2MzZTlkMS01MmI0LTRmMDgtOGU2YS0wYjlkM2MxZjJlNzUqMCoqMTk6bWVldGluZ19ZekppTjJVMFlURXRNR1kyWkMwMFpUa3pMVGhoTVRVdE5tUTVaVEptTTJJM1l6UXdAdGhyZWFkLnYy", "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"},
		{"upper-case guid is normalised", b64("1*A7C3E9D1-52B4-4F08-8E6A-0B9D3C1F2E75*0**19:meeting_x@thread.v2"), "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"},
		{"unpadded", graph.MeetingID(base64.RawStdEncoding.EncodeToString([]byte("1*a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75*0**19:m@thread.v2x"))), "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"},
		{"not base64", "not base64!", ""},
		{"other version", b64("2*a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75*0**19:m@thread.v2"), ""},
		{"not a guid", b64("1*ada@contoso.com*0**19:m@thread.v2"), ""},
		{"guid without hyphens", b64("1*a7c3e9d152b44f088e6a0b9d3c1f2e75*0**19:m@thread.v2"), ""},
		{"too few parts", b64("1*a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"), ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := graph.OrganizerFromMeetingID(c.id)
			require.Equal(t, c.want != "", ok)
			require.Equal(t, c.want, got)
		})
	}
}

func FuzzOrganizerFromMeetingID(f *testing.F) {
	f.Add("MSphN2MzZTlkMS01MmI0LTRmMDgtOGU2YS0wYjlkM2MxZjJlNzUqMCoqMTk6bWVldGluZ19ZekppTjJVMFlURXRNR1kyWkMwMFpUa3pMVGhoTVRVdE5tUTVaVEptTTJJM1l6UXdAdGhyZWFkLnYy")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		u, ok := graph.OrganizerFromMeetingID(graph.MeetingID(id))
		if ok != (u != "") {
			t.Fatalf("ok %v with %q", ok, u)
		}
		if ok && len(u) != 36 {
			t.Fatalf("organizer %q is not a canonical guid", u)
		}
	})
}
