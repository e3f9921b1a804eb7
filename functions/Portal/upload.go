package portal

import (
	"context"
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
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

// uploadTranscript serves POST /api/app/transcripts, the meetings page's upload form
// (multipart: file, subject, date, CSRF token): member+, not while suspended. A stored file
// (new, or uploaded before) goes to its meeting's page; a refused one back to the meetings
// page, with the reason.
func (h *Handler) uploadTranscript(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleMember, true)
	if err != nil {
		return err
	}
	if h.d.Uploads == nil {
		return funchost.Unavailable("Transcript uploads are not configured on this installation.")
	}
	in, err := upload.ReadRequest(r, upload.MaxBytes)
	var res upload.Result
	if err == nil {
		in.UploadedBy = p.User
		res, err = h.d.Uploads.Upload(ctx, st, p.Tenant, in)
	}
	if err != nil {
		if status := funchost.StatusOf(err); status >= 400 && status < 500 {
			h.d.Log.DebugContext(ctx, "transcript upload refused", "error", err, "status", status)
			return h.uploadRefused(w, r, st, status, funchost.PublicMessage(err))
		}
		return err
	}
	return redirect(w, r, "/api/app/meetings/"+res.MeetingID.String())
}

// uploadRefused shows the first page of the meetings list with why the upload was refused.
// It builds the page with meetingsPage, as meetings does.
func (h *Handler) uploadRefused(w http.ResponseWriter, r *http.Request, st store.Store, status int, msg string) error {
	ctx := r.Context()
	p := access.FromContext(ctx)
	data, err := meetingsPage(ctx, p, st, store.MeetingCursor{})
	if err != nil {
		return err
	}
	v := h.newView(r, "Meetings", "meetings")
	v.Alert = "The transcript was not uploaded: " + msg
	v.Data = data
	return h.render(w, status, "meetings", v)
}
