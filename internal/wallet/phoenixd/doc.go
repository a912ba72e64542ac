// Package phoenixd is satsrail's phoenixd backend: a gateway.Wallet that
// makes and looks up invoices on the merchant's phoenixd (ACINQ's
// server-side Phoenix) through its HTTP API, with the limited-access
// password, which can make and read invoices but not pay.
//
// The merchant gives the URL (http://host:9740) and
// http-password-limited-access from ~/.phoenix/phoenix.conf. Test refuses
// the full-access http-password, which phoenixd lets us tell apart
// (CheckLimitedAccess).
//
// phoenixd takes amounts in whole satoshis and form-encoded POST bodies,
// uses HTTP Basic auth with any user name, and answers 404 "Not found" for
// an unknown payment. Its IncomingPayment carries the preimage before the
// invoice is paid: only isPaid is trusted.
//
// Payments are found by lookup (GET /payments/incoming/{hash} is the
// truth) and, faster, by SubscribeSettled, which listens on phoenixd's
// websocket for payment_received messages. They are hints: each is settled
// by a lookup, so a forged one settles nothing, and phoenixd keeps no
// cursor, so payments made while the websocket was down are found by
// reconciling open invoices (shared/reference/lightning-backends.md §6).
package phoenixd
