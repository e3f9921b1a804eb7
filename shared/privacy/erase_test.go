package privacy_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/privacy"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const (
	aliceEmail = "Alice.Smith@Contoso.example"
	aliceName  = "Alice Smith"
)

// traces searches every text, json and array column of every tenant table (found in the
// catalog) of tenant, as the superuser, for needle as whole words, case-insensitively.
func traces(t *testing.T, super *pgxpool.Pool, tenant tenancy.ID, needle string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := super.Query(ctx, `
SELECT c.table_name, c.column_name FROM information_schema.columns c
JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
WHERE c.table_schema = 'public'
  AND c.table_name IN (SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id')
  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY') OR c.domain_name IS NOT NULL)
ORDER BY 1, 2`)
	require.NoError(t, err)
	type col struct{ Table, Column string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	require.NoError(t, err)
	require.NotEmpty(t, cols)
	hits := map[string]int64{}
	pattern := `\m` + regexp.QuoteMeta(needle) + `\M`
	for _, c := range cols {
		var n int64
		q := "SELECT count(*) FROM " + pgx.Identifier{"public", c.Table}.Sanitize() +
			" WHERE tenant_id = $1 AND " + pgx.Identifier{c.Column}.Sanitize() + "::text ~* $2"
		require.NoError(t, super.QueryRow(ctx, q, tenant, pattern).Scan(&n), q)
		if n > 0 {
			hits[c.Table+"."+c.Column] = n
		}
	}
	return hits
}

// addAlice gives tenant s a user Alice who appears everywhere personal data can: her row, an
// invitation, a meeting she organised and attended, minutes content (attendees, owners, even
// a key), action items by id and by address, a verbatim quote, settings, and a table added
// later with a text array, a varchar and a json column. Look-alikes that must survive sit
// beside her.
func addAlice(t *testing.T, b testBundle, s seeded) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var alice uuid.UUID
	require.NoError(t, tenancy.WithTx(ctx, b.app, s.Tenant, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO users (tenant_id, email, display_name, entra_object_id)
			VALUES ($1, $2, $3, gen_random_uuid()) RETURNING id`, s.Tenant, aliceEmail, aliceName).Scan(&alice); err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO invitations (tenant_id, email, role, token_sha256, expires_at)
				VALUES ($1, lower($2::text), 'member', sha256('alice'), now() + interval '1 day')`,
			`UPDATE meetings SET organizer_name = $3::text, organizer_email = lower($2::text),
				subject = 'Budget review with ' || $3::text,
				participants = jsonb_build_array(jsonb_build_object('name', $3::text, 'email', upper($2::text)),
				                                 jsonb_build_object('name', 'Bob Jones', 'email', 'bob@contoso.example'))
				WHERE tenant_id = $1 AND external_id = 'ext-1'`,
			`UPDATE meeting_minutes SET decision_reason = 'Approved by ' || $3::text,
				content = jsonb_build_object(
					'attendees', jsonb_build_array(jsonb_build_object('name', $3::text, 'email', $2::text)),
					'summary', $3::text || ' presented the budget. Alice Smithson disagreed; malice.smith@contoso.example was copied.',
					'action_items', jsonb_build_array(jsonb_build_object('owner', $3::text, 'owner_email', $2::text, 'task', 'Send the deck', 'minutes', 15)),
					$2::text, 'an address as a key', 'score', 1.50)
				WHERE tenant_id = $1`,
			`INSERT INTO action_items (tenant_id, minutes_id, meeting_id, task, owner_user_id, owner_name, owner_email, source_quote)
				SELECT $1, id, meeting_id, 'Send the deck', $4, 'Alice S.', '', '<v ' || $3::text || '>I will send the deck to ' || lower($2::text) || '.'
				FROM meeting_minutes WHERE tenant_id = $1 LIMIT 1`,
			`INSERT INTO action_items (tenant_id, minutes_id, meeting_id, task, owner_name, owner_email)
				SELECT $1, id, meeting_id, 'Book the room', $3::text, upper($2::text) FROM meeting_minutes WHERE tenant_id = $1 LIMIT 1`,
			`INSERT INTO action_items (tenant_id, minutes_id, meeting_id, task, owner_name, owner_email)
				SELECT $1, id, meeting_id, 'Ask Alice Smithson and malice.smith@contoso.example', 'Bob Jones', 'bob@contoso.example'
				FROM meeting_minutes WHERE tenant_id = $1 LIMIT 1`,
			`UPDATE tenants SET settings = jsonb_build_object('billing_contact', $2::text, 'plan_note', 'ask ' || $3::text) WHERE id = $1`,
			`UPDATE tenant_settings SET distribution = jsonb_build_object('attendees', true, 'extra', jsonb_build_array($2::text))
				WHERE tenant_id = $1`,
			`INSERT INTO meeting_notes (tenant_id, tags, note, data)
				VALUES ($1, ARRAY['budget', $3::text, NULL], 'ask ' || $2::text, json_build_object('by', $3::text, 'n', 1e2))`,
		} {
			args := []any{s.Tenant, aliceEmail, aliceName, alice}
			used := 0
			for _, m := range regexp.MustCompile(`\$(\d)`).FindAllStringSubmatch(q, -1) {
				used = max(used, int(m[1][0]-'0'))
			}
			if _, err := tx.Exec(ctx, q, args[:used]...); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, s.Tenant, audit.Entry{
			At: now, Actor: audit.Actor{Type: audit.ActorUser, ID: alice.String()}, Action: "minutes.approved",
			Target: audit.Target{Type: "minutes", ID: "m-1"},
		})
		return err
	}))
	return alice
}

func TestEraseUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	blobs := newDirStore(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE meeting_notes (tenant_id uuid NOT NULL, id uuid NOT NULL DEFAULT gen_random_uuid(),
			tags text[] NOT NULL DEFAULT '{}', note varchar(300) NOT NULL DEFAULT '', data json, PRIMARY KEY (tenant_id, id))`,
		`ALTER TABLE meeting_notes ENABLE ROW LEVEL SECURITY`,
		`ALTER TABLE meeting_notes FORCE ROW LEVEL SECURITY`,
		`CREATE POLICY tenant_isolation ON meeting_notes
			USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
			WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)`,
	} {
		_, err := b.owner.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	a, other := seedTenant(t, b, blobs, tenantOpts{}), seedTenant(t, b, blobs, tenantOpts{})
	alice := addAlice(t, b, a)
	addAlice(t, b, other) // the same person is also a user of another tenant: untouched

	for _, needle := range []string{aliceEmail, aliceName} {
		require.NotEmpty(t, traces(t, b.super, a.Tenant, needle))
	}
	otherBefore := map[string]map[string]int64{
		aliceEmail: traces(t, b.super, other.Tenant, aliceEmail),
		aliceName:  traces(t, b.super, other.Tenant, aliceName),
	}

	by := audit.Actor{Type: audit.ActorOperator, ID: "dpo@ourcompany.example"}
	rep, err := privacy.EraseUser(ctx, b.app, a.Tenant, alice, privacy.EraseOptions{Now: now, Actor: by})
	require.NoError(t, err)
	require.Equal(t, privacy.Pseudonym(a.Tenant, alice), rep.Pseudonym)
	require.Regexp(t, `^erased-[0-9a-f]{12}@invalid$`, rep.Pseudonym)
	require.False(t, rep.AlreadyErased)
	require.EqualValues(t, 1, rep.InvitationsDeleted)
	require.EqualValues(t, 2, rep.Changed["action_items.owner"], "by owner id and by address")
	require.Empty(t, rep.Unchangeable)
	t.Logf("changed: %v", rep.Changed)

	// No trace of her address or name in any tenant table of the tenant.
	for _, needle := range []string{aliceEmail, aliceName} {
		require.Empty(t, traces(t, b.super, a.Tenant, needle), needle)
	}
	require.NotEmpty(t, traces(t, b.super, a.Tenant, rep.Pseudonym))
	require.NotEmpty(t, traces(t, b.super, a.Tenant, privacy.ErasedName))
	var settings string
	require.NoError(t, b.super.QueryRow(ctx, "SELECT settings::text FROM tenants WHERE id = $1", a.Tenant).Scan(&settings))
	require.JSONEq(t, `{"billing_contact": "`+rep.Pseudonym+`", "plan_note": "ask Erased user"}`, settings, "the registry row too")
	// Look-alikes survive.
	for _, needle := range []string{"Alice Smithson", "malice.smith@contoso.example", "Bob Jones", "bob@contoso.example"} {
		require.NotEmpty(t, traces(t, b.super, a.Tenant, needle), needle)
	}
	// The other tenant's Alice is untouched.
	require.Equal(t, otherBefore[aliceEmail], traces(t, b.super, other.Tenant, aliceEmail))
	require.Equal(t, otherBefore[aliceName], traces(t, b.super, other.Tenant, aliceName))

	require.NoError(t, tenancy.WithReadTx(ctx, b.app, a.Tenant, func(tx pgx.Tx) error {
		var email, name, status string
		var entra *uuid.UUID
		require.NoError(t, tx.QueryRow(ctx, "SELECT email, display_name, status, entra_object_id FROM users WHERE id = $1", alice).
			Scan(&email, &name, &status, &entra))
		require.Equal(t, []any{rep.Pseudonym, privacy.ErasedName, "erased", (*uuid.UUID)(nil)}, []any{email, name, status, entra})
		var score, minutes string
		require.NoError(t, tx.QueryRow(ctx, `SELECT content->>'score', content->'action_items'->0->>'minutes'
			FROM meeting_minutes LIMIT 1`).Scan(&score, &minutes))
		require.Equal(t, []string{"1.50", "15"}, []string{score, minutes}, "numbers keep their form")
		var tags []*string
		require.NoError(t, tx.QueryRow(ctx, "SELECT tags FROM meeting_notes").Scan(&tags))
		require.Len(t, tags, 3)
		require.Equal(t, privacy.ErasedName, *tags[1])
		require.Nil(t, tags[2], "NULL elements stay NULL")
		return nil
	}))

	// The erasure is audited, with no personal data, and the chain holds.
	recs, err := audit.List(ctx, b.app, a.Tenant, audit.ListParams{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, "user.erased", recs[0].Action)
	require.Equal(t, by, recs[0].Actor)
	require.Equal(t, rep.AuditSeq, recs[0].Seq)
	require.Equal(t, rep.Pseudonym, recs[0].Details["pseudonym"])
	res, err := audit.Verify(ctx, b.app, a.Tenant)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)

	t.Run("again", func(t *testing.T) {
		rep, err := privacy.EraseUser(ctx, b.app, a.Tenant, alice, privacy.EraseOptions{Now: now})
		require.NoError(t, err)
		require.True(t, rep.AlreadyErased)
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := privacy.EraseUser(ctx, b.app, a.Tenant, uuid.New(), privacy.EraseOptions{Now: now})
		require.ErrorIs(t, err, privacy.ErrUserNotFound)
	})
	t.Run("another tenant's user id", func(t *testing.T) {
		_, err := privacy.EraseUser(ctx, b.app, other.Tenant, alice, privacy.EraseOptions{Now: now})
		require.ErrorIs(t, err, privacy.ErrUserNotFound)
	})
}

// TestEraseUserReportsWhatTheAuditLogHolds checks that personal data wrongly put in audit
// details is counted, not rewritten: the log stays append-only and its chain valid.
func TestEraseUserReportsWhatTheAuditLogHolds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	s := seedTenant(t, b, newDirStore(t), tenantOpts{})
	var alice uuid.UUID
	require.NoError(t, tenancy.WithTx(ctx, b.app, s.Tenant, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO users (tenant_id, email, display_name) VALUES ($1, $2, $3) RETURNING id",
			s.Tenant, aliceEmail, aliceName).Scan(&alice); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, s.Tenant, audit.Entry{
			At: now, Actor: audit.Actor{Type: audit.ActorSystem}, Action: "user.invited",
			Details: map[string]any{"email": aliceEmail}, // against the rules of shared/audit
		})
		return err
	}))
	rep, err := privacy.EraseUser(ctx, b.app, s.Tenant, alice, privacy.EraseOptions{Now: now})
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"audit_log": 1}, rep.Unchangeable)
	res, err := audit.Verify(ctx, b.app, s.Tenant)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
}
