// Package api implements the Api function: the JSON REST API under /api/v1/, used by the
// portal's scripts and by integrations. It offers the same operations with the same
// authorization as the portal, because both call shared/review for the minutes workflow and
// shared/access for every role check.
//
// # Routes
//
//	GET    /api/v1/me                         member+   the caller: tenant, user, role, name, email, tenant status
//	GET    /api/v1/meetings                   member+   ?limit=&before=&status=   {"items":[…],"next":"<cursor>"}
//	GET    /api/v1/meetings/{id}              member+   one meeting, with its latest minutes' summary
//	GET    /api/v1/meetings/{id}/minutes      member+   every minutes version (no content), newest first
//	POST   /api/v1/transcripts                member+   multipart "file" (+subject, date) or a text/vtt|text/plain body
//	                                                    → 201 {"meeting_id","transcript_id","created"}; the same file again → 200
//	GET    /api/v1/minutes/{id}               member+   one version with its content (audited: minutes.viewed)
//	PUT    /api/v1/minutes/{id}               approver+ {"content":{…}} → 201, the new version (Location)
//	POST   /api/v1/minutes/{id}/approve       approver+ (named approvers only in "named" mode)
//	POST   /api/v1/minutes/{id}/reject        approver+ {"reason":"…"} (1 to 2000 characters)
//	GET    /api/v1/action-items               member+   ?owner=me|<user id>&status=&meeting=&limit=
//	GET    /api/v1/action-items.csv           member+   same filters; RFC 4180 CSV (audited: action_items.exported)
//	PATCH  /api/v1/action-items/{id}          member+   {"status":"done"}; members only their own items
//	GET    /api/v1/settings                   admin
//	PUT    /api/v1/settings                   admin     documented fields only; absent fields are unchanged
//	GET    /api/v1/users                      admin     ?limit=&after=&role=      {"items":[…],"next":"<cursor>"}
//	PATCH  /api/v1/users/{id}                 admin     {"role":"approver"}; never the last admin → 409
//	GET    /api/v1/templates                  member+
//	POST   /api/v1/templates                  admin     {"name","sections","tone","language"} → 201
//	GET    /api/v1/audit                      admin     ?limit=&before=<seq>      {"items":[…],"next":"<seq>"}
//
// Routes are plain funchost.HandlerFuncs with Go 1.22 patterns; the wiring mounts each through
// funchost.Adapter.HTTP (body limit, error mapping) behind the authentication middleware
// (access.Authenticator) and the CSRF middleware, and the handlers read the caller with
// access.FromContext.
//
// # Invariants
//
//   - every handler checks the caller's role first (401 anonymous, 403 too low a role or a
//     suspended tenant writing), then reaches data only through the caller's own tenant store:
//     an id of another tenant — in the path, a query filter or a body — is 404, exactly like
//     an id that does not exist or does not parse, and changes nothing (OWASP API1, BOLA);
//   - request bodies are JSON objects (Content-Type application/json, at most 1 MiB), decoded
//     into request structs with unknown fields refused by name: no tenant_id, role, approver or
//     decision is ever bound from a body except through a documented field (API3, mass
//     assignment); malformed JSON and wrong types are 400 with a message saying where;
//   - responses are the response structs of this package, snake_case, never store structs:
//     internal ids (Entra object ids, Graph ids, transcript ids) stay inside;
//   - every change is written with its audit entry in one transaction; audit details hold ids,
//     statuses, counts and field names, never minutes text or personal data;
//   - CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or
//     carriage return) are prefixed with a single quote.
package api
