package graphtest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Request is a request the server received.
type Request struct {
	// Method and Path (unescaped, including the /v1.0 prefix) and RawQuery as received.
	Method, Path, RawQuery string
	// Header is the request's header.
	Header http.Header
	// Body is the request body, gunzipped if it was sent gzip-compressed.
	Body []byte
	// Gzipped says the body arrived with Content-Encoding: gzip.
	Gzipped bool
	// TokenTenant is the tid claim of the bearer token (read, not verified), empty if none.
	TokenTenant string
}

// Query returns the parsed query string.
func (r Request) Query() url.Values {
	q, _ := url.ParseQuery(r.RawQuery)
	return q
}

// Fault is a scripted error response.
type Fault struct {
	// Status is the HTTP status.
	Status int
	// Code and Message go into Graph's error document; empty Code sends no body.
	Code, Message string
	// RetryAfter, if set, is sent as the Retry-After header (seconds, e.g. "0").
	RetryAfter string
	// PathContains restricts the fault to requests whose path contains it. Empty matches all.
	PathContains string
	// Times is how many matching requests get the fault. Default 1.
	Times int
}

// Throttled is a 429 with Retry-After retryAfter (seconds).
func Throttled(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: retryAfter}
}

// PaymentRequired is the 402 of a metered API past its evaluation quota.
func PaymentRequired() Fault {
	return Fault{Status: http.StatusPaymentRequired, Code: "PaymentRequired",
		Message: "Evaluation capacity for application in the month has been reached. To continue using this API, set up billing for the application."}
}

// AccessPolicyDenied is the 403 Graph answers when no Teams application access policy covers
// the user in the path (the documented message).
func AccessPolicyDenied(userID string) Fault {
	return Fault{Status: http.StatusForbidden, Code: "Forbidden",
		Message: fmt.Sprintf("Application is not allowed to perform operations on the user '%s', neither is allowed access through RSC permission evaluation.", userID)}
}

// TranscriptAPIDisabled is a 403 for a tenant whose Teams "Transcript API access" setting is
// off. Graph documents no exact text; this one names the setting.
func TranscriptAPIDisabled() Fault {
	return Fault{Status: http.StatusForbidden, Code: "Forbidden",
		Message: "Transcript API access is disabled for this tenant. An administrator must enable it (EnableGraphTranscriptAccess)."}
}

// OtherForbidden is a 403 that is none of the classified gates (e.g. a missing role).
func OtherForbidden() Fault {
	return Fault{Status: http.StatusForbidden, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."}
}

// NotFound is a 404 (for transcripts: not available yet).
func NotFound() Fault {
	return Fault{Status: http.StatusNotFound, Code: "NotFound", Message: "The requested resource was not found."}
}

// InternalError is a 500.
func InternalError() Fault {
	return Fault{Status: http.StatusInternalServerError, Code: "InternalServerError", Message: "An internal server error occurred."}
}

// Meeting is a seeded online meeting.
type Meeting struct {
	ID, Subject, JoinURL, ThreadID string
	Start, End                     time.Time
	Organizer                      Person
	Attendees                      []Person
	Transcripts                    []Transcript
}

// Person is a meeting participant.
type Person struct{ ID, Name, UPN string }

// Transcript is a seeded transcript with its WebVTT content.
type Transcript struct {
	ID, CallID, ContentCorrelationID string
	Created, End                     time.Time
	VTT                              []byte
}

// Subscription is a subscription as the server holds it.
type Subscription struct {
	ID, Resource, ChangeType, NotificationURL, LifecycleURL, ClientState string
	ExpiresAt                                                            time.Time
	IncludeResourceData                                                  bool
	EncryptionCertificate, EncryptionCertificateID                       string
	Reauthorized                                                         int
}

// File is an uploaded file.
type File struct {
	Content          []byte
	ConflictBehavior string
	// Chunks are the sizes of the upload-session chunks, empty for a simple upload.
	Chunks []int
}

// Server is a running fake Graph. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Graph base URL including the version: http://127.0.0.1:port/v1.0.
	URL string
	// Host is the server's host name (127.0.0.1), for ClientsOptions.ValidHosts.
	Host string

	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex
	requests []Request
	faults   []*Fault
	meetings map[string]*Meeting // organizer/meetingID
	subs     map[string]*Subscription
	files    map[string]*File // driveID:/path
	calls    map[string]*CallRecord
	sessions map[string]*session
	// PageSize > 0 makes transcript lists page with @odata.nextLink.
	pageSize int
}

type session struct {
	drive, path, conflict string
	received              []byte
	chunks                []int
	total                 int64
}

// New starts a fake Graph, closed on t.Cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		now:      time.Now,
		meetings: map[string]*Meeting{},
		subs:     map[string]*Subscription{},
		files:    map[string]*File{},
		calls:    map[string]*CallRecord{},
		sessions: map[string]*session{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users/{u}/onlineMeetings", s.authed(s.findMeetings))
	mux.HandleFunc("GET /v1.0/users/{u}/onlineMeetings/{m}", s.authed(s.getMeeting))
	mux.HandleFunc("GET /v1.0/communications/callRecords/{id}", s.authed(s.getCallRecord))
	mux.HandleFunc("GET /v1.0/users/{u}/onlineMeetings/{m}/transcripts", s.authed(s.listTranscripts))
	mux.HandleFunc("GET /v1.0/users/{u}/onlineMeetings/{m}/transcripts/{t}/content", s.authed(s.transcriptContent))
	mux.HandleFunc("POST /v1.0/subscriptions", s.authed(s.createSubscription))
	mux.HandleFunc("PATCH /v1.0/subscriptions/{id}", s.authed(s.renewSubscription))
	mux.HandleFunc("POST /v1.0/subscriptions/{id}/reauthorize", s.authed(s.reauthorize))
	mux.HandleFunc("DELETE /v1.0/subscriptions/{id}", s.authed(s.deleteSubscription))
	mux.HandleFunc("POST /v1.0/users/{u}/sendMail", s.authed(s.sendMail))
	mux.HandleFunc("/v1.0/drives/", s.authed(s.drive))
	mux.HandleFunc("/upload/{id}", s.record(s.uploadChunk))
	mux.HandleFunc("/", s.authed(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+r.URL.Path+"'.")
	}))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/v1.0"
	u, _ := url.Parse(s.srv.URL)
	s.Host = u.Hostname()
	return s
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetTranscriptPageSize makes transcript lists return n per page with @odata.nextLink.
func (s *Server) SetTranscriptPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// AddMeeting seeds a meeting under its organizer.
func (s *Server) AddMeeting(m Meeting) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meetings[m.Organizer.ID+"/"+m.ID] = &m
}

// AddTranscript adds t to the seeded meeting meetingID of organizer: a transcript that becomes
// available later. It reports false when there is no such meeting.
func (s *Server) AddTranscript(organizer, meetingID string, t Transcript) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[organizer+"/"+meetingID]
	if ok {
		m.Transcripts = append(m.Transcripts, t)
	}
	return ok
}

// CallRecord is a seeded call record (GET /communications/callRecords/{id}).
type CallRecord struct {
	ID, Type, JoinURL, OrganizerID string
	Start, End                     time.Time
}

// AddCallRecord seeds a call record.
func (s *Server) AddCallRecord(c CallRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[c.ID] = &c
}

// Fail scripts f for the next matching request(s).
func (s *Server) Fail(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Subscription returns the subscription id as the server holds it.
func (s *Server) Subscription(id string) (Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return Subscription{}, false
	}
	return *sub, true
}

// File returns the file uploaded to path ("/folder/name.docx") on drive.
func (s *Server) File(drive, path string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[drive+":"+path]
	if !ok {
		return File{}, false
	}
	return *f, true
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte)

// record reads (and gunzips) the body, records the request and applies scripted faults.
func (s *Server) record(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "read body")
			return
		}
		gz := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
		body := raw
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "BadRequest", "invalid gzip body")
				return
			}
		}
		req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
			Body: body, Gzipped: gz, TokenTenant: tokenTenant(r.Header.Get("Authorization"))}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		var fault *Fault
		for i, f := range s.faults {
			if f.PathContains == "" || strings.Contains(r.URL.Path, f.PathContains) {
				fault = f
				if f.Times--; f.Times == 0 {
					s.faults = slices.Delete(s.faults, i, i+1)
				}
				break
			}
		}
		s.mu.Unlock()
		if fault != nil {
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			if fault.Code == "" {
				w.WriteHeader(fault.Status)
				return
			}
			writeError(w, fault.Status, fault.Code, fault.Message)
			return
		}
		h(w, r, body)
	}
}

// authed is record plus the bearer-token check Graph does.
func (s *Server) authed(h handler) http.HandlerFunc {
	return s.record(func(w http.ResponseWriter, r *http.Request, body []byte) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		h(w, r, body)
	})
}

// tokenTenant reads the tid claim of a JWT bearer token without verifying it.
func tokenTenant(authz string) string {
	tok, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok {
		return ""
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		TID string `json:"tid"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	return c.TID
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes Graph's error document.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        uuid.NewString(),
			"client-request-id": uuid.NewString(),
		},
	}})
}

func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

func (s *Server) meeting(r *http.Request) (*Meeting, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[r.PathValue("u")+"/"+r.PathValue("m")]
	return m, ok
}

func personJSON(p Person) map[string]any {
	return map[string]any{
		"upn":  p.UPN,
		"role": "attendee",
		"identity": map[string]any{"user": map[string]any{
			"id": p.ID, "displayName": p.Name, "tenantId": nil, "identityProvider": "AAD",
		}},
	}
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request, raw []byte) {
	if strings.HasPrefix(r.PathValue("m"), "getAllTranscripts(") {
		s.allTranscripts(w, r, raw)
		return
	}
	m, ok := s.meeting(r)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "The meeting was not found.")
		return
	}
	body := s.meetingJSON(r.PathValue("u"), m)
	body["@odata.context"] = s.URL + "/$metadata#users('" + r.PathValue("u") + "')/onlineMeetings/$entity"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) meetingJSON(u string, m *Meeting) map[string]any {
	org := personJSON(m.Organizer)
	org["role"] = "presenter"
	attendees := []any{}
	for _, a := range m.Attendees {
		attendees = append(attendees, personJSON(a))
	}
	return map[string]any{
		"id":            m.ID,
		"subject":       m.Subject,
		"startDateTime": graphTime(m.Start),
		"endDateTime":   graphTime(m.End),
		"joinWebUrl":    m.JoinURL,
		"chatInfo":      map[string]any{"threadId": m.ThreadID, "messageId": "0"},
		"participants":  map[string]any{"organizer": org, "attendees": attendees},
	}
}

// findMeetings answers the one documented query of the collection: $filter=JoinWebUrl eq '…'.
// Without it Graph refuses the request, and so does this.
func (s *Server) findMeetings(w http.ResponseWriter, r *http.Request, _ []byte) {
	f := r.URL.Query().Get("$filter")
	const prefix = "JoinWebUrl eq '"
	if !strings.HasPrefix(f, prefix) || !strings.HasSuffix(f, "'") || len(f) < len(prefix)+1 {
		writeError(w, http.StatusBadRequest, "BadRequest", "Filter on JoinWebUrl is required.")
		return
	}
	link := strings.ReplaceAll(f[len(prefix):len(f)-1], "''", "'")
	u := r.PathValue("u")
	s.mu.Lock()
	vals := []any{}
	for key, m := range s.meetings {
		if strings.HasPrefix(key, u+"/") && m.JoinURL == link {
			vals = append(vals, s.meetingJSON(u, m))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": s.URL + "/$metadata#users('" + u + "')/onlineMeetings",
		"value":          vals,
	})
}

func (s *Server) getCallRecord(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	c, ok := s.calls[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "The call record was not found.")
		return
	}
	typ := c.Type
	if typ == "" {
		typ = "groupCall"
	}
	var organizer any
	if c.OrganizerID != "" {
		organizer = map[string]any{"user": map[string]any{"id": c.OrganizerID, "displayName": nil}}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context":       s.URL + "/$metadata#communications/callRecords/$entity",
		"@odata.type":          "#microsoft.graph.callRecords.callRecord",
		"id":                   c.ID,
		"version":              1,
		"type":                 typ,
		"modalities":           []string{"audio", "video"},
		"lastModifiedDateTime": graphTime(c.End),
		"startDateTime":        graphTime(c.Start),
		"endDateTime":          graphTime(c.End),
		"joinWebUrl":           nilIfEmpty(c.JoinURL),
		"organizer":            organizer,
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) transcriptJSON(u string, m *Meeting, t Transcript) map[string]any {
	return map[string]any{
		"id":                   t.ID,
		"meetingId":            m.ID,
		"callId":               t.CallID,
		"contentCorrelationId": t.ContentCorrelationID,
		"createdDateTime":      graphTime(t.Created),
		"endDateTime":          graphTime(t.End),
		"transcriptContentUrl": s.URL + "/users/" + u + "/onlineMeetings/" + m.ID + "/transcripts/" + t.ID + "/content",
		"meetingOrganizer": map[string]any{"user": map[string]any{
			"id": m.Organizer.ID, "userIdentityType": "aadUser",
		}},
	}
}

func (s *Server) listTranscripts(w http.ResponseWriter, r *http.Request, _ []byte) {
	m, ok := s.meeting(r)
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "The meeting was not found.")
		return
	}
	s.mu.Lock()
	size := s.pageSize
	s.mu.Unlock()
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	ts := m.Transcripts[min(skip, len(m.Transcripts)):]
	resp := map[string]any{}
	if size > 0 && len(ts) > size {
		ts = ts[:size]
		resp["@odata.nextLink"] = s.URL + r.URL.Path[len("/v1.0"):] + "?$skiptoken=" + strconv.Itoa(skip+size)
	}
	vals := []any{}
	for _, t := range ts {
		vals = append(vals, s.transcriptJSON(r.PathValue("u"), m, t))
	}
	resp["value"] = vals
	writeJSON(w, http.StatusOK, resp)
}

// allTranscripts serves getAllTranscripts(meetingOrganizerUserId='{id}',startDateTime={dt}):
// the organizer must match the path (Graph requires the parameter), and transcripts created
// before startDateTime are left out.
func (s *Server) allTranscripts(w http.ResponseWriter, r *http.Request, _ []byte) {
	fn := r.PathValue("m")
	u := r.PathValue("u")
	args := strings.TrimSuffix(strings.TrimPrefix(fn, "getAllTranscripts("), ")")
	var org string
	var since time.Time
	for _, kv := range strings.Split(args, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "meetingOrganizerUserId":
			org = strings.Trim(v, "'")
		case "startDateTime":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, "BadRequest", "Invalid startDateTime.")
				return
			}
			since = t
		}
	}
	if org == "" || org != u {
		writeError(w, http.StatusBadRequest, "BadRequest", "meetingOrganizerUserId is required and must match the user.")
		return
	}
	s.mu.Lock()
	vals := []any{}
	for key, m := range s.meetings {
		if !strings.HasPrefix(key, u+"/") {
			continue
		}
		for _, t := range m.Transcripts {
			if since.IsZero() || !t.Created.Before(since) {
				vals = append(vals, s.transcriptJSON(u, m, t))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": vals})
}

func (s *Server) transcriptContent(w http.ResponseWriter, r *http.Request, _ []byte) {
	m, ok := s.meeting(r)
	if ok {
		for _, t := range m.Transcripts {
			if t.ID == r.PathValue("t") {
				w.Header().Set("Content-Type", "text/vtt")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(t.VTT)
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "NotFound", "The transcript was not found.")
}
