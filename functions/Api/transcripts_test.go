package api_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	api "github.com/meetingminutes/minutes/functions/Api"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
	"github.com/meetingminutes/minutes/shared/upload"
)

const uploadVTT = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Priya Raman>Morning, everyone.</v>\n\n" +
	"00:00:05.000 --> 00:00:09.000\n<v Tomás Ortega>I will send the budget by Friday.</v>\n"

const uploadText = "Budget review\n\nPriya Raman   0:04\nMorning, everyone.\n\nTomás Ortega   0:10\nI will send the budget by Friday.\n"

// uploadBundle is the API with uploads configured, mounted as production mounts it: the
// authenticator, the CSRF middleware, and the adapter with the upload route's body limit.
type uploadBundle struct {
	env   *reviewtest.Env
	srv   http.Handler
	a, b  *reviewtest.Tenant
	owner *pgxpool.Pool
}

func setupUploads(t *testing.T, opts *upload.Options) *uploadBundle {
	t.Helper()
	env := reviewtest.New(t)
	ctx := context.Background()
	owner, err := pgxpool.New(ctx, env.DB.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	river, err := queue.NewRiver(env.DB.App, queue.RiverOptions{})
	require.NoError(t, err)
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Close() })
	h := api.New(api.Deps{Now: func() time.Time { return clock }, Uploads: upload.New(blobs, river, nil, opts),
		AuditLog: api.AuditLogFunc(func(ctx context.Context, tenant tenancy.ID, p audit.ListParams) ([]audit.Record, error) {
			return audit.List(ctx, env.DB.App, tenant, p)
		})})
	return &uploadBundle{env: env, srv: mountUploads(env, h), a: env.NewTenant(t, "Alpha"), b: env.NewTenant(t, "Beta"), owner: owner}
}

// mountUploads mounts h's routes with the body limit an upload needs, behind the CSRF and
// authentication middleware, as handler/ does.
func mountUploads(env *reviewtest.Env, h *api.Handler) http.Handler {
	mux := http.NewServeMux()
	adapter := funchost.New(funchost.Options{})
	for _, rt := range h.Routes() {
		mux.Handle(rt.Pattern, adapter.HTTP("Api", rt.Handler, funchost.MaxBody(upload.MaxRequestBytes)))
	}
	return env.Auth.Middleware(env.Sessions.CSRFMiddleware(mux))
}

// browser is a signed-in caller with its CSRF token.
type browser struct {
	cookie *http.Cookie
	csrf   string
}

func (b *uploadBundle) as(t *testing.T, tn *reviewtest.Tenant, u store.User) browser {
	t.Helper()
	c := b.env.Cookie(t, tn, u)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(c)
	s, err := b.env.Sessions.Load(req)
	require.NoError(t, err)
	return browser{cookie: c, csrf: session.CSRFToken(s)}
}

// form is a multipart upload: fields, then the file (when name is not "-").
type form struct {
	fields    map[string]string
	name      string
	content   []byte
	csrfField bool // the CSRF token as a form field, not a header
}

func (b *uploadBundle) post(t *testing.T, who browser, path, contentType string, body io.Reader, csrfField bool) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", contentType)
	if who.cookie != nil {
		req.AddCookie(who.cookie)
		if !csrfField {
			req.Header.Set(session.CSRFHeader, who.csrf)
		}
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	return rec
}

func (b *uploadBundle) postForm(t *testing.T, who browser, f form) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if f.csrfField {
		require.NoError(t, mw.WriteField(session.CSRFFormField, who.csrf))
	}
	for k, v := range f.fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if f.name != "-" {
		fw, err := mw.CreateFormFile("file", f.name)
		require.NoError(t, err)
		_, err = fw.Write(f.content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return b.post(t, who, "/api/v1/transcripts", mw.FormDataContentType(), &buf, f.csrfField)
}

func (b *uploadBundle) get(t *testing.T, who browser, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if who.cookie != nil {
		req.AddCookie(who.cookie)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	return rec
}

func (b *uploadBundle) generateJobs(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, b.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'queue.minutes-generate'`).Scan(&n))
	return n
}

func TestUploadTranscript(t *testing.T) {
	t.Parallel()
	b := setupUploads(t, nil)

	t.Run("multipart, then the same file again", func(t *testing.T) {
		member := b.as(t, b.a, b.a.Member)
		rec := b.postForm(t, member, form{fields: map[string]string{"subject": "Budget review", "date": "2026-03-10"},
			name: "budget.txt", content: []byte(uploadText)})
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		out := decode[obj](t, rec)
		require.Equal(t, true, out["created"])
		id := out["meeting_id"].(string)
		require.NotEmpty(t, out["transcript_id"])
		require.Equal(t, "/api/v1/meetings/"+id, rec.Header().Get("Location"))
		require.Equal(t, 1, b.generateJobs(t))

		m := decode[obj](t, b.get(t, member, "/api/v1/meetings/"+id))
		require.Equal(t, "Budget review", m["subject"])
		require.Equal(t, "upload", m["source"])
		require.Equal(t, "transcript_received", m["status"])
		require.Equal(t, "2026-03-10T00:00:00Z", m["starts_at"])

		again := b.postForm(t, member, form{name: "copy.txt", content: []byte(uploadText)})
		require.Equal(t, http.StatusOK, again.Code, again.Body.String())
		require.Equal(t, obj{"meeting_id": id, "transcript_id": out["transcript_id"], "created": false}, decode[obj](t, again))
		require.Equal(t, 1, b.generateJobs(t))

		t.Run("another tenant cannot see the meeting", func(t *testing.T) {
			rec := b.get(t, b.as(t, b.b, b.b.Admin), "/api/v1/meetings/"+id)
			require.Equal(t, http.StatusNotFound, rec.Code)
		})
		t.Run("the upload is audited", func(t *testing.T) {
			rec := b.get(t, b.as(t, b.a, b.a.Admin), "/api/v1/audit")
			require.Equal(t, http.StatusOK, rec.Code)
			require.Contains(t, rec.Body.String(), `"transcript.uploaded"`)
			require.NotContains(t, rec.Body.String(), "budget by Friday")
		})
	})

	t.Run("raw WebVTT body", func(t *testing.T) {
		rec := b.post(t, b.as(t, b.a, b.a.Approver), "/api/v1/transcripts?name=standup.vtt&subject=Stand-up&date=2026-03-11T09:15:00%2B01:00",
			"text/vtt", strings.NewReader(uploadVTT), false)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		id := decode[obj](t, rec)["meeting_id"].(string)
		m := decode[obj](t, b.get(t, b.as(t, b.a, b.a.Member), "/api/v1/meetings/"+id))
		require.Equal(t, "Stand-up", m["subject"])
		require.Equal(t, "2026-03-11T08:15:00Z", mustUTC(t, m["starts_at"].(string)))
	})

	t.Run("raw text body without a name", func(t *testing.T) {
		rec := b.post(t, b.as(t, b.a, b.a.Admin), "/api/v1/transcripts", "text/plain; charset=utf-8",
			strings.NewReader("[00:00:03] Ann: Hello there.\n"), false)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		id := decode[obj](t, rec)["meeting_id"].(string)
		m := decode[obj](t, b.get(t, b.as(t, b.a, b.a.Member), "/api/v1/meetings/"+id))
		require.Equal(t, "transcript", m["subject"])
	})

	t.Run("CSRF token as a form field (the form parsed before the handler)", func(t *testing.T) {
		rec := b.postForm(t, b.as(t, b.a, b.a.Member), form{name: "x.vtt", csrfField: true,
			content: []byte(strings.Replace(uploadVTT, "Morning", "Evening", 1))})
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	})

	t.Run("refusals", func(t *testing.T) {
		member := b.as(t, b.a, b.a.Member)
		cases := []struct {
			name   string
			do     func() *httptest.ResponseRecorder
			status int
			msg    string
		}{
			{"binary junk", func() *httptest.ResponseRecorder {
				return b.postForm(t, member, form{name: "x.bin", content: []byte{0, 1, 2}})
			}, 400, "files ending in .bin are not accepted"},
			{"binary junk named .txt", func() *httptest.ResponseRecorder {
				return b.postForm(t, member, form{name: "x.txt", content: []byte{0x89, 'P', 'N', 'G', 0}})
			}, 400, "(.vtt)"},
			{"empty file", func() *httptest.ResponseRecorder {
				return b.postForm(t, member, form{name: "x.vtt"})
			}, 400, "empty"},
			{"no file field", func() *httptest.ResponseRecorder {
				return b.postForm(t, member, form{name: "-", fields: map[string]string{"subject": "x"}})
			}, 400, `"file" field`},
			{"bad date", func() *httptest.ResponseRecorder {
				return b.postForm(t, member, form{name: "x.vtt", content: []byte(uploadVTT), fields: map[string]string{"date": "10/03/2026"}})
			}, 400, "YYYY-MM-DD"},
			{"JSON body", func() *httptest.ResponseRecorder {
				return b.post(t, member, "/api/v1/transcripts", "application/json", strings.NewReader(`{}`), false)
			}, 415, "multipart/form-data"},
			{"prose", func() *httptest.ResponseRecorder {
				return b.post(t, member, "/api/v1/transcripts", "text/plain", strings.NewReader("Dear all, notes below."), false)
			}, 400, "does not look like a transcript"},
			{"truncated multipart", func() *httptest.ResponseRecorder {
				body := "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.vtt\"\r\n\r\nWEBVTT\n"
				return b.post(t, member, "/api/v1/transcripts", "multipart/form-data; boundary=XYZ", strings.NewReader(body), false)
			}, 400, "malformed"},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				rec := tt.do()
				require.Equal(t, tt.status, rec.Code, rec.Body.String())
				require.Contains(t, errorOf(t, rec), tt.msg)
			})
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		rec := b.post(t, browser{}, "/api/v1/transcripts", "text/vtt", strings.NewReader(uploadVTT), false)
		require.Equal(t, http.StatusForbidden, rec.Code, "no session: the CSRF check refuses first")
		req := httptest.NewRequest(http.MethodPost, "/api/v1/transcripts", strings.NewReader(uploadVTT))
		req.Header.Set("Content-Type", "text/vtt")
		rec = httptest.NewRecorder()
		mountUploadsNoCSRF(b.env).ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	})

	t.Run("suspended tenant", func(t *testing.T) {
		tn := b.env.NewTenant(t, "Gamma")
		b.env.Suspend(t, tn)
		rec := b.post(t, b.as(t, tn, tn.Admin), "/api/v1/transcripts?name=a.vtt", "text/vtt", strings.NewReader(uploadVTT), false)
		require.Equal(t, http.StatusForbidden, rec.Code)
		require.Contains(t, errorOf(t, rec), "suspended")
		ms, err := tn.Store.ListMeetings(context.Background(), store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Len(t, ms, 1, "only the fixture's meeting")
	})
}

func TestUploadTranscriptLimits(t *testing.T) {
	t.Parallel()
	b := setupUploads(t, &upload.Options{MaxBytes: 1 << 10})
	member := b.as(t, b.a, b.a.Member)
	big := []byte("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n" + strings.Repeat("words ", 400) + "\n")
	rec := b.post(t, member, "/api/v1/transcripts", "text/vtt", bytes.NewReader(big), false)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	require.Contains(t, errorOf(t, rec), "larger than")
	rec = b.postForm(t, member, form{name: "big.vtt", content: big})
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	require.Equal(t, 0, b.generateJobs(t))
}

func TestUploadsNotConfigured(t *testing.T) {
	t.Parallel()
	env := reviewtest.New(t)
	tn := env.NewTenant(t, "Alpha")
	srv := mountUploads(env, api.New(api.Deps{}))
	ub := &uploadBundle{env: env, srv: srv}
	rec := ub.post(t, ub.as(t, tn, tn.Member), "/api/v1/transcripts", "text/vtt", strings.NewReader(uploadVTT), false)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "uploads are not configured", errorOf(t, rec))
}

// mountUploadsNoCSRF is the API without the CSRF middleware, to see the handler's own
// answer to an anonymous caller.
func mountUploadsNoCSRF(env *reviewtest.Env) http.Handler {
	mux := http.NewServeMux()
	adapter := funchost.New(funchost.Options{})
	for _, rt := range api.New(api.Deps{}).Routes() {
		mux.Handle(rt.Pattern, adapter.HTTP("Api", rt.Handler))
	}
	return env.Auth.Middleware(mux)
}

func mustUTC(t *testing.T, s string) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return at.UTC().Format(time.RFC3339)
}
