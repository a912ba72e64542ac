// Package masterkey keeps one master key per database: it names a key by a
// fingerprint that does not reveal it, checks at start that a node's key is
// the one that sealed the database's secrets, seals only with the key the
// database names (so a node left on an old key refuses to write rather than
// seal secrets the others cannot open), and rotates the key by re-sealing
// every secret in one transaction.
//
// Rotation while nodes serve works with a keyring: each node holds its
// master key plus any extra keys it is given (--extra-master-keys). Open
// tries every key of the ring; Seal re-reads the database's fingerprint and
// uses the key of the ring it names, or fails. So the steps are: give every
// node the new key as an extra key (a rolling restart), run
// `satsrail master-key rotate`, which re-seals everything and records the new
// fingerprint (nodes seal with the new key from their next seal on), then
// make the new key every node's master key and drop the old one. A node
// that sealed with the old key just as the rotation committed leaves a
// straggler; Rotate sweeps again after a grace period to re-seal those.
package masterkey
