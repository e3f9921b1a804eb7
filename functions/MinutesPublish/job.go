package minutespublish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/meetingminutes/minutes/shared/document"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// job is one approved minutes version being published, with what every channel needs.
type job struct {
	tenant   tenancy.Tenant
	st       store.Store
	mins     store.Minutes
	meeting  store.Meeting
	settings store.Settings
	// gc is the tenant's Graph client; nil when the tenant is not reached through Graph.
	gc GraphClient
	// channels are the channels to publish on, in order.
	channels []Channel
	// fileName is the document's file name; spPath its path in the SharePoint drive.
	fileName, spPath string
	docx             []byte
	html, text       string
	subject          string
	rcpt             recipientList
}

// prepare reads what the publication needs and renders it. It returns a nil job (and nil
// error) when the version must not be published after all.
func (h *Handler) prepare(ctx context.Context, t tenancy.Tenant, st store.Store, mins store.Minutes) (*job, error) {
	latest, err := st.LatestMinutes(ctx, mins.MeetingID)
	if err != nil {
		return nil, fmt.Errorf("read latest minutes: %w", err)
	}
	if latest.ID != mins.ID {
		// An edit after the approval made a newer version, which needs its own approval.
		h.d.Log.WarnContext(ctx, "approved minutes superseded before publishing; not published",
			"version", mins.Version, "latest_version", latest.Version)
		return nil, h.event(ctx, st, mins.MeetingID, store.OutcomeFailed,
			fmt.Sprintf("version %d was not published: version %d replaced it", mins.Version, latest.Version))
	}
	j := &job{tenant: t, st: st, mins: mins}
	if j.meeting, err = st.Meeting(ctx, mins.MeetingID); err != nil {
		return nil, fmt.Errorf("read meeting: %w", err)
	}
	if j.settings, err = st.Settings(ctx); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	content, err := document.ParseContent(mins.Content)
	if err != nil {
		return nil, funchost.Poison(fmt.Errorf("minutes %s: %w", mins.ID, err))
	}
	facts, err := h.facts(ctx, j)
	if err != nil {
		return nil, err
	}
	if h.d.Graph != nil && t.AzureTenantID != nil {
		if j.gc, err = h.d.Graph(*t.AzureTenantID); err != nil {
			return nil, fmt.Errorf("graph client: %w", err)
		}
	}
	j.rcpt = recipients(j.meeting, j.settings.Distribution)
	if h.d.OutputDir != "" {
		j.channels = append(j.channels, ChannelDirectory)
	}
	j.fileName = document.FileName(facts, ".docx")
	if j.gc != nil && j.settings.SharePointDriveID != "" {
		j.channels = append(j.channels, ChannelSharePoint)
		j.spPath = sharePointPath(j.settings.SharePointFolder, j.fileName)
		facts.DocumentName = j.spPath
	}
	if len(j.rcpt.To) > 0 && (j.gc != nil || h.d.Mail != nil) {
		j.channels = append(j.channels, ChannelEmail)
	}
	in := document.Input{Minutes: content, Facts: facts}
	if j.docx, err = document.DOCX(in); err != nil {
		return nil, fmt.Errorf("render document: %w", err)
	}
	if j.html, err = document.HTML(in); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	j.text = document.Text(in)
	j.subject = mailSubject(facts)
	return j, nil
}

// facts gathers the document's facts about the meeting and the approval.
func (h *Handler) facts(ctx context.Context, j *job) (document.Facts, error) {
	m := j.meeting
	f := document.Facts{
		Subject:   m.Subject,
		Organizer: m.OrganizerName,
		Version:   j.mins.Version,
	}
	if f.Organizer == "" {
		f.Organizer = m.OrganizerEmail
	}
	if m.StartsAt != nil {
		f.Start = m.StartsAt.UTC()
	}
	for _, p := range m.Participants {
		f.Attendees = append(f.Attendees, document.Attendee{Name: p.Name, Email: p.Email})
	}
	if j.mins.DecidedAt != nil {
		f.ApprovedAt = *j.mins.DecidedAt
	}
	if !j.mins.DecidedBy.IsZero() {
		u, err := j.st.User(ctx, j.mins.DecidedBy)
		switch {
		case err == nil:
			f.ApprovedBy = u.DisplayName
			if f.ApprovedBy == "" {
				f.ApprovedBy = u.Email
			}
		case !errors.Is(err, store.ErrNotFound):
			return f, fmt.Errorf("read approver: %w", err)
		}
	}
	if h.d.PortalURL != nil {
		f.Link = h.d.PortalURL.JoinPath("api", "app", "meetings", m.ID.String()).String()
	}
	return f, nil
}

// sharePointPath is folder/fileName with each folder segment made safe for SharePoint.
func sharePointPath(folder, fileName string) string {
	var segs []string
	for _, s := range strings.Split(strings.ReplaceAll(folder, "\\", "/"), "/") {
		if s = document.SafeName(s); s != "" {
			segs = append(segs, s)
		}
	}
	return strings.Join(append(segs, fileName), "/")
}

// mailSubject is "Minutes: {subject} ({date})", on one line.
func mailSubject(f document.Facts) string {
	subject := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(f.Subject, ""))), " ")
	if r := []rune(subject); len(r) > 200 {
		subject = string(r[:200]) + "…"
	}
	if subject == "" {
		subject = "Meeting"
	}
	if !f.Start.IsZero() {
		subject += " (" + f.Start.Format("2 Jan 2006") + ")"
	}
	return "Minutes: " + subject
}

// event appends a publish entry to the meeting's timeline.
func (h *Handler) event(ctx context.Context, st store.Store, meeting store.MeetingID, outcome store.EventOutcome, detail string) error {
	err := st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: meeting, Stage: StagePublish, Outcome: outcome, Detail: detail})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("record publish event: %w", err)
	}
	return nil
}
