// Package lndhubtest is a faithful fake of an LNDhub (lndhub.go's API;
// neither it nor BlueWallet's LndHub can be had on this machine), backed by
// a real node: each invoice is made on the regtest merchant lnd and reported
// from lnd's own state, so paying it is a real Lightning payment.
//
// Modelled (reference §7, §12, lndhub.go's controllers): POST /auth with
// type=auth (login, password) or type=refresh_token; bearer tokens, a bad
// one answered {"error":true,"code":1,"message":"bad auth"} with HTTP 200
// as the classic hub does; POST /addinvoice {"amt","memo"} with r_hash as a
// Node Buffer's JSON; GET /checkpayment/{hash} → {"paid"}, another
// account's or an unknown invoice 400 {"error":true,"code":8}; and
// lndhub.go's GET /v2/invoices/{hash} with the preimage. Classic makes it a
// BlueWallet LndHub, without /v2.
package lndhubtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// Server is one hub with one account.
type Server struct {
	Login, Password string
	Backend         Backend
	srv             *httptest.Server

	mu      sync.Mutex
	access  map[string]bool
	refresh map[string]bool
	mine    map[string]bool
	classic bool
	// Auths counts successful logins and refreshes.
	Auths atomic.Int64
}

// Start serves a fake hub on a loopback port until the test ends.
func Start(t interface{ Cleanup(func()) }, b Backend) *Server {
	s := &Server{Login: randomHex(10), Password: randomHex(10), Backend: b,
		access: map[string]bool{}, refresh: map[string]bool{}, mine: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth", s.auth)
	mux.HandleFunc("POST /addinvoice", s.authed(s.addInvoice))
	mux.HandleFunc("GET /checkpayment/{hash}", s.authed(s.checkPayment))
	mux.HandleFunc("GET /v2/invoices/{hash}", s.authed(s.v2Invoice))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URI is the account's lndhub:// connection string.
func (s *Server) URI() string { return "lndhub://" + s.Login + ":" + s.Password + "@" + s.srv.URL }

// URL is the hub's base URL.
func (s *Server) URL() string { return s.srv.URL }

// ExpireTokens forgets every access token (the hub restarted, or they
// timed out); refresh tokens stay good.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]bool{}
}

// SetClassic makes the hub a BlueWallet LndHub: no /v2 API.
func (s *Server) SetClassic(classic bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.classic = classic
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func hubError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error": true, "code": code, "message": msg})
}

func (s *Server) auth(w http.ResponseWriter, r *http.Request) {
	var in struct{ Login, Password, RefreshToken string }
	var raw map[string]string
	if json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&raw) != nil {
		hubError(w, http.StatusOK, 8, "Bad arguments")
		return
	}
	in.Login, in.Password, in.RefreshToken = raw["login"], raw["password"], raw["refresh_token"]
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := false
	switch r.URL.Query().Get("type") {
	case "auth":
		ok = in.Login == s.Login && in.Password == s.Password
	case "refresh_token":
		ok = s.refresh[in.RefreshToken]
	}
	if !ok {
		hubError(w, http.StatusOK, 1, "bad auth")
		return
	}
	access, refresh := randomHex(20), randomHex(20)
	s.access[access], s.refresh[refresh] = true, true
	s.Auths.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"access_token": access, "refresh_token": refresh})
}

func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		ok := s.access[token]
		s.mu.Unlock()
		if !ok {
			hubError(w, http.StatusOK, 1, "bad auth")
			return
		}
		next(w, r)
	}
}

func (s *Server) addInvoice(w http.ResponseWriter, r *http.Request) {
	var raw map[string]any
	if json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&raw) != nil {
		hubError(w, http.StatusBadRequest, 8, "Bad arguments")
		return
	}
	var amt int64
	switch v := raw["amt"].(type) { // the classic clients send a string
	case string:
		amt, _ = strconv.ParseInt(v, 10, 64)
	case float64:
		amt = int64(v)
	}
	memo, _ := raw["memo"].(string)
	if amt <= 0 {
		hubError(w, http.StatusBadRequest, 8, "Bad arguments")
		return
	}
	inv, err := s.Backend.AddInvoice(r.Context(), amt*1000, memo, nil, 24*time.Hour)
	if err != nil {
		hubError(w, http.StatusOK, 7, "Internal LND error")
		return
	}
	s.mu.Lock()
	s.mine[inv.PaymentHash] = true
	s.mu.Unlock()
	hash, _ := hex.DecodeString(inv.PaymentHash)
	data := make([]int, len(hash))
	for i, b := range hash {
		data[i] = int(b)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"r_hash":          map[string]any{"type": "Buffer", "data": data},
		"payment_request": inv.PaymentRequest, "pay_req": inv.PaymentRequest, "add_index": "1",
	})
}

// invoice reads one of the account's invoices; ok false answers 400.
func (s *Server) invoice(w http.ResponseWriter, r *http.Request) (regtest.Invoice, bool) {
	hash := r.PathValue("hash")
	s.mu.Lock()
	mine := s.mine[hash]
	s.mu.Unlock()
	if !mine {
		hubError(w, http.StatusBadRequest, 8, "Bad arguments")
		return regtest.Invoice{}, false
	}
	inv, err := s.Backend.LookupInvoice(r.Context(), hash)
	if err != nil {
		hubError(w, http.StatusInternalServerError, 6, "Something went wrong. Please try again later")
		return regtest.Invoice{}, false
	}
	return inv, true
}

func (s *Server) checkPayment(w http.ResponseWriter, r *http.Request) {
	if inv, ok := s.invoice(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]bool{"paid": inv.State == "SETTLED"})
	}
}

func (s *Server) v2Invoice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	classic := s.classic
	s.mu.Unlock()
	if classic {
		http.NotFound(w, r)
		return
	}
	inv, ok := s.invoice(w, r)
	if !ok {
		return
	}
	status := map[string]string{"SETTLED": "settled", "CANCELED": "error"}[inv.State]
	if status == "" {
		status = "open"
	}
	out := map[string]any{
		"payment_hash": inv.PaymentHash, "payment_request": inv.PaymentRequest, "description": inv.Memo,
		"amount": inv.ValueMsat / 1000, "fee": 0, "status": status, "type": "incoming",
		"settled_at": inv.SettledAt.Format(time.RFC3339), "expires_at": inv.CreatedAt.Add(inv.Expiry).Format(time.RFC3339),
		"is_paid": inv.State == "SETTLED", "keysend": false,
	}
	if inv.State == "SETTLED" {
		out["payment_preimage"] = inv.Preimage
		out["amount"] = inv.AmtPaidMsat / 1000
	}
	writeJSON(w, http.StatusOK, out)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
