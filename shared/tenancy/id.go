package tenancy

import (
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ID identifies a tenant (tenants.id).
type ID struct{ u uuid.UUID }

// ErrInvalidID reports a string that is not a tenant id.
var ErrInvalidID = errors.New("invalid tenant id")

// ParseID parses the canonical UUID form of a tenant id; the nil UUID is not a tenant.
func ParseID(s string) (ID, error) {
	if len(s) != 36 {
		return ID{}, fmt.Errorf("%w: %q", ErrInvalidID, clip(s))
	}
	u, err := uuid.Parse(s)
	if err != nil || u == uuid.Nil {
		return ID{}, fmt.Errorf("%w: %q", ErrInvalidID, clip(s))
	}
	return ID{u}, nil
}

// MustParseID is ParseID for constants in tests and fixtures; it panics on a bad id.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// NewID returns a fresh random tenant id.
func NewID() ID { return ID{uuid.New()} }

// String is the canonical lower-case UUID form.
func (id ID) String() string { return id.u.String() }

// IsZero reports whether id is the zero value (no tenant).
func (id ID) IsZero() bool { return id.u == uuid.Nil }

// UUID returns the id as a uuid.UUID, for storage layers.
func (id ID) UUID() uuid.UUID { return id.u }

// Value stores the id as a uuid column value.
func (id ID) Value() (driver.Value, error) {
	if id.IsZero() {
		return nil, fmt.Errorf("store tenant id: %w", ErrNoTenant)
	}
	return id.u.String(), nil
}

// Scan reads the id from a uuid column.
func (id *ID) Scan(src any) error {
	var u uuid.UUID
	if err := u.Scan(src); err != nil {
		return fmt.Errorf("scan tenant id: %w", err)
	}
	id.u = u
	return nil
}

// MarshalText writes the canonical form (JSON, logs).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the canonical form.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
