package main

// The browser tests drive the real binary with headless Chromium (chromedp): the issue's
// acceptance flow — sign-up with Microsoft (a fake Entra ID), admin consent, the setup
// wizard, an invitation accepted by a second user in a second browser, and the review and
// approval of minutes — and the dev sign-in of make run. Each step leaves a full-page PNG
// under test-artifacts/browser/ at the repository root (gitignored, kept as CI artifacts);
// a failing step leaves a screenshot and the page's HTML there too.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const (
	// chromiumPath is Debian's chromium, which .ci/run installs.
	chromiumPath = "/usr/bin/chromium"
	// browserBudget bounds a whole browser test, browser start-up included.
	browserBudget = 90 * time.Second
)

// requireChromium skips without Chromium on a workstation and fails without it in CI.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("browser tests need %s (apt-get install chromium): %v", chromiumPath, err)
		}
		t.Fatalf("browser tests need %s in CI (.ci/run installs it): %v", chromiumPath, err)
	}
}

// artifactsDir is test-artifacts/browser at the repository root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "test-artifacts", "browser"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// startStandalone starts the binary in standalone mode on port (the caller picks it, since
// PUBLIC_BASE_URL must name it) and waits for GET / to answer. On failure the test logs the
// process's output.
func startStandalone(t *testing.T, port string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(handlerBin, "standalone")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PORT=" + port, "LISTEN_HOST=127.0.0.1"}, env...)
	p := &proc{cmd: cmd, base: "http://127.0.0.1:" + port, stdout: &logtest.Buffer{}, stderr: &logtest.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, cmd.Start())
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("handler stdout (tail):\n%s", tail(p.stdout.String(), 8000))
			t.Logf("handler stderr (tail):\n%s", tail(p.stderr.String(), 8000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.base + "/")
		if err == nil {
			res.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("handler exited before answering GET /: %v\nstderr: %s", p.err, p.stderr.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler did not answer GET / within 30s\nstderr: %s", p.stderr.String())
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// browser is one headless Chromium with its own profile (so its own cookies).
type browser struct {
	t        *testing.T
	name     string
	ctx      context.Context // the tab's context, without deadline
	deadline time.Time       // end of the test's budget
	dir      string          // artifacts

	mu       sync.Mutex
	problems []string // script errors, console errors and failed subresources seen so far
}

// newBrowser starts Chromium and opens a tab. Its process ends with the test.
func newBrowser(t *testing.T, name string, deadline time.Time) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	// Not t.TempDir: Chromium's helper processes may still write the profile for a moment after
	// the browser exits, and TempDir's cleanup fails the test on a directory not yet empty.
	profile, err := os.MkdirTemp("", "chromium-profile-")
	require.NoError(t, err)
	opts = append(opts, chromedp.UserDataDir(profile))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	b := &browser{t: t, name: name, ctx: ctx, deadline: deadline, dir: artifactsDir(t)}
	stale, _ := filepath.Glob(filepath.Join(b.dir, "FAILED-"+name+"-*"))
	for _, f := range stale { // from an earlier failed run
		_ = os.Remove(f)
	}
	chromedp.ListenTarget(ctx, b.listen)
	// Start the browser without a deadline: a deadline on the first Run would end the
	// browser itself when it passes.
	start, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- chromedp.Run(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err, "start %s", chromiumPath)
	case <-start.Done():
		t.Fatalf("%s did not start before the test's deadline", chromiumPath)
	}
	return b
}

// listen records what a user would not see but a broken page shows in the console: script
// exceptions, console errors, browser errors (a blocked script or style, a failed load) and
// subresources (CSS, JS, images) answered with an error status.
func (b *browser) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		problem = "script exception: " + ev.ExceptionDetails.Error()
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			problem = "console.error: " + strings.Join(args, " ")
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.LevelError && !strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			problem = fmt.Sprintf("browser error (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventResponseReceived:
		if ev.Type != network.ResourceTypeDocument && ev.Response.Status >= 400 && !strings.HasSuffix(ev.Response.URL, "/favicon.ico") {
			problem = fmt.Sprintf("%s %s answered %d", ev.Type, ev.Response.URL, ev.Response.Status)
		}
	}
	if problem != "" {
		b.mu.Lock()
		b.problems = append(b.problems, problem)
		b.mu.Unlock()
	}
}

// requireCleanConsole fails the test if any page had a script error or a broken subresource.
func (b *browser) requireCleanConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Errorf("%s browser: the pages reported problems:\n%s", b.name, strings.Join(b.problems, "\n"))
	}
}

// run runs actions within the test's budget; on failure it saves a screenshot and the HTML
// of the page and fails the test with the URL the browser is at.
func (b *browser) run(step string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithDeadline(b.ctx, b.deadline)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

// fail records the page and fails the test.
func (b *browser) fail(step string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var loc, html string
	var png []byte
	_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.OuterHTML("html", &html, chromedp.ByQuery), chromedp.FullScreenshot(&png, 100))
	base := filepath.Join(b.dir, "FAILED-"+b.name+"-"+slug(step))
	if len(png) > 0 {
		_ = os.WriteFile(base+".png", png, 0o644)
	}
	if html != "" {
		_ = os.WriteFile(base+".html", []byte(html), 0o644)
	}
	b.t.Fatalf("%s: %s: %v\nbrowser at: %s\npage saved as %s.{png,html}", b.name, step, err, loc, base)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// shot saves a full-page PNG as test-artifacts/browser/<name>.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	b.run("screenshot "+name, chromedp.FullScreenshot(&png, 100))
	path := filepath.Join(b.dir, name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot %s", path)
}

// location returns the page's URL.
func (b *browser) location() *url.URL {
	b.t.Helper()
	var loc string
	b.run("read location", chromedp.Location(&loc))
	u, err := url.Parse(loc)
	require.NoError(b.t, err)
	return u
}

// requirePath asserts the browser is on path.
func (b *browser) requirePath(step, path string) {
	b.t.Helper()
	if u := b.location(); u.Path != path {
		b.fail(step, fmt.Errorf("want path %s, at %s", path, u))
	}
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("read text of "+sel, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return s
}

// requireText asserts the element sel shows every one of want.
func (b *browser) requireText(step, sel string, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.fail(step, fmt.Errorf("%s does not show %q; it shows:\n%s", sel, w, got))
		}
	}
}

// waitPage waits for sel, the mark of the page a navigation leads to.
func waitPage(sel string) chromedp.Action { return chromedp.WaitVisible(sel, chromedp.ByQuery) }

// click clicks the visible element sel.
func click(sel string) chromedp.Action {
	return chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible)
}

// wizardStep marks the setup wizard on step.
func wizardStep(step string) string {
	return `nav[aria-label="Setup steps"] li[aria-current="step"] a[href="/api/app/setup?step=` + step + `"]`
}

// saveAndContinue submits the wizard's settings form.
const saveAndContinue = `main form[action^="/api/app/setup"] button[type="submit"]`

// TestBrowserSignUpToApproval is the acceptance flow of the issue in a real browser: an
// administrator signs up with Microsoft and grants consent, walks the setup wizard and invites
// an approver; the approver accepts the invitation in another browser, signs in, and reviews
// and approves minutes; the administrator's session still works.
func TestBrowserSignUpToApproval(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	deadline := time.Now().Add(browserBudget)
	began := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	db := dbtest.New(t)
	entra := entratest.New(t, entratest.Options{})
	azureTenant := uuid.New()
	admin := entra.AddUser(entratest.User{TenantID: azureTenant, Name: "Ada Admin", Email: "ada@contoso.example", Admin: true})
	mo := entra.AddUser(entratest.User{TenantID: azureTenant, Name: "Mo Approver", Email: "mo@contoso.example"})

	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	mailDir := t.TempDir()
	port := freePort(t)
	app := startStandalone(t, port,
		"DATABASE_URL="+db.AppURL, "BLOB_DIR="+t.TempDir(), "MAIL_DIR="+mailDir,
		"ENTRA_CLIENT_ID="+entra.ClientID(), "ENTRA_CLIENT_SECRET="+entra.ClientSecret(), "ENTRA_AUTHORITY="+entra.URL,
		"SESSION_KEYS="+base64.StdEncoding.EncodeToString(key), "PUBLIC_BASE_URL=http://127.0.0.1:"+port)

	// 1. Sign up: landing → Microsoft sign-in → admin consent → provisioned → setup wizard.
	ab := newBrowser(t, "admin", deadline)
	entra.SetNextUser(admin.Email)
	ab.run("open the landing page", chromedp.Navigate(app.base+"/api/app/"), waitPage("h1#pitch"))
	ab.shot("01-landing")
	ab.run("sign up with Microsoft", click(`.hero a[href="/api/app/signup"]`), waitPage(wizardStep("template")))
	ab.requirePath("after sign-up", "/api/app/setup")
	require.True(t, entra.Consented(azureTenant), "the fake recorded no admin consent")
	ab.requireText("setup wizard", "main h1", "Set up Meeting Minutes")
	ab.requireText("signed in as the admin", "header.site .account", "Ada Admin")
	ab.shot("02-setup-template")

	tenant, err := tenancy.NewRegistry(db.App).ByAzureTenant(ctx, azureTenant)
	require.NoError(t, err, "sign-up provisioned no tenant")
	st, err := store.NewManagedResolver(db.App).For(ctx, tenant.ID)
	require.NoError(t, err)
	welcome, err := os.ReadFile(filepath.Join(mailDir, "welcome-"+tenant.ID.String()+".eml"))
	require.NoError(t, err, "no welcome mail for the new tenant")
	require.Contains(t, string(welcome), admin.Email)

	// 2. The wizard: template, approval (any approver), publishing, distribution, invite, finish.
	ab.run("save the template step", click(saveAndContinue), waitPage(wizardStep("approval")))
	ab.requireText("template saved", "main .flash.ok", "Saved.")
	ab.run("choose any approver", click(`input[name="approval_mode"][value="any"]`))
	ab.shot("03-setup-approval")
	ab.run("save the approval step", click(saveAndContinue), waitPage(wizardStep("publishing")))
	ab.run("fill in publishing",
		chromedp.SetValue("#sharepoint_folder", "Meeting minutes/Board", chromedp.ByQuery),
		chromedp.SetValue("#retention_days", "365", chromedp.ByQuery))
	ab.shot("04-setup-publishing")
	ab.run("save the publishing step", click(saveAndContinue), waitPage(wizardStep("distribution")))
	ab.run("fill in distribution", chromedp.SetValue("#distribution_extra", "board@contoso.example", chromedp.ByQuery))
	ab.shot("05-setup-distribution")
	ab.run("save the distribution step", click(saveAndContinue), waitPage(wizardStep("invite")))
	ab.requireText("invite step", "main", "Invite your team", "Send invitation")
	ab.shot("06-setup-invite")
	ab.run("continue past the invite step", click(`main .actions a.button[href="/api/app/setup?step=done"]`), waitPage(wizardStep("done")))
	ab.requireText("summary", "main dl.facts", "Any approver", "plus 1 more", "365 days")
	ab.shot("07-setup-done")
	ab.run("finish setup", click(`main form[action="/api/app/setup?step=done"] button[type="submit"]`), waitPage("main .flash.ok"))
	ab.requirePath("after setup", "/api/app/meetings")
	ab.requireText("setup complete", "main", "Setup complete.", "No meetings yet.")
	ab.shot("08-meetings-after-setup")
	set, err := st.Settings(ctx)
	require.NoError(t, err)
	require.NotNil(t, set.SetupCompletedAt, "finishing the wizard did not complete the setup")
	require.Equal(t, store.ApprovalAny, set.ApprovalMode)
	require.Equal(t, "Meeting minutes/Board", set.SharePointFolder)
	require.Equal(t, 365, set.RetentionDays)
	require.Equal(t, []string{"board@contoso.example"}, set.Distribution.Extra)

	// 3. Invite Mo as an approver on the users page; the mail carries the link.
	ab.run("open users", click(`header.site nav a[href="/api/app/users"]`), waitPage(`form[action="/api/app/invitations"]`))
	ab.run("fill in the invitation",
		chromedp.SetValue("#invite-email", mo.Email, chromedp.ByQuery),
		chromedp.SetValue("#invite-role", string(store.RoleApprover), chromedp.ByQuery))
	ab.run("send the invitation", click(`form[action="/api/app/invitations"] button[type="submit"]`), waitPage("main .flash.ok"))
	ab.requireText("invitation described", "main p.flash.ok", mo.Email+" is invited as Approver")
	ab.requireText("pending invitation", "section[aria-labelledby=pending-h]", mo.Email, "Approver")
	ab.shot("09-users-invited")
	link := invitationLink(t, mailDir, mo.Email)
	require.True(t, strings.HasPrefix(link, app.base+"/api/app/invitations/accept?token="), "link %s", link)

	// 4. Mo, in another browser, opens the link, accepts and signs in.
	mb := newBrowser(t, "invitee", deadline)
	entra.SetNextUser(mo.Email)
	mb.run("open the invitation", chromedp.Navigate(link), waitPage(`form[action="/api/app/invitations/accept"] button[type="submit"]`))
	mb.requireText("acceptance page", "main", "Join contoso.example on Meeting Minutes", "Ada Admin invited", mo.Email, "join as Approver")
	mb.shot("10-invitation-accept")
	mb.run("accept the invitation", click(`form[action="/api/app/invitations/accept"] button[type="submit"]`), waitPage(`main h1`),
		chromedp.WaitVisible(`header.site nav a[href="/api/app/meetings"][aria-current="page"]`, chromedp.ByQuery))
	mb.requirePath("after accepting", "/api/app/meetings")
	mb.requireText("signed in as Mo", "header.site .account", "Mo Approver")
	mb.requireText("meetings page", "main h1", "Meetings")
	mb.shot("11-invitee-signed-in")
	moUser, err := st.UserByEmail(ctx, mo.Email)
	require.NoError(t, err, "accepting created no user")
	require.Equal(t, store.RoleApprover, moUser.Role)
	adminUser, err := st.UserByEmail(ctx, admin.Email)
	require.NoError(t, err)

	// 5. Minutes wait for approval; Mo reviews the evidence and approves them.
	meetingID, minutesID := seedPendingMinutes(ctx, t, st, adminUser)
	mb.run("open the meetings list", chromedp.Navigate(app.base+"/api/app/meetings"), waitPage(`main table a[href="/api/app/meetings/`+meetingID.String()+`"]`))
	mb.requireText("meetings list", "main table", "Quarterly planning", "Waiting for approval")
	mb.shot("12-meetings-pending")
	mb.run("open the meeting", click(`main table a[href="/api/app/meetings/`+meetingID.String()+`"]`), waitPage(`main article.doc`))
	mb.requireText("minutes under review", "main article.doc",
		"Quarterly planning — minutes",
		"The team agreed the Q3 roadmap and moved the launch to September.",
		"Move the launch to September", "“we move the launch to September”", "at 00:05:10",
		"Send the revised roadmap to the board", "owner Ada Admin", "due 2030-07-01",
		"“Ada, please send the board the revised roadmap”", "at 00:17:42")
	mb.requireText("review actions", "section[aria-labelledby=review-h]", "Approve", "Reject")
	mb.shot("13-minutes-review")
	mb.run("approve", click(`form[action="/api/app/minutes/`+minutesID.String()+`/approve"] button[type="submit"]`), waitPage("main .flash.ok"))
	mb.requireText("approved", "main .flash.ok", "Minutes approved.")
	if facts := mb.text("main dl.facts"); !strings.Contains(facts, "Approved") && !strings.Contains(facts, "Published") {
		mb.fail("approved badge", fmt.Errorf("main dl.facts shows neither Approved nor Published (publishing may finish first):\n%s", facts))
	}
	if u := mb.location(); u.Query().Get("done") != "approved" {
		mb.fail("approved", fmt.Errorf("want ?done=approved, at %s", u))
	}
	mb.shot("14-minutes-approved")
	latest, err := st.LatestMinutes(ctx, meetingID)
	require.NoError(t, err)
	require.Equal(t, minutesID, latest.ID)
	require.Contains(t, []store.MinutesStatus{store.MinutesApproved, store.MinutesPublished}, latest.Status,
		"approved (and then published by the pipeline)")
	require.Equal(t, moUser.ID, latest.DecidedBy, "the store does not name Mo as the approver")

	// 6. The admin's session in the first browser still works.
	ab.run("open action items as the admin", chromedp.Navigate(app.base+"/api/app/action-items"),
		waitPage(`header.site nav a[href="/api/app/action-items"][aria-current="page"]`))
	ab.requirePath("action items", "/api/app/action-items")
	ab.requireText("admin still signed in", "header.site .account", "Ada Admin")
	ab.requireText("admin's action items", "main", "Action items", "Send the revised roadmap to the board", "Quarterly planning")
	ab.shot("15-admin-action-items")
	ab.requireCleanConsole()
	mb.requireCleanConsole()

	t.Logf("browser flow took %s", time.Since(began).Round(time.Millisecond))
}

// seedPendingMinutes stores a meeting whose minutes wait for approval, as the pipeline would
// leave them, with one action item owned by owner.
func seedPendingMinutes(ctx context.Context, t *testing.T, st store.Store, owner store.User) (store.MeetingID, store.MinutesID) {
	t.Helper()
	start := time.Now().Add(-26 * time.Hour).Truncate(time.Minute)
	end := start.Add(45 * time.Minute)
	m, _, err := st.UpsertMeeting(ctx, store.MeetingInput{Source: store.SourceUpload, ExternalID: "browser-test-q3",
		Subject: "Quarterly planning", OrganizerName: owner.DisplayName, OrganizerEmail: owner.Email, StartsAt: &start, EndsAt: &end})
	require.NoError(t, err)
	content, err := json.Marshal(map[string]any{
		"title":   "Quarterly planning — minutes",
		"summary": "The team agreed the Q3 roadmap and moved the launch to September.",
		"decisions": []map[string]string{
			{"text": "Move the launch to September", "quote": "we move the launch to September", "at": "00:05:10"},
		},
		"action_items": []map[string]string{
			{"task": "Send the revised roadmap to the board", "owner": owner.DisplayName, "due": "2030-07-01",
				"quote": "Ada, please send the board the revised roadmap", "at": "00:17:42"},
		},
		"attendees": []string{owner.DisplayName, "Mo Approver"}, "generator": "offline", "language": "en",
	})
	require.NoError(t, err)
	mins, err := st.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: m.ID, Content: content, Generator: "offline"})
	require.NoError(t, err)
	due := time.Date(2030, 7, 1, 0, 0, 0, 0, time.UTC)
	at := 17*time.Minute + 42*time.Second
	_, err = st.ReplaceActionItems(ctx, mins.ID, []store.ActionItemInput{{Task: "Send the revised roadmap to the board",
		OwnerUserID: owner.ID, OwnerName: owner.DisplayName, DueDate: &due,
		SourceQuote: "Ada, please send the board the revised roadmap", SourceOffset: &at, Verified: true}})
	require.NoError(t, err)
	_, err = st.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: store.MinutesPendingApproval, At: time.Now()})
	require.NoError(t, err)
	_, err = st.SetMeetingStatus(ctx, m.ID, store.MeetingPendingApproval, "")
	require.NoError(t, err)
	return m.ID, mins.ID
}

var acceptLink = regexp.MustCompile(`https?://[^\s<>"]+/api/app/invitations/accept\?token=[^\s<>"]+`)

// invitationLink reads the invitation mailed to to from dir and returns its link (from the
// text part).
func invitationLink(t *testing.T, dir, to string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "invitation-*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1, "want one invitation mail in MAIL_DIR (invitation-<id>.eml)")
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	require.NoError(t, err)
	require.Contains(t, msg.Header.Get("To"), to)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	require.Contains(t, subject, "invited you to Meeting Minutes")
	text, err := plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	require.NoError(t, err)
	link := acceptLink.FindString(text)
	require.NotEmpty(t, link, "no invitation link in the text part:\n%s", text)
	return link
}

// plainText returns the first text/plain part of a message body, decoded.
func plainText(contentType, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable itself
			if errors.Is(err, io.EOF) {
				return "", errors.New("no text/plain part")
			}
			if err != nil {
				return "", err
			}
			if s, err := plainText(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err == nil {
				return s, nil
			}
		}
	}
	if mt != "text/plain" {
		return "", fmt.Errorf("%s is not text/plain", mt)
	}
	if strings.EqualFold(encoding, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

// TestBrowserDevSignIn is make run's dev sign-in in a real browser: sign in as the demo
// approver and approve the demo meeting's minutes.
func TestBrowserDevSignIn(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	deadline := time.Now().Add(browserBudget)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	db := dbtest.New(t)
	app := startStandalone(t, freePort(t), "DATABASE_URL="+db.AppURL, "BLOB_DIR="+t.TempDir(), "DEV_AUTH=1")

	b := newBrowser(t, "dev", deadline)
	b.run("open the dev sign-in", chromedp.Navigate(app.base+"/api/app/auth/dev"), waitPage(`button[name="role"][value="approver"]`))
	b.requireText("dev sign-in page", "main", "Dev sign-in", "Sign in as Avery (approver)")
	b.shot("dev-01-sign-in")
	b.run("sign in as Avery", click(`button[name="role"][value="approver"]`),
		waitPage(`header.site nav a[href="/api/app/meetings"][aria-current="page"]`))
	b.requirePath("after dev sign-in", "/api/app/meetings")
	b.requireText("signed in as Avery", "header.site .account", "Avery Approver")
	b.requireText("demo meeting listed", "main table", "Weekly product sync", "Waiting for approval")
	b.shot("dev-02-meetings")
	b.run("open the demo meeting", chromedp.Click(`//main//table//a[normalize-space(text())="Weekly product sync"]`, chromedp.BySearch, chromedp.NodeVisible),
		waitPage(`main article.doc`))
	b.requireText("demo minutes", "main article.doc", "Ship CSV export in the next sprint", "at 00:12:04",
		"Write the release note for CSV export", "owner Morgan Member")
	b.run("approve", click(`main form[action$="/approve"] button[type="submit"]`), waitPage("main .flash.ok"))
	b.requireText("approved", "main .flash.ok", "Minutes approved.")
	// The badge shows Approved, or already Published: approval queued the publication, which
	// the standalone workers may finish before the page is rendered.
	if facts := b.text("main dl.facts"); !strings.Contains(facts, "Approved") && !strings.Contains(facts, "Published") {
		b.fail("approved badge", fmt.Errorf("main dl.facts shows neither Approved nor Published:\n%s", facts))
	}
	b.shot("dev-03-approved")
	b.requireCleanConsole()

	// The store agrees.
	dev, err := tenancy.NewRegistry(db.App).ByAzureTenant(ctx, uuid.MustParse("00000000-0000-4000-8000-00000000de00"))
	require.NoError(t, err)
	st, err := store.NewManagedResolver(db.App).For(ctx, dev.ID)
	require.NoError(t, err)
	meetings, err := st.ListMeetings(ctx, store.ListMeetingsParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, meetings, 1)
	// Approval queued the publication, which the standalone workers run at once.
	require.Eventually(t, func() bool {
		latest, err := st.LatestMinutes(ctx, meetings[0].ID)
		return err == nil && latest.Status == store.MinutesPublished
	}, 30*time.Second, 100*time.Millisecond, "approved minutes are published")
}
