-- 0017: the language of a session's hosted page, a BCP 47 tag the page
-- speaks (gateway.Locales); '' to follow the customer's browser.
-- compat: additive
ALTER TABLE checkout_sessions ADD COLUMN locale TEXT NOT NULL DEFAULT '';
