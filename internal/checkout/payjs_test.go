package checkout_test

import (
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// allow sets the merchant's allowed origins.
func (e *env) allow(origins ...string) {
	e.t.Helper()
	if _, err := e.svc.UpdateMerchantSettings(context.Background(), e.mid, gateway.MerchantSettings{AllowedOrigins: &origins}); err != nil {
		e.t.Fatal(err)
	}
}

// TestHostedPageFraming: the hosted page may be framed only by the
// merchant's allowed origins (CSP frame-ancestors; loopback http only in
// test mode), by no one when it allowed none, and tells only an allowed
// embedding origin what happens (data-parent, which its script posts to).
func TestHostedPageFraming(t *testing.T) {
	e := setup(t)
	test := e.session(gateway.ModeTest)

	r := e.fetch("GET", "/checkout/"+test.ID+"?embed=https://shop.example")
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("no allowed origins: CSP %q, X-Frame-Options %q; want framing refused", csp, r.header.Get("X-Frame-Options"))
	}
	if strings.Contains(r.body, "data-parent") {
		t.Errorf("no allowed origins, yet the page would post to its parent")
	}

	e.allow("https://shop.example", "http://127.0.0.1:3000")
	for _, c := range []struct {
		name, path, frame, parent string
	}{
		{"test mode, embedded by an allowed origin", "/checkout/" + test.ID + "?embed=https://shop.example",
			"frame-ancestors https://shop.example http://127.0.0.1:3000", `data-parent="https://shop.example"`},
		{"test mode, loopback origin", "/checkout/" + test.ID + "?embed=http://127.0.0.1:3000",
			"frame-ancestors https://shop.example http://127.0.0.1:3000", `data-parent="http://127.0.0.1:3000"`},
		{"test mode, a foreign embed origin is not told", "/checkout/" + test.ID + "?embed=https://evil.example",
			"frame-ancestors https://shop.example http://127.0.0.1:3000", ""},
		{"test mode, *", "/checkout/" + test.ID + "?embed=*", "frame-ancestors https://shop.example http://127.0.0.1:3000", ""},
		{"no embed", "/checkout/" + test.ID, "frame-ancestors https://shop.example http://127.0.0.1:3000", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.fetch("GET", c.path)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			csp := r.header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, c.frame) || strings.Contains(csp, "*") {
				t.Errorf("CSP %q, want it to end with %q", csp, c.frame)
			}
			if xfo := r.header.Get("X-Frame-Options"); xfo != "" {
				t.Errorf("X-Frame-Options %q would override frame-ancestors", xfo)
			}
			if c.parent == "" && strings.Contains(r.body, "data-parent") || c.parent != "" && !strings.Contains(r.body, c.parent) {
				t.Errorf("want parent %q in the page:\n%s", c.parent, r.body)
			}
		})
	}

	// The final pages tell the parent too, naming the session.
	if _, err := e.svc.SimulatePaymentFor(context.Background(), test.ID); err != nil {
		t.Fatal(err)
	}
	r = e.fetch("GET", "/checkout/"+test.ID+"?embed=https://shop.example")
	contains(t, r.body, `data-final="completed"`, `data-parent="https://shop.example"`, `target="_top"`)
	cancelled := e.session(gateway.ModeTest)
	if r := e.fetch("POST", "/checkout/"+cancelled.ID+"/cancel", "Origin", e.url); r.status != 303 {
		t.Fatalf("cancel: %d", r.status)
	}
	r = e.fetch("GET", "/checkout/"+cancelled.ID+"?embed=https://shop.example")
	contains(t, r.body, `data-final="cancelled" data-token="`+cancelled.ID+`" data-parent="https://shop.example"`)

	// Other pages beside the hosted one are never framed.
	if r := e.fetch("GET", "/checkout/cs_nope?embed=https://shop.example"); r.header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("not-found page: %v", r.header)
	}
}

// TestHostedPageFramingLive: in live mode a plain-http loopback origin
// neither frames the page nor is told anything.
func TestHostedPageFramingLive(t *testing.T) {
	e := setup(t)
	e.allow("https://shop.example", "http://127.0.0.1:3000")
	m, err := e.store.GetMerchant(context.Background(), e.mid)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.FrameAncestors(gateway.ModeLive); len(got) != 1 || got[0] != "https://shop.example" {
		t.Fatalf("live frame ancestors %q", got)
	}
	// Live mode has no wallet here, so the page is the 503 one: it is
	// framed by the same rule, so the overlay can show it.
	live := e.session(gateway.ModeLive)
	r := e.fetch("GET", "/checkout/"+live.ID+"?embed=http://127.0.0.1:3000")
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors https://shop.example") {
		t.Errorf("live CSP %q", csp)
	}
	if strings.Contains(r.body, "data-parent") {
		t.Errorf("live page would post to a plain-http origin")
	}
}

// TestStatusCORS: pay.js, back on the merchant's page after a redirect,
// may read the session's status from an allowed origin only.
func TestStatusCORS(t *testing.T) {
	e := setup(t)
	e.allow("https://shop.example")
	s := e.session(gateway.ModeTest)
	if r := e.fetch("GET", "/checkout/"+s.ID+"/status", "Origin", "https://shop.example"); r.status != 200 ||
		r.header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("allowed origin: %d %v", r.status, r.header)
	}
	for _, o := range []string{"https://evil.example", "null"} {
		if r := e.fetch("GET", "/checkout/"+s.ID+"/status", "Origin", o); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %s may read the status: %v", o, r.header)
		}
	}
}

// TestPayJSServed: /js/pay.js is the embedded script, loadable by any site,
// gzipped for browsers that take it, revalidated by its ETag.
func TestPayJSServed(t *testing.T) {
	e := setup(t)
	// (Go's client asks for gzip and unpacks it unless told otherwise.)
	r := e.fetch("GET", "/js/pay.js", "Accept-Encoding", "identity")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") ||
		r.header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || r.header.Get("ETag") == "" ||
		r.header.Get("Content-Encoding") != "" ||
		!strings.Contains(r.body, "Pay with Bitcoin ⚡") || !strings.Contains(r.body, "satsrail-pay-btn") {
		t.Fatalf("%d %v %.200s", r.status, r.header, r.body)
	}
	if r := e.fetch("GET", "/js/pay.js", "If-None-Match", r.header.Get("ETag"), "Accept-Encoding", "identity"); r.status != 304 {
		t.Errorf("revalidation: %d, want 304", r.status)
	}
	z := e.fetch("GET", "/js/pay.js", "Accept-Encoding", "br, gzip;q=0.8")
	if z.header.Get("Content-Encoding") != "gzip" || z.header.Get("ETag") == r.header.Get("ETag") || !strings.Contains(z.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip: %v", z.header)
	}
	zr, err := gzip.NewReader(strings.NewReader(z.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || string(plain) != r.body {
		t.Errorf("the gzipped script is not the script (%v)", err)
	}
	t.Logf("pay.js: %d bytes, %d gzipped (as served)", len(r.body), len(z.body))
	if e.fetch("GET", "/js/pay.js", "Accept-Encoding", "gzip;q=0").header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refused it")
	}
}
