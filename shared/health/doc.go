// Package health checks the resources the product depends on — the database, the queue, blob
// storage, the license — each with its own deadline and all at once, and reports their states.
//
// A check never hangs its caller: it runs under a per-check timeout, and a resource whose
// configuration is absent is reported as disabled with the setting that would enable it,
// rather than as down.
package health
