// Package store is the data layer's storage adapter: the Store interface callers use to read
// and write one tenant's data (meetings, transcripts, minutes versions, action items, users,
// invitations, templates, settings), and Managed, its implementation over the shared
// PostgreSQL database where row-level security keeps tenants apart.
//
// Callers get a Store from a Resolver, bound to one tenant, and never learn where the data
// lives: ManagedResolver answers for the shared database today; a BYOI resolver (the tenant's
// own database, same tenant schema) will answer for tenants that bring their own.
//
//	st, err := resolver.For(ctx, tenantID)
//	m, created, err := st.UpsertMeeting(ctx, store.MeetingInput{Source: store.SourceGraph, ExternalID: id})
//	err = st.Tx(ctx, func(st store.Store) error { ...several operations, one transaction... })
//
// Invariants:
//   - every statement runs inside tenancy.WithTx or tenancy.WithReadTx (one per method, or
//     the shared one of Store.Tx), so app.current_tenant is set for the transaction only and
//     the RLS policies of migrations/tenant see exactly the bound tenant;
//   - tenant_id is never taken from caller input: inserts write the bound tenant, and every
//     WHERE clause names it as well as the policy does (defence in depth, and the leading
//     column of every index);
//   - another tenant's ID is indistinguishable from a missing one: getters and mutators
//     return ErrNotFound, references to it in inputs are ErrInvalid, and lists leave it out;
//   - driver errors stop here: no rows, unique, check and foreign-key violations and bad values
//     become ErrNotFound, ErrConflict and ErrInvalid (which carry their HTTP status for
//     shared/funchost), wrapped with what was being done; pgx types never appear in the API;
//   - every method is atomic; multi-statement operations (AddMinutesVersion, DecideMinutes,
//     ReplaceActionItems, SetDefaultTemplate, SaveSettings, the upserts) share one
//     transaction, and inside Store.Tx each runs in a savepoint;
//   - minutes versions of a meeting are numbered 1, 2, 3… without duplicates even under
//     concurrent adds (the meeting row is locked while numbering, and a lost race is retried);
//     only the latest version can be decided, along CanTransition's edges;
//   - time that decides something (decisions, invitation expiry) comes from the caller's
//     clock; created_at and updated_at are the database's.
//
// The store writes no audit entries: shared/audit owns the audit log.
package store
