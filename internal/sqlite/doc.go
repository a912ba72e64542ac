// Package sqlite is the embedded gateway.Store: one SQLite file, opened
// through the pure-Go modernc.org/sqlite driver, with the schema applied from
// numbered migrations embedded in the binary.
//
// All writes go through a single connection that begins every transaction
// IMMEDIATE, so writers queue in database/sql instead of failing with
// SQLITE_BUSY, and a read-modify-write (UpdateCheckoutSession, UpdateProduct,
// BeginIdempotent, PutTestWalletKey, PayTestInvoice) excludes every other
// writer for its duration. Plain reads
// use a separate read-only pool, which WAL mode lets run beside the writer.
//
// Migrations follow the upgrade policy of package schema: Open refuses a
// database older than OldestSupportedVersion (satsrail 0.1.0's schema) and
// one with migrations this binary does not know unless all of them are
// marked additive; CheckSchema repeats the check for readiness, and
// MigrateTo builds the older schemas the upgrade tests start from.
package sqlite
