package portal

import (
	"net/http"
	"slices"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/store"
)

// Setup wizard steps after the settings sections.
const (
	stepInvite = "invite"
	stepDone   = "done"
)

// setupSteps are the wizard's steps in order.
func setupSteps() []string { return append(allSections(), stepInvite, stepDone) }

func stepLabel(s string) string {
	switch s {
	case sectionTemplate:
		return "Template"
	case sectionApproval:
		return "Approval"
	case sectionPublishing:
		return "Publishing"
	case sectionDistribution:
		return "Distribution"
	case stepInvite:
		return "Invite your team"
	case stepDone:
		return "Finish"
	}
	return s
}

// stepView is one entry of the wizard's progress list.
type stepView struct {
	Name, Label string
	Current     bool
}

// setupData is the data of the wizard page.
type setupData struct {
	Step     string
	Steps    []stepView
	Prev     string
	Next     string
	Settings settingsData
	Invite   *inviteForm
	Pending  []store.Invitation
	Summary  store.Settings
	Done     bool
}

// currentStep reads ?step=, defaulting to the first step.
func currentStep(r *http.Request) string {
	s := r.URL.Query().Get("step")
	if !slices.Contains(setupSteps(), s) {
		return sectionTemplate
	}
	return s
}

// setup serves GET /api/app/setup?step=….
func (h *Handler) setup(w http.ResponseWriter, r *http.Request) error {
	_, st, err := access.Caller(r.Context(), store.RoleAdmin, false)
	if err != nil {
		return err
	}
	_, f, err := loadSettings(r.Context(), st)
	if err != nil {
		return err
	}
	return h.renderSetup(w, r, http.StatusOK, currentStep(r), f, &inviteForm{Role: string(store.RoleMember)})
}

func (h *Handler) renderSetup(w http.ResponseWriter, r *http.Request, status int, step string, f *settingsForm, inv *inviteForm) error {
	ctx := r.Context()
	p := access.FromContext(ctx)
	st, err := p.Store()
	if err != nil {
		return err
	}
	steps := setupSteps()
	i := slices.Index(steps, step)
	data := setupData{Step: step, Settings: settingsData{Form: f, Sections: []string{step}, Tones: tones(), Minutes: minutesSections(),
		Action: "/api/app/setup?step=" + step}, Invite: inv}
	for _, s := range steps {
		data.Steps = append(data.Steps, stepView{Name: s, Label: stepLabel(s), Current: s == step})
	}
	if i > 0 {
		data.Prev = steps[i-1]
	}
	if i < len(steps)-1 {
		data.Next = steps[i+1]
	}
	switch step {
	case stepInvite:
		if data.Pending, err = st.ListInvitations(ctx, store.ListInvitationsParams{PendingAt: h.d.Now(), Limit: store.MaxLimit}); err != nil {
			return err
		}
	case stepDone:
		if data.Summary, err = st.Settings(ctx); err != nil {
			return err
		}
		data.Done = data.Summary.SetupCompletedAt != nil
	}
	v := h.newView(r, "Set up Meeting Minutes — "+stepLabel(step), "settings")
	v.Data = data
	return h.render(w, status, "setup", v)
}

// saveSetup serves POST /api/app/setup?step=…: saves that step and goes to the next one; the
// last step marks the setup completed.
func (h *Handler) saveSetup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleAdmin, true)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	step := currentStep(r)
	steps := setupSteps()
	next := "/api/app/setup?step=" + steps[min(slices.Index(steps, step)+1, len(steps)-1)]
	switch step {
	case stepInvite:
		return redirect(w, r, next)
	case stepDone:
		err := st.Tx(ctx, func(tx store.Store) error {
			s, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			if s.SetupCompletedAt == nil {
				now := h.d.Now()
				s.SetupCompletedAt = &now
				if _, err := tx.SaveSettings(ctx, s); err != nil {
					return err
				}
			}
			_, err = tx.Audit(ctx, audit.Entry{At: h.d.Now(), Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
				Action: "setup.completed", Target: audit.Target{Type: "settings"}})
			return err
		})
		if err != nil {
			return err
		}
		return redirect(w, r, "/api/app/meetings?done=setup")
	}
	state, f, err := loadSettings(ctx, st)
	if err != nil {
		return err
	}
	f.parse(step, r.PostForm)
	ok, err := h.saveSections(ctx, p, st, state, f, []string{step})
	if err != nil {
		return err
	}
	if !ok {
		return h.renderSetup(w, r, http.StatusUnprocessableEntity, step, f, &inviteForm{Role: string(store.RoleMember)})
	}
	return redirect(w, r, next+"&done=step")
}
