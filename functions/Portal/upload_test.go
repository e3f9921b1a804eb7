package portal_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	portal "github.com/meetingminutes/minutes/functions/Portal"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/upload"
)

const portalUploadText = "Roadmap review-20260310_150241-Meeting Recording\n\nPriya Raman   0:04\nMorning, everyone.\n\n" +
	"Tomás Ortega   0:10\nI will send the roadmap by Friday.\n"

// setupUploads is the portal with uploads configured (blob.Dir, River), mounted as setup
// mounts it, with the upload route's body limit.
func setupUploads(t *testing.T) *bundle {
	t.Helper()
	env := reviewtest.New(t)
	river, err := queue.NewRiver(env.DB.App, queue.RiverOptions{})
	require.NoError(t, err)
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Close() })
	b := &bundle{env: env, a: env.NewTenant(t, "Contoso"), b: env.NewTenant(t, "Fabrikam")}
	h, err := portal.New(portal.Deps{Review: review.New(now), Now: now, Tenants: env.Registry, Sessions: env.Sessions,
		Uploads: upload.New(blobs, river, nil, nil)})
	require.NoError(t, err)
	router := funchost.NewRouter(false, nil)
	ad := funchost.New(funchost.Options{})
	for _, rt := range h.Routes() {
		require.NoError(t, router.Public(rt.Pattern, ad.HTTP("Portal", rt.Handler, funchost.MaxBody(upload.MaxRequestBytes))), rt.Pattern)
	}
	b.srv = env.Auth.Middleware(env.Sessions.CSRFMiddleware(router))
	return b
}

// postFile submits the upload form: its hidden fields, extra fields, then the file.
func (b *bundle) postFile(t *testing.T, c caller, hidden url.Values, fields map[string]string, name string, content []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range hidden {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(k, v))
		}
	}
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req := httptest.NewRequest(http.MethodPost, "/api/app/transcripts", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(t, c, req)
}

func TestUploadForm(t *testing.T) {
	t.Parallel()
	b := setupUploads(t)
	member := b.as(t, b.a, b.a.Member)

	page := b.get(t, member, "/api/app/meetings")
	require.Equal(t, http.StatusOK, page.StatusCode)
	f := page.formTo(t, "/api/app/transcripts")
	require.Equal(t, "post", f.method)
	require.NotEmpty(t, f.hidden.Get("csrf_token"), "the form carries the CSRF token")
	require.Contains(t, page.body, `enctype="multipart/form-data"`)
	require.Contains(t, page.text(), "Upload a transcript")

	t.Run("an upload leads to its meeting", func(t *testing.T) {
		res := b.postFile(t, member, f.hidden, map[string]string{"subject": "Roadmap review", "date": "2026-03-10"},
			"roadmap.txt", []byte(portalUploadText))
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
		loc := res.Header.Get("Location")
		require.True(t, strings.HasPrefix(loc, "/api/app/meetings/"), loc)
		id, err := store.ParseMeetingID(strings.TrimPrefix(loc, "/api/app/meetings/"))
		require.NoError(t, err)
		m, err := b.a.Store.Meeting(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, "Roadmap review", m.Subject)
		require.Equal(t, store.SourceUpload, m.Source)

		meeting := b.get(t, member, loc)
		require.Equal(t, http.StatusOK, meeting.StatusCode)
		require.Contains(t, meeting.text(), "Roadmap review")

		again := b.postFile(t, member, f.hidden, nil, "copy.txt", []byte(portalUploadText))
		require.Equal(t, http.StatusSeeOther, again.StatusCode)
		require.Equal(t, loc, again.Header.Get("Location"), "the same file is the same meeting")

		other := b.get(t, b.as(t, b.b, b.b.Admin), loc)
		require.Equal(t, http.StatusNotFound, other.StatusCode, "another tenant cannot see it")
	})

	t.Run("a refused file is explained on the meetings page", func(t *testing.T) {
		res := b.postFile(t, member, f.hidden, nil, "slides.pdf", []byte("%PDF-1.7"))
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
		text := res.text()
		require.Contains(t, text, "The transcript was not uploaded: files ending in .pdf are not accepted")
		require.Contains(t, text, "WebVTT (.vtt)")
		require.Contains(t, text, "Weekly sync", "the meetings list is shown")
		require.True(t, res.hasFormTo("/api/app/transcripts"), "the form is there to try again")
	})

	t.Run("without the CSRF token", func(t *testing.T) {
		res := b.postFile(t, member, nil, nil, "a.txt", []byte(portalUploadText))
		require.Equal(t, http.StatusForbidden, res.StatusCode)
	})

	t.Run("a suspended tenant has no form and cannot upload", func(t *testing.T) {
		tn := b.env.NewTenant(t, "Suspended")
		b.env.Suspend(t, tn)
		c := b.as(t, tn, tn.Member)
		page := b.get(t, c, "/api/app/meetings")
		require.Equal(t, http.StatusOK, page.StatusCode)
		require.False(t, page.hasFormTo("/api/app/transcripts"))
		res := b.postFile(t, c, url.Values{"csrf_token": {c.csrf}}, nil, "a.txt", []byte(portalUploadText))
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		ms, err := tn.Store.ListMeetings(context.Background(), store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Len(t, ms, 1, "only the fixture's meeting")
	})
}

func TestUploadNotConfigured(t *testing.T) {
	t.Parallel()
	b := setup(t)
	member := b.as(t, b.a, b.a.Member)
	res := b.postFile(t, member, url.Values{"csrf_token": {member.csrf}}, nil, "a.txt", []byte(portalUploadText))
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Contains(t, res.text(), "not configured")
}
