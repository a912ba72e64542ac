// Package regtest runs a real, private Lightning network for tests: btcd on
// regtest (plus a second btcd that mines) and two lnd nodes, the merchant
// ("alice", whose wallet the gateway receives into) and the customer ("bob",
// who pays), joined by one channel from the customer to the merchant.
// Everything listens on free loopback ports inside a temporary directory.
//
// Start brings a network up for one test (or one package, through New and
// Close in TestMain) and stops it when the test ends. The binaries come from
// $SATSRAIL_REGTEST_BIN or from scripts/regtest-binaries, which builds them
// once per machine (see shared/reference/lightning-backends.md §10 for the
// flags and the pitfalls this package follows).
//
// It is a test helper, not test code, so that any package's tests can
// import it; nothing else should.
package regtest
