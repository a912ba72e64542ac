-- 0013: what a wallet needs besides the payment hash to look a session's
-- invoice up again (a Lightning Address's LUD-21 verify URL); '' for the
-- wallets that look up by hash alone.
ALTER TABLE checkout_sessions ADD COLUMN invoice_ref TEXT NOT NULL DEFAULT '';
