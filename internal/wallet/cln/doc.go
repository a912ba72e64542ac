// Package cln is satsrail's Core Lightning backend: a gateway.Wallet that
// makes and looks up invoices on the merchant's own node through the
// clnrest plugin (POST /v1/<method>, authorized by a rune in the Rune
// header), with a rune that can only receive.
//
// The merchant makes the rune on the node:
//
//	lightning-cli createrune restrictions='[["method=invoice","method=listinvoices","method=waitanyinvoice","method=waitinvoice","method=getinfo"]]'
//
// New refuses any rune whose restrictions let another method through
// (CheckReceiveOnly decodes it locally; the node checks its hash), and pins
// clnrest's certificate authority (ca.pem) when given.
//
// Payments are found by lookup (listinvoices by payment hash is the truth)
// and, faster, by SubscribeSettled: a waitanyinvoice long-poll from the
// pay_index the gateway persisted, which replays every payment made while
// it was away. A newly connected node's cursor starts at its highest
// pay_index (SettlementCursor), since from 0 the node would replay every
// payment it ever received (shared/reference/lightning-backends.md §3).
//
// Amounts are millisatoshi, as numbers (older nodes wrote "1000msat"
// strings; both are read). The network comes from getinfo, which says
// "bitcoin" for mainnet.
package cln
