package minutespublish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
)

// DetailUncertain is the failure detail of an e-mail whose earlier attempt never settled.
const DetailUncertain = "delivery uncertain, not resent"

// defaultThrottleWait is the retry delay of a throttled request that named no Retry-After.
const defaultThrottleWait = time.Minute

// outcome classifies a channel's error.
type outcome int

const (
	// done: the effect happened.
	outcomeDone outcome = iota
	// refused: it did not happen and retrying will not help; the channel fails.
	outcomeRefused
	// throttled: it did not happen; retry after a delay.
	outcomeThrottled
	// notDone: it did not happen; the message is redelivered.
	outcomeNotDone
	// uncertain: it may have happened (no answer); the message is redelivered, the claim kept.
	outcomeUncertain
)

// publish runs channel ch of job j once: claimed in the ledger, effect, settled. A settled
// channel is skipped. Its error is the message's: Later when throttled or when another
// attempt may still be sending, any other to have the message redelivered.
func (h *Handler) publish(ctx context.Context, j *job, ch Channel) error {
	k := Key{Tenant: j.tenant.ID, Minutes: j.mins.ID, Channel: ch}
	now := h.d.Now()
	stale := now
	if !ch.idempotent() {
		stale = now.Add(-h.d.ClaimTimeout)
	}
	c, err := h.d.Ledger.Claim(ctx, k, now, stale)
	if err != nil {
		return err
	}
	if !c.Owned {
		switch c.State {
		case StateDone, StateFailed:
			h.d.Log.DebugContext(ctx, "publication already settled", "channel", string(ch), "state", string(c.State))
			return nil
		}
		wait := c.ClaimedAt.Add(h.d.ClaimTimeout).Sub(now)
		return funchost.Later(max(wait, time.Second), fmt.Errorf("%s publication in progress since %s", ch, c.ClaimedAt.UTC().Format(time.RFC3339)))
	}
	if c.TookOver && !ch.idempotent() {
		h.d.Log.WarnContext(ctx, "an earlier e-mail attempt never settled: not resent", "channel", string(ch),
			"claimed_at", c.ClaimedAt)
		return h.fail(ctx, j, k, c, DetailUncertain, "email delivery uncertain after an interrupted attempt; not resent")
	}

	var detail string
	switch ch {
	case ChannelDirectory:
		detail, err = h.writeDirectory(j)
	case ChannelSharePoint:
		detail, err = h.uploadSharePoint(ctx, j)
	case ChannelEmail:
		detail, err = h.sendEmail(ctx, j)
	default:
		err = fmt.Errorf("unknown channel %q", ch)
	}
	switch oc, reason := classify(ch, err); oc {
	case outcomeDone:
		if _, err := h.d.Ledger.Settle(ctx, k, c.ClaimedAt, StateDone, detail, h.d.Now()); err != nil {
			return err
		}
		h.d.Log.InfoContext(ctx, "published", "channel", string(ch), "detail", detail)
		return nil
	case outcomeRefused:
		h.d.Log.WarnContext(ctx, "publication refused", "channel", string(ch), "error", err.Error())
		return h.fail(ctx, j, k, c, reason, timelineReason(ch, reason))
	case outcomeThrottled:
		if _, serr := h.d.Ledger.Settle(ctx, k, c.ClaimedAt, "", "", h.d.Now()); serr != nil {
			return serr
		}
		wait, ok := graph.RetryAfter(err)
		if !ok {
			wait = defaultThrottleWait
		}
		return funchost.Later(wait, fmt.Errorf("publish to %s: %w", ch, err))
	case outcomeNotDone:
		if _, serr := h.d.Ledger.Settle(ctx, k, c.ClaimedAt, "", "", h.d.Now()); serr != nil {
			return serr
		}
		return fmt.Errorf("publish to %s: %w", ch, err)
	default: // uncertain: keep the claim; a redelivery after ClaimTimeout records the doubt
		if ch.idempotent() {
			if _, serr := h.d.Ledger.Settle(ctx, k, c.ClaimedAt, "", "", h.d.Now()); serr != nil {
				return serr
			}
		}
		return fmt.Errorf("publish to %s: %w", ch, err)
	}
}

// fail settles the claim as failed and tells the meeting's timeline.
func (h *Handler) fail(ctx context.Context, j *job, k Key, c Claim, detail, timeline string) error {
	if _, err := h.d.Ledger.Settle(ctx, k, c.ClaimedAt, StateFailed, detail, h.d.Now()); err != nil {
		return err
	}
	return h.event(ctx, j.st, j.mins.MeetingID, store.OutcomeFailed, timeline)
}

// classify sorts a channel's error, with the reason a refusal is recorded under.
func classify(ch Channel, err error) (outcome, string) {
	if err == nil {
		return outcomeDone, ""
	}
	var re *graph.ResponseError
	if errors.As(err, &re) {
		// Graph answered: whatever it said, the effect did not happen.
		switch {
		case re.Status == http.StatusGatewayTimeout && ch == ChannelEmail:
			return outcomeUncertain, "" // a gateway gave up waiting: Graph may have sent it
		case graph.IsThrottled(err):
			return outcomeThrottled, ""
		case re.Status == http.StatusForbidden:
			return outcomeRefused, graphReason("access denied", re)
		case re.Status >= 400 && re.Status < 500 && re.Status != http.StatusRequestTimeout && re.Status != http.StatusUnauthorized:
			return outcomeRefused, graphReason("refused", re)
		}
		return outcomeNotDone, ""
	}
	if ch == ChannelEmail {
		var te *textproto.Error
		switch {
		case mail.Permanent(err):
			return outcomeRefused, "the mail server refused the message"
		case errors.Is(err, errNoSender):
			return outcomeRefused, errNoSender.Error()
		case errors.As(err, &te):
			return outcomeNotDone, "" // a 4xx reply: not accepted, try again
		}
		return outcomeUncertain, ""
	}
	return outcomeUncertain, ""
}

// graphReason is a refusal's recorded reason: what happened, the status and Graph's code
// (never Graph's message, which may name users).
func graphReason(what string, re *graph.ResponseError) string {
	r := fmt.Sprintf("%s (%d", what, re.Status)
	if re.Code != "" {
		r += " " + re.Code
	}
	return r + ")"
}

// timelineReason is the meeting event of a refused channel: what failed and what to check.
func timelineReason(ch Channel, reason string) string {
	switch ch {
	case ChannelSharePoint:
		return "SharePoint upload " + reason + ": check the app's Sites.ReadWrite.All consent (or its Sites.Selected grant) and the library in the publishing settings"
	case ChannelEmail:
		return "email " + reason + ": check the sender mailbox and the app's Mail.Send permission (an Exchange application access policy may restrict it)"
	}
	return string(ch) + " " + reason
}

// writeDirectory writes the .docx and .html into OutputDir/{tenant}/, each atomically
// (temporary file, then rename), replacing earlier copies.
func (h *Handler) writeDirectory(j *job) (string, error) {
	dir := filepath.Join(h.d.OutputDir, j.tenant.ID.String())
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create output directory: %w", err)
	}
	base := strings.TrimSuffix(j.fileName, ".docx")
	for name, data := range map[string][]byte{base + ".docx": j.docx, base + ".html": []byte(j.html)} {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("wrote .docx (%d bytes) and .html", len(j.docx)), nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".publish-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o640)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// uploadSharePoint uploads the .docx, replacing a file of the same name.
func (h *Handler) uploadSharePoint(ctx context.Context, j *job) (string, error) {
	item, err := j.gc.UploadFile(ctx, graph.DriveID(j.settings.SharePointDriveID), j.spPath, bytes.NewReader(j.docx), int64(len(j.docx)))
	if err != nil {
		return "", err
	}
	detail := fmt.Sprintf("uploaded %d bytes", len(j.docx))
	if item.ID != "" {
		detail += ", item " + clip(item.ID)
	}
	return detail, nil
}

// errNoSender: the e-mail has no mailbox to leave from.
var errNoSender = errors.New("no sender mailbox: set the publishing sender, or the meeting needs an organizer")

// sendEmail sends the minutes to the distribution list: through Graph when the tenant is
// reached through Graph, else through Deps.Mail.
func (h *Handler) sendEmail(ctx context.Context, j *job) (string, error) {
	n := len(j.rcpt.To)
	detail := fmt.Sprintf("sent to %d recipients", n)
	if j.rcpt.OverLimit > 0 {
		detail += fmt.Sprintf(" (%d more over the limit of %d left out)", j.rcpt.OverLimit, MaxRecipients)
	}
	if j.rcpt.Invalid > 0 {
		detail += fmt.Sprintf(" (%d invalid addresses left out)", j.rcpt.Invalid)
	}
	if j.gc != nil {
		from := h.d.SenderMailbox
		if from == "" {
			from = graph.UserID(j.meeting.OrganizerID)
		}
		if from == "" {
			from = graph.UserID(j.meeting.OrganizerEmail)
		}
		if from == "" {
			return "", errNoSender
		}
		to := make([]graph.Address, n)
		for i, a := range j.rcpt.To {
			to[i] = graph.Address{Address: a.Email, Name: a.Name}
		}
		if err := j.gc.SendMail(ctx, from, graph.Mail{To: to, Subject: j.subject, HTMLBody: j.html}); err != nil {
			return "", err
		}
		return detail + " through Graph", nil
	}
	msg := mail.Message{
		From:    h.d.MailFrom,
		To:      j.rcpt.To,
		Subject: j.subject,
		Text:    j.text,
		HTML:    j.html,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
		// The idempotency key: a Dir sender writes one file per version whatever happens.
		ID: "minutes-" + j.mins.ID.String(),
	}
	if err := h.d.Mail.Send(ctx, msg); err != nil {
		return "", err
	}
	return detail, nil
}
