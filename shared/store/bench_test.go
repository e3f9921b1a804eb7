package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

// BenchmarkListMeetings lists the first page of 20 of a tenant's 50 meetings: one read-only
// tenant transaction (BEGIN, set_config, SELECT, COMMIT) per iteration.
func BenchmarkListMeetings(b *testing.B) {
	st, bundle := setup(b)
	for i := range 50 {
		_, _, err := st.UpsertMeeting(bundle.ctx, store.MeetingInput{
			Source: store.SourceGraph, ExternalID: fmt.Sprintf("bench-%d", i), StartsAt: ptr(at(time.Duration(i) * time.Hour)),
		})
		require.NoError(b, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ms, err := st.ListMeetings(bundle.ctx, store.ListMeetingsParams{Limit: 20})
		if err != nil || len(ms) != 20 {
			b.Fatalf("list meetings: %d, %v", len(ms), err)
		}
	}
}
