-- 0007: which node holds each wallet's settlement stream, until when.
ALTER TABLE wallet_connections ADD COLUMN stream_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE wallet_connections ADD COLUMN stream_lease_until INTEGER;
