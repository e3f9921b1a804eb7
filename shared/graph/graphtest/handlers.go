package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Documented subscription maxima (change-notifications-subscription-lifetime), kept apart
// from package graph's copy so the fake checks the client independently.
func maxLifetime(resource string) time.Duration {
	r := strings.ToLower(strings.TrimPrefix(resource, "/"))
	switch {
	case strings.HasPrefix(r, "communications/callrecords"):
		return 4230 * time.Minute
	case strings.Contains(r, "transcripts"), strings.Contains(r, "recordings"):
		return 4320 * time.Minute
	}
	return 4230 * time.Minute
}

type subscriptionJSON struct {
	ID                       string     `json:"id,omitempty"`
	Resource                 string     `json:"resource,omitempty"`
	ChangeType               string     `json:"changeType,omitempty"`
	NotificationURL          string     `json:"notificationUrl,omitempty"`
	LifecycleNotificationURL string     `json:"lifecycleNotificationUrl,omitempty"`
	ClientState              string     `json:"clientState,omitempty"`
	ExpirationDateTime       *time.Time `json:"expirationDateTime,omitempty"`
	IncludeResourceData      bool       `json:"includeResourceData,omitempty"`
	EncryptionCertificate    string     `json:"encryptionCertificate,omitempty"`
	EncryptionCertificateID  string     `json:"encryptionCertificateId,omitempty"`
}

func (s *Server) subscriptionResponse(sub *Subscription) map[string]any {
	return map[string]any{
		"@odata.context":            s.URL + "/$metadata#subscriptions/$entity",
		"id":                        sub.ID,
		"resource":                  sub.Resource,
		"applicationId":             uuid.NewSHA1(uuid.Nil, []byte("app")).String(),
		"changeType":                sub.ChangeType,
		"clientState":               sub.ClientState,
		"notificationUrl":           sub.NotificationURL,
		"lifecycleNotificationUrl":  sub.LifecycleURL,
		"expirationDateTime":        graphTime(sub.ExpiresAt),
		"creatorId":                 uuid.NewSHA1(uuid.Nil, []byte("creator")).String(),
		"includeResourceData":       sub.IncludeResourceData,
		"latestSupportedTlsVersion": "v1_2",
		"encryptionCertificate":     nil,
		"encryptionCertificateId":   sub.EncryptionCertificateID,
	}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, body []byte) {
	var in subscriptionJSON
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "Invalid request body.")
		return
	}
	now := s.now()
	var problem string
	switch {
	case in.Resource == "" || in.ChangeType == "" || in.NotificationURL == "" || in.ExpirationDateTime == nil:
		problem = "resource, changeType, notificationUrl and expirationDateTime are required."
	case !strings.HasPrefix(in.NotificationURL, "https://"):
		problem = "Subscription validation request failed. Notification endpoint must be HTTPS."
	case in.ExpirationDateTime.Sub(now) > maxLifetime(in.Resource):
		problem = fmt.Sprintf("Subscription expiration can only be %d minutes in the future.", int(maxLifetime(in.Resource).Minutes()))
	case in.ExpirationDateTime.Before(now):
		problem = "Subscription expiration must be in the future."
	case in.ExpirationDateTime.Sub(now) > time.Hour && in.LifecycleNotificationURL == "" && maxLifetime(in.Resource) == 4320*time.Minute:
		problem = "lifecycleNotificationUrl is required for subscription creation on this resource when the expirationDateTime value exceeds 1 hour"
	case len(in.ClientState) > 128:
		problem = "clientState is longer than 128 characters."
	case in.IncludeResourceData && (in.EncryptionCertificate == "" || in.EncryptionCertificateID == ""):
		problem = "A valid encryption certificate and certificate ID are required when includeResourceData is true."
	}
	if problem != "" {
		writeError(w, http.StatusBadRequest, "ValidationError", problem)
		return
	}
	sub := &Subscription{
		ID: uuid.NewString(), Resource: in.Resource, ChangeType: in.ChangeType,
		NotificationURL: in.NotificationURL, LifecycleURL: in.LifecycleNotificationURL,
		ClientState: in.ClientState, ExpiresAt: in.ExpirationDateTime.UTC(),
		IncludeResourceData: in.IncludeResourceData, EncryptionCertificate: in.EncryptionCertificate,
		EncryptionCertificateID: in.EncryptionCertificateID,
	}
	s.mu.Lock()
	s.subs[sub.ID] = sub
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.subscriptionResponse(sub))
}

func (s *Server) renewSubscription(w http.ResponseWriter, r *http.Request, body []byte) {
	var in subscriptionJSON
	if err := json.Unmarshal(body, &in); err != nil || in.ExpirationDateTime == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "expirationDateTime is required.")
		return
	}
	s.mu.Lock()
	sub, ok := s.subs[r.PathValue("id")]
	var problem string
	if ok {
		if in.ExpirationDateTime.Sub(s.now()) > maxLifetime(sub.Resource) {
			problem = fmt.Sprintf("Subscription expiration can only be %d minutes in the future.", int(maxLifetime(sub.Resource).Minutes()))
		} else {
			sub.ExpiresAt = in.ExpirationDateTime.UTC()
			if in.EncryptionCertificate != "" {
				sub.EncryptionCertificate, sub.EncryptionCertificateID = in.EncryptionCertificate, in.EncryptionCertificateID
			}
		}
	}
	var resp map[string]any
	if ok && problem == "" {
		resp = s.subscriptionResponse(sub)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
	case problem != "":
		writeError(w, http.StatusBadRequest, "ValidationError", problem)
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) reauthorize(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	sub, ok := s.subs[r.PathValue("id")]
	if ok {
		sub.Reauthorized++
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	_, ok := s.subs[r.PathValue("id")]
	delete(s.subs, r.PathValue("id"))
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sendMail checks the documented body shape and answers 202 with no body.
func (s *Server) sendMail(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Message *struct {
			Subject string `json:"subject"`
			Body    *struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []struct {
				EmailAddress *struct {
					Address string `json:"address"`
				} `json:"emailAddress"`
			} `json:"toRecipients"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Message == nil || in.Message.Body == nil {
		writeError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Cannot read the request body.")
		return
	}
	if len(in.Message.ToRecipients) == 0 {
		writeError(w, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
		return
	}
	for _, rc := range in.Message.ToRecipients {
		if rc.EmailAddress == nil || !strings.Contains(rc.EmailAddress.Address, "@") {
			writeError(w, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
			return
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// drivePath matches /v1.0/drives/{drive}/root:/{path}:/{action}.
var drivePath = regexp.MustCompile(`^/v1\.0/drives/([^/]+)/root:(/.+):/(content|createUploadSession)$`)

func (s *Server) drive(w http.ResponseWriter, r *http.Request, body []byte) {
	m := drivePath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeError(w, http.StatusBadRequest, "invalidRequest", "Invalid drive path.")
		return
	}
	drive, path, action := m[1], m[2], m[3]
	switch {
	case action == "content" && r.Method == http.MethodPut:
		if len(body) > 4<<20 {
			writeError(w, http.StatusRequestEntityTooLarge, "requestTooLarge", "Simple upload is limited to 4 MB; use an upload session.")
			return
		}
		f := &File{Content: body, ConflictBehavior: r.URL.Query().Get("@microsoft.graph.conflictBehavior")}
		s.mu.Lock()
		s.files[drive+":"+path] = f
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, driveItem(path, len(body)))
	case action == "createUploadSession" && r.Method == http.MethodPost:
		var in struct {
			Item struct {
				ConflictBehavior string `json:"@microsoft.graph.conflictBehavior"`
			} `json:"item"`
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				writeError(w, http.StatusBadRequest, "invalidRequest", "Invalid request body.")
				return
			}
		}
		id := uuid.NewString()
		s.mu.Lock()
		s.sessions[id] = &session{drive: drive, path: path, conflict: in.Item.ConflictBehavior, total: -1}
		s.mu.Unlock()
		exp := s.now().Add(time.Hour)
		writeJSON(w, http.StatusOK, map[string]any{
			"@odata.context":     s.URL + "/$metadata#microsoft.graph.uploadSession",
			"uploadUrl":          s.srv.URL + "/upload/" + id,
			"expirationDateTime": graphTime(exp),
		})
	default:
		writeError(w, http.StatusMethodNotAllowed, "invalidRequest", "Method not allowed.")
	}
}

func driveItem(path string, size int) map[string]any {
	name := path[strings.LastIndex(path, "/")+1:]
	return map[string]any{"id": uuid.NewString(), "name": name, "size": size, "file": map[string]any{}}
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// uploadChunk is a PUT to an upload session's uploadUrl: no Authorization allowed, chunks in
// order, every chunk but the last a multiple of 320 KiB.
func (s *Server) uploadChunk(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get("Authorization") != "" {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "Authorization header must not be sent to the upload URL.")
		return
	}
	if r.Method == http.MethodDelete {
		s.mu.Lock()
		delete(s.sessions, r.PathValue("id"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPut {
		writeError(w, http.StatusMethodNotAllowed, "invalidRequest", "Method not allowed.")
		return
	}
	m := contentRange.FindStringSubmatch(r.Header.Get("Content-Range"))
	if m == nil {
		writeError(w, http.StatusBadRequest, "invalidRequest", "Content-Range is missing or invalid.")
		return
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[r.PathValue("id")]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "itemNotFound", "The upload session was not found.")
		return
	case sess.total >= 0 && total != sess.total:
		writeError(w, http.StatusBadRequest, "invalidRange", "The total size changed.")
		return
	case start != int64(len(sess.received)):
		if start < int64(len(sess.received)) {
			writeError(w, http.StatusRequestedRangeNotSatisfiable, "invalidRange", "The range was already received.")
			return
		}
		writeError(w, http.StatusBadRequest, "invalidRange", "Chunks must be uploaded in order.")
		return
	case end < start || end-start+1 != int64(len(body)) || r.ContentLength != int64(len(body)):
		writeError(w, http.StatusBadRequest, "invalidRange", "Content-Range does not match the body.")
		return
	case end+1 < total && len(body)%(320<<10) != 0:
		writeError(w, http.StatusBadRequest, "invalidRange", "Chunk size must be a multiple of 320 KiB.")
		return
	case len(body) >= 60<<20:
		writeError(w, http.StatusRequestEntityTooLarge, "invalidRange", "Chunk must be smaller than 60 MiB.")
		return
	}
	sess.total = total
	sess.received = append(sess.received, body...)
	sess.chunks = append(sess.chunks, len(body))
	if int64(len(sess.received)) < total {
		writeJSON(w, http.StatusAccepted, map[string]any{
			"expirationDateTime": graphTime(s.now().Add(time.Hour)),
			"nextExpectedRanges": []string{strconv.Itoa(len(sess.received)) + "-"},
		})
		return
	}
	s.files[sess.drive+":"+sess.path] = &File{Content: sess.received, ConflictBehavior: sess.conflict, Chunks: sess.chunks}
	delete(s.sessions, r.PathValue("id"))
	writeJSON(w, http.StatusCreated, driveItem(sess.path, len(sess.received)))
}
