-- 0004: webhooks — endpoints, one delivery per (event, endpoint), and the log
-- of every attempt. Conventions as in 0001.

-- An endpoint's subscribed event types are stored comma-wrapped,
-- ',checkout.completed,checkout.expired,', so "does it want type t" is
-- events = '' OR events LIKE '%,t,%' in any SQL; '' means every event.
-- Secrets are sealed with the server's master key.
CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    merchant_id            TEXT NOT NULL REFERENCES merchants (id),
    mode                   TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    events                 TEXT NOT NULL DEFAULT '',
    active                 INTEGER NOT NULL CHECK (active IN (0, 1)),
    secret                 BLOB NOT NULL,
    prev_secret            BLOB,    -- NULL unless a rotation is under way
    prev_secret_expires_at INTEGER, -- NULL with prev_secret
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_endpoints_list ON webhook_endpoints (merchant_id, mode, created_at DESC, id DESC);
-- Fan-out: the active endpoints of a scope.
CREATE INDEX webhook_endpoints_active ON webhook_endpoints (merchant_id, mode) WHERE active = 1;

-- The event list of the API and dashboard.
CREATE INDEX events_list ON events (merchant_id, mode, created_at DESC, id DESC);

-- One event on its way to one endpoint. endpoint_id has no foreign key: an
-- endpoint is deleted, but the log of what was sent to it stays.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events (id),
    endpoint_id      TEXT NOT NULL,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    mode             TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,          -- NULL unless pending
    manual           INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    lease_token      TEXT,             -- NULL unless a worker holds the delivery
    lease_until      INTEGER,
    last_attempt_at  INTEGER,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (event_id, endpoint_id)
) STRICT;

-- The delivery worker's queue: only pending deliveries, soonest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

-- The log of every POST. response_body is a BLOB: it holds whatever bytes
-- the receiver sent (the first 4 KiB), which need not be text.
CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0, -- 0 when no response came
    latency_us    INTEGER NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    response_body BLOB NOT NULL,
    UNIQUE (delivery_id, attempt)
) STRICT;
