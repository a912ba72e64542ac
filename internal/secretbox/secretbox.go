package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// version1 marks boxes sealed with AES-256-GCM and a 12-byte random nonce.
const version1 byte = 1

const nonceSize = 12

// Overhead is how many bytes Seal adds to a plaintext: the version byte,
// the nonce and the GCM tag.
const Overhead = 1 + nonceSize + 16

// ErrOpen is returned by Open for a box that does not authenticate under the
// key: the wrong key, or a damaged or tampered box.
var ErrOpen = errors.New("secretbox: wrong key or damaged box")

// Seal encrypts and authenticates plaintext under key, which must be
// KeySize bytes.
func Seal(key, plaintext []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, out[:1]), nil
}

// Open authenticates and decrypts a box made by Seal. It returns ErrOpen
// when key is not the sealing key or the box was altered.
func Open(key, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: box is %d bytes, shorter than %d", ErrOpen, len(sealed), Overhead)
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	plain, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], sealed[:1])
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return cipher.NewGCM(block)
}

// NewKey returns a fresh random key.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secretbox: new key: %w", err)
	}
	return key, nil
}

// ParseKey parses a master key written as 64 hex characters or as standard
// or URL-safe base64 (padded or not) of 32 bytes. Surrounding white space is
// ignored. The error never repeats the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("secretbox: a key must be %d hex characters or the base64 of %d bytes (got %d characters)",
		2*KeySize, KeySize, len(s))
}
