package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// BenchmarkOverhead measures the SDK's cost per call beside plain net/http
// calling the same gateway handler over loopback in the same run: the
// baseline builds the request by hand, sends the same headers (an
// Idempotency-Key on the POST, so the server does the same work), reads the
// body and decodes it into the same apitype struct. The sdk/net-http metric
// is the ratio of their median times; the difference is the SDK's encoding,
// retry bookkeeping and key generation.
func BenchmarkOverhead(b *testing.B) {
	g := setup(b, gwOptions{rateLimit: 1 << 30})
	body, err := json.Marshal(apitype.CheckoutSessionCreate{CheckoutSession: sessionParams()})
	if err != nil {
		b.Fatal(err)
	}
	for _, tr := range []struct {
		name      string
		transport func() http.RoundTripper
	}{
		{"loopback", func() http.RoundTripper { return http.DefaultTransport.(*http.Transport).Clone() }},
		// In process: the handler answers without a socket, so the SDK's own
		// cost is a larger part of the call.
		{"in-process", func() http.RoundTripper { return handlerTransport{g.handler} }},
	} {
		b.Run(tr.name, func(b *testing.B) { benchPair(b, g, body, tr.transport) })
	}
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// handlerTransport serves requests with a handler, in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func benchPair(b *testing.B, g *gw, body []byte, transport func() http.RoundTripper) {
	ctx := context.Background()
	plain := &http.Client{Transport: transport()}
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
			// A random key like the SDK's: the server's index of keys
			// costs the same for both.
			req.Header.Set("Idempotency-Key", rand.Text())
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
	sdk := client.New(g.url, g.sk(), client.WithHTTPClient(&http.Client{Transport: transport()}))

	// Each iteration makes one plain call and one SDK call, alternately
	// first, so drift (the database growing, other load on the machine)
	// falls on both alike; the metrics are each side's mean and their ratio.
	pair := func(b *testing.B, plainOne, sdkOne func(b *testing.B)) {
		b.ReportAllocs()
		var plainT, sdkT []time.Duration
		i := 0
		for b.Loop() {
			first, second := plainOne, sdkOne
			firstT, secondT := &plainT, &sdkT
			if i%2 == 1 {
				first, second, firstT, secondT = sdkOne, plainOne, &sdkT, &plainT
			}
			t0 := time.Now()
			first(b)
			t1 := time.Now()
			second(b)
			*firstT = append(*firstT, t1.Sub(t0))
			*secondT = append(*secondT, time.Since(t1))
			i++
		}
		// Medians: a shared 2-core machine stalls some calls for
		// milliseconds, which would swamp a mean.
		p, s := median(plainT), median(sdkT)
		b.ReportMetric(float64(p.Nanoseconds()), "net/http-ns/call")
		b.ReportMetric(float64(s.Nanoseconds()), "sdk-ns/call")
		b.ReportMetric(float64(s)/float64(p), "sdk/net-http")
	}
	b.Run("get_merchant", func(b *testing.B) {
		pair(b, func(b *testing.B) {
			var m apitype.Merchant
			plainCall(b, http.MethodGet, "/api/v1/merchant", nil, &m, http.StatusOK)
		}, func(b *testing.B) {
			if _, err := sdk.GetMerchant(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("create_session", func(b *testing.B) {
		p := sessionParams()
		pair(b, func(b *testing.B) {
			var s apitype.CheckoutSession
			plainCall(b, http.MethodPost, "/api/v1/checkout_sessions", body, &s, http.StatusCreated)
		}, func(b *testing.B) {
			if _, err := sdk.CreateCheckoutSession(ctx, p); err != nil {
				b.Fatal(err)
			}
		})
	})
}
