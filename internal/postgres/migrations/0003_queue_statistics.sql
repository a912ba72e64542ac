-- 0003: keep the planner's statistics of the busy queues fresh, so claims
-- keep their index plans through bursts (autovacuum's default waits for 10%
-- of a table to change).
ALTER TABLE webhook_deliveries SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 200);
ALTER TABLE events SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 200);
ALTER TABLE checkout_sessions SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 200);
