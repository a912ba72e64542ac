// Package phoenixdfake is a faithful fake of phoenixd's HTTP API for tests,
// backed by a real lnd node (the regtest merchant, through lndsource):
// invoices are real, paid by a real customer node, and the fake reports
// lnd's state as phoenixd's IncomingPayment.
//
// It models what breaks naive clients (shared/reference/lightning-backends.md
// §6, §12, and phoenixd's Api.kt): HTTP Basic auth checking only the
// password (any user name), with two passwords — the full-access one and the
// limited-access one, which gets 401 on the endpoints that pay; POST bodies
// form-encoded; amounts in whole satoshis; descriptions of at most 128
// characters; 404 "Not found" for an unknown payment but "Unknown endpoint
// (check api doc)" for an unknown path; an IncomingPayment whose preimage is
// there before it is paid; and a websocket (/websocket, Basic auth or the
// password as the subprotocol) streaming {"type":"payment_received",…} for
// each payment, never replayed. Test hooks: Broadcast (forge a message),
// DropStreams, Stop and Start, SetLie.
package phoenixdfake

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/coder/websocket"

	"github.com/satsrail/satsrail/internal/wallet/lndsource"
)

// Fake is a running fake phoenixd.
type Fake struct {
	// URL is http://127.0.0.1:port.
	URL string
	// FullPassword is http-password; LimitedPassword is
	// http-password-limited-access.
	FullPassword, LimitedPassword string
	// Chain is what getinfo says: "regtest" unless changed.
	Chain string

	lnd    *lndsource.Source
	addr   string
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	srv    *httptest.Server
	ids    map[string]string // payment hash → externalId ("" if none), for invoices made here
	lie    lndsource.Lie
	socks  map[*websocket.Conn]bool
	calls  map[string]int // by path
	joined chan struct{}  // a value each time a websocket client is subscribed
}

// New starts a fake phoenixd whose node is the lnd of src, streaming its
// payments to websocket clients.
func New(src *lndsource.Source) (*Fake, error) {
	ctx, stop := context.WithCancel(context.Background())
	f := &Fake{FullPassword: "full-" + randomHex(), LimitedPassword: "limited-" + randomHex(), Chain: "regtest",
		lnd: src, stop: stop, ids: map[string]string{}, socks: map[*websocket.Conn]bool{}, calls: map[string]int{},
		joined: make(chan struct{}, 100)}
	all, err := src.List(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	var from uint64
	for _, inv := range all {
		from = max(from, inv.SettleIndex)
	}
	if err := f.Start(); err != nil {
		stop()
		return nil, err
	}
	f.wg.Go(func() { f.watch(ctx, from) })
	return f, nil
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// watch streams lnd's settlements of this fake's invoices to the websocket
// clients, as phoenixd's eventsFlow does.
func (f *Fake) watch(ctx context.Context, from uint64) {
	for ctx.Err() == nil {
		_ = f.lnd.Subscribe(ctx, from, func(inv lndsource.Invoice) (bool, error) {
			if inv.State != "SETTLED" || inv.SettleIndex <= from {
				return true, nil
			}
			from = inv.SettleIndex
			f.mu.Lock()
			ext, ours := f.ids[inv.Hash]
			f.mu.Unlock()
			if ours {
				msg := map[string]any{"type": "payment_received", "timestamp": time.Now().UnixMilli(),
					"amountSat": inv.AmtPaidMsat / 1000, "paymentHash": inv.Hash}
				if ext != "" {
					msg["externalId"] = ext
				}
				f.Broadcast(msg)
			}
			return true, nil
		})
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Start serves (again, on the same address after Stop).
func (f *Fake) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		return errors.New("phoenixdfake: already running")
	}
	l, err := net.Listen("tcp", cmp.Or(f.addr, "127.0.0.1:0"))
	if err != nil {
		return err
	}
	srv := httptest.NewUnstartedServer(f.routes())
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what the pinning tests expect
	srv.Start()
	f.srv, f.addr, f.URL = srv, l.Addr().String(), "http://"+l.Addr().String()
	return nil
}

// Stop stops serving, as a node that went down, dropping the websockets.
func (f *Fake) Stop() {
	f.DropStreams()
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

// Close stops the fake for good.
func (f *Fake) Close() {
	f.Stop()
	f.stop()
	f.wg.Wait()
}

// SetLie makes every later invoice lie so (lndsource.Truth: stop lying).
func (f *Fake) SetLie(lie lndsource.Lie) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lie = lie
}

// Calls returns how many requests path had (e.g. "/createinvoice").
func (f *Fake) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// Joined receives a value each time a websocket client is subscribed.
func (f *Fake) Joined() <-chan struct{} { return f.joined }

// Broadcast sends msg to every websocket client, as phoenixd sends its
// events — or as a forger would.
func (f *Fake) Broadcast(msg any) {
	b, _ := json.Marshal(msg)
	f.mu.Lock()
	var socks []*websocket.Conn
	for c := range f.socks {
		socks = append(socks, c)
	}
	f.mu.Unlock()
	for _, c := range socks {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Write(ctx, websocket.MessageText, b)
		cancel()
	}
}

// DropStreams closes every websocket, as a restart or network failure
// would; phoenixd replays nothing when clients come back.
func (f *Fake) DropStreams() {
	f.mu.Lock()
	socks := f.socks
	f.socks = map[*websocket.Conn]bool{}
	f.mu.Unlock()
	for c := range socks {
		c.CloseNow()
	}
}

// access is what a request's password grants.
type access int

const (
	denied access = iota
	limited
	full
)

func (f *Fake) access(r *http.Request) access {
	_, pw, ok := r.BasicAuth() // any user name: phoenixd checks the password only
	if !ok {
		for _, p := range strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",") {
			if p = strings.TrimSpace(p); p == f.FullPassword || p == f.LimitedPassword {
				pw, ok = p, true
			}
		}
	}
	switch {
	case !ok:
		return denied
	case pw == f.FullPassword:
		return full
	case pw == f.LimitedPassword:
		return limited
	}
	return denied
}

func text(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(s))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

const unauthorized = "Invalid authentication (use basic auth with the http password set in phoenix.conf)"

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	auth := func(need access, h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.calls[r.URL.Path]++
			f.mu.Unlock()
			if f.access(r) < need {
				text(w, http.StatusUnauthorized, unauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /getinfo", auth(limited, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"nodeId": "03" + strings.Repeat("cd", 32), "channels": []any{}, "chain": f.Chain,
			"blockHeight": 500, "version": "0.8.0-fake"})
	}))
	mux.HandleFunc("POST /createinvoice", auth(limited, f.createInvoice))
	mux.HandleFunc("GET /payments/incoming/{hash}", auth(limited, f.incoming))
	// The endpoints that spend or sign need the full-access password. The
	// fake checks their parameters, as phoenixd does, and never acts.
	for path, param := range map[string]string{"/payinvoice": "invoice", "/payoffer": "offer", "/paylnaddress": "address",
		"/lnurlpay": "lnurl", "/lnurlauth": "lnurl", "/sendtoaddress": "amountSat", "/bumpfee": "feerateSatByte", "/closechannel": "channelId"} {
		mux.HandleFunc("POST "+path, auth(full, func(w http.ResponseWriter, r *http.Request) {
			if r.ParseForm() != nil || r.PostForm.Get(param) == "" {
				text(w, http.StatusBadRequest, "Request parameter "+param+" is missing")
				return
			}
			text(w, http.StatusBadRequest, "phoenixdfake moves no funds")
		}))
	}
	mux.HandleFunc("GET /websocket", auth(limited, f.websocket))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusNotFound, "Unknown endpoint (check api doc)")
	})
	return mux
}

func (f *Fake) createInvoice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		text(w, http.StatusBadRequest, "invalid form")
		return
	}
	form := r.PostForm
	var amount int64
	if v := form.Get("amountSat"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			text(w, http.StatusBadRequest, "Request parameter amountSat couldn't be parsed/converted to integer")
			return
		}
		amount = n
	}
	desc, hasDesc := form["description"]
	switch {
	case hasDesc == (form.Get("descriptionHash") != ""):
		text(w, http.StatusBadRequest, "Must provide either a description or descriptionHash")
		return
	case hasDesc && len(utf16.Encode([]rune(desc[0]))) > 128:
		text(w, http.StatusBadRequest, "Request parameter description is too long (max 128 characters)")
		return
	case !hasDesc:
		text(w, http.StatusBadRequest, "phoenixdfake: descriptionHash is not modelled")
		return
	}
	expiry := time.Hour // phoenixd's default
	if v := form.Get("expirySeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			text(w, http.StatusBadRequest, "Request parameter expirySeconds couldn't be parsed/converted to integer")
			return
		}
		expiry = time.Duration(n) * time.Second
	}
	f.mu.Lock()
	lie := f.lie
	f.mu.Unlock()
	lied, err := f.lnd.AddLyingInvoice(r.Context(), lie, amount*1000, desc[0], expiry)
	if err != nil {
		text(w, http.StatusInternalServerError, err.Error())
		return
	}
	f.mu.Lock()
	f.ids[lied.Invoice.Hash] = form.Get("externalId")
	f.mu.Unlock()
	writeJSON(w, map[string]any{"amountSat": amount, "paymentHash": lied.Hash, "serialized": lied.PaymentRequest})
}

func (f *Fake) incoming(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if len(hash) != 64 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" {
		text(w, http.StatusBadRequest, "Request parameter paymentHash couldn't be parsed/converted to hex32")
		return
	}
	hash = strings.ToLower(hash)
	f.mu.Lock()
	ext, ours := f.ids[hash]
	f.mu.Unlock()
	if !ours {
		text(w, http.StatusNotFound, "Not found") // phoenixd turns its 204 into this
		return
	}
	inv, err := f.lnd.Lookup(r.Context(), hash)
	if err != nil {
		text(w, http.StatusInternalServerError, err.Error())
		return
	}
	p := map[string]any{
		"subType": "lightning", "paymentHash": inv.Hash, "preimage": inv.Preimage, "description": inv.Memo,
		"invoice": inv.PaymentRequest, "isPaid": inv.State == "SETTLED", "isExpired": time.Now().After(inv.ExpiresAt()),
		"receivedSat": inv.AmtPaidMsat / 1000, "fees": 0, "expiresAt": inv.ExpiresAt().UnixMilli(),
		"createdAt": inv.CreatedAt.UnixMilli(),
	}
	if inv.ValueMsat > 0 {
		p["requestedSat"] = inv.ValueMsat / 1000
	}
	if ext != "" {
		p["externalId"] = ext
	}
	if inv.State == "SETTLED" {
		p["completedAt"] = inv.SettledAt.UnixMilli()
	}
	writeJSON(w, p)
}

func (f *Fake) websocket(w http.ResponseWriter, r *http.Request) {
	var protocols []string
	if _, _, ok := r.BasicAuth(); !ok { // authenticated by the subprotocol: echo it
		protocols = []string{f.LimitedPassword, f.FullPassword}
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protocols})
	if err != nil {
		return
	}
	f.mu.Lock()
	f.socks[c] = true
	f.mu.Unlock()
	select {
	case f.joined <- struct{}{}:
	default:
	}
	// phoenixd reads nothing from clients; reading here answers pings and
	// notices the close.
	for {
		if _, _, err := c.Read(context.Background()); err != nil {
			break
		}
	}
	f.mu.Lock()
	delete(f.socks, c)
	f.mu.Unlock()
	c.CloseNow()
}
