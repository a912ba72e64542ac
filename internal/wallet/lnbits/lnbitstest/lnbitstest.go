// Package lnbitstest is a faithful fake of LNbits's wallet API (LNbits is
// Python from PyPI, which this machine cannot reach), backed by a real node:
// each invoice is made on the regtest merchant lnd and reported in LNbits's
// shapes from lnd's own state, so paying it is a real Lightning payment.
//
// Modelled from LNbits v1.5 (reference §4, §12): the admin and invoice/read
// keys in X-Api-Key; POST /api/v1/payments with out defaulting to true (an
// invoice key asking to pay gets 403); 201 with a Payment whose amount is in
// msat; GET /api/v1/payments/{hash} → {paid, status, preimage, details} or
// 404, and {paid} alone without a key; GET /api/v1/wallet with the id only
// for the admin key; the websocket /api/v1/ws/{invoice key} with
// {"wallet_balance", "payment"} messages; and the unauthenticated broadcast
// endpoints POST /api/v1/ws/{item_id} and GET /api/v1/ws/{item_id}/{data}.
package lnbitstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/satsrail/satsrail/internal/regtest"
)

// Backend makes and reads invoices: a *regtest.Node.
type Backend interface {
	AddInvoice(ctx context.Context, valueMsat int64, memo string, descriptionHash []byte, expiry time.Duration) (regtest.Invoice, error)
	LookupInvoice(ctx context.Context, paymentHash string) (regtest.Invoice, error)
}

// Server is one LNbits server with one wallet.
type Server struct {
	AdminKey, InvoiceKey, WalletID string
	Backend                        Backend
	srv                            *httptest.Server

	mu      sync.Mutex
	mine    map[string]bool // payment hashes of this wallet
	down    bool
	subs    map[string][]chan []byte // websocket channel → subscribers
	settled map[string]bool          // hashes already announced

	// Lookups counts GET /api/v1/payments/{hash}.
	Lookups atomic.Int64
}

// Start serves a fake LNbits on a loopback port until the test ends.
func Start(t interface{ Cleanup(func()) }, b Backend) *Server {
	s := &Server{AdminKey: randomHex(16), InvoiceKey: randomHex(16), WalletID: randomHex(16), Backend: b,
		mine: map[string]bool{}, subs: map[string][]chan []byte{}, settled: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/payments", s.create)
	mux.HandleFunc("GET /api/v1/payments/{hash}", s.lookup)
	mux.HandleFunc("GET /api/v1/wallet", s.wallet)
	mux.HandleFunc("GET /api/v1/ws/{item}", s.ws)
	mux.HandleFunc("POST /api/v1/ws/{item}", s.broadcastPost)
	mux.HandleFunc("GET /api/v1/ws/{item}/{data}", s.broadcastGet)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	go s.watch(ctx)
	t.Cleanup(func() { cancel(); s.srv.CloseClientConnections(); s.srv.Close() })
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// SetDown makes every request fail with 502 (the server up, its funding
// source not) until called with false.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// keyType is "admin", "invoice" or "" for the request's X-Api-Key.
func (s *Server) keyType(r *http.Request) string {
	switch r.Header.Get("X-Api-Key") {
	case s.AdminKey:
		return "admin"
	case s.InvoiceKey:
		return "invoice"
	}
	return ""
}

func detail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"detail": msg})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	kt := s.keyType(r)
	if kt == "" {
		detail(w, http.StatusUnauthorized, "Invalid key or wallet.")
		return
	}
	req := struct {
		Out    *bool   `json:"out"`
		Amount float64 `json:"amount"`
		Unit   string  `json:"unit"`
		Memo   string  `json:"memo"`
		Expiry int64   `json:"expiry"`
	}{}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		detail(w, http.StatusBadRequest, "Invalid JSON.")
		return
	}
	if req.Out == nil || *req.Out { // LNbits's CreatePayment defaults out to true
		if kt != "admin" {
			detail(w, http.StatusForbidden, "Invalid adminkey.")
			return
		}
		detail(w, http.StatusBadRequest, "Paying is not modelled by this fake.")
		return
	}
	if req.Unit != "" && req.Unit != "sat" || req.Amount <= 0 || req.Amount != float64(int64(req.Amount)) {
		detail(w, http.StatusBadRequest, "Amount must be a positive number of sat.")
		return
	}
	expiry := time.Duration(req.Expiry) * time.Second
	if expiry <= 0 {
		expiry = time.Hour
	}
	inv, err := s.Backend.AddInvoice(r.Context(), int64(req.Amount)*1000, req.Memo, nil, expiry)
	if err != nil {
		detail(w, http.StatusInternalServerError, "Failed to create invoice.")
		return
	}
	s.mu.Lock()
	s.mine[inv.PaymentHash] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(s.payment(inv))
}

// payment renders a node invoice as an LNbits Payment.
func (s *Server) payment(inv regtest.Invoice) map[string]any {
	status := map[string]string{"SETTLED": "success", "CANCELED": "failed"}[inv.State]
	if status == "" {
		status = "pending"
	}
	p := map[string]any{
		"checking_id": inv.PaymentHash, "payment_hash": inv.PaymentHash, "wallet_id": s.WalletID,
		"amount": inv.ValueMsat, "fee": 0, "bolt11": inv.PaymentRequest, "payment_request": inv.PaymentRequest,
		"status": status, "memo": inv.Memo, "time": inv.CreatedAt.Format(time.RFC3339),
		"expiry": inv.CreatedAt.Add(inv.Expiry).Format(time.RFC3339), "preimage": nil, "extra": map[string]any{}, "webhook": nil,
	}
	if inv.State == "SETTLED" {
		p["amount"], p["preimage"] = inv.AmtPaidMsat, inv.Preimage
	}
	return p
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	s.Lookups.Add(1)
	hash := r.PathValue("hash")
	s.mu.Lock()
	mine := s.mine[hash]
	s.mu.Unlock()
	if !mine {
		detail(w, http.StatusNotFound, "Payment does not exist.")
		return
	}
	inv, err := s.Backend.LookupInvoice(r.Context(), hash)
	if err != nil {
		detail(w, http.StatusInternalServerError, "Failed to check the payment.")
		return
	}
	paid := inv.State == "SETTLED"
	w.Header().Set("Content-Type", "application/json")
	if s.keyType(r) == "" { // the public form
		json.NewEncoder(w).Encode(map[string]any{"paid": paid})
		return
	}
	p := s.payment(inv)
	json.NewEncoder(w).Encode(map[string]any{"paid": paid, "status": p["status"], "preimage": p["preimage"], "details": p})
}

func (s *Server) wallet(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"name": "Shop", "balance": 0}
	switch s.keyType(r) {
	case "admin":
		out["id"] = s.WalletID
	case "invoice":
	default:
		detail(w, http.StatusUnauthorized, "Invalid key or wallet.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// ws subscribes to a channel: the wallet's (by its invoice or admin key)
// or any other item id; LNbits checks neither.
func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	item := r.PathValue("item")
	if item == s.AdminKey {
		item = s.InvoiceKey // one channel per wallet
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ch := make(chan []byte, 16)
	s.mu.Lock()
	s.subs[item] = append(s.subs[item], ch)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.subs[item] {
			if x == ch {
				s.subs[item] = append(s.subs[item][:i], s.subs[item][i+1:]...)
				break
			}
		}
	}()
	ctx := c.CloseRead(r.Context())
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ch:
			if err := c.Write(ctx, websocket.MessageText, m); err != nil {
				return
			}
		}
	}
}

func (s *Server) send(item string, msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs[item] {
		select {
		case ch <- msg:
		default:
		}
	}
}

// broadcastPost is LNbits's unauthenticated POST /api/v1/ws/{item_id}:
// its body goes out to the channel as it is.
func (s *Server) broadcastPost(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.send(r.PathValue("item"), b)
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"sent":true,"data":` + string(mustJSON(string(b))) + `}`))
}

func (s *Server) broadcastGet(w http.ResponseWriter, r *http.Request) {
	s.send(r.PathValue("item"), []byte(r.PathValue("data")))
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"sent":true}`))
}

// watch announces each settlement of the wallet's invoices on its channel,
// as LNbits does when its funding source reports one.
func (s *Server) watch(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		var open []string
		for h := range s.mine {
			if !s.settled[h] {
				open = append(open, h)
			}
		}
		listening := len(s.subs[s.InvoiceKey]) > 0
		s.mu.Unlock()
		if !listening {
			continue
		}
		for _, h := range open {
			inv, err := s.Backend.LookupInvoice(ctx, h)
			if err != nil || inv.State != "SETTLED" {
				continue
			}
			s.mu.Lock()
			s.settled[h] = true
			s.mu.Unlock()
			s.send(s.InvoiceKey, mustJSON(map[string]any{"wallet_balance": inv.AmtPaidMsat / 1000, "payment": s.payment(inv)}))
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
