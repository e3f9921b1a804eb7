package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// Settings sections: the settings page shows them all, the setup wizard one per step.
const (
	sectionTemplate     = "template"
	sectionApproval     = "approval"
	sectionPublishing   = "publishing"
	sectionDistribution = "distribution"
)

// allSections are the settings sections in page order.
func allSections() []string {
	return []string{sectionTemplate, sectionApproval, sectionPublishing, sectionDistribution}
}

// minutesSections are the minutes sections a template may include, in the order offered.
func minutesSections() []string { return []string{"summary", "decisions", "action_items", "attendees"} }

func sectionLabel(s string) string {
	switch s {
	case "summary":
		return "Summary"
	case "decisions":
		return "Decisions"
	case "action_items":
		return "Action items"
	case "attendees":
		return "Attendees"
	}
	return s
}

func tones() []store.Tone {
	return []store.Tone{store.ToneNeutral, store.ToneFormal, store.ToneConcise, store.ToneFriendly}
}

func toneLabel(t store.Tone) string {
	switch t {
	case store.ToneNeutral:
		return "Neutral"
	case store.ToneFormal:
		return "Formal"
	case store.ToneConcise:
		return "Concise"
	case store.ToneFriendly:
		return "Friendly"
	}
	return string(t)
}

// Bounds of the settings form.
const (
	maxReminderHours = 720 // 30 days
	maxRetentionDays = 36500
	maxExtra         = 50
	maxGraphID       = 500
	maxFolder        = 400
)

var languageRE = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// userChoice is an approver candidate.
type userChoice struct {
	ID    store.UserID
	Label string
}

// settingsForm is the settings form (all sections); the wizard uses one section at a time.
type settingsForm struct {
	// template
	Sections map[string]bool
	Tone     string
	Language string
	// approval
	ApprovalMode  string
	Approvers     map[string]bool
	Choices       []userChoice
	ReminderHours string
	// publishing
	SiteID, DriveID, Folder string
	RetentionDays           string
	// distribution
	Attendees bool
	Extra     string
	// Errors are keyed by field name.
	Errors map[string]string
}

// settingsState is the stored settings with the default template, the form's starting point.
type settingsState struct {
	settings store.Settings
	template store.Template // zero when the tenant has no default template
}

// loadSettings reads the settings, the default template and the approver candidates, and
// fills a form from them.
func loadSettings(ctx context.Context, st store.Store) (settingsState, *settingsForm, error) {
	var s settingsState
	var err error
	if s.settings, err = st.Settings(ctx); err != nil {
		return s, nil, err
	}
	s.template, err = st.DefaultTemplate(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s, nil, err
	}
	f := &settingsForm{Sections: map[string]bool{}, Approvers: map[string]bool{}, Errors: map[string]string{},
		ApprovalMode: string(s.settings.ApprovalMode), ReminderHours: strconv.FormatFloat(s.settings.ReminderAfter.Hours(), 'f', -1, 64),
		SiteID: s.settings.SharePointSiteID, DriveID: s.settings.SharePointDriveID, Folder: s.settings.SharePointFolder,
		RetentionDays: strconv.Itoa(s.settings.RetentionDays), Attendees: s.settings.Distribution.Attendees,
		Extra: strings.Join(s.settings.Distribution.Extra, "\n"), Tone: string(store.ToneNeutral), Language: store.DefaultLanguage}
	sections := store.DefaultSections()
	if !s.template.ID.IsZero() {
		sections, f.Tone, f.Language = s.template.Sections, string(s.template.Tone), s.template.Language
	}
	for _, sec := range sections {
		f.Sections[sec] = true
	}
	for _, id := range s.settings.ApproverIDs {
		f.Approvers[id.String()] = true
	}
	if f.Choices, err = approverChoices(ctx, st); err != nil {
		return s, nil, err
	}
	return s, f, nil
}

// approverChoices lists the active approvers and admins.
func approverChoices(ctx context.Context, st store.Store) ([]userChoice, error) {
	var out []userChoice
	for _, role := range []store.Role{store.RoleApprover, store.RoleAdmin} {
		users, err := st.ListUsers(ctx, store.ListUsersParams{Role: role, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Status != store.UserActive {
				continue
			}
			label := u.Email
			if u.DisplayName != "" {
				label = u.DisplayName + " (" + u.Email + ")"
			}
			out = append(out, userChoice{ID: u.ID, Label: label + " — " + roleLabel(u.Role)})
		}
	}
	return out, nil
}

// parse reads one section of the submitted form into f.
func (f *settingsForm) parse(section string, v url.Values) {
	switch section {
	case sectionTemplate:
		f.Sections = map[string]bool{}
		for _, s := range v["sections"] {
			f.Sections[s] = true
		}
		f.Tone, f.Language = v.Get("tone"), strings.TrimSpace(v.Get("language"))
	case sectionApproval:
		f.ApprovalMode = v.Get("approval_mode")
		f.Approvers = map[string]bool{}
		for _, id := range v["approvers"] {
			f.Approvers[id] = true
		}
		f.ReminderHours = strings.TrimSpace(v.Get("reminder_hours"))
	case sectionPublishing:
		f.SiteID, f.DriveID = strings.TrimSpace(v.Get("sharepoint_site_id")), strings.TrimSpace(v.Get("sharepoint_drive_id"))
		f.Folder = strings.Trim(strings.TrimSpace(v.Get("sharepoint_folder")), "/")
		f.RetentionDays = strings.TrimSpace(v.Get("retention_days"))
	case sectionDistribution:
		f.Attendees = v.Get("distribution_attendees") != ""
		f.Extra = strings.TrimSpace(v.Get("distribution_extra"))
	}
}

// templateChoice is the validated template section.
type templateChoice struct {
	sections []string
	tone     store.Tone
	language string
}

// apply validates one section of f and writes it into s (the template section into tc).
// Problems are recorded in f.Errors.
func (f *settingsForm) apply(section string, s *store.Settings, tc *templateChoice) {
	switch section {
	case sectionTemplate:
		tc.sections = tc.sections[:0]
		for _, sec := range minutesSections() {
			if f.Sections[sec] {
				tc.sections = append(tc.sections, sec)
			}
		}
		if len(tc.sections) == 0 {
			f.Errors["sections"] = "Choose at least one section."
		}
		tc.tone = store.Tone(f.Tone)
		if !tc.tone.Valid() {
			f.Errors["tone"] = "Choose a tone."
		}
		tc.language = f.Language
		if len(tc.language) < 2 || len(tc.language) > 35 || !languageRE.MatchString(tc.language) {
			f.Errors["language"] = "Enter a language tag such as en, de or pt-BR."
		}
	case sectionApproval:
		mode := store.ApprovalMode(f.ApprovalMode)
		if !mode.Valid() {
			f.Errors["approval_mode"] = "Choose who approves minutes."
		}
		s.ApprovalMode = mode
		s.ApproverIDs = []store.UserID{}
		for _, c := range f.Choices {
			if f.Approvers[c.ID.String()] {
				s.ApproverIDs = append(s.ApproverIDs, c.ID)
			}
		}
		if len(s.ApproverIDs) != len(f.Approvers) {
			f.Errors["approvers"] = "Choose approvers from the list."
		} else if mode == store.ApprovalNamed && len(s.ApproverIDs) == 0 {
			f.Errors["approvers"] = "Choose at least one approver, or let any approver approve."
		}
		hours, err := strconv.ParseFloat(f.ReminderHours, 64)
		if err != nil || hours < 0 || hours > maxReminderHours {
			f.Errors["reminder_hours"] = fmt.Sprintf("Enter a number of hours from 0 to %d.", maxReminderHours)
		} else {
			s.ReminderAfter = time.Duration(hours * float64(time.Hour)).Round(time.Second)
		}
	case sectionPublishing:
		switch {
		case len(f.SiteID) > maxGraphID || strings.ContainsAny(f.SiteID, " \t\r\n/"):
			f.Errors["sharepoint_site_id"] = "Paste the site id as Graph gives it (host,site-guid,web-guid)."
		case len(f.DriveID) > maxGraphID || strings.ContainsAny(f.DriveID, " \t\r\n/"):
			f.Errors["sharepoint_drive_id"] = "Paste the document library's drive id (it starts with b!)."
		}
		switch {
		case f.Folder == "":
			f.Errors["sharepoint_folder"] = "Name the folder minutes are saved in."
		case utf8.RuneCountInString(f.Folder) > maxFolder || strings.ContainsAny(f.Folder, "\"*:<>?\\|\r\n\t") ||
			slices.Contains(strings.Split(f.Folder, "/"), "..") || slices.Contains(strings.Split(f.Folder, "/"), ""):
			f.Errors["sharepoint_folder"] = `Folder names cannot contain " * : < > ? \ | or empty parts.`
		}
		s.SharePointSiteID, s.SharePointDriveID, s.SharePointFolder = f.SiteID, f.DriveID, f.Folder
		days, err := strconv.Atoi(f.RetentionDays)
		if err != nil || days < 1 || days > maxRetentionDays {
			f.Errors["retention_days"] = fmt.Sprintf("Enter a number of days from 1 to %d.", maxRetentionDays)
		} else {
			s.RetentionDays = days
		}
	case sectionDistribution:
		s.Distribution.Attendees = f.Attendees
		extra, bad := parseAddresses(f.Extra)
		switch {
		case bad != "":
			f.Errors["distribution_extra"] = fmt.Sprintf("%q is not an email address.", bad)
		case len(extra) > maxExtra:
			f.Errors["distribution_extra"] = fmt.Sprintf("At most %d extra addresses.", maxExtra)
		}
		s.Distribution.Extra = extra
	}
}

// parseAddresses splits a list of addresses on commas, semicolons and line breaks; bad is the
// first entry that is not an address.
func parseAddresses(s string) (list []string, bad string) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' })
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		a, err := mail.ParseAddress(f)
		if err != nil || len(a.Address) > 320 {
			return nil, f
		}
		if !slices.Contains(list, a.Address) {
			list = append(list, a.Address)
		}
	}
	return list, ""
}

// saveSections validates sections of f over the stored state and, when valid, saves them in
// one transaction with an audit entry. ok is false when f has errors to show.
func (h *Handler) saveSections(ctx context.Context, p access.Principal, st store.Store, state settingsState, f *settingsForm, sections []string) (ok bool, err error) {
	s := state.settings
	var tc templateChoice
	for _, sec := range sections {
		f.apply(sec, &s, &tc)
	}
	if s.ApprovalMode == store.ApprovalNamed && state.settings.ApprovalMode != store.ApprovalNamed && h.d.Features != nil {
		ok, err := h.d.Features.Allows(ctx, p.Tenant, "named_approvers")
		if err != nil {
			return false, fmt.Errorf("check plan: %w", err)
		}
		if !ok {
			f.Errors["approvers"] = "Named approvers are part of the Pro plan: upgrade in Billing, or let any approver approve."
		}
	}
	if len(f.Errors) > 0 {
		return false, nil
	}
	err = st.Tx(ctx, func(tx store.Store) error {
		if slices.Contains(sections, sectionTemplate) {
			id, err := defaultTemplate(ctx, tx, state.template, tc)
			if err != nil {
				return err
			}
			s.DefaultTemplateID = id
		}
		if _, err := tx.SaveSettings(ctx, s); err != nil {
			return err
		}
		_, err := tx.Audit(ctx, audit.Entry{At: h.d.Now(), Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
			Action: "settings.updated", Target: audit.Target{Type: "settings"}, Details: map[string]any{"sections": sections}})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save settings: %w", err)
	}
	return true, nil
}

// defaultTemplate returns the template with tc's sections, tone and language: the current
// default when it already matches, else a matching template, else a new one. (Templates are
// never changed in place: minutes keep pointing at the template they were made with.)
func defaultTemplate(ctx context.Context, tx store.Store, current store.Template, tc templateChoice) (store.TemplateID, error) {
	matches := func(t store.Template) bool {
		if t.Tone != tc.tone || !strings.EqualFold(t.Language, tc.language) || len(t.Sections) != len(tc.sections) {
			return false
		}
		for _, s := range tc.sections {
			if !slices.Contains(t.Sections, s) {
				return false
			}
		}
		return true
	}
	if !current.ID.IsZero() && matches(current) {
		return current.ID, nil
	}
	list, err := tx.ListTemplates(ctx)
	if err != nil {
		return store.TemplateID{}, err
	}
	for _, t := range list {
		if matches(t) {
			return t.ID, nil
		}
	}
	labels := make([]string, len(tc.sections))
	for i, s := range tc.sections {
		labels[i] = sectionLabel(s)
	}
	name := fmt.Sprintf("%s · %s · %s", strings.Join(labels, ", "), toneLabel(tc.tone), tc.language)
	for i := 2; ; i++ {
		t, err := tx.CreateTemplate(ctx, store.TemplateInput{Name: name, Sections: tc.sections, Tone: tc.tone, Language: tc.language})
		if err == nil {
			return t.ID, nil
		}
		if !errors.Is(err, store.ErrConflict) || i > 20 {
			return store.TemplateID{}, err
		}
		name = fmt.Sprintf("%s · %s · %s (%d)", strings.Join(labels, ", "), toneLabel(tc.tone), tc.language, i)
	}
}

// settingsData is the data of the settings page.
type settingsData struct {
	Form     *settingsForm
	Sections []string
	Tones    []store.Tone
	Minutes  []string
	// Action is where the form posts.
	Action string
	// OrgName is the organisation's display name; CanRename shows its form.
	OrgName   string
	CanRename bool
	NameError string
}

// settings serves GET /api/app/settings.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	_, st, err := access.Caller(r.Context(), store.RoleAdmin, false)
	if err != nil {
		return err
	}
	_, f, err := loadSettings(r.Context(), st)
	if err != nil {
		return err
	}
	return h.renderSettings(w, r, http.StatusOK, f)
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, f *settingsForm) error {
	v := h.newView(r, "Settings", "settings")
	data := settingsData{Form: f, Sections: allSections(), Tones: tones(), Minutes: minutesSections(), Action: "/api/app/settings"}
	if h.d.Rename != nil && h.d.Tenants != nil {
		if t, err := h.d.Tenants.Get(r.Context(), access.FromContext(r.Context()).Tenant); err == nil {
			data.OrgName, data.CanRename = t.Name, true
		}
	}
	v.Data = data
	return h.render(w, status, "settings", v)
}

// saveSettings serves POST /api/app/settings: every section at once; a problem re-renders the
// form with the input kept.
func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleAdmin, true)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	state, f, err := loadSettings(ctx, st)
	if err != nil {
		return err
	}
	for _, sec := range allSections() {
		f.parse(sec, r.PostForm)
	}
	ok, err := h.saveSections(ctx, p, st, state, f, allSections())
	if err != nil {
		return err
	}
	if !ok {
		return h.renderSettings(w, r, http.StatusUnprocessableEntity, f)
	}
	return redirect(w, r, "/api/app/settings?done=settings")
}

// renameOrganisation serves POST /api/app/settings/organisation (admin): the organisation's
// display name, shown to invitees and in mail. The invitation page and the header read it.
func (h *Handler) renameOrganisation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := access.RequireWrite(ctx, store.RoleAdmin)
	if err != nil {
		return err
	}
	if h.d.Rename == nil {
		return store.ErrNotFound
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	if err := h.d.Rename(ctx, p.Tenant, r.PostFormValue("name")); err != nil {
		if funchost.StatusOf(err) == http.StatusBadRequest {
			return funchost.Status(http.StatusBadRequest, "The organisation name must be 1 to 200 characters.")
		}
		return err
	}
	st, err := p.Store()
	if err != nil {
		return err
	}
	if _, err := st.Audit(ctx, audit.Entry{At: h.d.Now(), Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
		Action: "tenant.renamed", Target: audit.Target{Type: "tenant", ID: p.Tenant.String()}}); err != nil {
		return err
	}
	return redirect(w, r, "/api/app/settings?done=renamed")
}
