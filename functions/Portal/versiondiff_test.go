package portal_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
)

// TestVersionPageShowsWhatAnEditChanged: an edit keeps version 1 and its page for version 2
// lists the changes against it.
func TestVersionPageShowsWhatAnEditChanged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	ctx := b.env.Context(t, tn, tn.Approver)
	v2, err := review.New(now).Edit(ctx, tn.Minutes.ID, reviewtest.Content("Weekly sync (final)", "Budget agreed, launch moved to April.",
		map[string]any{"task": "Book the venue", "owner": "Mo Member", "due": "2026-03-20"}))
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)

	page := b.get(t, b.as(t, tn, tn.Member), "/api/app/minutes/"+v2.ID.String()).text()
	require.Contains(t, page, "Changes from version 1")
	require.Contains(t, page, "Title changed")
	require.Contains(t, page, "Summary changed")
	require.Contains(t, page, "Action item added: Book the venue — Mo Member, due 2026-03-20")
	require.Contains(t, page, "Action item removed: Send the deck")
	require.NotContains(t, page, "Decision added", "the decision is unchanged")

	first := b.get(t, b.as(t, tn, tn.Member), "/api/app/minutes/"+tn.Minutes.ID.String()).text()
	require.NotContains(t, first, "Changes from version")
	require.Contains(t, first, "older version", "version 1 is kept, read-only")
}
