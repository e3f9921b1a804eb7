package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// testBundle is what a test needs beside its subject, the store of a fresh tenant.
type testBundle struct {
	ctx      context.Context
	db       *dbtest.DB
	resolver *store.ManagedResolver
	tenant   tenancy.ID
}

// setup returns the store of a fresh tenant in a fresh database (connected as minutes_app).
func setup(t testing.TB) (store.Store, *testBundle) {
	t.Helper()
	db := dbtest.New(t)
	b := &testBundle{ctx: context.Background(), db: db, resolver: store.NewManagedResolver(db.App)}
	var st store.Store
	b.tenant, st = b.newTenant(t)
	return st, b
}

// newTenant returns a fresh tenant of the bundle's database and its store.
func (b *testBundle) newTenant(t testing.TB) (tenancy.ID, store.Store) {
	t.Helper()
	id := tenancy.NewID()
	st, err := b.resolver.For(b.ctx, id)
	require.NoError(t, err)
	return id, st
}

// requireErrorIs checks that err matches want and that no driver error escaped the store.
func requireErrorIs(t *testing.T, err, want error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	var pe *pgconn.PgError
	require.False(t, errors.As(err, &pe), "driver error escaped: %v", err)
}

func ptr[T any](v T) *T { return &v }

// at returns a fixed instant plus d, microsecond precision like the database.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(d)
}

type meetingOpts struct {
	Source     store.MeetingSource // default graph
	ExternalID string              // default random
	Subject    string
	StartsAt   *time.Time
}

func createMeeting(t *testing.T, st store.Store, opts *meetingOpts) store.Meeting {
	t.Helper()
	if opts == nil {
		opts = &meetingOpts{}
	}
	in := store.MeetingInput{
		Source:     opts.Source,
		ExternalID: opts.ExternalID,
		Subject:    opts.Subject,
		StartsAt:   opts.StartsAt,
	}
	if in.Source == "" {
		in.Source = store.SourceGraph
	}
	if in.ExternalID == "" {
		in.ExternalID = "meeting-" + uuid.NewString()
	}
	m, created, err := st.UpsertMeeting(context.Background(), in)
	require.NoError(t, err)
	require.True(t, created)
	return m
}

type transcriptOpts struct {
	ExternalID string // default random
	Content    string // hashed into ContentSHA256
}

func createTranscript(t *testing.T, st store.Store, meetingID store.MeetingID, opts *transcriptOpts) store.Transcript {
	t.Helper()
	if opts == nil {
		opts = &transcriptOpts{}
	}
	in := store.TranscriptInput{
		MeetingID:     meetingID,
		ExternalID:    opts.ExternalID,
		Format:        store.FormatVTT,
		BlobPath:      "tenants/x/meetings/" + meetingID.String() + "/transcript.vtt",
		ContentSHA256: sha256.Sum256([]byte(opts.Content)),
		SizeBytes:     int64(len(opts.Content)),
	}
	if in.ExternalID == "" {
		in.ExternalID = "transcript-" + uuid.NewString()
	}
	tr, created, err := st.AddTranscript(context.Background(), in)
	require.NoError(t, err)
	require.True(t, created)
	return tr
}

type minutesOpts struct {
	Status  store.MinutesStatus // default draft
	Title   string
	Creator store.UserID
}

func createMinutes(t *testing.T, st store.Store, meetingID store.MeetingID, opts *minutesOpts) store.Minutes {
	t.Helper()
	if opts == nil {
		opts = &minutesOpts{}
	}
	content, err := json.Marshal(map[string]any{"title": opts.Title, "summary": "s"})
	require.NoError(t, err)
	m, err := st.AddMinutesVersion(context.Background(), store.MinutesInput{
		MeetingID: meetingID,
		Status:    opts.Status,
		Content:   content,
		Generator: "offline",
		CreatedBy: opts.Creator,
	})
	require.NoError(t, err)
	return m
}

type userOpts struct {
	Email string     // default random
	Role  store.Role // default member
	Entra uuid.UUID
}

func createUser(t *testing.T, st store.Store, opts *userOpts) store.User {
	t.Helper()
	if opts == nil {
		opts = &userOpts{}
	}
	in := store.UserInput{Email: opts.Email, Role: opts.Role, EntraObjectID: opts.Entra, DisplayName: "Test User"}
	if in.Email == "" {
		in.Email = "user-" + uuid.NewString()[:8] + "@example.com"
	}
	u, err := st.CreateUser(context.Background(), in)
	require.NoError(t, err)
	return u
}

type templateOpts struct {
	Name string // default random
}

func createTemplate(t *testing.T, st store.Store, opts *templateOpts) store.Template {
	t.Helper()
	if opts == nil {
		opts = &templateOpts{}
	}
	name := opts.Name
	if name == "" {
		name = "template " + uuid.NewString()[:8]
	}
	tpl, err := st.CreateTemplate(context.Background(), store.TemplateInput{Name: name})
	require.NoError(t, err)
	return tpl
}

type invitationOpts struct {
	Token     string        // default random
	Role      store.Role    // default member
	ExpiresIn time.Duration // from at(0); default 7 days
	InvitedBy store.UserID
}

func createInvitation(t *testing.T, st store.Store, opts *invitationOpts) (store.Invitation, [32]byte) {
	t.Helper()
	if opts == nil {
		opts = &invitationOpts{}
	}
	token := opts.Token
	if token == "" {
		token = uuid.NewString()
	}
	in := store.InvitationInput{
		Email:       "invitee-" + uuid.NewString()[:8] + "@example.com",
		Role:        opts.Role,
		TokenSHA256: sha256.Sum256([]byte(token)),
		InvitedBy:   opts.InvitedBy,
		ExpiresAt:   at(opts.ExpiresIn),
	}
	if in.Role == "" {
		in.Role = store.RoleMember
	}
	if opts.ExpiresIn == 0 {
		in.ExpiresAt = at(7 * 24 * time.Hour)
	}
	inv, err := st.CreateInvitation(context.Background(), in)
	require.NoError(t, err)
	return inv, in.TokenSHA256
}
