-- 0007: a number that changes with every change to API keys and merchants,
-- so a node may keep the principals of the keys it sees in memory and still
-- refuse a revoked key at once: it re-reads this one row (every millisecond
-- under load) instead of looking each request's key up. Statement triggers
-- keep it, so every writer on every node bumps it in the transaction that
-- changes a key or a merchant — `satsrail keys`, or SQL by hand.
CREATE TABLE credentials_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);

INSERT INTO credentials_version (id, n) VALUES (1, 0);

CREATE FUNCTION bump_credentials_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE credentials_version SET n = n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION bump_credentials_version();
CREATE TRIGGER merchants_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON merchants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_credentials_version();
