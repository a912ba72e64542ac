-- 0013: dashboard accounts. Users are apart from merchants: a user belongs
-- to merchants through memberships with a role. Sessions and invites keep
-- only the SHA-256 of their tokens. Emails are stored normalised (trimmed,
-- lower-case) by the domain, so the plain UNIQUE makes them unique
-- case-insensitively in both engines alike.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    operator       INTEGER NOT NULL DEFAULT 0 CHECK (operator IN (0, 1)),
    totp_secret    BLOB,                       -- sealed; NULL while two-factor is off
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    recovery_codes TEXT NOT NULL DEFAULT '',   -- comma-separated SHA-256 hex of unused codes
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE memberships (
    user_id     TEXT NOT NULL REFERENCES users (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'accountant')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, merchant_id)
) STRICT;

CREATE INDEX memberships_merchant ON memberships (merchant_id, created_at);

CREATE TABLE user_sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   BLOB NOT NULL UNIQUE,
    merchant_id  TEXT NOT NULL DEFAULT '',
    mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    reauth_at    INTEGER,
    expires_at   INTEGER NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    revoked_at   INTEGER
) STRICT;

CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at DESC) WHERE revoked_at IS NULL;

CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'accountant')),
    token_hash  BLOB NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    revoked_at  INTEGER
) STRICT;

CREATE INDEX invites_merchant ON invites (merchant_id, created_at DESC);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_log_merchant ON audit_log (merchant_id, created_at DESC, id DESC);

-- A publishable key is public by design, so the dashboard shows it: it is
-- kept whole, sealed with the master key (no key is stored in clear). NULL
-- for secret keys, which stay stored as hashes only.
ALTER TABLE api_keys ADD COLUMN publishable_sealed BLOB;
