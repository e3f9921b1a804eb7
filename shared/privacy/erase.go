package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ErasedName replaces an erased user's name.
const ErasedName = "Erased user"

// ErrUserNotFound reports an erasure of a user the tenant does not have.
var ErrUserNotFound = errors.New("user not found")

// EraseOptions are the settings of [EraseUser].
type EraseOptions struct {
	// Now is when the erasure happens, for its audit entry; required.
	Now time.Time
	// Actor is who asked for it; default the system ("privacy.erase").
	Actor audit.Actor
}

// EraseReport is what [EraseUser] changed.
type EraseReport struct {
	// User is the erased user.
	User uuid.UUID
	// Pseudonym is the address now standing for the user: erased-<12 hex>@invalid.
	Pseudonym string
	// AlreadyErased is true when the user had been erased before; nothing was changed.
	AlreadyErased bool
	// Changed counts rewritten rows per "table.column".
	Changed map[string]int64
	// InvitationsDeleted counts the invitations to the user's address that were deleted.
	InvitationsDeleted int64
	// Unchangeable counts rows, per table, that still mention the user in tables that cannot
	// be rewritten (the append-only audit log, tables the role may not update). It is empty
	// when writers keep personal data out of those tables, as they must.
	Unchangeable map[string]int64
	// AuditSeq is the seq of the audit entry recording the erasure (0 when AlreadyErased).
	AuditSeq int64
}

// Pseudonym returns the address that stands for an erased user: "erased-" + the first 12 hex
// digits of SHA-256("minutes.erase:" + tenant + ":" + user) + "@invalid". It derives from the
// ids, not the address, so it cannot be reversed by guessing addresses, and stays the same
// for every row of the user.
func Pseudonym(tenant tenancy.ID, user uuid.UUID) string {
	sum := sha256.Sum256([]byte("minutes.erase:" + tenant.String() + ":" + user.String()))
	return "erased-" + hex.EncodeToString(sum[:6]) + "@invalid"
}

// EraseUser pseudonymises a user's personal data in place, in one transaction of tenant on db
// (the app pool): the user's row gets the pseudonym address, ErasedName, status 'erased' and
// no Entra object id; action items the user owns (by id or address) get the pseudonym and
// ErasedName as owner; invitations to the address are deleted; and in every other text,
// json, jsonb and text-array value of every tenant table (found in the catalog) and of the
// tenant's registry row, the address and the name are replaced — meeting organisers and
// participants, minutes content (attendees, owners), quotes, settings. Other users' rows of
// the users table are left alone; audit entries cannot change and are only counted
// (Unchangeable). The erasure is itself audited, in the same transaction.
//
// Matching is case-insensitive, by the user's address (where it is not part of a longer
// address) and full display name (as whole words, when at least three characters long): a
// nickname or a first name alone in free text is not found, and another person with the same
// full name is replaced too. Objects in blob storage (transcripts) are not rewritten.
func EraseUser(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID, user uuid.UUID, opts EraseOptions) (EraseReport, error) {
	rep, err := erase(ctx, db, tenant, user, opts)
	if err != nil {
		return EraseReport{}, fmt.Errorf("erase user %s of tenant %s: %w", user, tenant, err)
	}
	return rep, nil
}

func erase(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID, user uuid.UUID, opts EraseOptions) (EraseReport, error) {
	if opts.Now.IsZero() {
		return EraseReport{}, errors.New("no time given")
	}
	if opts.Actor.Type == "" {
		opts.Actor = audit.Actor{Type: audit.ActorSystem, ID: "privacy.erase"}
	}
	rep := EraseReport{User: user, Pseudonym: Pseudonym(tenant, user), Changed: map[string]int64{}, Unchangeable: map[string]int64{}}
	err := tenancy.WithTx(ctx, db, tenant, func(tx pgx.Tx) error {
		var email, name, status string
		err := tx.QueryRow(ctx, "SELECT email, display_name, status FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
			tenant, user).Scan(&email, &name, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUserNotFound
		}
		if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if status == "erased" {
			rep.AlreadyErased = true
			return nil
		}
		s := newScrubber(email, name, rep.Pseudonym, ErasedName)

		tag, err := tx.Exec(ctx, `UPDATE users SET email = $3, display_name = $4, status = 'erased', entra_object_id = NULL
			WHERE tenant_id = $1 AND id = $2`, tenant, user, rep.Pseudonym, ErasedName)
		if err != nil {
			return fmt.Errorf("pseudonymise user row: %w", err)
		}
		rep.Changed["users.*"] += tag.RowsAffected()
		tag, err = tx.Exec(ctx, `UPDATE action_items SET owner_name = $4, owner_email = $3
			WHERE tenant_id = $1 AND (owner_user_id = $2 OR lower(owner_email) = lower($5))`,
			tenant, user, rep.Pseudonym, ErasedName, email)
		if err != nil {
			return fmt.Errorf("pseudonymise action item owners: %w", err)
		}
		rep.Changed["action_items.owner"] += tag.RowsAffected()
		tag, err = tx.Exec(ctx, "DELETE FROM invitations WHERE tenant_id = $1 AND lower(email) = lower($2)", tenant, email)
		if err != nil {
			return fmt.Errorf("delete invitations: %w", err)
		}
		rep.InvitationsDeleted = tag.RowsAffected()

		tables, err := tenantTables(ctx, tx)
		if err != nil {
			return err
		}
		reg, ok, err := registry(ctx, tx)
		if err != nil {
			return err
		}
		if ok { // the tenant's own registry row (settings may name a contact)
			tables = append(tables, reg)
		}
		for _, t := range tables {
			rewrite := t.Updatable && t.Name != auditTable
			if err := scrubTable(ctx, tx, tenant, user, t, s, rewrite, &rep); err != nil {
				return err
			}
		}

		var changed int64
		for _, n := range rep.Changed {
			changed += n
		}
		rec, err := audit.Append(ctx, tx, tenant, audit.Entry{
			At: opts.Now, Actor: opts.Actor, Action: "user.erased",
			Target:  audit.Target{Type: "user", ID: user.String()},
			Details: map[string]any{"pseudonym": rep.Pseudonym, "rows_changed": changed, "invitations_deleted": rep.InvitationsDeleted},
		})
		if err != nil {
			return err
		}
		rep.AuditSeq = rec.Seq
		return nil
	})
	if err != nil {
		return EraseReport{}, err
	}
	return rep, nil
}

// scrubTable finds the rows of t whose text, json or array columns mention the user and, when
// rewrite is set, rewrites them in place; otherwise counts them in rep.Unchangeable.
func scrubTable(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, user uuid.UUID, t table, s scrubber, rewrite bool, rep *EraseReport) error {
	var cols []column
	for _, c := range t.Columns {
		if c.Kind != "" && c.Name != t.TenantCol {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	args := []any{tenant, s.patterns}
	var sel, where []string
	for _, c := range cols {
		id := pgx.Identifier{c.Name}.Sanitize()
		expr := id + "::text"
		if c.Kind == "text[]" {
			expr = "to_jsonb(" + id + ")::text"
		}
		sel = append(sel, expr)
		where = append(where, id+"::text ILIKE ANY($2)")
	}
	q := "SELECT tableoid, ctid, " + strings.Join(sel, ", ") + " FROM " + t.ident() +
		" WHERE " + t.tenantCol() + " = $1 AND (" + strings.Join(where, " OR ") + ")"
	if t.Name == "users" {
		// Other users of the same name keep theirs; the user's own row is rewritten above and
		// here (columns added later).
		args = append(args, user)
		q += " AND id = $3"
	}
	if rewrite {
		q += " FOR UPDATE"
	}

	type change struct {
		oid  uint32
		tid  pgtype.TID
		vals map[int]string
	}
	var changes []change
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("search %s: %w", t.Name, err)
	}
	vals := make([]*string, len(cols))
	dest := []any{new(uint32), new(pgtype.TID)}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	_, err = pgx.ForEachRow(rows, dest, func() error {
		ch := change{oid: *dest[0].(*uint32), tid: *dest[1].(*pgtype.TID), vals: map[int]string{}}
		for i, v := range vals {
			if v == nil {
				continue
			}
			var out string
			switch cols[i].Kind {
			case "text":
				out = s.text(*v)
			default: // json, and arrays read as JSON
				var err error
				if out, _, err = s.json(*v); err != nil {
					return fmt.Errorf("%s.%s: %w", t.Name, cols[i].Name, err)
				}
			}
			if out != *v {
				ch.vals[i] = out
			}
		}
		if len(ch.vals) > 0 {
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search %s: %w", t.Name, err)
	}
	if !rewrite {
		if len(changes) > 0 {
			rep.Unchangeable[t.Name] += int64(len(changes))
		}
		return nil
	}
	for _, ch := range changes {
		args := []any{ch.oid, ch.tid}
		var set []string
		for i, v := range ch.vals {
			args = append(args, v)
			p := "$" + strconv.Itoa(len(args)) + "::text"
			switch cols[i].Kind {
			case "json":
				p += "::" + cols[i].Type
			case "text[]":
				p = "ARRAY(SELECT jsonb_array_elements_text(" + p + "::jsonb))::" + cols[i].Type
			}
			set = append(set, pgx.Identifier{cols[i].Name}.Sanitize()+" = "+p)
			rep.Changed[t.Name+"."+cols[i].Name]++
		}
		if _, err := tx.Exec(ctx, "UPDATE "+t.ident()+" SET "+strings.Join(set, ", ")+" WHERE tableoid = $1 AND ctid = $2", args...); err != nil {
			return fmt.Errorf("rewrite a row of %s: %w", t.Name, err)
		}
	}
	return nil
}
