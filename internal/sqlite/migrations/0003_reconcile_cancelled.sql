-- 0003: a customer may cancel and still pay the invoice they already had; a
-- settled invoice always wins, so recently cancelled sessions are reconciled
-- too, found by when they were cancelled.
CREATE INDEX checkout_sessions_reconcile_cancelled ON checkout_sessions (cancelled_at, id)
    WHERE status = 'cancelled' AND payment_hash IS NOT NULL;
