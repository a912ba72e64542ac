// Package gateway is satsrail's vocabulary and its rules: the domain types
// (Merchant, CheckoutSession, Product, Transaction, Event), the session state
// machine, money types, the one error type, the ports the adapters implement
// (Store, RateSource, Clock, and later Wallet) and the Service that applies the
// rules through those ports.
//
// It imports only the standard library and does no I/O of its own: every
// database, HTTP client or wallet lives in an adapter package that imports
// gateway, never the other way round.
package gateway
