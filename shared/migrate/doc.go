// Package migrate applies and reports the schema migrations of package migrations, over goose
// providers.
//
// There are two sets (see [Set]): control and tenant. Each is versioned in its own table,
// goose_control_version and goose_tenant_version, so one database can hold both (managed
// and self-hosted) or only the tenant set (BYOI). [Up] applies every pending migration of the
// sets it is given, each migration in its own transaction; [Status] reports what is applied
// and pending without changing anything; [Versions] reads the current versions over the app
// role's pool for /api/health.
//
// Invariants:
//   - Up must run as the owner role (minutes_owner or the database owner): every object it
//     creates is owned by that role, never by minutes_app.
//   - Up holds a PostgreSQL session advisory lock per set and database while it runs, so two
//     processes migrating the same database at once apply each migration exactly once; the
//     second waits and then finds nothing pending. The lock needs a session, so the owner
//     connection must not go through a transaction-mode pooler.
//   - A failing migration rolls back entirely (statements and version row), leaving the set at
//     the previous version.
//   - After Up, minutes_app (when the role exists) may SELECT the version tables, so Versions
//     works with the runtime role.
package migrate
