// Package marketplace reports metered usage to the Azure Marketplace metering service when
// Meeting Minutes runs as a Marketplace managed application.
//
// The app's user-assigned managed identity (AZURE_CLIENT_ID) gets a token for the metering
// service's application id ([Scope]); events name the managed application by its resource id
// (resourceUri, MARKETPLACE_RESOURCE_URI, which the template sets from the managed resource
// group's managedBy) and the plan (MARKETPLACE_PLAN_ID).
//
// Invariants (the service's rules, enforced here before sending):
//   - one event per resource, dimension and clock hour: [Events] sums a period's usage into one
//     event per dimension, starting at the hour; a resend is answered Duplicate, which
//     [Client.Post] reports as a result, not an error, so an hourly job may retry safely;
//   - events are accepted for the past 24 hours only ([ErrTooOld] otherwise);
//   - quantities are positive; zero-usage dimensions are not sent.
package marketplace
