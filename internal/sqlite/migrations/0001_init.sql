-- 0001: the first schema.
--
-- Conventions: times are INTEGER unix microseconds UTC and NULL when unset;
-- money is INTEGER in the unit its column names; metadata and line items are
-- JSON TEXT; an optional value that is unique or referenced (payment_hash,
-- transaction_id, checkout_session_id) is NULL when absent, any other absent
-- string is ''. Lists read newest first, so each list index ends in
-- (created_at DESC, id DESC) after its scope columns.

CREATE TABLE merchants (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    email                 TEXT NOT NULL,
    status                TEXT NOT NULL,
    rate_limit_per_minute INTEGER NOT NULL DEFAULT 0,
    checkout_ttl_us       INTEGER NOT NULL DEFAULT 0, -- 0: the gateway's default
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;

CREATE INDEX merchants_created ON merchants (created_at, id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    kind        TEXT NOT NULL CHECK (kind IN ('pk', 'sk')),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    hash        BLOB NOT NULL UNIQUE, -- SHA-256 of the key; the key itself is never stored
    last4       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER               -- NULL while the key is active
) STRICT;

CREATE INDEX api_keys_active ON api_keys (merchant_id, kind, mode) WHERE revoked_at IS NULL;

CREATE TABLE checkout_sessions (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    mode            TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    status          TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    line_items      TEXT NOT NULL DEFAULT '[]',
    customer_email  TEXT NOT NULL DEFAULT '',
    customer_name   TEXT NOT NULL DEFAULT '',
    success_url     TEXT NOT NULL DEFAULT '',
    cancel_url      TEXT NOT NULL DEFAULT '',
    metadata        TEXT NOT NULL DEFAULT '{}',
    amount_sats     INTEGER NOT NULL DEFAULT 0,
    exchange_rate   TEXT NOT NULL DEFAULT '',
    payment_request TEXT NOT NULL DEFAULT '',
    payment_hash    TEXT,
    transaction_id  TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    completed_at    INTEGER,
    expired_at      INTEGER,
    cancelled_at    INTEGER
) STRICT;

-- One invoice pays one session.
CREATE UNIQUE INDEX checkout_sessions_payment_hash ON checkout_sessions (payment_hash) WHERE payment_hash IS NOT NULL;
CREATE INDEX checkout_sessions_list ON checkout_sessions (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX checkout_sessions_status_list ON checkout_sessions (merchant_id, mode, status, created_at DESC, id DESC);
-- The expiry worker's queue: only pending sessions, soonest first.
CREATE INDEX checkout_sessions_due ON checkout_sessions (expires_at, id) WHERE status = 'pending';

-- Which products a session's line items name, so deleting a product can tell
-- whether it must be archived instead.
CREATE TABLE checkout_session_products (
    session_id TEXT NOT NULL REFERENCES checkout_sessions (id),
    product_id TEXT NOT NULL,
    PRIMARY KEY (session_id, product_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX checkout_session_products_product ON checkout_session_products (product_id);

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price_cents  INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    slug         TEXT NOT NULL,
    image_url    TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    sku          TEXT NOT NULL DEFAULT '',
    external_ref TEXT NOT NULL DEFAULT '',
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (merchant_id, mode, slug)
) STRICT;

CREATE INDEX products_list ON products (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX products_status_list ON products (merchant_id, mode, status, created_at DESC, id DESC);
CREATE INDEX products_sku ON products (merchant_id, mode, sku) WHERE sku <> '';
CREATE INDEX products_external_ref ON products (merchant_id, mode, external_ref) WHERE external_ref <> '';

CREATE TABLE transactions (
    id                  TEXT PRIMARY KEY,
    merchant_id         TEXT NOT NULL REFERENCES merchants (id),
    mode                TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    checkout_session_id TEXT REFERENCES checkout_sessions (id),
    status              TEXT NOT NULL,
    payment_hash        TEXT NOT NULL UNIQUE, -- a payment settles once
    preimage            TEXT NOT NULL,
    amount_msat         INTEGER NOT NULL,
    amount_sats         INTEGER NOT NULL,
    amount_cents        INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    exchange_rate       TEXT NOT NULL DEFAULT '',
    settled_at          INTEGER,
    created_at          INTEGER NOT NULL
) STRICT;

CREATE INDEX transactions_list ON transactions (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX transactions_session ON transactions (checkout_session_id);

-- The webhook outbox. seq is insertion order: it breaks created_at ties and
-- gives delivery a cursor.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type        TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    body        BLOB NOT NULL, -- the exact JSON every delivery sends
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX events_object ON events (merchant_id, mode, object_id, created_at, seq);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE idempotency_keys (
    api_key_id   TEXT NOT NULL REFERENCES api_keys (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0, -- 0 while the first request runs
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
