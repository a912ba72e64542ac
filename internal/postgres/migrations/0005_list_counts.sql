-- 0005: list totals whose cost does not grow with the table. A list's
-- total_count under status and created_at filters comes from list_totals
-- (every row of a scope and status) and list_counts (the rows of each UTC
-- day): the whole days in its range are summed, or the days after it taken
-- from the total, and only the rows in the partial days at its ends are
-- counted, through an index: a day's rows at most, however long the history.
--
-- A trigger keeps the counts, in the statement that changes a row, so every
-- writer on every node keeps them right atomically, and none can forget to.
-- Each count is split over 16 shards, picked by the writing backend: a count
-- row is locked from a write until its commit, so without shards one
-- merchant's concurrent checkouts would commit one at a time. A shard may go
-- below zero (a row counted in one shard and moved out of another); only
-- the sum of a count's shards means anything.

CREATE TABLE list_counts (
    list        TEXT COLLATE "C" NOT NULL, -- the table counted: 'transactions' or 'checkout_sessions'
    merchant_id TEXT COLLATE "C" NOT NULL,
    mode        TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    day         INTEGER NOT NULL,          -- created_at's UTC day since 1970-01-01
    shard       SMALLINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (list, merchant_id, mode, status, day, shard)
);

CREATE TABLE list_totals (
    list        TEXT COLLATE "C" NOT NULL,
    merchant_id TEXT COLLATE "C" NOT NULL,
    mode        TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    shard       SMALLINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (list, merchant_id, mode, status, shard)
);

-- A status filter's page and its edge counts.
CREATE INDEX transactions_status_list ON transactions (merchant_id, mode, status, created_at DESC, id DESC);

-- count_list_row moves the counts of the row a trigger fires for: the old
-- row's out, then the new row's in. A session's status only moves forward
-- (pending, then expired or cancelled, then completed) and its transaction
-- is inserted after it changed, so writers lock count rows in one order and
-- do not deadlock on them (Store.tx would retry if they did).
CREATE FUNCTION count_list_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO list_counts AS c (list, merchant_id, mode, status, day, shard, n)
        VALUES (TG_TABLE_NAME, OLD.merchant_id, OLD.mode, OLD.status,
                floor(extract(epoch FROM OLD.created_at) / 86400), pg_backend_pid() % 16, -1)
        ON CONFLICT (list, merchant_id, mode, status, day, shard) DO UPDATE SET n = c.n - 1;
        INSERT INTO list_totals AS t (list, merchant_id, mode, status, shard, n)
        VALUES (TG_TABLE_NAME, OLD.merchant_id, OLD.mode, OLD.status, pg_backend_pid() % 16, -1)
        ON CONFLICT (list, merchant_id, mode, status, shard) DO UPDATE SET n = t.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO list_counts AS c (list, merchant_id, mode, status, day, shard, n)
        VALUES (TG_TABLE_NAME, NEW.merchant_id, NEW.mode, NEW.status,
                floor(extract(epoch FROM NEW.created_at) / 86400), pg_backend_pid() % 16, 1)
        ON CONFLICT (list, merchant_id, mode, status, day, shard) DO UPDATE SET n = c.n + 1;
        INSERT INTO list_totals AS t (list, merchant_id, mode, status, shard, n)
        VALUES (TG_TABLE_NAME, NEW.merchant_id, NEW.mode, NEW.status, pg_backend_pid() % 16, 1)
        ON CONFLICT (list, merchant_id, mode, status, shard) DO UPDATE SET n = t.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER transactions_count AFTER INSERT OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION count_list_row();
CREATE TRIGGER transactions_count_update AFTER UPDATE OF merchant_id, mode, status, created_at ON transactions
    FOR EACH ROW WHEN (OLD.merchant_id IS DISTINCT FROM NEW.merchant_id OR OLD.mode IS DISTINCT FROM NEW.mode
        OR OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION count_list_row();

CREATE TRIGGER checkout_sessions_count AFTER INSERT OR DELETE ON checkout_sessions
    FOR EACH ROW EXECUTE FUNCTION count_list_row();
-- Every session update sets every column; only a change moves a count.
CREATE TRIGGER checkout_sessions_count_update AFTER UPDATE OF merchant_id, mode, status, created_at ON checkout_sessions
    FOR EACH ROW WHEN (OLD.merchant_id IS DISTINCT FROM NEW.merchant_id OR OLD.mode IS DISTINCT FROM NEW.mode
        OR OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION count_list_row();

-- The rows already stored.
INSERT INTO list_counts (list, merchant_id, mode, status, day, shard, n)
SELECT 'transactions', merchant_id, mode, status, floor(extract(epoch FROM created_at) / 86400), 0, COUNT(*)
FROM transactions GROUP BY 2, 3, 4, 5;

INSERT INTO list_counts (list, merchant_id, mode, status, day, shard, n)
SELECT 'checkout_sessions', merchant_id, mode, status, floor(extract(epoch FROM created_at) / 86400), 0, COUNT(*)
FROM checkout_sessions GROUP BY 2, 3, 4, 5;

INSERT INTO list_totals (list, merchant_id, mode, status, shard, n)
SELECT list, merchant_id, mode, status, 0, SUM(n) FROM list_counts GROUP BY 1, 2, 3, 4;
