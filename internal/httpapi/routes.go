package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// access says which keys may call a route.
type access int

const (
	anyKey    access = iota // publishable or secret key
	secretKey               // secret key only; a publishable key gets 403
)

// route is one row of the API table.
type route struct {
	method, path string
	access       access
	handle       handler
}

// routes is the one table of every merchant API route. Each is served under
// /api/v1 and under /api/v1/m (the path SatsRail's own SDKs use).
func (s *Server) routes() {
	table := []route{
		{"POST", "/checkout_sessions", anyKey, s.createCheckoutSession},
		{"GET", "/checkout_sessions", secretKey, s.listCheckoutSessions},
		{"GET", "/checkout_sessions/{id}", secretKey, s.getCheckoutSession},
		{"POST", "/checkout_sessions/{id}/expire", secretKey, s.expireCheckoutSession},

		{"GET", "/products", secretKey, s.listProducts},
		{"POST", "/products", secretKey, s.createProduct},
		{"GET", "/products/{id}", secretKey, s.getProduct},
		{"PATCH", "/products/{id}", secretKey, s.updateProduct},
		{"DELETE", "/products/{id}", secretKey, s.deleteProduct},

		{"GET", "/transactions", secretKey, s.listTransactions},
		{"GET", "/transactions/{id}", secretKey, s.getTransaction},

		{"GET", "/rates", anyKey, s.getRate},
		{"GET", "/merchant", secretKey, s.getMerchant},
		{"PATCH", "/merchant", secretKey, s.updateMerchant},
		{"PUT", "/merchant/logo", secretKey, s.putLogo},
		{"DELETE", "/merchant/logo", secretKey, s.deleteLogo},

		{"GET", "/webhooks", secretKey, s.listWebhooks},
		{"POST", "/webhooks", secretKey, s.createWebhook},
		{"GET", "/webhooks/{id}", secretKey, s.getWebhook},
		{"PATCH", "/webhooks/{id}", secretKey, s.updateWebhook},
		{"DELETE", "/webhooks/{id}", secretKey, s.deleteWebhook},
		{"POST", "/webhooks/{id}/rotate_secret", secretKey, s.rotateWebhookSecret},
		{"POST", "/webhooks/{id}/test", secretKey, s.testWebhook},
		{"GET", "/webhooks/{id}/deliveries", secretKey, s.listDeliveries},
		{"POST", "/webhook_deliveries/{id}/redeliver", secretKey, s.redeliver},
		{"GET", "/events", secretKey, s.listEvents},
		{"GET", "/events/{id}", secretKey, s.getEvent},

		{"GET", "/wallet", secretKey, s.getWallet},
		{"PUT", "/wallet", secretKey, s.putWallet},
		{"DELETE", "/wallet", secretKey, s.deleteWallet},
		{"POST", "/wallet/test", secretKey, s.testWallet},
		{"GET", "/wallets", secretKey, s.listWallets},
	}
	// Outside /api/v1: the hosted page's test-mode payment, by API key (SPEC §9).
	simulate := route{"POST", "/checkout/{id}/simulate_payment", secretKey, s.simulatePayment}
	s.mux.Handle(simulate.method+" "+simulate.path, s.api(simulate))
	s.patterns = append(s.patterns, simulate.method+" "+simulate.path)
	for _, rt := range table {
		h := s.api(rt)
		for _, base := range []string{"/api/v1", "/api/v1/m"} {
			s.mux.Handle(rt.method+" "+base+rt.path, h)
			s.patterns = append(s.patterns, rt.method+" "+base+rt.path)
		}
	}
	for _, base := range []string{"/api/v1", "/api/v1/m"} {
		s.mux.HandleFunc("OPTIONS "+base+"/checkout_sessions", s.preflight)
	}
	s.mux.Handle("GET /api/v1/openapi.json", s.public(s.openAPI))
	s.patterns = append(s.patterns, "GET /api/v1/openapi.json")
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
}

// Patterns lists every "METHOD /path" the API serves, for the OpenAPI check.
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }

// returnsSecret marks the routes whose answer carries a webhook signing
// secret: their idempotent replies are stored sealed.
func (rt route) returnsSecret() bool {
	return rt.method == "POST" && (rt.path == "/webhooks" || rt.path == "/webhooks/{id}/rotate_secret")
}

// bodyLimit is the most the route reads of a request body: a logo is an
// image of up to gateway.MaxLogoBytes, every other body JSON of up to def.
func (rt route) bodyLimit(def int64) int64 {
	if rt.path == "/merchant/logo" {
		return gateway.MaxLogoBytes
	}
	return def
}

// storesWithObject marks the routes whose Idempotency-Key record the store
// writes, finished, in the transaction that creates the object (see
// renderCreated): their whole effect is that one transaction, so they need
// no in-progress record first.
func (rt route) storesWithObject() bool {
	return rt.method == "POST" && rt.path == "/checkout_sessions"
}

// readyz answers 200 when every dependency is ready (database reachable and
// migrated, a fresh price, wallet streams held) and 503 naming the ones that
// are not. It never shows a secret: checks report their own short errors.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ready := true
	if s.readiness != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		for name, err := range s.readiness(ctx) {
			checks[name] = "ok"
			if err != nil {
				checks[name], ready = err.Error(), false
			}
		}
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not_ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}
