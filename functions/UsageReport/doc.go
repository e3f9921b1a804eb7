// Package usagereport is the UsageReport function: an hourly timer (function.json: five past
// every hour) that, for every tenant,
//
//  1. applies the passage of time to its billing (billing.Entitlements.Sweep): a grace period
//     that ended suspends the tenant and emails its admins; held meetings are admitted when
//     its period has rolled over;
//  2. samples its active users into the active_users meter for the hour that just ended;
//  3. sends its unreported usage of finished hours as Billing Meter events
//     (billing.ReportUsage), each identified by (tenant, meter, hour) so a retried or
//     overlapping run never double counts.
//
// One tenant's failure does not stop the others; the run reports every failure together, and
// the next hour picks up what was left.
package usagereport
