-- 0018: the fingerprint of the master key that seals this database's
-- secrets (an HMAC of a fixed label under the key: it names the key without
-- revealing it). Nodes refuse to start with another key, seal only with the
-- key it names, and `satsrail master-key rotate` changes it in the
-- transaction that re-seals every secret. The first node to start on an
-- older database records its key.
-- compat: additive
CREATE TABLE master_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
) STRICT;

-- The event list sorts by commit order, newest first (events.go): seq is
-- the rowid, handed out by the one writer in the order transactions commit.
-- (Same migration as the master key only because the migration numbers
-- were rationed.)
CREATE INDEX events_commit_order ON events (merchant_id, mode, seq DESC);
