-- 0009: the dashboard's reports. revenue_days is the revenue rollup: per
-- merchant, mode, UTC day (of the transaction's created_at, the day the
-- transaction list files it under) and currency, the settled payments'
-- count, sats and fiat minor units. The revenue chart and the overview read
-- a few rows per day and currency, never the transactions.
--
-- A trigger keeps it, as 0005's keeps the list counts: in the statement that
-- inserts a transaction, so inside the settlement's own transaction
-- (UpdateCheckoutSession with a Transaction). A settlement that rolls back
-- (a second settlement of the same payment hits the unique payment_hash)
-- takes its rollup change with it: each payment is counted exactly once.
-- Like the list counts, each day is split over 16 shards picked by the
-- writing backend, so one merchant's concurrent settlements do not commit
-- one at a time behind a single row's lock; only a day's sum means anything.

CREATE TABLE revenue_days (
    merchant_id TEXT COLLATE "C" NOT NULL,
    mode        TEXT COLLATE "C" NOT NULL,
    day         INTEGER NOT NULL, -- created_at's UTC day since 1970-01-01
    currency    TEXT COLLATE "C" NOT NULL,
    shard       SMALLINT NOT NULL,
    payments    BIGINT NOT NULL,
    sats        BIGINT NOT NULL,
    cents       BIGINT NOT NULL,  -- fiat, in currency's minor unit
    PRIMARY KEY (merchant_id, mode, day, currency, shard)
);

-- roll_revenue moves the rollup for the transaction a trigger fires for:
-- the old row's payment out, then the new row's in, settled ones only.
CREATE FUNCTION roll_revenue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'settled' THEN
        INSERT INTO revenue_days AS r (merchant_id, mode, day, currency, shard, payments, sats, cents)
        VALUES (OLD.merchant_id, OLD.mode, floor(extract(epoch FROM OLD.created_at) / 86400), OLD.currency,
                pg_backend_pid() % 16, -1, -OLD.amount_sats, -OLD.amount_cents)
        ON CONFLICT (merchant_id, mode, day, currency, shard) DO UPDATE
        SET payments = r.payments - 1, sats = r.sats - OLD.amount_sats, cents = r.cents - OLD.amount_cents;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'settled' THEN
        INSERT INTO revenue_days AS r (merchant_id, mode, day, currency, shard, payments, sats, cents)
        VALUES (NEW.merchant_id, NEW.mode, floor(extract(epoch FROM NEW.created_at) / 86400), NEW.currency,
                pg_backend_pid() % 16, 1, NEW.amount_sats, NEW.amount_cents)
        ON CONFLICT (merchant_id, mode, day, currency, shard) DO UPDATE
        SET payments = r.payments + 1, sats = r.sats + NEW.amount_sats, cents = r.cents + NEW.amount_cents;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER transactions_revenue AFTER INSERT OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION roll_revenue();
-- Transactions are immutable today; a repair by hand still keeps the rollup.
CREATE TRIGGER transactions_revenue_update
    AFTER UPDATE OF merchant_id, mode, status, created_at, currency, amount_sats, amount_cents ON transactions
    FOR EACH ROW EXECUTE FUNCTION roll_revenue();

-- The payments stored before this migration.
INSERT INTO revenue_days (merchant_id, mode, day, currency, shard, payments, sats, cents)
SELECT merchant_id, mode, floor(extract(epoch FROM created_at) / 86400), currency, 0,
       COUNT(*), SUM(amount_sats), SUM(amount_cents)
FROM transactions WHERE status = 'settled' GROUP BY 1, 2, 3, 4;

-- The session search: by the order_id in metadata and by customer email,
-- ASCII case-insensitive (lower() under the "C" collation folds ASCII only,
-- as SQLite's does), each within a scope and in list order, so a search
-- reads only its matches, newest first, however many sessions.
CREATE INDEX checkout_sessions_order_id
    ON checkout_sessions (merchant_id, mode, (metadata ->> 'order_id'), created_at DESC, id DESC);
CREATE INDEX checkout_sessions_customer_email
    ON checkout_sessions (merchant_id, mode, lower(customer_email COLLATE "C"), created_at DESC, id DESC);
