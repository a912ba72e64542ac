-- 0013: the fingerprint of the master key that seals this database's
-- secrets (an HMAC of a fixed label under the key: it names the key without
-- revealing it). Nodes refuse to start with another key, seal only with the
-- key it names, and `satsrail master-key rotate` changes it in the
-- transaction that re-seals every secret. The first node to start on an
-- older database records its key.
-- compat: additive
CREATE TABLE master_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

-- The event list sorts by commit order, newest first (events.go). seq is
-- handed out at INSERT, not at COMMIT, so concurrent transactions commit
-- their events out of seq order; txid, the inserting transaction's id, lets
-- a list show only events of transactions older than every one still
-- running, whose order can no longer change. Rows written before this
-- migration share its transaction id and keep their seq order. (Same
-- migration as the master key only because the migration numbers were
-- rationed.)
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_commit_order ON events (merchant_id, mode, txid DESC, seq DESC);
