// Package graph is Meeting Minutes' client for Microsoft Graph: app-only, one credential and
// one SDK client per customer tenant. It reads online meetings and their transcripts (WebVTT),
// manages change-notification subscriptions, sends mail and uploads files to SharePoint.
//
// It is the only package in the repository that imports
// github.com/microsoftgraph/msgraph-sdk-go (and its core, kiota and azidentity). The SDK costs
// minutes and ~5 GB to compile cold, so every other package — and every other package's tests —
// must depend only on the plain types and the small interfaces they define over this package,
// never on the SDK. SDK types never appear in this package's API.
//
// Invariants:
//   - a Client acts for exactly one tenant: its credential requests tokens from that tenant's
//     authority only, so one tenant's token can never be sent for another;
//   - the bearer token is sent to the configured Graph host: the SDK's auth provider silently
//     omits it for hosts outside its allow-list, so ClientsOptions.ValidHosts always contains
//     the BaseURL host (see graphtest, whose tests assert the header is present);
//   - failures from Graph come back as *ResponseError (status, code, message), reached with
//     errors.As or the predicates IsNotFound, IsThrottled, IsPaymentRequired, IsAccessDenied;
//     callers never see *odataerrors.ODataError;
//   - tokens, transcript content, mail bodies and uploaded bytes are never logged nor put into
//     error messages;
//   - subscription expiry is clamped below the documented maximum for the resource
//     (MaxSubscriptionLifetime), so Graph never rejects a create or renew for asking too much;
//   - upload-session chunk PUTs go to the pre-authenticated uploadUrl without Authorization,
//     as Graph requires; every chunk but the last is a multiple of 320 KiB.
//
// Tests point ClientsOptions.BaseURL at graphtest.Server and ClientsOptions.Authority at
// entratest (shared/identity/entratest). azidentity refuses non-https authorities, so for an
// http loopback authority (and only then) the client-credentials grant is performed by a small
// documented credential in this package (loopback_credential.go) instead of azidentity.
package graph
