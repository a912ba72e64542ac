-- 0006: the deliveries leased right now, per endpoint, so a claim can cap
-- each endpoint's concurrent attempts without reading the delivery log.
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id, lease_until)
    WHERE status = 'pending' AND lease_until IS NOT NULL;
