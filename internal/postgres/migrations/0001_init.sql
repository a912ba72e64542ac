-- 0001: the whole schema, as the SQLite store reached it in its migrations
-- 0001-0005 (nothing had shipped on PostgreSQL before).
--
-- Conventions: times are TIMESTAMPTZ (microsecond precision, the gateway's
-- own) and NULL when unset; money is BIGINT in the unit its column names;
-- metadata and line items are JSONB; exact bytes (event bodies, sealed
-- secrets, response bodies) are BYTEA. An optional value that is unique or
-- referenced (payment_hash, transaction_id, checkout_session_id) is NULL when
-- absent, any other absent string is ''. Identifiers and other machine
-- strings sort by byte (COLLATE "C") whatever the database's locale, so list
-- order, cursors and the reconciler's id order agree with every other store.
-- Lists read newest first, so each list index ends in (created_at DESC, id
-- DESC) after its scope columns.

CREATE TABLE merchants (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    name                  TEXT NOT NULL,
    email                 TEXT NOT NULL,
    status                TEXT COLLATE "C" NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL DEFAULT 0,
    checkout_ttl_us       BIGINT NOT NULL DEFAULT 0, -- 0: the gateway's default
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE INDEX merchants_created ON merchants (created_at, id);

CREATE TABLE api_keys (
    id          TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('pk', 'sk')),
    mode        TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    hash        BYTEA NOT NULL UNIQUE, -- SHA-256 of the key; the key itself is never stored
    last4       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ            -- NULL while the key is active
);

CREATE INDEX api_keys_active ON api_keys (merchant_id, kind, mode) WHERE revoked_at IS NULL;

CREATE TABLE checkout_sessions (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    merchant_id        TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode               TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    status             TEXT COLLATE "C" NOT NULL,
    amount_cents       BIGINT NOT NULL,
    currency           TEXT COLLATE "C" NOT NULL,
    line_items         JSONB NOT NULL DEFAULT '[]',
    customer_email     TEXT NOT NULL DEFAULT '',
    customer_name      TEXT NOT NULL DEFAULT '',
    success_url        TEXT NOT NULL DEFAULT '',
    cancel_url         TEXT NOT NULL DEFAULT '',
    metadata           JSONB NOT NULL DEFAULT '{}',
    amount_sats        BIGINT NOT NULL DEFAULT 0,
    exchange_rate      TEXT NOT NULL DEFAULT '',
    payment_request    TEXT NOT NULL DEFAULT '',
    payment_hash       TEXT COLLATE "C" UNIQUE, -- one invoice pays one session; NULLs are distinct
    invoice_claimed_at TIMESTAMPTZ,            -- set while one node makes the session's invoice
    transaction_id     TEXT COLLATE "C",
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ,
    completed_at       TIMESTAMPTZ,
    expired_at         TIMESTAMPTZ,
    cancelled_at       TIMESTAMPTZ
);

CREATE INDEX checkout_sessions_list ON checkout_sessions (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX checkout_sessions_status_list ON checkout_sessions (merchant_id, mode, status, created_at DESC, id DESC);
-- The expiry worker's queue: only pending sessions, soonest first.
CREATE INDEX checkout_sessions_due ON checkout_sessions (expires_at, id) WHERE status = 'pending';
-- The reconciler's queues: sessions with an invoice that are pending, by id,
-- and those that expired or were cancelled (a customer may cancel and still
-- pay the invoice they had), by when, so a pass reads only the recent ones
-- however many pile up over the years.
CREATE INDEX checkout_sessions_reconcile_pending ON checkout_sessions (id)
    WHERE status = 'pending' AND payment_hash IS NOT NULL;
CREATE INDEX checkout_sessions_reconcile_expired ON checkout_sessions (expired_at, id)
    WHERE status = 'expired' AND payment_hash IS NOT NULL;
CREATE INDEX checkout_sessions_reconcile_cancelled ON checkout_sessions (cancelled_at, id)
    WHERE status = 'cancelled' AND payment_hash IS NOT NULL;

-- Which products a session's line items name, so deleting a product can tell
-- whether it must be archived instead. product_id has no foreign key: a line
-- item may name a product that is gone.
CREATE TABLE checkout_session_products (
    session_id TEXT COLLATE "C" NOT NULL REFERENCES checkout_sessions (id),
    product_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (session_id, product_id)
);

CREATE INDEX checkout_session_products_product ON checkout_session_products (product_id);

CREATE TABLE products (
    id           TEXT COLLATE "C" PRIMARY KEY,
    merchant_id  TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode         TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price_cents  BIGINT NOT NULL,
    currency     TEXT COLLATE "C" NOT NULL,
    slug         TEXT COLLATE "C" NOT NULL,
    image_url    TEXT NOT NULL DEFAULT '',
    status       TEXT COLLATE "C" NOT NULL,
    sku          TEXT NOT NULL DEFAULT '',
    external_ref TEXT NOT NULL DEFAULT '',
    metadata     JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, mode, slug)
);

CREATE INDEX products_list ON products (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX products_status_list ON products (merchant_id, mode, status, created_at DESC, id DESC);
CREATE INDEX products_sku ON products (merchant_id, mode, sku) WHERE sku <> '';
CREATE INDEX products_external_ref ON products (merchant_id, mode, external_ref) WHERE external_ref <> '';

CREATE TABLE transactions (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    merchant_id         TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode                TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    checkout_session_id TEXT COLLATE "C" REFERENCES checkout_sessions (id),
    status              TEXT COLLATE "C" NOT NULL,
    payment_hash        TEXT COLLATE "C" NOT NULL UNIQUE, -- a payment settles once
    preimage            TEXT NOT NULL,
    amount_msat         BIGINT NOT NULL,
    amount_sats         BIGINT NOT NULL,
    amount_cents        BIGINT NOT NULL,
    currency            TEXT COLLATE "C" NOT NULL,
    exchange_rate       TEXT NOT NULL DEFAULT '',
    settled_at          TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX transactions_list ON transactions (merchant_id, mode, created_at DESC, id DESC);
CREATE INDEX transactions_session ON transactions (checkout_session_id);

-- The webhook outbox. seq is insertion order: it breaks created_at ties, so
-- the events of one change list in the order they were written.
CREATE TABLE events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    merchant_id TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode        TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    type        TEXT COLLATE "C" NOT NULL,
    object_id   TEXT COLLATE "C" NOT NULL,
    body        BYTEA NOT NULL, -- the exact JSON every delivery sends
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX events_object ON events (merchant_id, mode, object_id, created_at, seq);
CREATE INDEX events_created ON events (created_at);
-- The event list of the API and dashboard.
CREATE INDEX events_list ON events (merchant_id, mode, created_at DESC, id DESC);

CREATE TABLE idempotency_keys (
    api_key_id   TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id),
    key          TEXT COLLATE "C" NOT NULL,
    request_hash BYTEA NOT NULL,
    done         BOOLEAN NOT NULL DEFAULT false, -- false while the first request runs
    status       INTEGER NOT NULL DEFAULT 0,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The test wallet's node key of each merchant, sealed with the server's
-- master key. The first key stored wins; it is never replaced.
CREATE TABLE test_wallet_keys (
    merchant_id TEXT COLLATE "C" PRIMARY KEY REFERENCES merchants (id),
    sealed      BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The test wallet's invoices. They live here, not in the wallet's memory, so
-- a payment survives a restart and can be simulated by any node.
CREATE TABLE test_wallet_invoices (
    payment_hash     TEXT COLLATE "C" PRIMARY KEY,
    merchant_id      TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    preimage         TEXT NOT NULL,
    payment_request  TEXT NOT NULL,
    amount_msat      BIGINT NOT NULL,
    amount_paid_msat BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    settled_at       TIMESTAMPTZ -- NULL while unpaid
);

-- The automatic payer's queue: only unpaid invoices, by expiry, so it reads
-- the unexpired ones and never the unpaid ones that expired long ago.
CREATE INDEX test_wallet_invoices_due ON test_wallet_invoices (expires_at) WHERE settled_at IS NULL;

-- Webhook endpoints. events lists the subscribed event types; an empty array
-- means every event. Secrets are sealed with the server's master key.
CREATE TABLE webhook_endpoints (
    id                     TEXT COLLATE "C" PRIMARY KEY,
    merchant_id            TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode                   TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    events                 TEXT[] NOT NULL DEFAULT '{}',
    active                 BOOLEAN NOT NULL,
    secret                 BYTEA NOT NULL,
    prev_secret            BYTEA,       -- NULL unless a rotation is under way
    prev_secret_expires_at TIMESTAMPTZ, -- NULL with prev_secret
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

CREATE INDEX webhook_endpoints_list ON webhook_endpoints (merchant_id, mode, created_at DESC, id DESC);
-- Fan-out: the active endpoints of a scope.
CREATE INDEX webhook_endpoints_active ON webhook_endpoints (merchant_id, mode) WHERE active;

-- One event on its way to one endpoint. endpoint_id has no foreign key: an
-- endpoint is deleted, but the log of what was sent to it stays.
CREATE TABLE webhook_deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY,
    event_id         TEXT COLLATE "C" NOT NULL REFERENCES events (id),
    endpoint_id      TEXT COLLATE "C" NOT NULL,
    merchant_id      TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode             TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,      -- NULL unless pending
    manual           BOOLEAN NOT NULL DEFAULT false,
    lease_token      TEXT COLLATE "C", -- NULL unless a worker holds the delivery
    lease_until      TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, endpoint_id)
);

-- The delivery worker's queue: only pending deliveries, soonest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
-- A capped claim's view of one endpoint: its due deliveries in order, and
-- its leases out.
CREATE INDEX webhook_deliveries_endpoint_pending ON webhook_deliveries (endpoint_id, next_attempt_at, id)
    WHERE status = 'pending';

-- The log of every POST. response_body holds whatever bytes the receiver
-- sent (the first 4 KiB), which need not be text.
CREATE TABLE webhook_attempts (
    id            TEXT COLLATE "C" PRIMARY KEY,
    delivery_id   TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id),
    attempt       INTEGER NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0, -- 0 when no response came
    latency_us    BIGINT NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    response_body BYTEA NOT NULL,
    UNIQUE (delivery_id, attempt)
);

-- Connected wallets: one per merchant and mode, credentials sealed with the
-- master key, with the backend's settlement cursor and health.
CREATE TABLE wallet_connections (
    id              TEXT COLLATE "C" PRIMARY KEY,
    merchant_id     TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    type            TEXT COLLATE "C" NOT NULL,
    network         TEXT COLLATE "C" NOT NULL,
    config          BYTEA NOT NULL,
    settle_index    BIGINT NOT NULL DEFAULT 0 CHECK (settle_index >= 0),
    last_invoice_at TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   TIMESTAMPTZ,
    stream_alive    BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, mode)
);
