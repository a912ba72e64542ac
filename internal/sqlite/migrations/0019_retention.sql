-- 0019: the webhook attempt log read by age, so the retention worker deletes
-- the attempts older than --retain-webhook-attempts in small batches
-- without scanning the log.
-- compat: additive
CREATE INDEX IF NOT EXISTS webhook_attempts_at ON webhook_attempts (at);
