// Package pipeline holds the contracts between the functions of the meeting pipeline — the
// bodies of the transcript-ingest and minutes-generate messages and their dedupe ids — and
// the rules they share: how a Teams meeting occurrence is keyed, how long a transcript that is
// not available yet is retried, and what a tenant admin is told to switch on when Teams
// refuses us.
//
// GraphNotifications and SubscriptionRenewal produce IngestMessage; TranscriptIngest consumes
// it and produces GenerateMessage for MinutesGenerate.
package pipeline
