package webhook_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

func ExampleSign() {
	body := []byte(`{"id":"evt_1"}`)
	fmt.Println(webhook.Sign("whsec_test", body))
	// Output:
	// sha256=030fa3b2413d1993c551364bd53bb9b3edb5c0c34d55dba6ada6041245632811
}

func ExampleVerify() {
	body := []byte(`{"id":"evt_1"}`)
	header := "sha256=030fa3b2413d1993c551364bd53bb9b3edb5c0c34d55dba6ada6041245632811"

	fmt.Println(webhook.Verify(body, header, "whsec_test"))
	err := webhook.Verify([]byte(`{"id":"evt_2"}`), header, "whsec_test")
	fmt.Println(errors.Is(err, webhook.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
}

// During a rotation the server signs with the new and the old secret, so a
// receiver still holding the old one keeps working until it is updated.
func ExampleSignV2() {
	body := []byte(`{"id":"evt_1"}`)
	t := time.Unix(1700000000, 0)
	header := webhook.SignV2([]string{"whsec_test", "whsec_old"}, t, body)
	fmt.Println(header)

	now := t.Add(30 * time.Second) // the receiver's clock
	fmt.Println(webhook.VerifyV2(body, header, now, webhook.DefaultTolerance, "whsec_old"))
	fmt.Println(webhook.VerifyV2(body, header, now, webhook.DefaultTolerance, "whsec_test"))
	err := webhook.VerifyV2(body, header, t.Add(time.Hour), webhook.DefaultTolerance, "whsec_test")
	fmt.Println(errors.Is(err, webhook.ErrTimestampOutOfRange))
	// Output:
	// t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925,v1=ef1b1b7e4b312671a75ef2a03e10529f7834a6528a49db77ad6568c8c8017843
	// <nil>
	// <nil>
	// true
}

// A merchant's webhook handler: read the raw body (with a limit), verify and
// decode it, act on the event type, answer 200.
func ExampleConstructEvent() {
	secret := "whsec_..." // from the dashboard, e.g. os.Getenv("SATSRAIL_WEBHOOK_SECRET")

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		event, err := webhook.ConstructEvent(body, r.Header, secret)
		if err != nil {
			log.Printf("webhook rejected: %v", err)
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		// Deliveries are at-least-once: skip event.ID if already processed.
		switch event.Type {
		case webhook.EventCheckoutCompleted:
			fmt.Printf("order %s paid: %d sats (%s USD)\n", event.Metadata["order_id"], event.AmountSats, event.AmountUSD)
		case webhook.EventCheckoutExpired, webhook.EventCheckoutCancelled:
			fmt.Printf("order %s not paid: %s\n", event.Metadata["order_id"], event.Status)
		}
		w.WriteHeader(http.StatusOK)
	})

	// What the server sends.
	body := []byte(`{"id":"evt_1","event":"checkout.completed","livemode":false,"checkout_id":"cs_abc123",` +
		`"amount_sats":50000,"amount_usd":"50.00","amount_cents":5000,"currency":"usd",` +
		`"metadata":{"order_id":"ORD-1234"},"timestamp":"2024-01-15T10:02:30Z","status":"completed"}`)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/satsrail", bytes.NewReader(body))
	webhook.SignHeaders(req.Header, []string{secret}, time.Now(), body)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// order ORD-1234 paid: 50000 sats (50.00 USD)
	// 200
}
