package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const templateColumns = `id, name, sections, tone, language, is_default, created_at, updated_at`

func scanTemplate(row pgx.CollectableRow) (Template, error) {
	var t Template
	err := row.Scan(&t.ID, &t.Name, &t.Sections, &t.Tone, &t.Language, &t.IsDefault, &t.CreatedAt, &t.UpdatedAt)
	if t.Sections == nil {
		t.Sections = []string{}
	}
	return t, err
}

const createTemplateSQL = `
INSERT INTO templates (tenant_id, name, sections, tone, language)
VALUES ($1, $2, $3, $4, $5)
RETURNING ` + templateColumns

// CreateTemplate implements Store.
func (s *Managed) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	sections, tone, language := in.Sections, in.Tone, in.Language
	if sections == nil {
		sections = DefaultSections()
	}
	if tone == "" {
		tone = ToneNeutral
	}
	if language == "" {
		language = DefaultLanguage
	}
	switch {
	case in.Name == "":
		return Template{}, fmt.Errorf("create template: %w", invalid("empty name"))
	case !tone.Valid():
		return Template{}, fmt.Errorf("create template %q: %w", clip(in.Name), invalid("tone %q", tone))
	}
	var t Template
	err := s.write(ctx, func(q querier) (err error) {
		t, err = one(ctx, q, scanTemplate, createTemplateSQL, s.tenant, in.Name, sections, tone, language)
		return err
	})
	if err != nil {
		return Template{}, fmt.Errorf("create template %q: %w", clip(in.Name), translate(err))
	}
	return t, nil
}

const getTemplateSQL = `SELECT ` + templateColumns + ` FROM templates WHERE tenant_id = $1 AND id = $2`

// Template implements Store.
func (s *Managed) Template(ctx context.Context, id TemplateID) (Template, error) {
	var t Template
	err := s.read(ctx, func(q querier) (err error) {
		t, err = one(ctx, q, scanTemplate, getTemplateSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return Template{}, fmt.Errorf("get template %s: %w", id, translate(err))
	}
	return t, nil
}

const listTemplatesSQL = `SELECT ` + templateColumns + ` FROM templates WHERE tenant_id = $1 ORDER BY name, id`

// ListTemplates implements Store.
func (s *Managed) ListTemplates(ctx context.Context) ([]Template, error) {
	var ts []Template
	err := s.read(ctx, func(q querier) (err error) {
		ts, err = all(ctx, q, scanTemplate, listTemplatesSQL, s.tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", translate(err))
	}
	return ts, nil
}

// templatesOneDefault is the partial unique index allowing one default template per tenant.
const templatesOneDefault = "templates_one_default"

// Switching the default is two statements, because a unique index is checked row by row: clear
// the old default, then mark the new one. A concurrent switch to another template makes the
// later of the two fail on templates_one_default; it is retried and then clears the winner's.
const (
	clearDefaultTemplateSQL = `
UPDATE templates SET is_default = false, updated_at = now()
 WHERE tenant_id = $1 AND is_default AND id IS DISTINCT FROM $2::uuid`

	markDefaultTemplateSQL = `
UPDATE templates SET is_default = true, updated_at = now()
 WHERE tenant_id = $1 AND id = $2 AND NOT is_default`

	syncSettingsDefaultSQL = `UPDATE tenant_settings SET default_template_id = $2, updated_at = now() WHERE tenant_id = $1`
)

// setDefault makes id (zero: none) the default template, and records it in the settings row if
// there is one. It runs inside the caller's transaction.
func (s *Managed) setDefault(ctx context.Context, q querier, id TemplateID) error {
	if _, err := q.Exec(ctx, clearDefaultTemplateSQL, s.tenant, id); err != nil {
		return err
	}
	if !id.IsZero() {
		if _, err := q.Exec(ctx, markDefaultTemplateSQL, s.tenant, id); err != nil {
			return err
		}
	}
	_, err := q.Exec(ctx, syncSettingsDefaultSQL, s.tenant, id)
	return err
}

// SetDefaultTemplate implements Store.
func (s *Managed) SetDefaultTemplate(ctx context.Context, id TemplateID) (Template, error) {
	var t Template
	err := retryUnique(templatesOneDefault, func() error {
		return s.write(ctx, func(q querier) (err error) {
			// Lock the template first: missing is ErrNotFound before anything changed.
			if _, err = one(ctx, q, scanTemplate, getTemplateSQL+` FOR UPDATE`, s.tenant, id); err != nil {
				return err
			}
			if err = s.setDefault(ctx, q, id); err != nil {
				return err
			}
			t, err = one(ctx, q, scanTemplate, getTemplateSQL, s.tenant, id)
			return err
		})
	})
	if err != nil {
		return Template{}, fmt.Errorf("set default template %s: %w", id, translate(err))
	}
	return t, nil
}

const defaultTemplateSQL = `SELECT ` + templateColumns + ` FROM templates WHERE tenant_id = $1 AND is_default`

// DefaultTemplate implements Store.
func (s *Managed) DefaultTemplate(ctx context.Context) (Template, error) {
	var t Template
	err := s.read(ctx, func(q querier) (err error) {
		t, err = one(ctx, q, scanTemplate, defaultTemplateSQL, s.tenant)
		return err
	})
	if err != nil {
		return Template{}, fmt.Errorf("get default template: %w", translate(err))
	}
	return t, nil
}
