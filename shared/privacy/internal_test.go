package privacy

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestDeleteOrderPutsChildrenFirst checks, for every foreign key between tenant tables in the
// migrated schema, that the referencing table is purged before the referenced one.
func TestDeleteOrderPutsChildrenFirst(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	require.NoError(t, tenancy.WithReadTx(ctx, db.App, tenancy.NewID(), func(tx pgx.Tx) error {
		tables, err := tenantTables(ctx, tx)
		require.NoError(t, err)
		names := map[string]bool{}
		for _, tb := range tables {
			names[tb.Name] = true
		}
		for _, want := range []string{"users", "meetings", "transcripts", "meeting_minutes", "action_items", "audit_log", "usage_counters"} {
			require.True(t, names[want], want)
		}
		require.False(t, names["tenants"], "the registry is keyed by id, not tenant_id")

		ordered, err := deleteOrder(ctx, tx, tables)
		require.NoError(t, err)
		require.Len(t, ordered, len(tables))
		pos := map[string]int{}
		for i, tb := range ordered {
			pos[tb.Name] = i
		}
		rows, err := tx.Query(ctx, `SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
			WHERE contype = 'f' AND conrelid <> confrelid`)
		require.NoError(t, err)
		type fk struct{ Child, Parent string }
		fks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fk])
		require.NoError(t, err)
		checked := 0
		for _, f := range fks {
			if names[f.Child] && names[f.Parent] {
				require.Less(t, pos[f.Child], pos[f.Parent], "%s references %s", f.Child, f.Parent)
				checked++
			}
		}
		require.Greater(t, checked, 5)
		return nil
	}))
}

func TestScrubber(t *testing.T) {
	t.Parallel()
	s := newScrubber("alice.smith@contoso.example", "Alice Smith", "erased-1@invalid", "Erased user")
	cases := []struct{ in, want string }{
		{"Alice Smith", "Erased user"},
		{"alice smith said hi", "Erased user said hi"},
		{"<v Alice Smith>Hello", "<v Erased user>Hello"},
		{"Alice Smithson", "Alice Smithson"},
		{"MAlice Smith", "MAlice Smith"},
		{"Alice Smith's deck", "Erased user's deck"},
		{"Alice  Smith", "Alice  Smith"},
		{"mail ALICE.SMITH@contoso.example.", "mail erased-1@invalid."},
		{"mail alice.smith@contoso.example, bob@x", "mail erased-1@invalid, bob@x"},
		{"malice.smith@contoso.example", "malice.smith@contoso.example"},
		{"x.alice.smith@contoso.example", "x.alice.smith@contoso.example"},
		{"alice.smith@contoso.example.org", "alice.smith@contoso.example.org"},
		{"alice.smith@contoso.examples", "alice.smith@contoso.examples"},
		{"Alice Smith <alice.smith@contoso.example>", "Erased user <erased-1@invalid>"},
		{"", ""},
	}
	for _, tt := range cases {
		require.Equal(t, tt.want, s.text(tt.in), tt.in)
	}

	got, changed, err := s.json(`{"attendees": [{"name": "Alice Smith", "n": 1.50}], "alice.smith@contoso.example": true, "big": 12345678901234567890, "q": "say \"Alice Smith\" <b>"}`)
	require.NoError(t, err)
	require.True(t, changed)
	require.JSONEq(t, `{"attendees": [{"name": "Erased user", "n": 1.50}], "erased-1@invalid": true, "big": 12345678901234567890, "q": "say \"Erased user\" <b>"}`, got)
	require.Contains(t, got, "1.50", "numbers keep their text")
	require.Contains(t, got, "<b>", "no HTML escaping")
	same := `{"b": 1, "a": ["Alice Smithson"]}`
	got, changed, err = s.json(same)
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, same, got, "untouched documents are returned as they were")

	short := newScrubber("al@x.example", "Al", "e@invalid", "Erased user")
	require.Equal(t, "Always ask Al", short.text("Always ask Al"), "names under three characters are left in free text")
	require.Equal(t, []string{`%al@x.example%`}, short.patterns)

	quoted := newScrubber("o'neil@x.example", `Ann "Red" O'Neil_100%`, "e@invalid", "Erased user")
	require.Contains(t, quoted.patterns, `%Ann "Red" O'Neil\_100\%%`)
	require.Contains(t, quoted.patterns, `%Ann \\"Red\\" O'Neil\_100\%%`, "the JSON-escaped form too, LIKE-escaped")
	require.Equal(t, "by Erased user.", quoted.text(`by Ann "Red" O'Neil_100%.`))
}
