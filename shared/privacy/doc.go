// Package privacy carries out the data-protection duties of the product for a tenant: export
// everything it holds ([Export]), delete everything when it leaves ([Purge], [DuePurges]) and
// erase one person's personal data on request ([EraseUser]).
//
// # Invariants
//
//   - The tables are found in the catalog, never listed in code: tenant data is every table
//     of the public schema with a tenant_id column (contract: all of them are under forced
//     row-level security), so a table added by a later migration is exported, purged and
//     searched for personal data without a change here. Rows are always read and written in
//     a transaction of the tenant (tenancy.WithTx), and every statement also filters on
//     tenant_id, so even a table that lacked its policy would not leak another tenant's rows.
//   - Export reads one snapshot (REPEATABLE READ, read-only) and writes one tar.gz: a
//     manifest, one JSON Lines file per table, and optionally the tenant's objects.
//   - Purge runs as the owner role in one transaction: rows children-first by the catalog's
//     foreign keys, then the registry row, then the tenant's blob prefix, then the commit.
//     Without OnRequest it refuses a tenant that is not cancelled or whose retention period
//     (tenants.cancelled_at + retention_days) has not ended.
//   - EraseUser pseudonymises in place (the user's row, owners, addresses and names inside
//     text and JSON) and records the erasure in the audit log; the audit log itself is never
//     rewritten, which is why its details must not hold personal data (shared/audit).
package privacy
