-- 0014: the webhook attempt log read by age, so the retention worker deletes
-- the attempts older than --retain-webhook-attempts in small batches
-- without scanning the log. (Built in the migration's transaction, which
-- holds off writes to webhook_attempts while it builds; see
-- docs/OPERATIONS.md, Upgrades, for a large log.)
-- compat: additive
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
