package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/minutes"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
	"github.com/meetingminutes/minutes/shared/upload"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var clock = time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)

const teamsText = "Weekly sync-20260310_150241-Meeting Recording\nMarch 10, 2026, 3:02PM\n1m 40s\n\n" +
	"Priya Raman   0:04\nMorning, everyone.\n\nTomás Ortega   0:10\nBackend is merged. I will deploy it by Friday.\n"

type bundle struct {
	ctx    context.Context
	svc    *upload.Service
	blobs  *blob.Dir
	owner  *pgxpool.Pool
	app    *pgxpool.Pool
	tenant tenancy.ID
	st     store.Store
	user   store.User
	logs   *bytes.Buffer
	reg    *tenancy.Registry
	stores store.Resolver
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	owner, err := pgxpool.New(ctx, db.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	river, err := queue.NewRiver(db.App, queue.RiverOptions{})
	require.NoError(t, err)
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Close() })
	b := &bundle{ctx: ctx, blobs: blobs, owner: owner, app: db.App, logs: &bytes.Buffer{}, reg: tenancy.NewRegistry(db.App),
		stores: store.NewManagedResolver(db.App)}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: b.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b.svc = upload.New(blobs, river, log, &upload.Options{Now: func() time.Time { return clock }})
	tn, _, err := b.reg.Create(ctx, tenancy.NewTenant{Name: "Contoso"})
	require.NoError(t, err)
	b.tenant = tn.ID
	b.st, err = b.stores.For(ctx, tn.ID)
	require.NoError(t, err)
	b.user, err = b.st.CreateUser(ctx, store.UserInput{Email: "amy@contoso.example", Role: store.RoleMember, EntraObjectID: uuid.New()})
	require.NoError(t, err)
	return b
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// generateJobs returns the bodies of the minutes-generate jobs queued.
func (b *bundle) generateJobs(t *testing.T) []pipeline.GenerateMessage {
	t.Helper()
	rows, err := b.owner.Query(b.ctx, `SELECT args->'body', scheduled_at <= now() + interval '1 second'
FROM river_job WHERE kind = 'queue.minutes-generate' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []pipeline.GenerateMessage
	for rows.Next() {
		var raw []byte
		var due bool
		require.NoError(t, rows.Scan(&raw, &due))
		require.True(t, due, "minutes-generate is sent without delay")
		var m pipeline.GenerateMessage
		require.NoError(t, json.Unmarshal(raw, &m))
		out = append(out, m)
	}
	require.NoError(t, rows.Err())
	return out
}

func (b *bundle) upload(t *testing.T, name string, content []byte) (upload.Result, error) {
	t.Helper()
	return b.svc.Upload(b.ctx, b.st, b.tenant, upload.Input{FileName: name, Content: bytes.NewReader(content), UploadedBy: b.user.ID})
}

func TestUpload(t *testing.T) {
	t.Parallel()

	t.Run("a text export enters the pipeline", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		at := time.Date(2026, 3, 10, 15, 2, 0, 0, time.UTC)
		res, err := b.svc.Upload(b.ctx, b.st, b.tenant, upload.Input{FileName: "Weekly sync.txt", Content: strings.NewReader(teamsText),
			Subject: "Weekly sync", StartsAt: &at, UploadedBy: b.user.ID})
		require.NoError(t, err)
		require.True(t, res.Created)
		require.Equal(t, store.FormatTXT, res.Format)

		m, err := b.st.Meeting(b.ctx, res.MeetingID)
		require.NoError(t, err)
		require.Equal(t, store.SourceUpload, m.Source)
		require.Equal(t, "Weekly sync", m.Subject)
		require.Equal(t, store.MeetingTranscriptReceived, m.Status)
		require.True(t, m.StartsAt.Equal(at))
		require.Equal(t, []store.Participant{{Name: "Priya Raman"}, {Name: "Tomás Ortega"}}, m.Participants)

		tr, err := b.st.Transcript(b.ctx, res.TranscriptID)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(tr.ExternalID, "upload:"))
		require.Equal(t, m.ExternalID, strings.TrimPrefix(tr.ExternalID, "upload:"))
		require.Equal(t, store.FormatTXT, tr.Format)
		require.Equal(t, 2, tr.CueCount)
		require.Equal(t, int64(len(teamsText)), tr.SizeBytes)
		require.True(t, strings.HasPrefix(tr.BlobPath, "tenants/"+b.tenant.String()+"/meetings/"+m.ID.String()+"/transcripts/"))
		require.True(t, strings.HasSuffix(tr.BlobPath, ".txt"))

		// MinutesGenerate's read: the blob, parsed by its name.
		rc, err := b.blobs.Get(b.ctx, tr.BlobPath)
		require.NoError(t, err)
		parsed, err := minutes.Parse(filepath.Base(tr.BlobPath), rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		require.Len(t, parsed.Cues, 2)

		events, err := b.st.MeetingEvents(b.ctx, m.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, upload.StageTranscriptStored, events[0].Stage)
		require.NotContains(t, events[0].Detail, "Morning")

		require.Equal(t, []pipeline.GenerateMessage{{TenantID: b.tenant, MeetingID: m.ID, Transcripts: 1}}, b.generateJobs(t))

		recs, err := audit.List(b.ctx, b.app, b.tenant, audit.ListParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, upload.ActionUploaded, recs[0].Action)
		require.Equal(t, b.user.ID.String(), recs[0].Actor.ID)
		require.Equal(t, m.ID.String(), recs[0].Target.ID)
		details, err := json.Marshal(recs[0].Details)
		require.NoError(t, err)
		require.NotContains(t, string(details), "Priya")
		require.NotContains(t, string(details), "Morning")

		require.NotContains(t, b.logs.String(), "Morning")
		require.NotContains(t, b.logs.String(), "Priya")
	})

	t.Run("the same file twice is one meeting and one transcript", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first, err := b.upload(t, "a.txt", []byte(teamsText))
		require.NoError(t, err)
		require.True(t, first.Created)
		second, err := b.upload(t, "renamed.txt", []byte(teamsText))
		require.NoError(t, err)
		require.False(t, second.Created)
		require.Equal(t, first.MeetingID, second.MeetingID)
		require.Equal(t, first.TranscriptID, second.TranscriptID)

		ms, err := b.st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		ts, err := b.st.TranscriptsForMeeting(b.ctx, first.MeetingID)
		require.NoError(t, err)
		require.Len(t, ts, 1)
		require.Len(t, b.generateJobs(t), 1, "the dedupe key keeps one message")
		events, err := b.st.MeetingEvents(b.ctx, first.MeetingID)
		require.NoError(t, err)
		require.Len(t, events, 1)
	})

	t.Run("concurrent uploads of one file", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var wg sync.WaitGroup
		results := make([]upload.Result, 4)
		errs := make([]error, 4)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = b.upload(t, "a.vtt", []byte(vttSample)) })
		}
		wg.Wait()
		created := 0
		for i := range results {
			require.NoError(t, errs[i])
			require.Equal(t, results[0].TranscriptID, results[i].TranscriptID)
			if results[i].Created {
				created++
			}
		}
		require.Equal(t, 1, created)
		ms, err := b.st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Len(t, ms, 1)
	})

	t.Run("a Word export keeps the original and stores its text", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		content, err := os.ReadFile(filepath.Join("testdata", "teams-transcript.docx"))
		require.NoError(t, err)
		res, err := b.upload(t, "Quarterly planning.docx", content)
		require.NoError(t, err)
		require.Equal(t, store.FormatDOCX, res.Format)
		m, err := b.st.Meeting(b.ctx, res.MeetingID)
		require.NoError(t, err)
		require.Equal(t, "Quarterly planning", m.Subject, "the file name is the default subject")
		tr, err := b.st.Transcript(b.ctx, res.TranscriptID)
		require.NoError(t, err)
		require.Equal(t, store.FormatDOCX, tr.Format)
		require.Equal(t, 4, tr.CueCount)
		objs, err := b.blobs.List(b.ctx, "tenants/"+b.tenant.String()+"/meetings/"+m.ID.String()+"/")
		require.NoError(t, err)
		require.Len(t, objs, 2)
		require.True(t, strings.HasSuffix(objs[0].Key, ".docx"))
		require.Equal(t, int64(len(content)), objs[0].Size)
		require.Equal(t, tr.BlobPath, objs[1].Key)
		rc, err := b.blobs.Get(b.ctx, tr.BlobPath)
		require.NoError(t, err)
		defer rc.Close()
		parsed, err := minutes.Parse(filepath.Base(tr.BlobPath), rc)
		require.NoError(t, err)
		require.Len(t, parsed.Cues, 4)
	})

	t.Run("refusals store nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		small := upload.New(b.blobs, nil, nil, &upload.Options{MaxBytes: 1 << 10})
		cases := []struct {
			name    string
			svc     *upload.Service
			file    string
			content []byte
			status  int
			kind    error
		}{
			{"oversized", small, "a.txt", bytes.Repeat([]byte("a"), 1<<10+1), 413, upload.ErrTooLarge},
			{"empty", b.svc, "a.vtt", nil, 400, upload.ErrEmpty},
			{"binary junk", b.svc, "a.bin", []byte{0, 1, 2, 3}, 400, upload.ErrUnsupported},
			{"binary junk without a name", b.svc, "", []byte{0, 1, 2, 3, 0xff}, 400, upload.ErrUnsupported},
		}
		for _, tt := range cases {
			_, err := tt.svc.Upload(b.ctx, b.st, b.tenant, upload.Input{FileName: tt.file, Content: bytes.NewReader(tt.content), UploadedBy: b.user.ID})
			require.ErrorIs(t, err, tt.kind, tt.name)
			require.Equal(t, tt.status, funchost.StatusOf(err), tt.name)
		}
		_, err := b.svc.Upload(b.ctx, b.st, b.tenant, upload.Input{FileName: "a.vtt"})
		require.ErrorIs(t, err, upload.ErrEmpty)
		ms, err := b.st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Empty(t, ms)
		objs, err := b.blobs.List(b.ctx, "")
		require.NoError(t, err)
		require.Empty(t, objs)
		require.Empty(t, b.generateJobs(t))
	})

	t.Run("a blob failure rolls the meeting back", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		river, err := queue.NewRiver(b.app, queue.RiverOptions{})
		require.NoError(t, err)
		svc := upload.New(failingBlobs{}, river, nil, nil)
		_, err = svc.Upload(b.ctx, b.st, b.tenant, upload.Input{FileName: "a.vtt", Content: strings.NewReader(vttSample), UploadedBy: b.user.ID})
		require.Error(t, err)
		require.Equal(t, 500, funchost.StatusOf(err))
		ms, err := b.st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Empty(t, ms, "no meeting without its transcript")
		// Retrying with a working store succeeds.
		res, err := b.upload(t, "a.vtt", []byte(vttSample))
		require.NoError(t, err)
		require.True(t, res.Created)
	})

	t.Run("a nil service is not configured", func(t *testing.T) {
		t.Parallel()
		var svc *upload.Service
		_, err := svc.Upload(context.Background(), nil, tenancy.ID{}, upload.Input{})
		require.Equal(t, 503, funchost.StatusOf(err))
		require.Equal(t, "uploads are not configured", funchost.PublicMessage(err))
	})

	t.Run("another tenant's upload of the same file is its own", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, _, err := b.reg.Create(b.ctx, tenancy.NewTenant{Name: "Fabrikam"})
		require.NoError(t, err)
		ost, err := b.stores.For(b.ctx, other.ID)
		require.NoError(t, err)
		mine, err := b.upload(t, "a.vtt", []byte(vttSample))
		require.NoError(t, err)
		theirs, err := b.svc.Upload(b.ctx, ost, other.ID, upload.Input{FileName: "a.vtt", Content: strings.NewReader(vttSample)})
		require.NoError(t, err)
		require.True(t, theirs.Created)
		require.NotEqual(t, mine.MeetingID, theirs.MeetingID)
		_, err = ost.Meeting(b.ctx, mine.MeetingID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

const vttSample = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Priya Raman>Morning, everyone.</v>\n\n" +
	"00:00:05.000 --> 00:00:09.000\n<v Tomás Ortega>Backend is merged.</v>\n"

type failingBlobs struct{}

func (failingBlobs) Put(context.Context, string, io.Reader, blob.PutOptions) error {
	return errors.New("storage account unreachable")
}
