// Package graphhook receives Microsoft Graph change notifications: the subscription validation
// handshake, the notification body, clientState, the validation tokens of rich notifications,
// the decryption of encryptedContent and the classification of each item (see
// shared/reference/graph.md §2). It is plain net/http, encoding/json, stdlib crypto and
// golang-jwt: it must never import msgraph-sdk-go (or shared/graph, which does), so the
// webhook receiver and its tests compile in seconds. Its SDK has no model for the collection's
// validationTokens and parses keys case-sensitively, while Graph's own samples spell
// "EncryptedContent" with a capital E.
//
// A receiver does, in this order:
//
//  1. ServeValidation(w, r): a request with ?validationToken= is a handshake (200, text/plain,
//     the URL-decoded token, within 10 s) and its body is never parsed.
//  2. ReadBody (bounded by MaxBatchBytes), persist the body, answer 202 within 3 s; return 5xx
//     only if it could not be persisted. Validation failures still get 202.
//  3. Later: ParseBatch; TokenVerifier.VerifyBatch; look up Batch.SubscriptionIDs; Classify;
//     for each valid item, drop it if its DedupeKey was already processed; Decrypter.Decrypt
//     its EncryptedContent if any (falling back to a GET when it fails).
//
// Invariants:
//
//   - Nothing here logs, and no error carries a notification body, decrypted content, a
//     clientState or key material; errors carry ids and reasons only. Decrypted content is
//     customer data: callers must not log it either.
//   - A clientState is stored and compared only as its SHA-256 (HashClientState,
//     ClientStateMatches), in constant time.
//   - An item is Valid only if its tenant is the tenant of its (known) subscription and its
//     clientState matches; and, when the batch carries tokens or encrypted content, only if
//     every token verified and every tenant with encrypted items has one (ClassifyParams).
//   - A validation token is accepted only if it is RS256 with a kid from the Microsoft key set,
//     aud is our app id, iss is https://sts.windows.net/{tenantId}/ for a tenant in the batch
//     with a matching tid, appid (or azp) is PublisherAppID, and it is within its lifetime.
//   - Encrypted content is HMAC-verified before it is decrypted, and every failure on hostile
//     input is an error, never a panic.
//   - Resource ids are opaque strings from a strict character set; the transcript GET path is
//     never built from the notification's resource alone.
//
// Package graphhooktest plays Graph's side in tests: it encrypts content, mints validation
// tokens, serves their key set, and holds the reference fixtures.
package graphhook
