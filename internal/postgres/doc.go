// Package postgres is the scale-out gateway.Store: one PostgreSQL database
// shared by any number of `satsrail serve` nodes, reached through a pgx
// connection pool, with the schema applied from numbered migrations embedded
// in the binary.
//
// Every write runs in a READ COMMITTED transaction (the tx helper), retried
// a few times on a serialization failure or a deadlock. What SQLite gets from
// its single writer connection, this store gets from row locks, so that
// nodes exclude each other only where they touch the same rows:
//
//   - UpdateCheckoutSession, UpdateProduct, UpdateWebhookEndpoint,
//     UpdateWalletHealth, RecordDeliveryAttempt and Redeliver load their row
//     with SELECT … FOR UPDATE, so a second updater waits and then sees the
//     first one's write;
//   - ClaimDueDeliveries picks with FOR UPDATE SKIP LOCKED, so concurrent
//     claimers take disjoint sets without waiting for each other; with a
//     per-endpoint cap it also tries a transaction-level advisory lock per
//     endpoint and skips the endpoints another claimer holds, so the leases
//     it counts against the cap are all there are;
//   - PutTestWalletKey inserts with ON CONFLICT DO NOTHING and reads back
//     the winner; PayTestInvoice updates only an unpaid row;
//     BeginIdempotent inserts with ON CONFLICT DO UPDATE … WHERE, which
//     replaces a stale record or locks the live one it then returns;
//   - events and their webhook deliveries are written in the transaction of
//     the change that made them.
//
// Plain reads go straight to the pool; a list's page and its total count
// share one REPEATABLE READ snapshot.
//
// Migrations follow the upgrade policy of package schema: Open refuses a
// database older than OldestSupportedVersion (satsrail 0.1.0's schema) and
// one with migrations this binary does not know unless all of them are
// marked additive; CheckSchema repeats the check for readiness, and
// MigrateTo builds the older schemas the upgrade tests start from.
package postgres
