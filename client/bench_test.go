package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// BenchmarkOverhead measures the SDK's cost per call beside plain net/http
// calling the same gateway handler over loopback in the same run: the
// baseline builds the request by hand, sends the same headers (an
// Idempotency-Key on the POST, so the server does the same work), reads the
// body and decodes it into the same apitype struct. Compare the ns/op of
// each pair; the difference is the SDK's encoding, retry bookkeeping and
// key generation.
func BenchmarkOverhead(b *testing.B) {
	g := setup(b, gwOptions{rateLimit: 1 << 30})
	ctx := context.Background()
	body, err := json.Marshal(apitype.CheckoutSessionCreate{CheckoutSession: sessionParams()})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	plain := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	plainCall := func(b *testing.B, method, path string, payload []byte, out any, want int) {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, g.url+path, rd)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+g.sk())
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprint("plain-", seq.Add(1)))
		}
		res, err := plain.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != want {
			b.Fatalf("%d %v %s", res.StatusCode, err, data)
		}
		if err := json.Unmarshal(data, out); err != nil {
			b.Fatal(err)
		}
	}
	sdk := client.New(g.url, g.sk(), client.WithHTTPClient(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}))

	b.Run("get_merchant/baseline=net/http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m apitype.Merchant
			plainCall(b, http.MethodGet, "/api/v1/merchant", nil, &m, http.StatusOK)
		}
	})
	b.Run("get_merchant/sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sdk.GetMerchant(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create_session/baseline=net/http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s apitype.CheckoutSession
			plainCall(b, http.MethodPost, "/api/v1/checkout_sessions", body, &s, http.StatusCreated)
		}
	})
	b.Run("create_session/sdk", func(b *testing.B) {
		b.ReportAllocs()
		p := sessionParams()
		for b.Loop() {
			if _, err := sdk.CreateCheckoutSession(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
