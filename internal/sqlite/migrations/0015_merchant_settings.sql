-- 0015: merchant settings (PATCH /merchant), payment-link after-payment
-- choices per product, uploaded logos, and API keys' "last used".
--
-- allowed_origins holds the normalised origins separated by single spaces
-- (an origin has no space in it); '' is none.
ALTER TABLE merchants ADD COLUMN support_email TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN success_url TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN thank_you_message TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN logo_id TEXT NOT NULL DEFAULT ''; -- merchant_logos.id, '' for none

ALTER TABLE products ADD COLUMN success_url TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN thank_you_message TEXT NOT NULL DEFAULT '';

-- One logo per merchant, served at /logos/{id}; id is the SHA-256 of data,
-- so a new logo has a new URL and the old one may be cached for ever.
CREATE TABLE merchant_logos (
    merchant_id  TEXT PRIMARY KEY REFERENCES merchants (id),
    id           TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX merchant_logos_id ON merchant_logos (id);

-- When each key was last used, to within a minute, written by each node in
-- one statement a minute. A table of its own, not a column of api_keys:
-- api_keys' triggers bump credentials_version, which would empty every
-- node's key cache each time usage is written. No foreign key: a row of a
-- key that does not exist is never read.
CREATE TABLE api_key_usage (
    key_id       TEXT PRIMARY KEY,
    last_used_at INTEGER NOT NULL
) STRICT;
