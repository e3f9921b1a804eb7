package portal

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

//go:embed templates
var templateFS embed.FS

// errNotFound is the answer for an id the caller's tenant does not have, malformed or not.
var errNotFound = fmt.Errorf("portal: %w", store.ErrNotFound)

// errBadForm is the answer for a form body that cannot be parsed.
var errBadForm = funchost.Status(http.StatusBadRequest, "the form could not be read")

// loginPath is where the sign-in flows start.
const loginPath = "/api/app/auth/login"

// navItem is one link of the main navigation.
type navItem struct {
	Href, Label string
	Current     bool
}

// view is what the layout needs, plus the page's own Data.
type view struct {
	Title    string
	Nav      []navItem
	SignedIn bool
	Operator bool
	IsAdmin  bool
	UserName string
	// CSRF is a masked CSRF token of the session, for every POST form ("csrf" template).
	CSRF string
	// ReadOnly marks a suspended or cancelled tenant: a banner, and no mutating buttons.
	ReadOnly bool
	// Flash is the outcome of the previous POST; Alert is a problem to point out.
	Flash, Alert string
	DevAuth      bool
	Data         any
}

// newView builds the layout's data for the caller of r; section names the current nav item.
func (h *Handler) newView(r *http.Request, title, section string) *view {
	p := access.FromContext(r.Context())
	v := &view{Title: title, SignedIn: p.SignedIn(), Operator: p.Operator, IsAdmin: p.AtLeast(store.RoleAdmin),
		CSRF: session.CSRFToken(p.Session), DevAuth: h.d.DevAuth}
	v.UserName = p.Name
	if v.UserName == "" {
		v.UserName = p.Email
	}
	v.ReadOnly = p.SignedIn() && readOnly(p)
	add := func(href, label, key string) {
		v.Nav = append(v.Nav, navItem{Href: href, Label: label, Current: key == section})
	}
	if p.SignedIn() {
		add("/api/app/meetings", "Meetings", "meetings")
		add("/api/app/action-items", "Action items", "action-items")
		if v.IsAdmin {
			add("/api/app/settings", "Settings", "settings")
			add("/api/app/users", "Users", "users")
			add("/api/app/billing", "Billing", "billing")
			add("/api/app/connection", "Data", "connection")
			add("/api/app/health", "Health", "health")
		}
	}
	if p.Operator {
		add("/api/app/operator", "Operator", "operator")
	}
	v.Flash = flashes[r.URL.Query().Get("done")]
	if r.URL.Query().Get("done") == "invited" && r.URL.Query().Get("invitation") != "" {
		v.Flash = "" // the users page shows the invitation itself, in more detail
	}
	v.Alert = alerts[r.URL.Query().Get("error")]
	return v
}

// readOnly reports whether the caller's tenant may not change anything (access.RequireWrite
// refuses it).
func readOnly(p access.Principal) bool { return p.TenantStatus != tenancy.StatusActive }

// flashes are the messages of ?done= codes; unknown codes show nothing, so no text from the
// URL ever reaches the page.
var flashes = map[string]string{
	"approved":      "Minutes approved. They will be published according to your settings.",
	"rejected":      "Minutes rejected. The reason is recorded with this version.",
	"edited":        "Your changes were saved as a new version.",
	"item_done":     "Action item marked done.",
	"item_open":     "Action item reopened.",
	"settings":      "Settings saved.",
	"renamed":       "Organisation renamed.",
	"role":          "Role changed.",
	"invited":       "Invitation sent.",
	"revoked":       "Invitation revoked.",
	"setup":         "Setup complete. New meetings appear here as soon as their transcripts arrive.",
	"step":          "Saved.",
	"tenant_status": "Tenant status changed.",
}

// alerts are the messages of ?error= codes.
var alerts = map[string]string{
	"conflict":     "These minutes changed since you opened them (someone approved, rejected or edited them). Review the latest version and try again.",
	"last_admin":   "That change would leave your organisation without an administrator.",
	"not_editable": "Only the latest version can be edited, and only while it is a draft or waiting for approval.",
	"accepted":     "That invitation was already accepted, so it cannot be revoked.",
}

// wrap turns the expected failures of fn into pages.
func (h *Handler) wrap(fn funchost.HandlerFunc) funchost.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := fn(w, r); err != nil {
			return h.fail(w, r, err)
		}
		return nil
	}
}

// fail answers err with a page: sign-in for 401, an explanation for other 4xx and for
// deliberate 503s (a feature not configured). Anything else goes back to funchost (500).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) error {
	status := funchost.StatusOf(err)
	var coder funchost.StatusCoder
	switch {
	case status == http.StatusUnauthorized:
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return nil
	case status == http.StatusServiceUnavailable && errors.As(err, &coder):
	case status >= 500:
		return err
	}
	title, msg := errorText(status, err)
	v := h.newView(r, title, "")
	v.Flash, v.Alert = "", ""
	v.Data = errorPage{Status: status, Message: msg}
	return h.render(w, status, "error", v)
}

// errorPage is the data of the error template.
type errorPage struct {
	Status  int
	Message string
}

// errorText is the title and message of an error page.
func errorText(status int, err error) (string, string) {
	switch status {
	case http.StatusNotFound:
		// One page for a malformed id, a missing row and another tenant's row.
		return "Page not found", "There is nothing here, or you do not have access to it. Check the link, or go back to your meetings."
	case http.StatusForbidden:
		if errors.Is(err, access.ErrReadOnly) {
			return "Your account is read-only", sentence(funchost.PublicMessage(err))
		}
		msg := funchost.PublicMessage(err)
		if msg == funchost.PublicMessage(access.ErrForbidden) {
			return "Not allowed", "Your role does not allow this. Ask an administrator of your organisation if you need it."
		}
		return "Not allowed", sentence(msg)
	case http.StatusBadRequest:
		return "That did not work", sentence("the request was not valid: "+funchost.PublicMessage(err)) + " Go back, check the form and try again."
	case http.StatusConflict:
		return "This changed in the meantime", "Someone else changed this first, or it is no longer in a state that allows this. Reload the page and try again."
	case http.StatusGone:
		return "This link has expired", sentence(funchost.PublicMessage(err))
	case http.StatusServiceUnavailable:
		return "Not available", sentence(funchost.PublicMessage(err))
	}
	return http.StatusText(status), sentence(funchost.PublicMessage(err))
}

// sentence makes a lower-case error message a sentence: capitalised, with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// loginURL is the sign-in start that comes back to the page the caller wanted (for a POST,
// the page the form was on when the browser says so).
func loginURL(r *http.Request) string {
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		back = "/api/app/meetings"
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/api/app/") {
			back = ref.RequestURI()
		}
	}
	return loginPath + "?return_to=" + url.QueryEscape(back)
}

// render writes page name with status. The page is rendered into a buffer first, so a
// template failure is still a clean 500.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v *view) error {
	t, ok := h.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // a client that went away is not our failure
	return nil
}

// redirect answers a POST with 303 to target (POST-redirect-GET).
func redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// parsePages parses the layout and partials once, then each page on a clone of them.
func parsePages(a *assets) (map[string]*template.Template, error) {
	base, err := template.New("portal").Funcs(funcs(a)).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	pages := make(map[string]*template.Template, len(files))
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone layout: %w", err)
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}
