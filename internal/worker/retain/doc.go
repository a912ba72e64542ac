// Package retain runs the retention worker: every Interval it deletes the
// Idempotency-Key records older than the service's TTL and the webhook
// attempt log entries older than Attempts, each in batches of Batch rows,
// one short transaction a batch, so a node that has been down for a month
// catches up without one long delete holding the writers up.
//
// Every node runs one; they may prune side by side (PostgreSQL skips rows
// another node is deleting, SQLite has one writer). Events, sessions,
// transactions and deliveries are never pruned: a delivery keeps its
// summary (status, attempt count, last status and error) after its
// attempts go.
package retain
