// Package wallettest is the conformance suite every wallet backend passes:
// the built-in test wallet against its store, and real backends (lnd on a
// regtest network, faithful fakes of the others) through their adapters.
// It checks what the gateway relies on: invoices that decode to what was
// asked, lookups that tell open from settled, and ErrNotFound for strangers.
package wallettest
