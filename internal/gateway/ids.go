package gateway

import (
	"crypto/rand"
	"time"
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
func RandomString(n int) string { return string(appendRandom(make([]byte, 0, n), n)) }

// appendRandom appends n characters drawn uniformly from base62 using
// crypto/rand. Bytes of 248 and above are dropped (248 = 4×62), so every
// character is equally likely; random bytes are read in one call per batch.
func appendRandom(out []byte, n int) []byte {
	var buf [64]byte
	for want := len(out) + n; len(out) < want; {
		chunk := buf[:min(len(buf), want-len(out)+n/8+1)]
		rand.Read(chunk) // crypto/rand.Read never fails
		for _, c := range chunk {
			if c < 248 && len(out) < want {
				out = append(out, base62[c%62])
			}
		}
	}
	return out
}

// idRandomLen is how many random base62 characters end an id (~119 bits,
// SPEC §1's minimum).
const idRandomLen = 20

// idTimeLen characters of base62 milliseconds last until the year 8888.
const idTimeLen = 8

// idLen is the length of an id after its prefix.
const idLen = idTimeLen + idRandomLen

// NewID returns prefix, 8 base62 characters of the time in milliseconds, and
// 20 random base62 characters. The time first makes ids of one kind sort by
// when they were made, so a new row's id lands at the end of its table's
// unique index (one hot page a write batch) instead of on a random page of
// it, which costs every create a page write of its own once the table
// outgrows a batch. The random part is all the secret an id carries (a hosted
// page's URL): 119 bits.
func NewID(prefix string) string {
	b := make([]byte, 0, len(prefix)+idLen)
	b = appendIDTime(append(b, prefix...), time.Now())
	return string(appendRandom(b, idRandomLen))
}

// appendIDTime appends t's milliseconds since 1970 as idTimeLen base62
// digits, most significant first; base62 is in ASCII order, so the strings
// sort as the times do.
func appendIDTime(b []byte, t time.Time) []byte {
	ms := max(t.UnixMilli(), 0)
	var digits [idTimeLen]byte
	for i := idTimeLen - 1; i >= 0; i-- {
		digits[i] = base62[ms%62]
		ms /= 62
	}
	return append(b, digits[:]...)
}
