package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const userColumns = `id, email, display_name, entra_object_id, role, status, created_at, last_seen_at`

func scanUser(row pgx.CollectableRow) (User, error) {
	var (
		u     User
		entra *uuid.UUID
	)
	err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &entra, &u.Role, &u.Status, &u.CreatedAt, &u.LastSeenAt)
	if entra != nil {
		u.EntraObjectID = *entra
	}
	return u, err
}

// nullUUID stores uuid.Nil as NULL.
func nullUUID(u uuid.UUID) *uuid.UUID {
	if u == uuid.Nil {
		return nil
	}
	return &u
}

// checkUserInput validates in and returns the role a new user gets.
func checkUserInput(in UserInput) (Role, error) {
	role := in.Role
	if role == "" {
		role = RoleMember
	}
	switch {
	case strings.TrimSpace(in.Email) == "":
		return "", invalid("empty email")
	case !role.Valid():
		return "", invalid("role %q", role)
	}
	return role, nil
}

const createUserSQL = `
INSERT INTO users (tenant_id, email, display_name, entra_object_id, role)
VALUES ($1, $2, $3, $4, $5)
RETURNING ` + userColumns

// CreateUser implements Store.
func (s *Managed) CreateUser(ctx context.Context, in UserInput) (User, error) {
	role, err := checkUserInput(in)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	var u User
	err = s.write(ctx, func(q querier) (err error) {
		u, err = one(ctx, q, scanUser, createUserSQL, s.tenant, in.Email, in.DisplayName, nullUUID(in.EntraObjectID), role)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", translate(err))
	}
	return u, nil
}

// The upsert inserts, doing nothing when the email is taken (in any case; the conflict target
// is the expression index users_email), then locks the existing row and fills in what it lacks.
const (
	insertUserIfAbsentSQL = `
INSERT INTO users (tenant_id, email, display_name, entra_object_id, role)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, lower(email)) DO NOTHING
RETURNING ` + userColumns

	lockUserByEmailSQL = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND lower(email) = lower($2) FOR UPDATE`

	fillUserSQL = `
UPDATE users
   SET display_name = CASE WHEN $3::text = '' THEN display_name ELSE $3::text END,
       entra_object_id = coalesce(entra_object_id, $4::uuid)
 WHERE tenant_id = $1 AND id = $2
RETURNING ` + userColumns
)

// UpsertUserByEmail implements Store.
func (s *Managed) UpsertUserByEmail(ctx context.Context, in UserInput) (User, bool, error) {
	role, err := checkUserInput(in)
	if err != nil {
		return User{}, false, fmt.Errorf("upsert user: %w", err)
	}
	var (
		u       User
		created bool
	)
	err = s.write(ctx, func(q querier) error {
		var err error
		u, err = one(ctx, q, scanUser, insertUserIfAbsentSQL, s.tenant, in.Email, in.DisplayName, nullUUID(in.EntraObjectID), role)
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if u, err = one(ctx, q, scanUser, lockUserByEmailSQL, s.tenant, in.Email); err != nil {
			if errors.Is(err, pgx.ErrNoRows) { // deleted between the two statements
				return fmt.Errorf("%w: user changed concurrently", ErrConflict)
			}
			return err
		}
		if in.EntraObjectID != uuid.Nil && u.EntraObjectID != uuid.Nil && u.EntraObjectID != in.EntraObjectID {
			return fmt.Errorf("%w: email belongs to another Entra user", ErrConflict)
		}
		if (in.DisplayName == "" || in.DisplayName == u.DisplayName) &&
			(in.EntraObjectID == uuid.Nil || in.EntraObjectID == u.EntraObjectID) {
			return nil // nothing to fill in
		}
		u, err = one(ctx, q, scanUser, fillUserSQL, s.tenant, u.ID, in.DisplayName, nullUUID(in.EntraObjectID))
		return err
	})
	if err != nil {
		return User{}, false, fmt.Errorf("upsert user: %w", translate(err))
	}
	return u, created, nil
}

const getUserSQL = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND id = $2`

// User implements Store.
func (s *Managed) User(ctx context.Context, id UserID) (User, error) {
	var u User
	err := s.read(ctx, func(q querier) (err error) {
		u, err = one(ctx, q, scanUser, getUserSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id, translate(err))
	}
	return u, nil
}

const userByEntraIDSQL = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND entra_object_id = $2`

// UserByEntraID implements Store.
func (s *Managed) UserByEntraID(ctx context.Context, entraObjectID uuid.UUID) (User, error) {
	if entraObjectID == uuid.Nil {
		return User{}, fmt.Errorf("get user by entra id: %w", ErrNotFound)
	}
	var u User
	err := s.read(ctx, func(q querier) (err error) {
		u, err = one(ctx, q, scanUser, userByEntraIDSQL, s.tenant, entraObjectID)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("get user by entra id %s: %w", entraObjectID, translate(err))
	}
	return u, nil
}

const userByEmailSQL = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND lower(email) = lower($2)`

// UserByEmail implements Store.
func (s *Managed) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.read(ctx, func(q querier) (err error) {
		u, err = one(ctx, q, scanUser, userByEmailSQL, s.tenant, email)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("get user by email: %w", translate(err))
	}
	return u, nil
}

const listUsersSQL = `
SELECT ` + userColumns + ` FROM users
 WHERE tenant_id = $1
   AND ($2::text = '' OR lower(email) > lower($2::text))
   AND ($3::text = '' OR role = $3::text)
 ORDER BY lower(email)
 LIMIT $4`

// ListUsers implements Store.
func (s *Managed) ListUsers(ctx context.Context, p ListUsersParams) ([]User, error) {
	n, err := limit(p.Limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if p.Role != "" && !p.Role.Valid() {
		return nil, fmt.Errorf("list users: %w", invalid("role %q", p.Role))
	}
	var us []User
	err = s.read(ctx, func(q querier) (err error) {
		us, err = all(ctx, q, scanUser, listUsersSQL, s.tenant, p.AfterEmail, string(p.Role), n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", translate(err))
	}
	return us, nil
}

// Changing a role locks every active admin first (in id order, so two demotions cannot
// deadlock), then refuses to demote the last one.
const (
	lockAdminsSQL = `SELECT id FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE`

	setUserRoleSQL = `UPDATE users SET role = $3 WHERE tenant_id = $1 AND id = $2 RETURNING ` + userColumns
)

// SetUserRole implements Store.
func (s *Managed) SetUserRole(ctx context.Context, id UserID, role Role) (User, error) {
	if !role.Valid() {
		return User{}, fmt.Errorf("set role of user %s: %w", id, invalid("role %q", role))
	}
	var u User
	err := s.write(ctx, func(q querier) error {
		admins, err := all(ctx, q, pgx.RowTo[UserID], lockAdminsSQL, s.tenant)
		if err != nil {
			return err
		}
		if role != RoleAdmin && len(admins) == 1 && admins[0] == id {
			return fmt.Errorf("%w: the tenant's last admin keeps the admin role", ErrConflict)
		}
		u, err = one(ctx, q, scanUser, setUserRoleSQL, s.tenant, id, role)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("set role of user %s: %w", id, translate(err))
	}
	return u, nil
}

const touchUserSQL = `UPDATE users SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2`

// TouchUser records a sign-in (see Store.TouchUser); an unknown id is ErrNotFound.
func (s *Managed) TouchUser(ctx context.Context, id UserID, at time.Time) error {
	err := s.write(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, touchUserSQL, s.tenant, id, at.UTC())
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("touch user %s: %w", id, translate(err))
	}
	return nil
}
