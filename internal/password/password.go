// Package password hashes dashboard passwords with argon2id (RFC 9106) in
// the PHC string format, $argon2id$v=19$m=...,t=...,p=...$salt$hash, so
// every hash carries the parameters it was made with and old hashes keep
// verifying after the defaults change. It is the gateway.PasswordHasher.
package password

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs. The defaults are OWASP's first recommended
// set (19 MiB, 2 passes, 1 lane): ~30 ms a hash on a server core, small
// enough that a burst of sign-ins cannot exhaust memory.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// Default parameters.
const (
	DefaultMemoryKiB = 19 * 1024
	DefaultTime      = 2
	DefaultThreads   = 1
	saltLen          = 16
	keyLen           = 32
	// maxMemoryKiB bounds what a stored hash may ask Verify to allocate.
	maxMemoryKiB = 1 << 20
)

// Hasher is an argon2id gateway.PasswordHasher; the zero value uses the
// default parameters.
type Hasher struct {
	Params Params
}

func (h Hasher) params() Params {
	return Params{
		MemoryKiB: cmp.Or(h.Params.MemoryKiB, DefaultMemoryKiB),
		Time:      cmp.Or(h.Params.Time, DefaultTime),
		Threads:   cmp.Or(h.Params.Threads, DefaultThreads),
	}
}

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of password's argon2id hash with a fresh salt.
func (h Hasher) Hash(password string) (string, error) {
	p := h.params()
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is a stored hash that is not an argon2id PHC string.
var ErrMalformed = errors.New("password: malformed argon2id hash")

// Verify reports whether password matches the PHC string encoded, comparing
// in constant time.
func (Hasher) Verify(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
