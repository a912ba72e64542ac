package masterkey_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/masterkey"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
)

type store interface {
	gateway.Store
	gateway.MasterKeyStore
}

func openStore(t testing.TB) store {
	t.Helper()
	return testdb.Open(t).(store)
}

func newKey(t testing.TB) []byte {
	t.Helper()
	k, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ring(t testing.TB, st gateway.MasterKeyStore, keys ...[]byte) *masterkey.Keyring {
	t.Helper()
	r, err := masterkey.NewKeyring(st, keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFingerprint(t *testing.T) {
	a, b := newKey(t), newKey(t)
	fa := masterkey.Fingerprint(a)
	if fa != masterkey.Fingerprint(bytes.Clone(a)) {
		t.Error("fingerprint of one key differs between calls")
	}
	if fa == masterkey.Fingerprint(b) {
		t.Error("two keys share a fingerprint")
	}
	if !strings.HasPrefix(fa, "mk1_") || len(fa) != 4+32 {
		t.Errorf("fingerprint %q: want mk1_ and 32 hex characters", fa)
	}
	if strings.Contains(fa, fmt.Sprintf("%x", a[:8])) {
		t.Error("fingerprint shows the key")
	}
}

func TestCheck(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	old, other := newKey(t), newKey(t)
	if _, err := st.MasterKeyFingerprint(ctx); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("fresh database: fingerprint err = %v, want ErrNotFound", err)
	}
	if err := ring(t, st, old).Check(ctx, time.Now()); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if fp, err := st.MasterKeyFingerprint(ctx); err != nil || fp != masterkey.Fingerprint(old) {
		t.Fatalf("recorded fingerprint = %q, %v; want the first key's", fp, err)
	}
	if err := ring(t, st, old).Check(ctx, time.Now()); err != nil {
		t.Errorf("same key again: %v", err)
	}
	err := ring(t, st, other).Check(ctx, time.Now())
	if !errors.Is(err, masterkey.ErrWrongKey) {
		t.Fatalf("other key: err = %v, want ErrWrongKey", err)
	}
	for _, want := range []string{masterkey.Fingerprint(old), masterkey.Fingerprint(other), "SATSRAIL_MASTER_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not mention %s", err, want)
		}
	}
	if fp, _ := st.MasterKeyFingerprint(ctx); fp != masterkey.Fingerprint(old) {
		t.Errorf("a refused node changed the fingerprint to %s", fp)
	}
	// A node given the database's key as an extra key (mid-rotation) starts.
	if err := ring(t, st, other, old).Check(ctx, time.Now()); err != nil {
		t.Errorf("database key as extra key: %v", err)
	}
}

// seeded is one secret of each sealed column, with its plaintext.
type seeded struct {
	scope      gateway.Scope
	pk         map[string]string // api key id → publishable key
	endpointID string
	secret     string
	prevSecret string
	nodeKey    []byte
	walletCfg  []byte
	userID     string
	totp       []byte
	apiKeyID   string
	sealedBody []byte
	plainBody  []byte
}

// seed writes one secret into every sealed column through the stores' own
// methods, sealed by r.
func seed(t *testing.T, st store, r *masterkey.Keyring) *seeded {
	t.Helper()
	ctx := t.Context()
	svc := gateway.NewService(gateway.Config{Store: st, Sealer: r})
	m, secrets, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s := &seeded{scope: gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}, pk: map[string]string{}}
	keys, err := st.ListAPIKeys(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Kind == gateway.KeyPublishable {
			s.pk[k.ID] = secrets[gateway.KeyType(keyTypeOf(k))]
		}
		s.apiKeyID = k.ID
	}
	if len(s.pk) != 2 {
		t.Fatalf("%d publishable keys sealed, want 2", len(s.pk))
	}
	url := "https://hooks.example.com/x"
	e, secret, err := svc.CreateWebhookEndpoint(ctx, s.scope, gateway.WebhookParams{URL: &url})
	if err != nil {
		t.Fatal(err)
	}
	s.endpointID, s.prevSecret = e.ID, secret
	if _, s.secret, err = svc.RotateWebhookSecret(ctx, s.scope, e.ID); err != nil {
		t.Fatal(err)
	}
	s.nodeKey = []byte("test wallet node key 32 bytes!!!")
	if _, err := st.PutTestWalletKey(ctx, m.ID, mustSeal(t, r, s.nodeKey)); err != nil {
		t.Fatal(err)
	}
	s.walletCfg = []byte(`{"url":"https://lnbits.example","api_key":"abc"}`)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.PutWalletConnection(ctx, &gateway.WalletConnection{ID: gateway.NewID("wc"), MerchantID: m.ID, Mode: gateway.ModeTest,
		Type: "lnbits", Network: "regtest", Config: mustSeal(t, r, s.walletCfg), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	s.totp = []byte("JBSWY3DPEHPK3PXP")
	u := &gateway.User{ID: gateway.NewID("usr"), Email: "a@example.com", PasswordHash: "x", TOTPSecret: mustSeal(t, r, s.totp),
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	s.userID = u.ID
	s.sealedBody, s.plainBody = []byte(`{"secret":"whsec_x"}`), []byte(`{"id":"cs_1"}`)
	for key, body := range map[string][]byte{"sealed": mustSeal(t, r, s.sealedBody), "plain": s.plainBody} {
		rec := gateway.IdempotencyRecord{APIKeyID: s.apiKeyID, Key: key, RequestHash: []byte("h"), CreatedAt: now}
		if _, err := st.BeginIdempotent(ctx, rec, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.CompleteIdempotent(ctx, s.apiKeyID, key, 201, body); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func keyTypeOf(k gateway.APIKey) string {
	prefix := "pk_"
	if k.Kind != gateway.KeyPublishable {
		prefix = "sk_"
	}
	return prefix + string(k.Mode)
}

func mustSeal(t *testing.T, r *masterkey.Keyring, p []byte) []byte {
	t.Helper()
	b, err := r.Seal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verify checks that every seeded secret opens with key alone and is
// unchanged.
func verify(t *testing.T, st store, s *seeded, key []byte) {
	t.Helper()
	ctx := t.Context()
	open := func(what string, sealed []byte, want []byte) {
		t.Helper()
		got, err := secretbox.Open(key, sealed)
		if err != nil {
			t.Errorf("%s: does not open with the key: %v", what, err)
			return
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	keys, err := st.ListAPIKeys(ctx, s.scope.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		if want, ok := s.pk[k.ID]; ok {
			open("publishable key "+k.ID, k.PublishableSealed, []byte(want))
			n++
		}
	}
	if n != len(s.pk) {
		t.Errorf("%d publishable keys found, want %d", n, len(s.pk))
	}
	e, err := st.GetWebhookEndpoint(ctx, s.scope, s.endpointID)
	if err != nil {
		t.Fatal(err)
	}
	open("webhook secret", e.Secret, []byte(s.secret))
	open("previous webhook secret", e.PrevSecret, []byte(s.prevSecret))
	nk, err := st.TestWalletKey(ctx, s.scope.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	open("test wallet node key", nk, s.nodeKey)
	wc, err := st.GetWalletConnection(ctx, s.scope)
	if err != nil {
		t.Fatal(err)
	}
	open("wallet credentials", wc.Config, s.walletCfg)
	u, err := st.GetUser(ctx, s.userID)
	if err != nil {
		t.Fatal(err)
	}
	open("TOTP secret", u.TOTPSecret, s.totp)
	sealed, err := st.LookupIdempotent(ctx, s.apiKeyID, "sealed", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	open("sealed idempotent reply", sealed.Body, s.sealedBody)
	plain, err := st.LookupIdempotent(ctx, s.apiKeyID, "plain", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain.Body, s.plainBody) {
		t.Errorf("plain idempotent reply = %q, want it untouched: %q", plain.Body, s.plainBody)
	}
}

func TestRotate(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	old, next := newKey(t), newKey(t)
	r := ring(t, st, old)
	if err := r.Check(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := seed(t, st, r)
	verify(t, st, s, old)

	// The wrong current key is refused and changes nothing.
	_, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: newKey(t), New: next})
	if !errors.Is(err, gateway.ErrMasterKeyChanged) {
		t.Fatalf("rotate with a wrong current key: err = %v, want ErrMasterKeyChanged", err)
	}
	verify(t, st, s, old)

	res, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: old, New: next})
	if err != nil {
		t.Fatal(err)
	}
	// 2 publishable keys, 2 webhook secrets, node key, wallet, TOTP, reply.
	if res.Resealed != 8 {
		t.Errorf("re-sealed %d secrets, want 8", res.Resealed)
	}
	verify(t, st, s, next)
	if fp, _ := st.MasterKeyFingerprint(ctx); fp != masterkey.Fingerprint(next) {
		t.Errorf("fingerprint after rotation = %s, want the new key's", fp)
	}
	// Run again (an operator unsure it finished): nothing to do.
	if res, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: old, New: next}); err != nil || res.Resealed != 0 {
		t.Errorf("second run: %+v, %v; want 0 re-sealed", res, err)
	}

	// A node left with only the old key refuses to seal and to start.
	if _, err := ring(t, st, old).Seal([]byte("x")); !errors.Is(err, masterkey.ErrWrongKey) {
		t.Errorf("old-key node sealing after rotation: err = %v, want ErrWrongKey", err)
	}
	if err := ring(t, st, old).Check(ctx, time.Now()); !errors.Is(err, masterkey.ErrWrongKey) {
		t.Errorf("old-key node starting after rotation: err = %v, want ErrWrongKey", err)
	}
	// A node holding both (the rollout's middle step) seals with the new one.
	b, err := ring(t, st, old, next).Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.Open(next, b); err != nil {
		t.Errorf("a two-key node sealed with the old key after rotation")
	}
}

// TestRotateDamagedSecret: a value neither key opens aborts the rotation
// with nothing changed.
func TestRotateDamagedSecret(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	old, next := newKey(t), newKey(t)
	r := ring(t, st, old)
	if err := r.Check(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := seed(t, st, r)
	// Seal one test-wallet key with a stranger's key.
	svc := gateway.NewService(gateway.Config{Store: st, Sealer: r})
	m, _, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Other", Email: "o@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := secretbox.Seal(newKey(t), []byte("k"))
	if _, err := st.PutTestWalletKey(ctx, m.ID, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: old, New: next}); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Fatalf("rotate over a damaged secret: err = %v, want a refusal", err)
	}
	verify(t, st, s, old)
	if fp, _ := st.MasterKeyFingerprint(ctx); fp != masterkey.Fingerprint(old) {
		t.Errorf("a failed rotation changed the fingerprint")
	}
}

// TestRotateWhileSealing: nodes holding both keys keep creating webhook
// endpoints while the key rotates; every secret ends up under the new key,
// readable, and equal to what its creator was given.
func TestRotateWhileSealing(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	old, next := newKey(t), newKey(t)
	r := ring(t, st, old, next)
	if err := r.Check(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := gateway.NewService(gateway.Config{Store: st, Sealer: r})
	m, _, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	var mu sync.Mutex
	created := map[string]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			url := "https://hooks.example.com/x"
			for {
				select {
				case <-stop:
					return
				default:
				}
				e, secret, err := svc.CreateWebhookEndpoint(context.Background(), scope, gateway.WebhookParams{URL: &url})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				created[e.ID] = secret
				mu.Unlock()
			}
		})
	}
	// Let some endpoints be made under the old key first.
	for {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	res, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: old, New: next, Grace: 300 * time.Millisecond})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Resealed < 20 {
		t.Errorf("re-sealed %d, want at least the 20 made before", res.Resealed)
	}
	t.Logf("%d endpoints; %+v", len(created), res)
	for id, secret := range created {
		e, err := st.GetWebhookEndpoint(ctx, scope, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := secretbox.Open(next, e.Secret)
		if err != nil {
			t.Errorf("endpoint %s: secret not under the new key", id)
			continue
		}
		if string(got) != secret {
			t.Errorf("endpoint %s: secret changed", id)
		}
	}
}
