-- 0014: the webhook attempt log read by age, so the retention worker deletes
-- the attempts older than --retain-webhook-attempts in small batches
-- without scanning the log. Built in the migration's transaction, which
-- holds off writes to webhook_attempts while it builds; on a large log,
-- build it first with CREATE INDEX CONCURRENTLY webhook_attempts_at ON
-- webhook_attempts (at) and this finds it (docs/OPERATIONS.md, Upgrades).
-- compat: additive
CREATE INDEX IF NOT EXISTS webhook_attempts_at ON webhook_attempts (at);
