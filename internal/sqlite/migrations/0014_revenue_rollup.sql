-- 0014: the dashboard's reports. revenue_days is the revenue rollup: per
-- merchant, mode, UTC day (of the transaction's created_at, the day the
-- transaction list files it under) and currency, the settled payments'
-- count, sats and fiat minor units. The revenue chart and the overview read
-- a row per day and currency, never the transactions.
--
-- Triggers keep it, as 0009's keep the list counts: in the statement that
-- inserts a transaction, so inside the settlement's own transaction
-- (UpdateCheckoutSession with a Transaction). A settlement that rolls back
-- (a second settlement of the same payment hits the unique payment_hash)
-- takes its rollup change with it: each payment is counted exactly once.

CREATE TABLE revenue_days (
    merchant_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    day         INTEGER NOT NULL, -- floor(created_at / 86400000000)
    currency    TEXT NOT NULL,
    payments    INTEGER NOT NULL,
    sats        INTEGER NOT NULL,
    cents       INTEGER NOT NULL, -- fiat, in currency's minor unit
    PRIMARY KEY (merchant_id, mode, day, currency)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER transactions_revenue_insert AFTER INSERT ON transactions WHEN NEW.status = 'settled' BEGIN
    INSERT INTO revenue_days (merchant_id, mode, day, currency, payments, sats, cents)
    VALUES (NEW.merchant_id, NEW.mode, NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0),
            NEW.currency, 1, NEW.amount_sats, NEW.amount_cents)
    ON CONFLICT (merchant_id, mode, day, currency) DO UPDATE
    SET payments = payments + 1, sats = sats + excluded.sats, cents = cents + excluded.cents;
END;

CREATE TRIGGER transactions_revenue_delete AFTER DELETE ON transactions WHEN OLD.status = 'settled' BEGIN
    UPDATE revenue_days SET payments = payments - 1, sats = sats - OLD.amount_sats, cents = cents - OLD.amount_cents
    WHERE merchant_id = OLD.merchant_id AND mode = OLD.mode AND currency = OLD.currency
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
END;

-- Transactions are immutable today; a repair by hand still keeps the rollup.
CREATE TRIGGER transactions_revenue_update
AFTER UPDATE OF merchant_id, mode, status, created_at, currency, amount_sats, amount_cents ON transactions BEGIN
    UPDATE revenue_days SET payments = payments - 1, sats = sats - OLD.amount_sats, cents = cents - OLD.amount_cents
    WHERE OLD.status = 'settled' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND currency = OLD.currency
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
    INSERT INTO revenue_days (merchant_id, mode, day, currency, payments, sats, cents)
    SELECT NEW.merchant_id, NEW.mode, NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0),
           NEW.currency, 1, NEW.amount_sats, NEW.amount_cents
    WHERE NEW.status = 'settled'
    ON CONFLICT (merchant_id, mode, day, currency) DO UPDATE
    SET payments = payments + 1, sats = sats + excluded.sats, cents = cents + excluded.cents;
END;

-- The payments stored before this migration.
INSERT INTO revenue_days (merchant_id, mode, day, currency, payments, sats, cents)
SELECT merchant_id, mode, created_at / 86400000000 - (created_at % 86400000000 < 0), currency,
       COUNT(*), SUM(amount_sats), SUM(amount_cents)
FROM transactions WHERE status = 'settled' GROUP BY 1, 2, 3, 4;

-- The session search: by the order_id in metadata and by customer email
-- (ASCII case-insensitive: SQLite's lower() folds ASCII only, and
-- PostgreSQL's 0009 folds the same), each within a scope and in list order,
-- so a search reads only its matches, newest first, however many sessions.
CREATE INDEX checkout_sessions_order_id
    ON checkout_sessions (merchant_id, mode, json_extract(metadata, '$.order_id'), created_at DESC, id DESC);
CREATE INDEX checkout_sessions_customer_email
    ON checkout_sessions (merchant_id, mode, lower(customer_email), created_at DESC, id DESC);
