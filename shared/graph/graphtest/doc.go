// Package graphtest is a fake Microsoft Graph for tests of package graph: an httptest.Server
// on 127.0.0.1 speaking the documented JSON and error shapes of the endpoints Meeting Minutes
// uses — online meetings, transcripts and their WebVTT content, subscriptions (create, renew,
// reauthorize, delete, with Graph's validation rules), sendMail, and drive uploads (simple PUT
// and upload sessions).
//
// Like Graph it gunzips request bodies sent with Content-Encoding: gzip (the SDK compresses
// POST and PATCH bodies), answers 401 InvalidAuthenticationToken to any Graph request without
// "Authorization: Bearer ..." (so the SDK's allowed-hosts trap, which silently drops the token
// for unlisted hosts, fails loudly), and answers 401 to upload-session PUTs that do carry one.
// Every request is recorded (Requests) for assertions; scripted failures (Fail) answer the
// next matching requests with 429 + Retry-After, 402, 403 (access policy or Transcript API
// disabled), 404 or 500 in Graph's error shape.
//
// Invariant: it is a test helper; production code must never import it.
package graphtest
