package checkout_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/i18n"
)

// BenchmarkPageLocale is the cost of choosing the page's language on each
// load: the same pending page rendered with the locale given (?locale=, an
// exact tag: a map lookup) and chosen from a browser's Accept-Language
// (q-values parsed, matched with x/text), the two requests alternating in
// one loop so that the machine's noise falls on both alike. It reports
// each one's ns per page and their ratio (accept/given). The handler is
// called directly (no network), over the real store (SQLite) and templates.
func BenchmarkPageLocale(b *testing.B) {
	e := setup(b)
	h := checkout.New(checkout.Config{Service: e.svc, RateLimit: 1 << 30})
	s := e.session(gateway.ModeTest, lineItems)
	e.fetch("GET", "/checkout/"+s.ID) // makes the invoice and caches its QR code
	given := httptest.NewRequest("GET", "/checkout/"+s.ID+"?locale=pt-BR", nil)
	accept := httptest.NewRequest("GET", "/checkout/"+s.ID, nil)
	accept.Header.Set("Accept-Language", "pt-PT,pt;q=0.9,en-US;q=0.8,en;q=0.7")
	load := func(r *http.Request) time.Duration {
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		d := time.Since(start)
		if w.Code != http.StatusOK || w.Header().Get("Content-Language") != "pt-BR" {
			b.Fatalf("%d %s", w.Code, w.Header().Get("Content-Language"))
		}
		return d
	}
	var tGiven, tAccept time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 { // alternate which goes first
			tGiven += load(given)
			tAccept += load(accept)
		} else {
			tAccept += load(accept)
			tGiven += load(given)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(tGiven.Nanoseconds())/n, "given-ns/page")
	b.ReportMetric(float64(tAccept.Nanoseconds())/n, "accept-ns/page")
	b.ReportMetric(float64(tAccept)/float64(tGiven), "accept/given")
}

// BenchmarkChooseLocale is the choice alone: an exact tag, and a browser's
// Accept-Language header.
func BenchmarkChooseLocale(b *testing.B) {
	b.Run("given", func(b *testing.B) {
		for b.Loop() {
			if i18n.Choose("pt-BR", "", "") == nil {
				b.Fatal()
			}
		}
	})
	b.Run("accept-language", func(b *testing.B) {
		for b.Loop() {
			if i18n.Choose("", "", "pt-PT,pt;q=0.9,en-US;q=0.8,en;q=0.7").Tag != "pt-BR" {
				b.Fatal()
			}
		}
	})
}

// BenchmarkPageSize reports the pending page's size in each language: its
// HTML, and the HTML gzipped (as a reverse proxy would send it). Run with
// -benchtime=1x; the figures are the same every iteration.
func BenchmarkPageSize(b *testing.B) {
	e := setup(b)
	s := e.session(gateway.ModeTest, lineItems)
	for _, l := range i18n.All() {
		b.Run(l.Tag, func(b *testing.B) {
			var page resp
			for b.Loop() {
				page = e.fetch("GET", "/checkout/"+s.ID+"?locale="+l.Tag)
			}
			var z bytes.Buffer
			gw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
			gw.Write([]byte(page.body))
			gw.Close()
			b.ReportMetric(float64(len(page.body)), "html-bytes")
			b.ReportMetric(float64(z.Len()), "gzip-bytes")
		})
	}
}
