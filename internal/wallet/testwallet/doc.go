// Package testwallet is satsrail's built-in test wallet, the default wallet
// of test mode: it mints real, signed BOLT11 invoices on regtest (lnbcrt…)
// that no real network can route, and pays them by simulation.
//
// Each merchant has its own node key (secp256k1), made on first use and kept
// in the gateway's database sealed with the master key (package secretbox);
// invoices and their preimages live there too (gateway.TestWalletStore), so
// an invoice can be paid from the CLI while the gateway is down and the
// payment is found by reconciliation when it starts.
//
// A Wallet serves every merchant; For gives one merchant's
// gateway.Wallet and gateway.PaymentSimulator. Payments made by this process
// are announced on Hints at once; every payment, by any process sharing the
// database (the CLI while the gateway runs, other nodes), is numbered in the
// store, and the Wallet is a gateway.SettlementFeed of them that the payment
// watcher reads from a cursor. With AutopayAfter set, Run pays every invoice
// that long after it was created, for demos and end-to-end tests.
package testwallet
