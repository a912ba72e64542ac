package masterkey_test

import (
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/masterkey"
)

// BenchmarkRotate10k re-seals 10,000 webhook secrets, one rotation per
// iteration (alternating keys), beside a same-run baseline: the same
// rotation once more with nothing left to re-seal (it reads and opens the
// same rows). Run it on either engine (SATSRAIL_TEST_STORE, internal/testdb).
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
	// Each iteration times a rotation and, right after it, the baseline: a
	// rotation with nothing to re-seal (every secret is already under the
	// new key), which reads and checks the same rows. Interleaving them
	// keeps the ratio fair on a busy machine.
	from, to := k1, k2
	var rotate, scan time.Duration
	for b.Loop() {
		t0 := time.Now()
		res, err := masterkey.Rotate(b.Context(), masterkey.RotateParams{Store: st, Old: from, New: to})
		if err != nil || res.Resealed < 10_000 {
			b.Fatalf("%+v %v", res, err)
		}
		t1 := time.Now()
		res, err = masterkey.Rotate(b.Context(), masterkey.RotateParams{Store: st, Old: from, New: to})
		if err != nil || res.Resealed != 0 {
			b.Fatalf("baseline: %+v %v", res, err)
		}
		rotate += t1.Sub(t0)
		scan += time.Since(t1)
		from, to = to, from
	}
	b.ReportMetric(float64(rotate.Milliseconds())/float64(b.N), "rotate-ms/op")
	b.ReportMetric(float64(scan.Milliseconds())/float64(b.N), "scan-ms/op")
	b.ReportMetric(float64(rotate)/float64(scan), "rotate/scan")
}
