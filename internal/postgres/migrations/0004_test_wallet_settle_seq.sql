-- 0004: the test wallet's settlement feed. Each payment of a test invoice is
-- numbered one above the latest, in the transaction that records it and
-- under a lock held until it commits, so numbers become visible in order and
-- a watcher reads everything paid since its cursor (by any node or the
-- `satsrail testwallet pay` command) in one indexed query, however many
-- invoices are open. NULL while unpaid, and for invoices paid before this
-- migration (start-up reconciliation covers those).
ALTER TABLE test_wallet_invoices ADD COLUMN settle_seq BIGINT;
CREATE UNIQUE INDEX test_wallet_invoices_settled ON test_wallet_invoices (settle_seq) WHERE settle_seq IS NOT NULL;
