package store

import "time"

// InvitationState is where an invitation stands at a given time (derived, not stored).
type InvitationState string

// Invitation states.
const (
	InvitationPending  InvitationState = "pending"
	InvitationAccepted InvitationState = "accepted"
	InvitationRevoked  InvitationState = "revoked"
	InvitationExpired  InvitationState = "expired"
)

// Invitation asks someone by email to join the tenant with a role. Only the SHA-256 of its
// token is stored, and it is not read back: the token travels once, in the invitation mail.
type Invitation struct {
	// ID is the store's id for the invitation.
	ID InvitationID
	// Email is the invitee's address.
	Email string
	// Role is the role the invitee gets.
	Role Role
	// InvitedBy is the inviting user; zero when that user was deleted or it was the system.
	InvitedBy UserID
	// ExpiresAt is the end of validity: at or after it the invitation is expired.
	ExpiresAt time.Time
	// AcceptedAt is when it was accepted, nil before.
	AcceptedAt *time.Time
	// AcceptedBy is the user who accepted it; zero before.
	AcceptedBy UserID
	// RevokedAt is when an admin revoked it, nil if not.
	RevokedAt *time.Time
	// CreatedAt is when it was created.
	CreatedAt time.Time
}

// State reports the invitation's state at time at: accepted and revoked win over expiry.
func (i Invitation) State(at time.Time) InvitationState {
	switch {
	case i.AcceptedAt != nil:
		return InvitationAccepted
	case i.RevokedAt != nil:
		return InvitationRevoked
	case !at.Before(i.ExpiresAt):
		return InvitationExpired
	default:
		return InvitationPending
	}
}

// InvitationInput describes an invitation for CreateInvitation.
type InvitationInput struct {
	// Email is required: 3 to 320 characters.
	Email string
	// Role is required.
	Role Role
	// TokenSHA256 is the SHA-256 of the token mailed to the invitee; unique per tenant.
	TokenSHA256 [32]byte
	// InvitedBy is optional; it must be a user of the tenant.
	InvitedBy UserID
	// ExpiresAt is required.
	ExpiresAt time.Time
}

// ListInvitationsParams selects invitations, newest first.
type ListInvitationsParams struct {
	// Limit is the maximum number: 0 means DefaultLimit, above MaxLimit is clamped, negative
	// is ErrInvalid.
	Limit int
	// PendingAt, when set, keeps only invitations pending at that time (not accepted, not
	// revoked, not expired).
	PendingAt time.Time
}
