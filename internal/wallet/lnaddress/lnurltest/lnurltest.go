// Package lnurltest is a Lightning Address server of the tests' own: LUD-16's
// well-known endpoint, a LUD-06 callback and a LUD-21 verify URL, serving
// real invoices of a node (the regtest merchant lnd) that commit to
// sha256 of the metadata, and reporting the node's own view of whether they
// were paid. Switches make it misbehave the ways a third-party service could.
package lnurltest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/satsrail/satsrail/internal/regtest"
)

// Backend makes and reads invoices: a *regtest.Node.
type Backend interface {
	AddInvoice(ctx context.Context, valueMsat int64, memo string, descriptionHash []byte, expiry time.Duration) (regtest.Invoice, error)
	LookupInvoice(ctx context.Context, paymentHash string) (regtest.Invoice, error)
}

// Server is one LNURL-pay service with one user.
type Server struct {
	Name    string
	Backend Backend
	srv     *httptest.Server

	mu sync.Mutex
	// NoVerify leaves verify out of callback answers (a pre-LUD-21
	// service); WrongHash commits invoices to another description hash;
	// ExtraMsat adds to the invoice amount; Expiry is the invoices' expiry
	// (default an hour); Down answers every request 503; ForgeSettled
	// reports every invoice settled with a made-up preimage.
	NoVerify, WrongHash, Down, ForgeSettled bool
	ExtraMsat                               int64
	Expiry                                  time.Duration

	// Requests counts the requests served, by path kind.
	WellKnown, Callbacks, Verifies atomic.Int64
}

// Start serves name's address on a loopback port until the test ends.
func Start(t interface{ Cleanup(func()) }, name string, b Backend) *Server {
	s := &Server{Name: name, Backend: b}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/lnurlp/{name}", s.wellKnown)
	mux.HandleFunc("GET /lnurlp/{name}/callback", s.callback)
	mux.HandleFunc("GET /lnurlp/{name}/verify/{hash}", s.verify)
	s.srv = httptest.NewServer(s.guard(mux))
	t.Cleanup(s.srv.Close)
	return s
}

// Set changes the switches under the server's lock.
func (s *Server) Set(fn func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// Reset turns every switch off.
func (s *Server) Reset() {
	s.Set(func(s *Server) {
		s.NoVerify, s.WrongHash, s.Down, s.ForgeSettled, s.ExtraMsat, s.Expiry = false, false, false, false, 0, 0
	})
}

// Address is name@127.0.0.1:port.
func (s *Server) Address() string { return s.Name + "@" + s.srv.Listener.Addr().String() }

// Host is 127.0.0.1:port.
func (s *Server) Host() string { return s.srv.Listener.Addr().String() }

// Metadata is the LUD-06 metadata string the invoices commit to.
func (s *Server) Metadata() string {
	return fmt.Sprintf(`[["text/plain","Payment to %s"],["text/identifier","%s"]]`, s.Name, s.Address())
}

func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.Down
		s.mu.Unlock()
		if down {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		if r.PathValue("name") != "" && r.PathValue("name") != s.Name {
			writeJSON(w, map[string]any{"status": "ERROR", "reason": "no such user"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request) {
	s.WellKnown.Add(1)
	writeJSON(w, map[string]any{
		"tag": "payRequest", "callback": "http://" + s.Host() + "/lnurlp/" + s.Name + "/callback",
		"minSendable": 1000, "maxSendable": 100_000_000_000, "metadata": s.Metadata(), "commentAllowed": 120,
	})
}

func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	s.Callbacks.Add(1)
	amt, err := strconv.ParseInt(r.URL.Query().Get("amount"), 10, 64)
	if err != nil || amt < 1000 || amt > 100_000_000_000 {
		writeJSON(w, map[string]any{"status": "ERROR", "reason": "amount out of range"})
		return
	}
	s.mu.Lock()
	noVerify, wrongHash, extra, expiry := s.NoVerify, s.WrongHash, s.ExtraMsat, s.Expiry
	s.mu.Unlock()
	md := s.Metadata()
	if wrongHash {
		md += " "
	}
	sum := sha256.Sum256([]byte(md))
	if expiry == 0 {
		expiry = time.Hour
	}
	inv, err := s.Backend.AddInvoice(r.Context(), amt+extra, "", sum[:], expiry)
	if err != nil {
		writeJSON(w, map[string]any{"status": "ERROR", "reason": "could not make an invoice"})
		return
	}
	out := map[string]any{"pr": inv.PaymentRequest, "routes": []any{}}
	if !noVerify {
		out["verify"] = "http://" + s.Host() + "/lnurlp/" + s.Name + "/verify/" + inv.PaymentHash
	}
	writeJSON(w, out)
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	s.Verifies.Add(1)
	inv, err := s.Backend.LookupInvoice(r.Context(), r.PathValue("hash"))
	if err == regtest.ErrNoInvoice {
		writeJSON(w, map[string]any{"status": "ERROR", "reason": "Not found"})
		return
	}
	if err != nil {
		http.Error(w, "lookup failed", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	forge := s.ForgeSettled
	s.mu.Unlock()
	out := map[string]any{"status": "OK", "settled": inv.State == "SETTLED", "preimage": nil, "pr": inv.PaymentRequest}
	if inv.State == "SETTLED" {
		out["preimage"] = inv.Preimage
	}
	if forge && inv.State != "SETTLED" {
		out["settled"], out["preimage"] = true, "00"+inv.PaymentHash[2:]
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
