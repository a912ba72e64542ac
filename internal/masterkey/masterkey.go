package masterkey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/secretbox"
)

// fingerprintLabel is what a fingerprint MACs under the key. Changing it
// changes every fingerprint; it is versioned with the prefix.
const fingerprintLabel = "satsrail master key fingerprint v1"

// Fingerprint names key without revealing it: "mk1_" and the first 16 bytes
// of HMAC-SHA256(key, label) in hex. Finding the key from it is as hard as
// breaking HMAC-SHA256 under a 256-bit random key.
func Fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(fingerprintLabel))
	return "mk1_" + hex.EncodeToString(m.Sum(nil)[:16])
}

// ErrWrongKey is returned when no key of a node's ring is the one the
// database records.
var ErrWrongKey = errors.New("masterkey: this node's master key is not the database's")

// Keyring is a node's master key and the extra keys it may also open
// secrets with. It is a gateway.Sealer.
type Keyring struct {
	store gateway.MasterKeyStore
	keys  [][]byte // keys[0] is the node's master key
	fps   []string
	// Timeout bounds the read of the fingerprint before each seal.
	timeout time.Duration
}

// NewKeyring returns the ring of master (the node's key) and extra keys,
// reading the database's fingerprint through store.
func NewKeyring(store gateway.MasterKeyStore, master []byte, extra ...[]byte) (*Keyring, error) {
	k := &Keyring{store: store, timeout: 5 * time.Second}
	for _, key := range append([][]byte{master}, extra...) {
		if len(key) != secretbox.KeySize {
			return nil, fmt.Errorf("masterkey: a key is %d bytes, want %d", len(key), secretbox.KeySize)
		}
		k.keys = append(k.keys, key)
		k.fps = append(k.fps, Fingerprint(key))
	}
	return k, nil
}

// Fingerprints returns the fingerprints of the ring's keys, the master
// key's first.
func (k *Keyring) Fingerprints() []string { return append([]string(nil), k.fps...) }

func (k *Keyring) key(fp string) []byte {
	for i, f := range k.fps {
		if f == fp {
			return k.keys[i]
		}
	}
	return nil
}

// Check is run when a node starts: it records the master key's fingerprint
// in a database that has none (one written before fingerprints were kept)
// and fails with a message saying what to do unless the database's
// fingerprint is one of the ring's keys.
func (k *Keyring) Check(ctx context.Context, now time.Time) error {
	fp, err := k.store.RecordMasterKeyFingerprint(ctx, k.fps[0], now)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if k.key(fp) == nil {
		return fmt.Errorf("%w: the database's secrets are sealed with the master key whose fingerprint is %s, "+
			"and this node's key is %s; start it with the database's key (SATSRAIL_MASTER_KEY or <data-dir>/master.key; "+
			"`satsrail master-key fingerprint` shows a key's fingerprint), or it would seal secrets no other node can open",
			ErrWrongKey, fp, k.fps[0])
	}
	return nil
}

// Seal seals plaintext with the key the database names now. A node whose
// ring lacks it (the key was rotated and this node was not given the new
// one) fails instead of sealing with an old key.
func (k *Keyring) Seal(plaintext []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	fp, err := k.store.MasterKeyFingerprint(ctx)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	key := k.key(fp)
	if key == nil {
		return nil, fmt.Errorf("%w: the database now uses the key %s; restart this node with it", ErrWrongKey, fp)
	}
	return secretbox.Seal(key, plaintext)
}

// Open opens a box sealed with any key of the ring.
func (k *Keyring) Open(sealed []byte) ([]byte, error) {
	for _, key := range k.keys {
		if p, err := secretbox.Open(key, sealed); err == nil {
			return p, nil
		}
	}
	return nil, secretbox.ErrOpen
}

var _ gateway.Sealer = (*Keyring)(nil)

// RotateParams are the arguments of Rotate.
type RotateParams struct {
	Store    gateway.MasterKeyStore
	Old, New []byte
	// Grace is how long Rotate waits before sweeping again for secrets a
	// node sealed with the old key while the first sweep committed (zero:
	// no second sweep).
	Grace time.Duration
	Now   func() time.Time
}

// RotateResult says what Rotate did.
type RotateResult struct {
	Resealed   int // secrets re-sealed by the first sweep
	Stragglers int // secrets sealed with the old key after it, re-sealed by the second
}

// Rotate re-seals every secret sealed with p.Old under p.New in one
// transaction and records p.New's fingerprint in it; then, after p.Grace,
// re-seals in a second transaction any secret still sealed with p.Old. It
// may be run again after an interruption: secrets already under p.New are
// left as they are. A secret neither key opens aborts it, with nothing
// changed.
func Rotate(ctx context.Context, p RotateParams) (RotateResult, error) {
	var res RotateResult
	if len(p.Old) != secretbox.KeySize || len(p.New) != secretbox.KeySize {
		return res, fmt.Errorf("masterkey: keys must be %d bytes", secretbox.KeySize)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	from, to := Fingerprint(p.Old), Fingerprint(p.New)
	if from == to {
		return res, errors.New("masterkey: the new key is the current key")
	}
	reseal := func(sealed []byte) ([]byte, error) {
		if _, err := secretbox.Open(p.New, sealed); err == nil {
			return nil, nil
		}
		plain, err := secretbox.Open(p.Old, sealed)
		if err != nil {
			return nil, errors.New("a secret opens with neither the old nor the new key (a damaged value?); nothing was changed")
		}
		defer clear(plain)
		return secretbox.Seal(p.New, plain)
	}
	params := gateway.ResealParams{From: from, To: to, Reseal: reseal, At: now()}
	n, err := p.Store.ResealSecrets(ctx, params)
	if errors.Is(err, gateway.ErrMasterKeyChanged) {
		fp, _ := p.Store.MasterKeyFingerprint(ctx)
		return res, fmt.Errorf("%w: the database records the key %s, the current key given is %s and the new one %s; "+
			"give the database's current key (SATSRAIL_MASTER_KEY or <data-dir>/master.key)", err, fp, from, to)
	}
	if err != nil {
		return res, err
	}
	res.Resealed = n
	if p.Grace <= 0 {
		return res, nil
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(p.Grace):
	}
	params.From, params.At = to, now()
	if res.Stragglers, err = p.Store.ResealSecrets(ctx, params); err != nil {
		return res, fmt.Errorf("second sweep: %w", err)
	}
	return res, nil
}
