package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const invitationColumns = `id, email, role, invited_by, expires_at, accepted_at, accepted_by, revoked_at, created_at`

func scanInvitation(row pgx.CollectableRow) (Invitation, error) {
	var i Invitation
	err := row.Scan(&i.ID, &i.Email, &i.Role, &i.InvitedBy, &i.ExpiresAt, &i.AcceptedAt, &i.AcceptedBy,
		&i.RevokedAt, &i.CreatedAt)
	return i, err
}

const createInvitationSQL = `
INSERT INTO invitations (tenant_id, email, role, token_sha256, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING ` + invitationColumns

// CreateInvitation implements Store.
func (s *Managed) CreateInvitation(ctx context.Context, in InvitationInput) (Invitation, error) {
	switch {
	case strings.TrimSpace(in.Email) == "":
		return Invitation{}, fmt.Errorf("create invitation: %w", invalid("empty email"))
	case !in.Role.Valid():
		return Invitation{}, fmt.Errorf("create invitation: %w", invalid("role %q", in.Role))
	case in.ExpiresAt.IsZero():
		return Invitation{}, fmt.Errorf("create invitation: %w", invalid("no expiry"))
	case in.TokenSHA256 == [32]byte{}:
		return Invitation{}, fmt.Errorf("create invitation: %w", invalid("no token hash"))
	}
	var i Invitation
	err := s.write(ctx, func(q querier) (err error) {
		i, err = one(ctx, q, scanInvitation, createInvitationSQL, s.tenant, in.Email, in.Role, in.TokenSHA256[:],
			in.InvitedBy, in.ExpiresAt)
		return err
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("create invitation: %w", translate(err))
	}
	return i, nil
}

const invitationByTokenSQL = `SELECT ` + invitationColumns + ` FROM invitations WHERE tenant_id = $1 AND token_sha256 = $2`

// InvitationByToken implements Store.
func (s *Managed) InvitationByToken(ctx context.Context, tokenSHA256 [32]byte) (Invitation, error) {
	var i Invitation
	err := s.read(ctx, func(q querier) (err error) {
		i, err = one(ctx, q, scanInvitation, invitationByTokenSQL, s.tenant, tokenSHA256[:])
		return err
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("get invitation by token: %w", translate(err))
	}
	return i, nil
}

// Accepting is one guarded update, so two concurrent accepts cannot both succeed: the second
// waits for the first's row lock, re-checks the guard and updates nothing. Only then is the
// row read to say why.
const (
	acceptInvitationSQL = `
UPDATE invitations SET accepted_at = $4, accepted_by = $3
 WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $4
RETURNING ` + invitationColumns

	getInvitationSQL = `SELECT ` + invitationColumns + ` FROM invitations WHERE tenant_id = $1 AND id = $2`
)

// AcceptInvitation implements Store.
func (s *Managed) AcceptInvitation(ctx context.Context, id InvitationID, userID UserID, at time.Time) (Invitation, error) {
	switch {
	case userID.IsZero():
		return Invitation{}, fmt.Errorf("accept invitation %s: %w", id, invalid("no user"))
	case at.IsZero():
		return Invitation{}, fmt.Errorf("accept invitation %s: %w", id, invalid("no time"))
	}
	var i Invitation
	err := s.write(ctx, func(q querier) error {
		var err error
		i, err = one(ctx, q, scanInvitation, acceptInvitationSQL, s.tenant, id, userID, at)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if i, err = one(ctx, q, scanInvitation, getInvitationSQL, s.tenant, id); err != nil {
			return err
		}
		switch i.State(at) {
		case InvitationAccepted:
			return fmt.Errorf("%w: invitation already accepted", ErrConflict)
		case InvitationRevoked:
			return fmt.Errorf("%w: invitation revoked", ErrConflict)
		case InvitationExpired:
			return fmt.Errorf("invitation expired at %s: %w", i.ExpiresAt.UTC().Format(time.RFC3339), ErrExpired)
		}
		return fmt.Errorf("%w: invitation changed concurrently", ErrConflict)
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("accept invitation %s: %w", id, translate(err))
	}
	return i, nil
}

// revokeInvitationSQL keeps the first revocation time, so revoking again changes nothing.
const revokeInvitationSQL = `
UPDATE invitations SET revoked_at = coalesce(revoked_at, $3)
 WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL
RETURNING ` + invitationColumns

// RevokeInvitation implements Store.
func (s *Managed) RevokeInvitation(ctx context.Context, id InvitationID, at time.Time) (Invitation, error) {
	if at.IsZero() {
		return Invitation{}, fmt.Errorf("revoke invitation %s: %w", id, invalid("no time"))
	}
	var i Invitation
	err := s.write(ctx, func(q querier) error {
		var err error
		i, err = one(ctx, q, scanInvitation, revokeInvitationSQL, s.tenant, id, at)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err = one(ctx, q, scanInvitation, getInvitationSQL, s.tenant, id); err != nil {
			return err
		}
		return fmt.Errorf("%w: invitation already accepted", ErrConflict)
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("revoke invitation %s: %w", id, translate(err))
	}
	return i, nil
}

const listInvitationsSQL = `
SELECT ` + invitationColumns + ` FROM invitations
 WHERE tenant_id = $1
   AND ($2::timestamptz IS NULL
        OR (accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2::timestamptz))
 ORDER BY created_at DESC, id
 LIMIT $3`

// ListInvitations implements Store.
func (s *Managed) ListInvitations(ctx context.Context, p ListInvitationsParams) ([]Invitation, error) {
	n, err := limit(p.Limit)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	var pendingAt *time.Time
	if !p.PendingAt.IsZero() {
		pendingAt = &p.PendingAt
	}
	var is []Invitation
	err = s.read(ctx, func(q querier) (err error) {
		is, err = all(ctx, q, scanInvitation, listInvitationsSQL, s.tenant, pendingAt, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", translate(err))
	}
	return is, nil
}
