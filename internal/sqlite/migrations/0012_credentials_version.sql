-- 0012: a number that changes with every change to API keys and merchants,
-- so a node may keep the principals of the keys it sees in memory and still
-- refuse a revoked key at once: it re-reads this one row (every millisecond
-- under load) instead of looking each request's key up. Triggers keep it, so
-- every writer bumps it in the statement that changes a key or a merchant —
-- this process, `satsrail keys` beside it, or SQL by hand.
CREATE TABLE credentials_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;

INSERT INTO credentials_version (id, n) VALUES (1, 0);

CREATE TRIGGER api_keys_version_insert AFTER INSERT ON api_keys BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
CREATE TRIGGER api_keys_version_update AFTER UPDATE ON api_keys BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
CREATE TRIGGER api_keys_version_delete AFTER DELETE ON api_keys BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
CREATE TRIGGER merchants_version_insert AFTER INSERT ON merchants BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
CREATE TRIGGER merchants_version_update AFTER UPDATE ON merchants BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
CREATE TRIGGER merchants_version_delete AFTER DELETE ON merchants BEGIN
    UPDATE credentials_version SET n = n + 1;
END;
