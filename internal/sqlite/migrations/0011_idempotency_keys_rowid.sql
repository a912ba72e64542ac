-- 0011: idempotency records in a rowid table with a slim unique index
-- instead of a WITHOUT ROWID table keyed by (api_key_id, key). Keys are
-- chosen by clients, usually random (UUIDs), so each new record lands on a
-- random page of the table that holds it: keyed by them, the whole record
-- with its stored response (most of a kilobyte) went there, and every
-- create's commit wrote a page of it and split a page every few inserts.
-- Now the records append to the table by rowid and only the index entry
-- (the two keys) lands at random, on pages holding ten times as many.
CREATE TABLE idempotency_keys_0011 (
    api_key_id   TEXT NOT NULL REFERENCES api_keys (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0, -- 0 while the first request runs
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    UNIQUE (api_key_id, key)
) STRICT;

INSERT INTO idempotency_keys_0011 (api_key_id, key, request_hash, done, status, body, created_at)
SELECT api_key_id, key, request_hash, done, status, body, created_at FROM idempotency_keys ORDER BY created_at;

DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_0011 RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
