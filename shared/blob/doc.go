// Package blob stores the product's files — transcripts, rendered minutes, exports — behind
// one [Store] interface with two implementations: [Azure] (Azure Blob Storage, or Azurite)
// for the managed and BYOI deployments and [Dir] (a local directory) for self-hosted installs
// and development.
//
// # Keys
//
// A key is a relative, slash-separated path such as
//
//	tenants/{tenant_id}/meetings/{meeting_id}/transcript.vtt
//
// Every tenant's objects live under [TenantPrefix], so a tenant's files can be listed,
// exported and purged as one prefix. Keys are checked by [ValidateKey] before any I/O, and a
// bad key is refused with [ErrInvalidKey]: no empty key, no leading or trailing slash, no empty
// segment, no segment starting with a dot (which rules out "." and ".." and reserves dot names
// for the implementations' own bookkeeping), no backslash, no control character, valid UTF-8,
// at most [MaxKeyLen] bytes overall and [MaxSegmentLen] bytes per segment, no trailing dot.
//
// # Invariants
//
//   - Put is atomic: a reader sees the old object or the whole new one, never a partial write.
//   - Neither implementation ever reads or writes outside its root (its directory, or its
//     container): [Dir] goes through an [os.Root] and additionally refuses paths that cross a
//     symbolic link, so a link planted under the root cannot redirect one tenant's key to
//     another tenant's file or out of the root.
//   - List returns every object under a prefix (all pages), sorted by key.
//   - DeletePrefix only takes a prefix ending in "/", so "tenants/ab/" can never match
//     "tenants/abc/…".
//
// The two implementations are checked by one conformance test (store_conformance_test.go).
// They differ in one way that the flat Azure namespace allows and a file system does not:
// [Dir] cannot hold both "a/b" and "a/b/c".
package blob
