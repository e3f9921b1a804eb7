// Package stripewebhook is the StripeWebhook function: POST /api/stripe/webhook.
//
// It reads the raw body (never re-encoded: the signature covers its bytes), hands it with the
// Stripe-Signature header to billing.Webhooks, and answers:
//
//   - 200 when the event was applied, was a duplicate, is of a type we ignore, or names a
//     customer we do not know (acknowledged and logged, so Stripe stops retrying);
//   - 400 for anything that is not a genuine, current, well-formed event of our API version:
//     a missing, malformed or wrong signature, a timestamp older than 5 minutes, another API
//     version, junk, or a body over billing.MaxEventBytes — retrying cannot fix those;
//   - 5xx only when our side failed (the database, or Stripe's API while re-reading the
//     object), so Stripe retries and the event is applied later, still once.
//
// Bodies are never logged.
package stripewebhook
