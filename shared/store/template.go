package store

import "time"

// Tone is the writing style a template asks the generator for (templates.tone).
type Tone string

// Tones.
const (
	ToneNeutral  Tone = "neutral" // the default
	ToneFormal   Tone = "formal"
	ToneConcise  Tone = "concise"
	ToneFriendly Tone = "friendly"
)

// Valid reports whether t is one of the defined tones.
func (t Tone) Valid() bool {
	switch t {
	case ToneNeutral, ToneFormal, ToneConcise, ToneFriendly:
		return true
	}
	return false
}

// Template defaults, the same as the schema's column defaults.
const (
	// DefaultLanguage is the language of a template created without one.
	DefaultLanguage = "en"
)

// DefaultSections returns the sections of a template created without any.
func DefaultSections() []string { return []string{"summary", "decisions", "action_items"} }

// Template shapes generated minutes: which sections, in which tone and language.
type Template struct {
	// ID is the store's id for the template.
	ID TemplateID
	// Name is unique per tenant.
	Name string
	// Sections are the minutes sections in order; never nil.
	Sections []string
	// Tone is the writing style.
	Tone Tone
	// Language is the BCP 47 tag of the minutes' language.
	Language string
	// IsDefault marks the tenant's default template; at most one has it.
	IsDefault bool
	// CreatedAt is when the template was created.
	CreatedAt time.Time
	// UpdatedAt is its last change.
	UpdatedAt time.Time
}

// TemplateInput describes a template for CreateTemplate. A new template is not the default;
// SetDefaultTemplate makes it so.
type TemplateInput struct {
	// Name is required: 1 to 200 characters; unique per tenant.
	Name string
	// Sections are optional: nil means DefaultSections().
	Sections []string
	// Tone is optional: "" means ToneNeutral.
	Tone Tone
	// Language is optional: "" means DefaultLanguage; 2 to 35 characters.
	Language string
}
