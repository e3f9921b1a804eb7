package session_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/session"
)

const portal = "https://minutes.example.com"

func url2form(token string) url.Values { return url.Values{session.CSRFFormField: {token}} }

// post builds a url-encoded POST to the portal carrying cookie c (if any), form and headers.
func post(t *testing.T, m *session.Manager, c *http.Cookie, form url.Values, headers map[string]string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, portal+"/meetings/1/approve", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c != nil {
		r.AddCookie(c)
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

// serve runs r through the middleware in front of a handler answering 204.
func serve(m *session.Manager, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	m.CSRFMiddleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(rec, r)
	return rec
}

func TestCSRFMiddleware(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{AllowedOrigins: []string{"https://portal.example.net"}})
	s := signedIn(m)
	c := save(t, m, s)
	other := m.Start()
	otherCookie := save(t, m, other)

	cases := []struct {
		name    string
		req     func() *http.Request
		want    int
		message string // substring of the 403 body
	}{
		{"GET passes without token", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, portal+"/meetings", nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}, http.StatusNoContent, ""},
		{"HEAD passes", func() *http.Request { return httptest.NewRequest(http.MethodHead, portal+"/", nil) }, http.StatusNoContent, ""},
		{"token in form", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": portal})
		}, http.StatusNoContent, ""},
		{"token in header", func() *http.Request {
			r := post(t, m, c, nil, map[string]string{session.CSRFHeader: session.CSRFToken(s)})
			r.Method = http.MethodDelete
			return r
		}, http.StatusNoContent, ""},
		{"Sec-Fetch-Site none (typed URL, bookmark)", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Sec-Fetch-Site": "none"})
		}, http.StatusNoContent, ""},
		{"allowed origin", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Origin": "https://PORTAL.example.net:443"})
		}, http.StatusNoContent, ""},
		{"origin with explicit default port", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Origin": portal + ":443"})
		}, http.StatusNoContent, ""},
		{"no session", func() *http.Request {
			return post(t, m, nil, url2form(session.CSRFToken(s)), nil)
		}, http.StatusForbidden, "no valid session"},
		{"tampered session", func() *http.Request {
			bad := *c
			bad.Value = "x" + bad.Value[1:]
			return post(t, m, &bad, url2form(session.CSRFToken(s)), nil)
		}, http.StatusForbidden, "no valid session"},
		{"missing token", func() *http.Request { return post(t, m, c, nil, nil) }, http.StatusForbidden, "no security token"},
		{"token only in query string", func() *http.Request {
			r := post(t, m, c, nil, nil)
			r.URL.RawQuery = url2form(session.CSRFToken(s)).Encode()
			return r
		}, http.StatusForbidden, "no security token"},
		{"wrong token", func() *http.Request {
			return post(t, m, c, url2form(strings.Repeat("A", 86)), nil)
		}, http.StatusForbidden, "does not match"},
		{"junk token", func() *http.Request { return post(t, m, c, url2form("<script>"), nil) }, http.StatusForbidden, "does not match"},
		{"raw secret is not a token", func() *http.Request { return post(t, m, c, url2form(s.CSRF), nil) }, http.StatusForbidden, "does not match"},
		{"token from another session", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(other)), nil)
		}, http.StatusForbidden, "does not match"},
		{"another session's cookie with this token", func() *http.Request {
			return post(t, m, otherCookie, url2form(session.CSRFToken(s)), nil)
		}, http.StatusForbidden, "does not match"},
		{"cross-site Sec-Fetch-Site", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Sec-Fetch-Site": "cross-site"})
		}, http.StatusForbidden, "cross-site"},
		{"same-site Sec-Fetch-Site", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Sec-Fetch-Site": "same-site"})
		}, http.StatusForbidden, "cross-site"},
		{"foreign Origin", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Origin": "https://evil.example"})
		}, http.StatusForbidden, "another origin"},
		{"http Origin on a secure portal", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Origin": "http://minutes.example.com"})
		}, http.StatusForbidden, "another origin"},
		{"null Origin", func() *http.Request {
			return post(t, m, c, url2form(session.CSRFToken(s)), map[string]string{"Origin": "null"})
		}, http.StatusForbidden, "another origin"},
		{"unknown method is checked", func() *http.Request {
			r := post(t, m, c, nil, nil)
			r.Method = "PROPFIND"
			return r
		}, http.StatusForbidden, "no security token"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := serve(m, tt.req())
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			if tt.message != "" {
				require.Contains(t, rec.Body.String(), tt.message)
				require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
				require.NotContains(t, rec.Body.String(), s.CSRF)
			}
		})
	}
}

func TestCSRFMultipartForm(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	s := signedIn(m)
	c := save(t, m, s)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField(session.CSRFFormField, session.CSRFToken(s)))
	require.NoError(t, mw.WriteField("title", "Weekly"))
	require.NoError(t, mw.Close())
	r := httptest.NewRequest(http.MethodPost, portal+"/meetings", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(c)

	var title string
	rec := httptest.NewRecorder()
	m.CSRFMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		title = r.PostFormValue("title") // the body is still readable downstream
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(rec, r)
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	require.Equal(t, "Weekly", title)
}

func TestCSRFInsecureOrigin(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{Insecure: true})
	s := signedIn(m)
	c := save(t, m, s)
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/x", strings.NewReader(url2form(session.CSRFToken(s)).Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "http://localhost:8080")
	r.AddCookie(c)
	require.Equal(t, http.StatusNoContent, serve(m, r).Code)
}

func TestCSRFTokenMasking(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	s := m.Start()
	a, b := session.CSRFToken(s), session.CSRFToken(s)
	require.NotEqual(t, a, b, "each rendering differs")
	require.NotContains(t, a, s.CSRF)
	require.Empty(t, session.CSRFToken(nil))
	c := save(t, m, s)
	for _, tok := range []string{a, b} {
		require.Equal(t, http.StatusNoContent, serve(m, post(t, m, c, url2form(tok), nil)).Code)
	}
}

func TestCSRFFailedHook(t *testing.T) {
	t.Parallel()
	var got error
	m, _ := setup(t, session.Options{CSRFFailed: func(w http.ResponseWriter, _ *http.Request, err error) {
		got = err
		http.Error(w, "custom", http.StatusForbidden)
	}})
	rec := serve(m, post(t, m, nil, nil, nil))
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, "custom\n", rec.Body.String())
	require.ErrorIs(t, got, session.ErrCSRF)
}
