-- 0002: payments — the invoice claim, the reconciler's queues and the built-in
-- test wallet's state. Conventions as in 0001.

-- Set while one node makes the session's invoice; NULL otherwise.
ALTER TABLE checkout_sessions ADD COLUMN invoice_claimed_at INTEGER;

-- The reconciler's queues: sessions with an invoice that are pending, by id,
-- and those that expired, by when, so a pass reads only the recently expired
-- ones however many expired sessions pile up over the years.
CREATE INDEX checkout_sessions_reconcile_pending ON checkout_sessions (id)
    WHERE status = 'pending' AND payment_hash IS NOT NULL;
CREATE INDEX checkout_sessions_reconcile_expired ON checkout_sessions (expired_at, id)
    WHERE status = 'expired' AND payment_hash IS NOT NULL;

-- The test wallet's node key of each merchant, sealed with the server's
-- master key. The first key stored wins; it is never replaced.
CREATE TABLE test_wallet_keys (
    merchant_id TEXT PRIMARY KEY REFERENCES merchants (id),
    sealed      BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- The test wallet's invoices. They live here, not in the wallet's memory, so
-- a payment survives a restart and can be simulated by any node.
CREATE TABLE test_wallet_invoices (
    payment_hash     TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    preimage         TEXT NOT NULL,
    payment_request  TEXT NOT NULL,
    amount_msat      INTEGER NOT NULL,
    amount_paid_msat INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    settled_at       INTEGER -- NULL while unpaid
) STRICT;

-- The automatic payer's queue: only unpaid invoices, by expiry, so it reads
-- the unexpired ones and never the unpaid ones that expired long ago.
CREATE INDEX test_wallet_invoices_due ON test_wallet_invoices (expires_at) WHERE settled_at IS NULL;
