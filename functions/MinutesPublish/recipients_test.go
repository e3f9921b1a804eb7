package minutespublish

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestRecipients(t *testing.T) {
	t.Parallel()
	meeting := store.Meeting{
		OrganizerName: "Ada Lovelace", OrganizerEmail: "ada@contoso.com",
		Participants: []store.Participant{
			{Name: "Ada again", Email: "ADA@contoso.com"},
			{Name: "Grace\r\nBcc: evil@x", Email: "grace@contoso.com"},
			{Name: "No address"},
			{Name: "Bad", Email: "grace@contoso.com, evil@x"},
			{Name: "Named", Email: "Named <named@contoso.com>"},
			{Name: "Unicode", Email: "jörg@contoso.com"},
		},
	}
	many := make([]string, 600)
	for i := range many {
		many[i] = fmt.Sprintf("user%03d@contoso.com", i)
	}
	cases := []struct {
		name      string
		dist      store.Distribution
		want      []string
		invalid   int
		overLimit int
	}{
		{name: "attendees: organizer first, deduplicated, invalid counted", dist: store.Distribution{Attendees: true},
			want: []string{"ada@contoso.com", "grace@contoso.com"}, invalid: 3},
		{name: "attendees and extra", dist: store.Distribution{Attendees: true, Extra: []string{" board@contoso.com ", "Grace@Contoso.com", ""}},
			want: []string{"ada@contoso.com", "grace@contoso.com", "board@contoso.com"}, invalid: 3},
		{name: "organizer only ignores attendees and extra", dist: store.Distribution{OrganizerOnly: true, Attendees: true, Extra: []string{"board@contoso.com"}},
			want: []string{"ada@contoso.com"}},
		{name: "extra only", dist: store.Distribution{Extra: []string{"board@contoso.com"}}, want: []string{"board@contoso.com"}},
		{name: "nobody", dist: store.Distribution{}, want: nil},
		{name: "capped at 500", dist: store.Distribution{Extra: many}, want: many[:MaxRecipients], overLimit: 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := recipients(meeting, tc.dist)
			var emails []string
			for _, a := range got.To {
				emails = append(emails, a.Email)
				require.NotContains(t, a.Name, "\n")
				require.NotContains(t, a.Name, "\r")
			}
			require.Equal(t, tc.want, emails)
			require.Equal(t, tc.invalid, got.Invalid)
			require.Equal(t, tc.overLimit, got.OverLimit)
		})
	}
	t.Run("long names are cut at a character boundary", func(t *testing.T) {
		t.Parallel()
		got := recipients(store.Meeting{OrganizerName: strings.Repeat("é", 300), OrganizerEmail: "a@b.example"}, store.Distribution{OrganizerOnly: true})
		require.LessOrEqual(t, len(got.To[0].Name), 200)
		require.True(t, strings.HasPrefix(got.To[0].Name, "éé"))
		require.Equal(t, strings.Repeat("é", 100), got.To[0].Name)
	})
}

func TestSharePointPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ folder, want string }{
		{"Meeting Minutes", "Meeting Minutes/f.docx"},
		{"/Shared Documents//Minutes/", "Shared Documents/Minutes/f.docx"},
		{`a\b`, "a/b/f.docx"},
		{"..", "f.docx"},
		{"Q3: plans?", "Q3 plans/f.docx"},
		{"", "f.docx"},
	} {
		require.Equal(t, tc.want, sharePointPath(tc.folder, "f.docx"), tc.folder)
	}
}
