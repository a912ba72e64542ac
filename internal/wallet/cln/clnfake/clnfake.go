// Package clnfake is a faithful fake of Core Lightning's clnrest API for
// tests, backed by a real lnd node (the regtest merchant, through
// lndsource): invoices are real, paid by a real customer node, and the fake
// reports lnd's state translated into what Core Lightning would say.
//
// It models what breaks naive clients (shared/reference/lightning-backends.md
// §3, §12, and clnrest's source): every method is POST /v1/<method> with a
// JSON object of named parameters; success is HTTP 201; an RPC error is 500
// with {"code","message"}; an unknown method 404 (-32601); a missing Rune
// header 403 (1501); a rune the node did not issue, or whose restrictions
// refuse the call, 401; amounts are msat numbers; labels are unique (900);
// waitanyinvoice answers the paid invoice with the lowest pay_index above
// lastpay_index (0 replays from the first), waits up to timeout seconds
// (0: not at all) and then fails with 904; getinfo says "bitcoin" for
// mainnet. TLS is clnrest's: its own CA signs a server certificate naming
// only "cln" and "localhost".
//
// lnd's settle_index plays pay_index: both count settled invoices from 1.
// Rune restrictions are evaluated for method and pname* fields; rate, per,
// id and time restrictions always pass.
package clnfake

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/wallet/lndsource"
)

// Fake is a running fake clnrest.
type Fake struct {
	// URL is https://127.0.0.1:port; CACertPEM is the ca.pem to pin.
	URL       string
	CACertPEM []byte
	// Network is what getinfo says: "regtest" unless changed.
	Network string

	lnd  *lndsource.Source
	tls  *tls.Config
	addr string

	mu      sync.Mutex
	srv     *httptest.Server
	runes   map[string][][]string // issued rune → restrictions (alternatives as text)
	nextID  int
	labels  map[string]string // label → payment hash
	byHash  map[string]string // payment hash → label
	lie     lndsource.Lie
	calls   map[string]int
	waiting chan struct{} // a value each time a waitanyinvoice call starts waiting
}

// New starts a fake clnrest whose node is the lnd of src.
func New(src *lndsource.Source) (*Fake, error) {
	caPEM, tlsConfig, err := certificates()
	if err != nil {
		return nil, err
	}
	f := &Fake{CACertPEM: caPEM, Network: "regtest", lnd: src, tls: tlsConfig,
		waiting: make(chan struct{}, 1000), runes: map[string][][]string{}, labels: map[string]string{}, byHash: map[string]string{}, calls: map[string]int{}}
	if err := f.Start(); err != nil {
		return nil, err
	}
	return f, nil
}

// Start serves (again, on the same address after Stop).
func (f *Fake) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		return errors.New("clnfake: already running")
	}
	addr := cmp.Or(f.addr, "127.0.0.1:0")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what the pinning tests expect
	srv.TLS = f.tls
	srv.StartTLS()
	f.srv, f.addr, f.URL = srv, l.Addr().String(), "https://"+l.Addr().String()
	return nil
}

// Stop stops serving, as a node that went down; its data stays.
func (f *Fake) Stop() {
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

// Close stops the fake.
func (f *Fake) Close() { f.Stop() }

// SetLie makes every later invoice lie so (lndsource.Truth: stop lying).
func (f *Fake) SetLie(lie lndsource.Lie) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lie = lie
}

// Calls returns how many times method was called.
func (f *Fake) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Waiting receives a value each time a waitanyinvoice call has found
// nothing paid yet and starts waiting.
func (f *Fake) Waiting() <-chan struct{} { return f.waiting }

// Rune issues a rune with restrictions, as `lightning-cli createrune
// restrictions='[[…],[…]]'` would: each inner list holds alternatives such
// as "method=invoice" (OR), the lists all apply (AND). No restrictions:
// an unrestricted rune.
func (f *Fake) Rune(restrictions ...[]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	text := "=" + strconv.Itoa(id)
	for _, r := range restrictions {
		var alts []string
		for _, a := range r {
			alts = append(alts, escape(a))
		}
		text += "&" + strings.Join(alts, "|")
	}
	hash := make([]byte, 32) // the real one is a SHA-256 midstate keyed by the node's secret
	rand.Read(hash)
	r := base64.URLEncoding.EncodeToString(append(hash, text...))
	f.runes[r] = restrictions
	return r
}

// escape escapes an alternative's value as runes do ('\' before '|', '&', '\').
func escape(alt string) string {
	i := strings.IndexAny(alt, "!=/^$~<>{}#")
	if i < 0 {
		return alt
	}
	r := strings.NewReplacer(`\`, `\\`, `|`, `\|`, `&`, `\&`)
	return alt[:i+1] + r.Replace(alt[i+1:])
}

// rpcError is a JSON-RPC error as clnrest relays it.
type rpcError struct {
	status  int
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok || method == "" || strings.Contains(method, "/") {
		writeJSON(w, http.StatusNotFound, rpcError{Code: -32601, Message: "Path not registered"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, rpcError{Code: -32601, Message: "Wrong http method"})
		return
	}
	var params map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		params = map[string]any{} // clnrest falls back to a form; the fake's callers send JSON
	}
	f.mu.Lock()
	f.calls[method]++
	restrictions, issued := f.runes[r.Header.Get("Rune")]
	f.mu.Unlock()
	switch {
	case r.Header.Get("Rune") == "":
		writeJSON(w, http.StatusForbidden, rpcError{Code: 1501, Message: "Not authorized: Missing rune"})
		return
	case !issued:
		writeJSON(w, http.StatusUnauthorized, rpcError{Code: 1502, Message: "Not authorized: Not derived from master"})
		return
	}
	if why := allowed(restrictions, method, params); why != "" {
		writeJSON(w, http.StatusUnauthorized, rpcError{Code: 1502, Message: "Not permitted: " + why})
		return
	}
	var result any
	var err error
	switch method {
	case "getinfo":
		result = map[string]any{"id": "02" + strings.Repeat("ab", 32), "alias": "clnfake", "network": f.Network,
			"version": "v25.02", "blockheight": 500, "num_peers": 1}
	case "invoice":
		result, err = f.invoice(r.Context(), params)
	case "listinvoices":
		result, err = f.listInvoices(r.Context(), params)
	case "waitanyinvoice":
		result, err = f.waitAnyInvoice(r.Context(), params)
	case "pay", "xpay", "withdraw", "keysend", "fundchannel", "close":
		err = &rpcError{Code: -1, Message: "clnfake: a payment method was called"}
	default:
		writeJSON(w, http.StatusNotFound, rpcError{Code: -32601, Message: fmt.Sprintf("Unknown command '%s'", method)})
		return
	}
	if e := (*rpcError)(nil); errors.As(err, &e) {
		writeJSON(w, http.StatusInternalServerError, e)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, rpcError{Code: -1, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, result)
}

func (e *rpcError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// allowed evaluates a rune's restrictions for a call: every restriction
// needs one passing alternative. It returns why not, or "".
func allowed(restrictions [][]string, method string, params map[string]any) string {
	for _, alts := range restrictions {
		pass := false
		for _, alt := range alts {
			if altPasses(alt, method, params) {
				pass = true
				break
			}
		}
		if !pass {
			return fmt.Sprintf("%s refused by %s", method, strings.Join(alts, " or "))
		}
	}
	return ""
}

func altPasses(alt, method string, params map[string]any) bool {
	i := strings.IndexAny(alt, "!=/^$~<>{}#")
	if i < 0 {
		return false
	}
	field, cond, value := alt[:i], alt[i], alt[i+1:]
	var have string
	var present bool
	switch {
	case field == "method":
		have, present = method, true
	case strings.HasPrefix(field, "pname"):
		var v any
		v, present = params[strings.TrimPrefix(field, "pname")]
		have = fmt.Sprint(v)
	default:
		return true // rate, per, id, time: not modelled
	}
	if cond == '#' {
		return true
	}
	if !present {
		return cond == '!'
	}
	switch cond {
	case '=':
		return have == value
	case '/':
		return have != value
	case '^':
		return strings.HasPrefix(have, value)
	case '$':
		return strings.HasSuffix(have, value)
	case '~':
		return strings.Contains(have, value)
	case '<', '>':
		a, err1 := strconv.ParseInt(have, 10, 64)
		b, err2 := strconv.ParseInt(value, 10, 64)
		return err1 == nil && err2 == nil && (cond == '<' && a < b || cond == '>' && a > b)
	case '{':
		return have < value
	case '}':
		return have > value
	}
	return false
}

func missing(name string) error {
	return &rpcError{Code: -32602, Message: "missing required parameter: " + name}
}

// msatParam reads amount_msat: a number, or a string of digits with
// "msat" ("any" is refused: the gateway never asks for one).
func msatParam(v any) (int64, error) {
	s := strings.TrimSuffix(fmt.Sprint(v), "msat")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, &rpcError{Code: -32602, Message: fmt.Sprintf("amount_msat: should be a millisatoshi amount: invalid token '%v'", v)}
	}
	return n, nil
}

func (f *Fake) invoice(ctx context.Context, p map[string]any) (any, error) {
	for _, name := range []string{"amount_msat", "label", "description"} {
		if p[name] == nil {
			return nil, missing(name)
		}
	}
	amount, err := msatParam(p["amount_msat"])
	if err != nil {
		return nil, err
	}
	label := fmt.Sprint(p["label"])
	expiry := 7 * 24 * time.Hour // Core Lightning's default
	if v, ok := p["expiry"]; ok {
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, &rpcError{Code: -32602, Message: "expiry: should be an unsigned 64 bit integer"}
		}
		expiry = time.Duration(n) * time.Second
	}
	f.mu.Lock()
	_, dup := f.labels[label]
	if !dup {
		f.labels[label] = "" // reserved while lnd makes it
	}
	lie := f.lie
	f.mu.Unlock()
	if dup {
		return nil, &rpcError{Code: 900, Message: fmt.Sprintf("Duplicate label '%s'", label)}
	}
	lied, err := f.lnd.AddLyingInvoice(ctx, lie, amount, fmt.Sprint(p["description"]), expiry)
	if err != nil {
		f.mu.Lock()
		delete(f.labels, label)
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Lock()
	f.labels[label], f.byHash[lied.Invoice.Hash] = lied.Invoice.Hash, label
	f.mu.Unlock()
	secret := make([]byte, 32)
	rand.Read(secret)
	return map[string]any{
		"payment_hash": lied.Hash, "bolt11": lied.PaymentRequest, "expires_at": lied.Invoice.ExpiresAt().Unix(),
		"payment_secret": fmt.Sprintf("%x", secret), "created_index": lied.Invoice.AddIndex,
	}, nil
}

// entry renders an lnd invoice as a listinvoices entry.
func (f *Fake) entry(inv lndsource.Invoice) map[string]any {
	f.mu.Lock()
	label, ok := f.byHash[inv.Hash]
	f.mu.Unlock()
	if !ok {
		label = "lnd-" + strconv.FormatUint(inv.AddIndex, 10) // made on the node by other means
	}
	e := map[string]any{
		"label": label, "bolt11": inv.PaymentRequest, "payment_hash": inv.Hash, "description": inv.Memo,
		"expires_at": inv.ExpiresAt().Unix(), "created_index": inv.AddIndex,
	}
	if inv.ValueMsat > 0 {
		e["amount_msat"] = inv.ValueMsat
	}
	switch {
	case inv.State == "SETTLED":
		e["status"] = "paid"
		e["pay_index"] = inv.SettleIndex
		e["amount_received_msat"] = inv.AmtPaidMsat
		e["paid_at"] = inv.SettledAt.Unix()
		e["payment_preimage"] = inv.Preimage
	case inv.State == "CANCELED" || time.Now().After(inv.ExpiresAt()):
		e["status"] = "expired"
	default:
		e["status"] = "unpaid"
	}
	return e
}

func (f *Fake) listInvoices(ctx context.Context, p map[string]any) (any, error) {
	var hash string
	switch {
	case p["payment_hash"] != nil:
		hash = strings.ToLower(fmt.Sprint(p["payment_hash"]))
	case p["label"] != nil:
		f.mu.Lock()
		hash = f.labels[fmt.Sprint(p["label"])]
		f.mu.Unlock()
		if hash == "" {
			return map[string]any{"invoices": []any{}}, nil
		}
	default:
		all, err := f.lnd.List(ctx)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, inv := range all {
			out = append(out, f.entry(inv))
		}
		return map[string]any{"invoices": out}, nil
	}
	inv, err := f.lnd.Lookup(ctx, hash)
	if errors.Is(err, lndsource.ErrNotFound) {
		return map[string]any{"invoices": []any{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"invoices": []any{f.entry(inv)}}, nil
}

func (f *Fake) waitAnyInvoice(ctx context.Context, p map[string]any) (any, error) {
	var last uint64
	if v := p["lastpay_index"]; v != nil {
		n, err := strconv.ParseUint(fmt.Sprint(v), 10, 64)
		if err != nil {
			return nil, &rpcError{Code: -32602, Message: "lastpay_index: should be an unsigned 64 bit integer"}
		}
		last = n
	}
	var timeout *time.Duration
	if v := p["timeout"]; v != nil {
		n, err := strconv.ParseUint(fmt.Sprint(v), 10, 64)
		if err != nil {
			return nil, &rpcError{Code: -32602, Message: "timeout: should be an unsigned 64 bit integer"}
		}
		d := time.Duration(n) * time.Second
		timeout = &d
	}
	// Already paid after last: the lowest pay_index first.
	all, err := f.lnd.List(ctx)
	if err != nil {
		return nil, err
	}
	var first *lndsource.Invoice
	for i, inv := range all {
		if inv.State == "SETTLED" && inv.SettleIndex > last && (first == nil || inv.SettleIndex < first.SettleIndex) {
			first = &all[i]
		}
	}
	if first != nil {
		return f.entry(*first), nil
	}
	timedOut := &rpcError{Code: 904, Message: "Timed out"}
	if timeout != nil && *timeout == 0 {
		return nil, timedOut
	}
	select {
	case f.waiting <- struct{}{}:
	default:
	}
	wctx := ctx
	if timeout != nil {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	// lnd replays settlements above last, then streams new ones.
	var got *lndsource.Invoice
	err = f.lnd.Subscribe(wctx, last, func(inv lndsource.Invoice) (bool, error) {
		if inv.State == "SETTLED" && inv.SettleIndex > last {
			got = &inv
			return false, nil
		}
		return true, nil
	})
	if got != nil {
		return f.entry(*got), nil
	}
	if ctx.Err() == nil && wctx.Err() != nil {
		return nil, timedOut
	}
	return nil, err
}

// certificates makes clnrest's: a CA, and a server certificate it signs
// for "cln" and "localhost" only (clnrest adds clnrest-host, here none).
func certificates() (caPEM []byte, _ *tls.Config, _ error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cln Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "cln rest server"},
		DNSNames: []string{"cln", "localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}}}, nil
}
