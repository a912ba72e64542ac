// Package secretbox seals small secrets (the test wallet's node keys, and
// later wallet credentials) with AES-256-GCM under the gateway's master key,
// so a copy of the database alone reveals none of them.
//
// A sealed box is a version byte, a random 12-byte nonce and the GCM
// ciphertext with its tag; the version byte is authenticated too. The master
// key is 32 bytes, given as 64 hex characters or base64, or kept in a 0600
// key file that LoadOrCreateKeyFile creates on first start.
//
// It uses only the standard library.
package secretbox
