-- 0006: the reconciler's queue of pending sessions with an invoice, per
-- merchant and mode, so the sweep after one wallet's settlement stream
-- reconnects reads only that wallet's sessions, however many other
-- merchants have pending. (Its recently expired and cancelled ones are few;
-- the 0001 indexes find them.)
CREATE INDEX checkout_sessions_reconcile_pending_scope ON checkout_sessions (merchant_id, mode, id)
    WHERE status = 'pending' AND payment_hash IS NOT NULL;
