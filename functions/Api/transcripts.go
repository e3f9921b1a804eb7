package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
	"github.com/meetingminutes/minutes/shared/upload"
)

// Uploads stores an uploaded transcript in a tenant's store and queues its minutes. It is an
// interface because the service needs the blob store and the queue, which only the wiring
// holds; *upload.Service implements it.
type Uploads interface {
	Upload(ctx context.Context, st store.Store, tenant tenancy.ID, in upload.Input) (upload.Result, error)
}

var _ Uploads = (*upload.Service)(nil)

// uploadJSON is the answer of POST /api/v1/transcripts.
type uploadJSON struct {
	MeetingID    string `json:"meeting_id"`
	TranscriptID string `json:"transcript_id"`
	Created      bool   `json:"created"`
}

// uploadTranscript answers POST /api/v1/transcripts (member+, not while suspended): a
// transcript file as multipart/form-data ("file", optional "subject" and "date"), or as the
// body with Content-Type text/vtt or text/plain (?name=, ?subject=, ?date=). 201 with the
// meeting's Location for a new transcript, 200 with created false for a file uploaded
// before; 400, 413 or 415 say what is wrong with the file. The upload is audited as
// "transcript.uploaded" by shared/upload.
func (h *Handler) uploadTranscript(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleMember, true)
	if err != nil {
		return fmt.Errorf("upload transcript: %w", err)
	}
	if h.uploads == nil {
		return funchost.Unavailable("uploads are not configured")
	}
	in, err := upload.ReadRequest(r, upload.MaxBytes)
	if err != nil {
		return fmt.Errorf("upload transcript: %w", err)
	}
	in.UploadedBy = p.User
	res, err := h.uploads.Upload(r.Context(), st, p.Tenant, in)
	if err != nil {
		return fmt.Errorf("upload transcript: %w", err)
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/meetings/"+res.MeetingID.String())
	}
	return reply(w, status, uploadJSON{MeetingID: res.MeetingID.String(), TranscriptID: res.TranscriptID.String(), Created: res.Created})
}
