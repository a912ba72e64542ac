package gateway

import (
	"crypto/rand"
	"math/big"
)

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
// crypto/rand.
func RandomString(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(base62)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("gateway: crypto/rand failed: " + err.Error())
		}
		b[i] = base62[v.Int64()]
	}
	return string(b)
}

// NewID returns prefix followed by 24 random base62 characters (~143 bits).
func NewID(prefix string) string { return prefix + RandomString(24) }
