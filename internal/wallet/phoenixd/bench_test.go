package phoenixd_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// BenchmarkCreateInvoice compares phoenixd's own invoice call (a bare
// form POST /createinvoice to the fake, which makes the invoice on lnd)
// with satsrail's CreateInvoice on top of it (decoding the BOLT11 and
// checking it): the difference is what satsrail adds. Run by hand:
//
//	go test -run '^$' -bench CreateInvoice -benchtime 200x ./internal/wallet/phoenixd/
func BenchmarkCreateInvoice(b *testing.B) {
	s := newSetup(b)
	c := s.client(b, s.fake.LimitedPassword)
	b.Run("backend", func(b *testing.B) {
		form := url.Values{"amountSat": {"42"}, "description": {"bench"}, "expirySeconds": {"600"}, "externalId": {"cs_bench"}}.Encode()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, s.fake.URL+"/createinvoice", strings.NewReader(form))
			req.SetBasicAuth("", s.fake.LimitedPassword)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("createinvoice: %v", err)
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
// payment_received message reaching SubscribeSettled's fn, as p50-ms and
// p99-ms. Against the fake this is lnd's invoice stream plus one websocket
// message: it says little about a real phoenixd. Run by hand:
//
//	go test -run '^$' -bench PayToHint -benchtime 100x ./internal/wallet/phoenixd/
func BenchmarkPayToHint(b *testing.B) {
	s := newSetup(b)
	c := s.client(b, s.fake.LimitedPassword)
	hints := make(chan string, 16)
	go func() {
		_ = c.SubscribeSettled(b.Context(), 0, nil, func(hash string, _ uint64) error {
			hints <- hash
			return nil
		})
	}()
	<-s.fake.Joined()
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
