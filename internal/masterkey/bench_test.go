package masterkey_test

import (
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/masterkey"
)

// BenchmarkRotate10k re-seals 10,000 webhook secrets, one rotation per
// iteration (alternating keys); the baseline sub-benchmark reads the same
// rows' fingerprint check only (a rotation between two keys with nothing
// to re-seal), measured in the same run.
func BenchmarkRotate10k(b *testing.B) {
	st := openStore(b)
	k1, k2 := newKey(b), newKey(b)
	r := ring(b, st, k1, k2)
	if err := r.Check(b.Context(), time.Now()); err != nil {
		b.Fatal(err)
	}
	svc := gateway.NewService(gateway.Config{Store: st, Sealer: r})
	m, _, err := svc.CreateMerchant(b.Context(), gateway.MerchantParams{Name: "S", Email: "s@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for range 10_000 {
		sealed, _ := r.Seal([]byte("whsec_0123456789abcdef0123456789abcdef"))
		e := &gateway.WebhookEndpoint{ID: gateway.NewID(gateway.PrefixWebhookEndpoint), MerchantID: m.ID, Mode: gateway.ModeTest,
			URL: "https://h.example.com/x", Active: true, Secret: sealed, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateWebhookEndpoint(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	from, to := k1, k2
	b.Run("rotate", func(b *testing.B) {
		for b.Loop() {
			res, err := masterkey.Rotate(b.Context(), masterkey.RotateParams{Store: st, Old: from, New: to})
			if err != nil || res.Resealed < 10_000 {
				b.Fatalf("%+v %v", res, err)
			}
			from, to = to, from
		}
	})
	b.Run("baseline-nothing-to-reseal", func(b *testing.B) {
		for b.Loop() {
			// from is the database's key: the rotation to itself's pair
			// finds every secret already under "to" = from.
			if _, err := masterkey.Rotate(b.Context(), masterkey.RotateParams{Store: st, Old: to, New: from}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
