// Package review is the minutes review workflow and the action-item changes, in one place for
// every front end: the portal's pages and the REST API (functions/Api) call exactly these
// operations, so the same caller gets the same answer through either.
//
//	svc := review.New(time.Now)
//	m, err := svc.Edit(ctx, id, content)          // approver+: version N+1, action items replaced
//	m, err = svc.Approve(ctx, m.ID)               // approver+ (named approvers only in "named" mode)
//	m, err = svc.Reject(ctx, id, "wrong budget")  // approver+, a reason is required
//	a, err := svc.SetActionItemStatus(ctx, itemID, store.ActionDone) // owner, or approver+
//	ms, err := svc.History(ctx, meetingID)        // member+
//	m, err = svc.View(ctx, id)                    // member+, recorded as minutes.viewed
//
// Invariants:
//   - the caller is the principal on ctx (access.FromContext); every operation checks its role
//     with access.Require (reads) or access.RequireWrite (changes, which a suspended tenant
//     may not make) before it touches data, and reaches data only through Principal.Store, so
//     another tenant's id is store.ErrNotFound (404), never data;
//   - each change and its audit entry run in one Store.Tx: both commit or neither does;
//   - audit details hold ids, versions, statuses, counts and the names of known top-level
//     minutes fields, never minutes text, reasons, names or addresses;
//   - minutes are never edited in place: an edit adds version N+1 with the status of N (draft
//     or pending_approval only) and keeps N as it was; only the latest version can be edited
//     or decided;
//   - errors match the store's sentinels (store.ErrNotFound 404, store.ErrInvalid 400,
//     store.ErrConflict 409) or access.ErrForbidden (403) under errors.Is, and carry a message
//     safe to show the caller (funchost.PublicMessage).
//
// # Minutes content
//
// The content of a version is the minutes model as a JSON object. An edit must send an object
// whose "title" and "summary" are strings and whose "decisions" and "action_items", when
// present, are arrays; other members are kept as sent. Each element of "action_items" is an
// object:
//
//	{"task": "Send the deck",          // required, 1 to 2000 characters
//	 "owner": "Amy Lee",               // optional display name
//	 "owner_email": "amy@example.com", // optional
//	 "owner_user_id": "<user id>",     // optional, a user of the tenant
//	 "due": "2026-03-20",              // optional, a date (YYYY-MM-DD) or null
//	 "quote": "I'll send the deck",    // optional, the transcript span it came from
//	 "at": "00:12:34.500"}             // optional, offset into the meeting: [hh:]mm:ss[.fff] or seconds
//
// and the version's action items are replaced by these, in order. An item keeps the status of
// the previous version's item with the same task and owner (so an edit does not reopen done
// work), and is marked verified only if the previous version had the same quote verified: an
// editor cannot vouch for a quote.
package review
