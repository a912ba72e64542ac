// Package nwc is satsrail's Nostr Wallet Connect backend (NIP-47): a
// gateway.Wallet that makes and looks up invoices on a wallet service such
// as Alby Hub through Nostr relays, with a connection that can only receive.
//
// The merchant pastes a nostr+walletconnect:// URI (ParseURI). On first use
// the client reads the wallet's info event (kind 13194) to choose NIP-44
// or, for older wallets, NIP-04 encryption, and asks get_info for the
// network and the connection's methods: a connection that can pay
// (pay_invoice, pay_keysend, multi_pay_*, or create_connection, which can
// make one that pays) is refused with ErrNotReceiveOnly and a message
// saying how to make a receive-only one.
//
// Each request (kind 23194) carries an expiration tag and is published on
// a relay only after the subscription to its response (kind 23195, e = the
// request) is up there — the relay's EOSE received — for responses are
// ephemeral: one sent before the subscription would be lost. The first
// valid response from any relay wins. Relay websockets are dialled through
// the caller's DialContext (the gateway's SSRF guard), redialled with
// backoff, and closed when unused.
//
// Payments are found from payment_received notifications (kinds 23197 and
// 23196), each believed only when its preimage hashes to its payment hash
// and, like every hint, confirmed by lookup_invoice. Notifications are not
// stored by relays, so SubscribeSettled ends at the first lost relay
// connection and its caller reconciles open invoices with lookup_invoice.
//
// The connection secret is the credential: it is never logged nor quoted
// in errors.
package nwc
