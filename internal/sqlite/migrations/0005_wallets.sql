-- 0005: connected wallets — one per merchant and mode, credentials sealed
-- with the master key, with the backend's settlement cursor and health.
CREATE TABLE wallet_connections (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    mode            TEXT NOT NULL,
    type            TEXT NOT NULL,
    network         TEXT NOT NULL,
    config          BLOB NOT NULL,
    settle_index    INTEGER NOT NULL DEFAULT 0,
    last_invoice_at INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   INTEGER,
    stream_alive    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (merchant_id, mode)
) STRICT;
