package webhook_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

// benchBody is a checkout.completed body of about 1 KiB: the server's fields
// with real-sized ids and hashes, and merchant metadata filling the rest.
func benchBody(b *testing.B) []byte {
	b.Helper()
	meta := map[string]string{"order_id": "ORD-2026-000123", "customer": "cus_4f9K2mQx7"}
	for i := range 8 {
		meta[fmt.Sprintf("line_%d", i)] = strings.Repeat("x", 60)
	}
	body, err := json.Marshal(map[string]any{
		"id": "evt_3kT9xQ7wY2mN4pR8sV1bZ6cD", "event": webhook.EventCheckoutCompleted, "livemode": false,
		"checkout_id": "cs_Ab3dEf6hIj9kLm2nOp5qRs8t", "payment_hash": strings.Repeat("5f1c2a9b", 8),
		"preimage": strings.Repeat("9d8e7f01", 8), "amount_sats": 4292, "amount_msat": 4292000,
		"amount_usd": "27.47", "amount_cents": 2747, "currency": "usd", "metadata": meta,
		"timestamp": "2026-01-15T10:02:30Z", "status": "completed", "transaction_id": "txn_Zy8xWv7uTs6rQp5oNm4lKj3i",
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(body) < 900 || len(body) > 1200 {
		b.Fatalf("body is %d bytes, want about 1 KiB", len(body))
	}
	return body
}

const (
	benchSecret    = "whsec_Qm3kT9xQ7wY2mN4pR8sV1bZ6cDfG"
	benchOldSecret = "whsec_Old0kT9xQ7wY2mN4pR8sV1bZ6cD"
)

func BenchmarkSign(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var sig string
	for b.Loop() {
		sig = webhook.Sign(benchSecret, body)
	}
	if err := webhook.Verify(body, sig, benchSecret); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSignHeaders is what every delivery attempt does: both schemes,
// with two secrets as during a rotation.
func BenchmarkSignHeaders(b *testing.B) {
	body := benchBody(b)
	t := time.Unix(1768471350, 0)
	secrets := []string{benchSecret, benchOldSecret}
	h := http.Header{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		webhook.SignHeaders(h, secrets, t, body)
	}
	if err := webhook.VerifyV2(body, h.Get(webhook.HeaderSignatureV2), t, 0, benchOldSecret); err != nil {
		b.Fatal(err)
	}
	if h.Get(webhook.HeaderTimestamp) != "1768471350" {
		b.Fatalf("headers %v", h)
	}
}

func BenchmarkVerifyV2(b *testing.B) {
	body := benchBody(b)
	t := time.Unix(1768471350, 0)
	hdr := webhook.SignV2([]string{benchSecret, benchOldSecret}, t, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var err error
	for b.Loop() {
		err = webhook.VerifyV2(body, hdr, t.Add(time.Minute), 0, benchSecret)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConstructEvent is a merchant's receiver: verify the V2 header
// against the clock, then decode the body.
func BenchmarkConstructEvent(b *testing.B) {
	body := benchBody(b)
	h := http.Header{}
	// Signed now: ConstructEvent checks against time.Now with the default
	// tolerance, far longer than any run.
	webhook.SignHeaders(h, []string{benchSecret}, time.Now(), body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var e webhook.Event
	var err error
	for b.Loop() {
		e, err = webhook.ConstructEvent(body, h, benchSecret)
	}
	if err != nil {
		b.Fatal(err)
	}
	if e.Type != webhook.EventCheckoutCompleted || e.AmountMsat != 4292000 || len(e.Metadata) != 10 || len(e.Raw) != len(body) {
		b.Fatalf("ConstructEvent = %+v", e)
	}
}
