package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// row is one inserted row as to_jsonb renders it. The leak matrix addresses it by primary key
// through jsonb_populate_record, so it works for any table whatever its key types.
type row string

// field returns column col of r as text ("" when absent or null).
func (r row) field(col string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(r), &m); err != nil {
		return ""
	}
	v, ok := m[col]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// fixture is what the factories need besides the transaction.
type fixture struct {
	// Tenant is the tenant whose context the transaction has, and whose rows are made.
	Tenant tenancy.ID
	// RunID is a migration_runs row (a global table) made by the owner in setup.
	RunID int64
}

// seeder inserts rows in one tenant transaction, keeping the first error so factories read
// as straight-line code.
type seeder struct {
	ctx context.Context
	tx  pgx.Tx
	fx  fixture
	err error
}

// insert runs an INSERT ... RETURNING to_jsonb(t.*)::text and returns the row.
func (s *seeder) insert(sql string, args ...any) row {
	if s.err != nil {
		return ""
	}
	var r string
	if err := s.tx.QueryRow(s.ctx, sql, args...).Scan(&r); err != nil {
		s.err = fmt.Errorf("%s: %w", strings.Join(strings.Fields(sql)[:3], " "), err)
		return ""
	}
	return row(r)
}

// factory inserts one valid row of a tenant table for s.fx.Tenant, with the parent rows it
// needs, and returns that row.
type factory func(s *seeder) row

// factories returns a factory for every table with a tenant_id column. TestTenantIsolation
// fails for a table in the catalog without one, so a new tenant table must add its factory
// here and gets the whole leak matrix for free.
func factories() map[string]factory {
	return map[string]factory{
		// Control plane (migrations/control): tenants row made in setup.
		"resource_profiles": func(s *seeder) row {
			return s.insert(`INSERT INTO resource_profiles AS t (tenant_id, database_name, keyvault_url)
				VALUES ($1, 'minutes', 'https://vault.example/') RETURNING to_jsonb(t.*)::text`, s.fx.Tenant)
		},
		"graph_subscriptions": func(s *seeder) row {
			return s.insert(`INSERT INTO graph_subscriptions AS t
				(tenant_id, id, kind, resource, client_state_sha256, expires_at)
				VALUES ($1, $2, 'transcripts', 'communications/onlineMeetings/getAllTranscripts', $3, now() + interval '2 days')
				RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, unique("sub"), hash32("client-state"))
		},
		"notification_receipts": func(s *seeder) row {
			return s.insert(`INSERT INTO notification_receipts AS t
				(tenant_id, dedupe_key, subscription_id, change_type, resource)
				VALUES ($1, $2, 'sub-1', 'created', 'communications/onlineMeetings/m/transcripts/t')
				RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, unique("receipt"))
		},
		"health_results": func(s *seeder) row {
			return s.insert(`INSERT INTO health_results AS t (tenant_id, resource, checked_at, state, latency_ms)
				VALUES ($1, 'database', now(), 'up', 1.5) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant)
		},
		"usage_counters": func(s *seeder) row {
			return s.insert(`INSERT INTO usage_counters AS t (tenant_id, meter, period_start, value)
				VALUES ($1, 'meetings_processed', date_trunc('hour', now()), 3) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant)
		},
		"migration_targets": func(s *seeder) row {
			return s.insert(`INSERT INTO migration_targets AS t (tenant_id, run_id, status, from_version)
				VALUES ($1, $2, 'pending', 1) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, s.fx.RunID)
		},

		// Tenant data (migrations/tenant).
		"users":    newUser,
		"meetings": newMeeting,
		"invitations": func(s *seeder) row {
			u := newUser(s)
			return s.insert(`INSERT INTO invitations AS t (tenant_id, email, role, token_sha256, invited_by, expires_at)
				VALUES ($1, $2, 'member', $3, $4, now() + interval '7 days') RETURNING to_jsonb(t.*)::text`,
				s.fx.Tenant, unique("guest")+"@example.com", hash32(unique("token")), u.field("id"))
		},
		"transcripts":     newTranscript,
		"templates":       newTemplate,
		"meeting_minutes": newMinutes,
		"action_items": func(s *seeder) row {
			m := newMinutes(s)
			u := newUser(s)
			return s.insert(`INSERT INTO action_items AS t
				(tenant_id, minutes_id, meeting_id, task, owner_user_id, due_date, source_quote, source_offset_ms)
				VALUES ($1, $2, $3, 'Send the budget', $4, current_date + 7, 'I will send the budget', 61000)
				RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, m.field("id"), m.field("meeting_id"), u.field("id"))
		},
		"tenant_settings": func(s *seeder) row {
			tpl := newTemplate(s)
			return s.insert(`INSERT INTO tenant_settings AS t (tenant_id, approval_mode, default_template_id)
				VALUES ($1, 'any', $2) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, tpl.field("id"))
		},
		"meeting_events": func(s *seeder) row {
			m := newMeeting(s)
			return s.insert(`INSERT INTO meeting_events AS t (tenant_id, meeting_id, stage, outcome, detail)
				VALUES ($1, $2, 'transcript_fetch', 'retry', 'not available yet') RETURNING to_jsonb(t.*)::text`,
				s.fx.Tenant, m.field("id"))
		},
		"transcript_fetches": func(s *seeder) row {
			m := newMeeting(s)
			return s.insert(`INSERT INTO transcript_fetches AS t (tenant_id, external_id, meeting_id, status, attempts)
				VALUES ($1, $2, $3, 'retrying', 1) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, unique("tr"), m.field("id"))
		},
		"tenant_alerts": func(s *seeder) row {
			return s.insert(`INSERT INTO tenant_alerts AS t (tenant_id, kind, title, detail)
				VALUES ($1, $2, 'Turn on Transcript API access', 'Set-CsTeamsMeetingConfiguration') RETURNING to_jsonb(t.*)::text`,
				s.fx.Tenant, strings.ReplaceAll(unique("alert"), "-", "_"))
		},
		"minutes_publications": func(s *seeder) row {
			m := newMinutes(s)
			return s.insert(`INSERT INTO minutes_publications AS t (tenant_id, minutes_id, channel, state, detail, done_at)
				VALUES ($1, $2, 'email', 'done', '3 recipients', now()) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, m.field("id"))
		},
		"billing_meetings": func(s *seeder) row {
			return s.insert(`INSERT INTO billing_meetings AS t (tenant_id, meeting_id, state, admitted_at)
				VALUES ($1, gen_random_uuid(), 'admitted', now()) RETURNING to_jsonb(t.*)::text`, s.fx.Tenant)
		},
		"audit_log": func(s *seeder) row {
			// The first link of the tenant's chain: seq 1, prev_hash zero, hash over both.
			prev := make([]byte, 32)
			h := sha256.Sum256(append(prev, []byte(s.fx.Tenant.String()+"|1|tenant.created")...))
			return s.insert(`INSERT INTO audit_log AS t
				(tenant_id, seq, at, actor_type, actor_id, action, target_type, target_id, prev_hash, hash)
				VALUES ($1, 1, now(), 'system', 'test', 'tenant.created', 'tenant', $2, $3, $4)
				RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, s.fx.Tenant.String(), prev, h[:])
		},
	}
}

func newUser(s *seeder) row {
	return s.insert(`INSERT INTO users AS t (tenant_id, email, display_name, entra_object_id, role)
		VALUES ($1, $2, 'Ada Lovelace', gen_random_uuid(), 'admin') RETURNING to_jsonb(t.*)::text`,
		s.fx.Tenant, unique("ada")+"@example.com")
}

func newMeeting(s *seeder) row {
	return s.insert(`INSERT INTO meetings AS t (tenant_id, source, external_id, call_id, subject, starts_at, ends_at, status)
		VALUES ($1, 'graph', $2, $3, 'Quarterly planning', now() - interval '1 hour', now(), 'draft')
		RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, unique("meeting"), unique("call"))
}

func newTranscript(s *seeder) row {
	m := newMeeting(s)
	return s.insert(`INSERT INTO transcripts AS t
		(tenant_id, meeting_id, external_id, format, blob_path, content_sha256, size_bytes, language)
		VALUES ($1, $2, $3, 'vtt', 'transcripts/t.vtt', $4, 1024, 'en') RETURNING to_jsonb(t.*)::text`,
		s.fx.Tenant, m.field("id"), unique("transcript"), hash32("WEBVTT"))
}

func newTemplate(s *seeder) row {
	return s.insert(`INSERT INTO templates AS t (tenant_id, name, tone)
		VALUES ($1, $2, 'formal') RETURNING to_jsonb(t.*)::text`, s.fx.Tenant, unique("Board"))
}

func newMinutes(s *seeder) row {
	tr := newTranscript(s)
	tpl := newTemplate(s)
	u := newUser(s)
	return s.insert(`INSERT INTO meeting_minutes AS t
		(tenant_id, meeting_id, transcript_id, version, status, content, generator, template_id, created_by)
		VALUES ($1, $2, $3, 1, 'draft', '{"title": "Quarterly planning", "summary": "Budget agreed."}', 'test', $4, $5)
		RETURNING to_jsonb(t.*)::text`,
		s.fx.Tenant, tr.field("meeting_id"), tr.field("id"), tpl.field("id"), u.field("id"))
}

// unique returns prefix with a random suffix, for columns under a unique constraint.
func unique(prefix string) string { return prefix + "-" + tenancy.NewID().String() }

// hash32 returns sha256(s): a value of the right shape for the 32-byte hash columns.
func hash32(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
