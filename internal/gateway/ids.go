package gateway

import "crypto/rand"

// Object id prefixes (SPEC §1).
const (
	PrefixMerchant    = "mer_"
	PrefixAPIKey      = "key_"
	PrefixProduct     = "prod_"
	PrefixSession     = "cs_"
	PrefixTransaction = "txn_"
	PrefixEvent       = "evt_"
	PrefixRequest     = "req_"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomString returns n characters drawn uniformly from base62 using
// crypto/rand. Bytes of 248 and above are dropped (248 = 4×62), so every
// character is equally likely; random bytes are read in one call per batch.
func RandomString(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		chunk := buf[:min(len(buf), n-len(out)+n/8+1)]
		rand.Read(chunk) // crypto/rand.Read never fails
		for _, c := range chunk {
			if c < 248 && len(out) < n {
				out = append(out, base62[c%62])
			}
		}
	}
	return string(out)
}

// NewID returns prefix followed by 24 random base62 characters (~143 bits).
func NewID(prefix string) string { return prefix + RandomString(24) }
