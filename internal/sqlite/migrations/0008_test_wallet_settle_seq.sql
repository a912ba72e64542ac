-- 0008: the test wallet's settlement feed. Each payment of a test invoice is
-- numbered one above the latest, in the transaction that records it, so a
-- watcher reads everything paid since its cursor (by this process, the
-- `satsrail testwallet pay` command or another node) in one indexed query,
-- however many invoices are open. NULL while unpaid, and for invoices paid
-- before this migration (start-up reconciliation covers those).
ALTER TABLE test_wallet_invoices ADD COLUMN settle_seq INTEGER;
CREATE UNIQUE INDEX test_wallet_invoices_settled ON test_wallet_invoices (settle_seq) WHERE settle_seq IS NOT NULL;
