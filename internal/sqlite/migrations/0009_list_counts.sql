-- 0009: list totals whose cost does not grow with the table. A list's
-- total_count under status and created_at filters comes from list_totals
-- (every row of a scope and status) and list_counts (the rows of each UTC
-- day): the whole days in its range are summed, or the days after it taken
-- from the total, and only the rows in the partial days at its ends are
-- counted, through an index: a day's rows at most, however long the history.
--
-- Triggers keep the counts, in the statement that changes a row, so every
-- writer (each create and update path, BulkInsert, a repair by hand) keeps
-- them right atomically, and none can forget to.

CREATE TABLE list_counts (
    list        TEXT NOT NULL,    -- the table counted: 'transactions' or 'checkout_sessions'
    merchant_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    status      TEXT NOT NULL,
    day         INTEGER NOT NULL, -- created_at's UTC day, floor(created_at / 86400000000)
    n           INTEGER NOT NULL,
    PRIMARY KEY (list, merchant_id, mode, status, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE list_totals (
    list        TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (list, merchant_id, mode, status)
) STRICT, WITHOUT ROWID;

-- A status filter's page and its edge counts.
CREATE INDEX transactions_status_list ON transactions (merchant_id, mode, status, created_at DESC, id DESC);

-- day is floor division: / truncates toward zero, so a negative remainder
-- takes one off.

CREATE TRIGGER transactions_count_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
    VALUES ('transactions', NEW.merchant_id, NEW.mode, NEW.status,
            NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0), 1)
    ON CONFLICT (list, merchant_id, mode, status, day) DO UPDATE SET n = n + 1;
    INSERT INTO list_totals (list, merchant_id, mode, status, n) VALUES ('transactions', NEW.merchant_id, NEW.mode, NEW.status, 1)
    ON CONFLICT (list, merchant_id, mode, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER transactions_count_delete AFTER DELETE ON transactions BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'transactions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
    UPDATE list_totals SET n = n - 1
    WHERE list = 'transactions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status;
END;

CREATE TRIGGER transactions_count_update AFTER UPDATE OF merchant_id, mode, status, created_at ON transactions
WHEN OLD.merchant_id IS NOT NEW.merchant_id OR OLD.mode IS NOT NEW.mode OR OLD.status IS NOT NEW.status
  OR OLD.created_at IS NOT NEW.created_at BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'transactions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
    UPDATE list_totals SET n = n - 1
    WHERE list = 'transactions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status;
    INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
    VALUES ('transactions', NEW.merchant_id, NEW.mode, NEW.status,
            NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0), 1)
    ON CONFLICT (list, merchant_id, mode, status, day) DO UPDATE SET n = n + 1;
    INSERT INTO list_totals (list, merchant_id, mode, status, n) VALUES ('transactions', NEW.merchant_id, NEW.mode, NEW.status, 1)
    ON CONFLICT (list, merchant_id, mode, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER checkout_sessions_count_insert AFTER INSERT ON checkout_sessions BEGIN
    INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
    VALUES ('checkout_sessions', NEW.merchant_id, NEW.mode, NEW.status,
            NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0), 1)
    ON CONFLICT (list, merchant_id, mode, status, day) DO UPDATE SET n = n + 1;
    INSERT INTO list_totals (list, merchant_id, mode, status, n) VALUES ('checkout_sessions', NEW.merchant_id, NEW.mode, NEW.status, 1)
    ON CONFLICT (list, merchant_id, mode, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER checkout_sessions_count_delete AFTER DELETE ON checkout_sessions BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'checkout_sessions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
    UPDATE list_totals SET n = n - 1
    WHERE list = 'checkout_sessions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status;
END;

-- Every session update sets every column; only a change moves a count.
CREATE TRIGGER checkout_sessions_count_update AFTER UPDATE OF merchant_id, mode, status, created_at ON checkout_sessions
WHEN OLD.merchant_id IS NOT NEW.merchant_id OR OLD.mode IS NOT NEW.mode OR OLD.status IS NOT NEW.status
  OR OLD.created_at IS NOT NEW.created_at BEGIN
    UPDATE list_counts SET n = n - 1
    WHERE list = 'checkout_sessions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status
      AND day = OLD.created_at / 86400000000 - (OLD.created_at % 86400000000 < 0);
    UPDATE list_totals SET n = n - 1
    WHERE list = 'checkout_sessions' AND merchant_id = OLD.merchant_id AND mode = OLD.mode AND status = OLD.status;
    INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
    VALUES ('checkout_sessions', NEW.merchant_id, NEW.mode, NEW.status,
            NEW.created_at / 86400000000 - (NEW.created_at % 86400000000 < 0), 1)
    ON CONFLICT (list, merchant_id, mode, status, day) DO UPDATE SET n = n + 1;
    INSERT INTO list_totals (list, merchant_id, mode, status, n) VALUES ('checkout_sessions', NEW.merchant_id, NEW.mode, NEW.status, 1)
    ON CONFLICT (list, merchant_id, mode, status) DO UPDATE SET n = n + 1;
END;

-- The rows already stored.
INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
SELECT 'transactions', merchant_id, mode, status, created_at / 86400000000 - (created_at % 86400000000 < 0), COUNT(*)
FROM transactions GROUP BY 2, 3, 4, 5;

INSERT INTO list_counts (list, merchant_id, mode, status, day, n)
SELECT 'checkout_sessions', merchant_id, mode, status, created_at / 86400000000 - (created_at % 86400000000 < 0), COUNT(*)
FROM checkout_sessions GROUP BY 2, 3, 4, 5;

INSERT INTO list_totals (list, merchant_id, mode, status, n)
SELECT list, merchant_id, mode, status, SUM(n) FROM list_counts GROUP BY 1, 2, 3, 4;
