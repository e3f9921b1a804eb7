// Package tenancy is the only way code touches tenant data: WithTx runs a function in a
// transaction whose row-level-security policies see exactly one tenant.
//
// Invariants:
//   - the tenant is set with set_config('app.current_tenant', id, true): transaction-local,
//     so it is gone at COMMIT or ROLLBACK and a pooled connection (PgBouncer transaction mode
//     included) never carries it to the next user;
//   - the tenant is a typed ID, parsed once at the edge, never a raw string;
//   - a tenant-data query outside WithTx sees nothing and can write nothing, because every
//     tenant table's policy compares tenant_id with that setting (migrations/tenant).
package tenancy
