package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// Limits of a template.
const (
	maxTemplateName = 200
	maxSections     = 20
	maxSectionName  = 64
)

// listTemplates answers GET /api/v1/templates, by name.
func (h *Handler) listTemplates(w http.ResponseWriter, r *http.Request) error {
	_, st, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("list templates: %w", err)
	}
	ts, err := st.ListTemplates(r.Context())
	if err != nil {
		return fmt.Errorf("list templates: %w", err)
	}
	out := list[templateJSON]{Items: make([]templateJSON, len(ts))}
	for i, t := range ts {
		out.Items[i] = templateOut(t)
	}
	return reply(w, http.StatusOK, out)
}

// templateRequest is the body of POST /api/v1/templates.
type templateRequest struct {
	// Name is required: 1 to 200 characters, unique in the tenant.
	Name string `json:"name"`
	// Sections default to summary, decisions, action_items; each is a lower-case identifier.
	Sections []string `json:"sections"`
	// Tone is neutral (the default), formal, concise or friendly.
	Tone store.Tone `json:"tone"`
	// Language is a BCP 47 tag, default "en".
	Language string `json:"language"`
}

// createTemplate answers POST /api/v1/templates with 201, recorded as "template.created".
func (h *Handler) createTemplate(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleAdmin, true)
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	var req templateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	in, err := checkTemplate(req)
	if err != nil {
		return err
	}
	if err := h.allows(r.Context(), p.Tenant, featureCustomTemplates, "Custom templates"); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	var out store.Template
	err = st.Tx(r.Context(), func(tx store.Store) error {
		var err error
		if out, err = tx.CreateTemplate(r.Context(), in); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w (%w)", funchost.Status(http.StatusConflict, "a template with this name exists"), err)
			}
			return err
		}
		_, err = tx.Audit(r.Context(), h.entry(p, actionTemplate, "template", out.ID.String(), map[string]any{
			"sections": len(out.Sections), "tone": string(out.Tone), "language": out.Language,
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	return reply(w, http.StatusCreated, templateOut(out))
}

// checkTemplate validates a template request and returns the store's input.
func checkTemplate(req templateRequest) (store.TemplateInput, error) {
	name := strings.TrimSpace(req.Name)
	if n := utf8.RuneCountInString(name); n == 0 || n > maxTemplateName {
		return store.TemplateInput{}, badRequest("name must have 1 to %d characters", maxTemplateName)
	}
	if req.Sections != nil {
		if len(req.Sections) == 0 || len(req.Sections) > maxSections {
			return store.TemplateInput{}, badRequest("sections must list 1 to %d sections", maxSections)
		}
		for i, s := range req.Sections {
			if !isSectionName(s) {
				return store.TemplateInput{}, badRequest("sections[%d] must be a lower-case identifier (a-z, 0-9, _) of at most %d characters", i, maxSectionName)
			}
			if slices.Contains(req.Sections[:i], s) {
				return store.TemplateInput{}, badRequest("sections[%d] repeats %q", i, s)
			}
		}
	}
	if req.Tone != "" && !req.Tone.Valid() {
		return store.TemplateInput{}, badRequest("tone must be neutral, formal, concise or friendly")
	}
	if req.Language != "" && !isLanguageTag(req.Language) {
		return store.TemplateInput{}, badRequest("language must be a language tag such as en or pt-BR")
	}
	return store.TemplateInput{Name: name, Sections: req.Sections, Tone: req.Tone, Language: req.Language}, nil
}

// isSectionName reports whether s is a lower-case identifier: [a-z][a-z0-9_]*, at most 64.
func isSectionName(s string) bool {
	if s == "" || len(s) > maxSectionName || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isLanguageTag reports whether s looks like a BCP 47 tag: 2 to 35 characters of letters,
// digits and hyphens, starting with a letter.
func isLanguageTag(s string) bool {
	if len(s) < 2 || len(s) > 35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}
