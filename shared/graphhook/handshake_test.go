package graphhook_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
)

func TestValidationToken(t *testing.T) {
	t.Parallel()
	const graphToken = "Validation: Testing client application reachability for subscription Request-Id: 2c6d1e0b-8f47-4a93-9b1e-5d7c3a0f9e12"
	cases := []struct {
		name      string
		method    string
		query     string
		want      string
		wantOK    bool
		wantServe int // 0: not a validation request
	}{
		{name: "POST with plus-encoded token", method: http.MethodPost, query: "validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+2c6d1e0b-8f47-4a93-9b1e-5d7c3a0f9e12", want: graphToken, wantOK: true, wantServe: http.StatusOK},
		{name: "GET with percent-encoded token", method: http.MethodGet, query: "validationToken=" + url.PathEscape(graphToken), want: graphToken, wantOK: true, wantServe: http.StatusOK},
		{name: "echoed routing hint beside the token", method: http.MethodPost, query: "route=eu&validationToken=abc%3D%3D", want: "abc==", wantOK: true, wantServe: http.StatusOK},
		{name: "HTML-looking token is echoed as text", method: http.MethodPost, query: "validationToken=%3Cscript%3E", want: "<script>", wantOK: true, wantServe: http.StatusOK},
		{name: "token of exactly the bound", method: http.MethodPost, query: "validationToken=" + strings.Repeat("a", graphhook.MaxValidationTokenBytes), want: strings.Repeat("a", graphhook.MaxValidationTokenBytes), wantOK: true, wantServe: http.StatusOK},
		{name: "oversized token", method: http.MethodPost, query: "validationToken=" + strings.Repeat("a", graphhook.MaxValidationTokenBytes+1), wantServe: http.StatusBadRequest},
		{name: "newline in token", method: http.MethodPost, query: "validationToken=a%0Ab", wantServe: http.StatusBadRequest},
		{name: "NUL in token", method: http.MethodPost, query: "validationToken=a%00b", wantServe: http.StatusBadRequest},
		{name: "DEL in token", method: http.MethodPost, query: "validationToken=a%7Fb", wantServe: http.StatusBadRequest},
		{name: "C1 control in token", method: http.MethodPost, query: "validationToken=a%C2%85b", wantServe: http.StatusBadRequest},
		{name: "invalid UTF-8", method: http.MethodPost, query: "validationToken=a%FFb", wantServe: http.StatusBadRequest},
		{name: "empty token", method: http.MethodPost, query: "validationToken=", wantServe: http.StatusBadRequest},
		{name: "two tokens", method: http.MethodPost, query: "validationToken=a&validationToken=b", wantServe: http.StatusBadRequest},
		{name: "PUT", method: http.MethodPut, query: "validationToken=a", wantServe: http.StatusBadRequest},
		{name: "no token: a notification", method: http.MethodPost, query: "", wantServe: 0},
		{name: "other parameter only", method: http.MethodPost, query: "route=eu", wantServe: 0},
		{name: "parameter name is case-sensitive", method: http.MethodPost, query: "validationtoken=a", wantServe: 0},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "/api/graph/notifications?"+tt.query, strings.NewReader(`{"value":[]}`))
			got, ok := graphhook.ValidationToken(r)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.want, got)

			rec := httptest.NewRecorder()
			served := graphhook.ServeValidation(rec, r)
			require.Equal(t, tt.wantServe != 0, served)
			require.Equal(t, tt.wantServe != 0, graphhook.IsValidationRequest(r))
			if tt.wantServe == 0 {
				require.Zero(t, rec.Body.Len())
				return
			}
			require.Equal(t, tt.wantServe, rec.Code)
			if tt.wantServe == http.StatusOK {
				require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
				require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
				require.Equal(t, tt.want, rec.Body.String(), "body is exactly the decoded token")
			}
		})
	}
}
