// Package audit keeps each tenant's audit log: an append-only, hash-chained record of who did
// what (approved minutes, changed settings, invited a user, exported or erased data).
//
// # Writing
//
// [Append] takes the caller's tenant transaction (from tenancy.WithTx), so an audit entry
// commits or rolls back with the change it records. It serialises appends per tenant with a
// transaction-scoped advisory lock, so entries of one tenant are numbered 1, 2, 3… without
// gaps even under concurrency; tenants do not wait for each other (up to collisions of a
// 64-bit lock key). The transaction must run at READ COMMITTED (the default): at a stricter
// level its snapshot predates the lock and would miss the previous entry, so Append refuses.
//
// The table (migrations/tenant, audit_log) is append-only: the runtime role has no UPDATE,
// DELETE or TRUNCATE on it, and a trigger refuses them for every role, the owner included,
// except the tenant purge (shared/privacy), which deletes a whole tenant's log after naming
// that tenant in app.purge_tenant inside its own transaction.
//
// # What details may hold
//
// Details are identifiers and small facts: ids, counts, statuses, old and new setting values,
// never transcript or minutes text, never personal data beyond opaque ids (no e-mail
// addresses, no names: an erased user could not be erased from here), never secrets, tokens or
// keys. The log cannot be edited afterwards, so anything put here stays until the tenant is
// purged.
//
// # The chain (format minutes.audit.v1)
//
// Entry n of a tenant stores prev_hash = hash of entry n-1 (32 zero bytes for entry 1) and
//
//	hash = SHA-256(prev_hash || canonical(entry))
//
// where canonical(entry) is the concatenation of ten fields, each written as its length in
// bytes (4-byte unsigned big-endian) followed by its UTF-8 bytes:
//
//  1. the format tag "minutes.audit.v1"
//  2. tenant_id: the lower-case, hyphenated UUID (36 characters)
//  3. seq: decimal, no sign, no leading zeros
//  4. at: the time in UTC truncated to whole microseconds (PostgreSQL's precision), as Go's
//     time.RFC3339Nano prints it: "2006-01-02T15:04:05.999999Z", with the fraction's trailing
//     zeros removed and the fraction and its dot left out when zero
//  5. actor_type: "user", "system" or "operator"
//  6. actor_id
//  7. action
//  8. target_type
//  9. target_id
//  10. details: the stored jsonb object in canonical JSON: no insignificant whitespace; object
//     members sorted by key, comparing keys' UTF-8 bytes; strings escaped minimally — `"` as
//     \", `\` as \\, U+0008, U+0009, U+000A, U+000C, U+000D as \b, \t, \n, \f, \r, other code
//     points below U+0020 as \u00xx (lower-case hex), everything else as its UTF-8 bytes;
//     numbers written exactly as PostgreSQL prints the jsonb number (its numeric text form,
//     e.g. 100 for 1e2, 1.50 kept as 1.50); true, false, null as such.
//
// Append hashes the details exactly as PostgreSQL stores them (it has the server normalise
// them first), so anyone reading a row back can recompute its hash. [Verify] walks a tenant's
// chain and reports the first entry that breaks it: an edited row (hash mismatch), a deleted
// row (a gap in seq, or a prev_hash that no longer matches after renumbering), an inserted or
// reordered row (prev_hash or hash mismatch). A chain proves order and integrity, not
// completeness at the end: removing the newest entries leaves a valid, shorter chain, so keep
// the head ([VerifyResult.Head]) somewhere else to detect that.
package audit
