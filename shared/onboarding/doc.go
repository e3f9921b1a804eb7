// Package onboarding provisions a tenant when its Entra ID admin grants consent: the tenant
// registry row, default settings and minutes template, the consenting admin as the tenant's
// first admin, a trial, the Graph subscriptions requested, and audit entries.
//
// Invariant: Provision is idempotent on the Entra tenant id. Admin consent can be replayed
// (a double click, a browser retry, two admins at once); every replay lands on the same tenant
// and leaves exactly one of everything.
package onboarding
