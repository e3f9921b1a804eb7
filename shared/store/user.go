package store

import (
	"time"

	"github.com/google/uuid"
)

// Role is what a user may do in their tenant (users.role, invitations.role).
type Role string

// Roles.
const (
	// RoleAdmin manages the tenant: setup, templates, invitations, billing.
	RoleAdmin Role = "admin"
	// RoleApprover reads, edits and approves minutes.
	RoleApprover Role = "approver"
	// RoleMember reads and edits minutes and their action items; the default.
	RoleMember Role = "member"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleApprover, RoleMember:
		return true
	}
	return false
}

// UserStatus is a user's account state (users.status).
type UserStatus string

// User statuses.
const (
	UserActive   UserStatus = "active" // the default
	UserDisabled UserStatus = "disabled"
	UserErased   UserStatus = "erased"
)

// User is a person of the tenant who signs in.
type User struct {
	// ID is the store's id for the user.
	ID UserID
	// Email is the address as first given; lookups ignore case.
	Email string
	// DisplayName is the name shown in the portal.
	DisplayName string
	// EntraObjectID is the user's Entra ID object id; uuid.Nil until they sign in with Entra.
	EntraObjectID uuid.UUID
	// Role is what the user may do.
	Role Role
	// Status is the account state.
	Status UserStatus
	// CreatedAt is when the user was added.
	CreatedAt time.Time
	// LastSeenAt is the last sign-in, nil before the first.
	LastSeenAt *time.Time
}

// UserInput describes a user for CreateUser and UpsertUserByEmail.
type UserInput struct {
	// Email is required: 3 to 320 characters.
	Email string
	// DisplayName is optional, at most 200 characters.
	DisplayName string
	// EntraObjectID is optional (uuid.Nil); unique per tenant.
	EntraObjectID uuid.UUID
	// Role is the role of a new user: "" means RoleMember. UpsertUserByEmail never changes the
	// role of an existing user (SetUserRole does).
	Role Role
}

// ListUsersParams selects a page of users ordered by lower-case email.
type ListUsersParams struct {
	// Limit is the page size: 0 means DefaultLimit, above MaxLimit is clamped, negative is
	// ErrInvalid.
	Limit int
	// AfterEmail continues after the user with that email (compared in lower case, which is
	// unique per tenant); "" starts at the top.
	AfterEmail string
	// Role keeps only users with that role; "" keeps all.
	Role Role
}
