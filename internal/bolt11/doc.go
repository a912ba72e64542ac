// Package bolt11 decodes BOLT11 Lightning invoices for satsrail: it finds the
// invoice's network from its prefix, checks the bech32 checksum and the
// signature with lnd's zpay32, and returns the fields the gateway checks
// every wallet's invoice against (gateway.DecodedInvoice).
package bolt11
