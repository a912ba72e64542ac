package gateway

import (
	"context"
	"errors"
	"time"
)

// MasterKeyStore is what the master key's checks and its rotation need of a
// store (internal/masterkey uses it): the fingerprint of the key that seals
// the database's secrets, and a way to re-seal every one of them at once.
// Both engines' stores implement it; it is not part of Store, which the
// gateway's service uses.
type MasterKeyStore interface {
	// MasterKeyFingerprint returns the recorded fingerprint, or ErrNotFound
	// when none is recorded yet (a database written before 0018/0013).
	MasterKeyFingerprint(ctx context.Context) (string, error)
	// RecordMasterKeyFingerprint records fp unless a fingerprint is recorded
	// already, and returns the one recorded (fp, or the earlier one).
	RecordMasterKeyFingerprint(ctx context.Context, fp string, at time.Time) (string, error)
	// ResealSecrets re-seals every sealed secret in one transaction and
	// records p.To as the fingerprint, returning how many it changed.
	ResealSecrets(ctx context.Context, p ResealParams) (int, error)
}

// ResealParams are the arguments of MasterKeyStore.ResealSecrets.
type ResealParams struct {
	// From is the fingerprint the database must record for the re-seal to
	// run; one recording To (an interrupted or repeated rotation) runs too.
	// Anything else is ErrMasterKeyChanged, and nothing is written.
	From, To string
	// Reseal is given every sealed value and returns its new sealing, or
	// nil to leave it as it is (already sealed with the new key). An error
	// aborts the whole transaction.
	Reseal func(sealed []byte) ([]byte, error)
	// At is when the new fingerprint is recorded.
	At time.Time
}

// ErrMasterKeyChanged is returned by ResealSecrets when the database records
// neither ResealParams.From nor To: another rotation ran, or the key given is
// not the database's.
var ErrMasterKeyChanged = errors.New("gateway: the database's master key is not the one given")

// SealedIsBox reports whether a stored idempotent reply is sealed (a
// secretbox box, whose first byte is its version, 1) rather than JSON, which
// starts with '{' or white space. Only replies that hold a secret are sealed.
func SealedIsBox(b []byte) bool { return len(b) > 0 && b[0] == 1 }
