package cln_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// BenchmarkCreateInvoice compares the backend's own invoice call (a bare
// POST /v1/invoice to the fake, which makes the invoice on lnd) with
// satsrail's CreateInvoice on top of it (JSON, then decoding the BOLT11,
// checking its signature, hash, amount and network): the difference is
// what satsrail adds. Run by hand:
//
//	go test -run '^$' -bench CreateInvoice -benchtime 200x ./internal/wallet/cln/
func BenchmarkCreateInvoice(b *testing.B) {
	s := newSetup(b)
	c := s.client(b)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.fake.CACertPEM)
	raw := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	b.Run("backend", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			body, _ := json.Marshal(map[string]any{"amount_msat": 42000, "label": fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i),
				"description": "bench", "expiry": 600})
			req, _ := http.NewRequest(http.MethodPost, s.fake.URL+"/v1/invoice", bytes.NewReader(body))
			req.Header.Set("Rune", s.rune)
			resp, err := raw.Do(req)
			if err != nil || resp.StatusCode != http.StatusCreated {
				b.Fatalf("invoice: %v", err)
			}
			io.Copy(io.Discard, resp.Body) // drained, so the connection is reused as the client's is
			resp.Body.Close()
		}
	})
	b.Run("satsrail", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.CreateInvoice(b.Context(), gateway.InvoiceRequest{AmountMsat: 42000, Memo: "bench",
				ExpiresAt: time.Now().Add(10 * time.Minute), SessionID: "cs_bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPayToHint measures the time from the customer's pay call to the
// settlement reaching SubscribeSettled's fn through the waitanyinvoice
// long-poll, as p50-ms and p99-ms. Against the fake this is lnd's invoice
// stream plus one HTTP answer: it says little about a real Core Lightning
// node. Run by hand:
//
//	go test -run '^$' -bench PayToHint -benchtime 100x ./internal/wallet/cln/
func BenchmarkPayToHint(b *testing.B) {
	s := newSetup(b)
	c := s.client(b)
	hints := make(chan string, 16)
	go func() {
		_ = c.SubscribeSettled(b.Context(), s.highestPayIndex(b), nil, func(hash string, _ uint64) error {
			hints <- hash
			return nil
		})
	}()
	var lat []time.Duration
	for b.Loop() {
		inv, err := c.CreateInvoice(b.Context(), gateway.InvoiceRequest{AmountMsat: 1000, Memo: "bench",
			ExpiresAt: time.Now().Add(10 * time.Minute), SessionID: "cs_bench"})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		go func() {
			if err := s.n.Pay(inv.PaymentRequest); err != nil {
				b.Error(err)
			}
		}()
		for h := range hints {
			if h == inv.PaymentHash {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
