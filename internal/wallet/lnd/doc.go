// Package lnd is satsrail's LND backend: a gateway.Wallet that makes and
// looks up invoices on the merchant's own node through lnd's REST API, with
// a credential that can only receive.
//
// The merchant connects with an lndconnect URI (ParseLNDConnect) naming the
// REST port, lnd's TLS certificate and a macaroon baked for invoices only:
//
//	lncli bakemacaroon invoices:read invoices:write --save_to satsrail.macaroon
//
// New refuses any macaroon that grants more (CheckReceiveOnly), so the
// gateway never holds a credential that can spend, and pins the TLS
// certificate when one is given.
//
// Payments are found by lookup (LookupInvoice is the truth) and, faster, by
// SubscribeSettled, which streams the node's settlements from a settle
// index the caller keeps, so a reconnect or restart misses none that
// happened in between (see shared/reference/lightning-backends.md §2.4).
package lnd
