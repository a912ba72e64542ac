package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
)

// pageBackends is the wallet port (gateway.WalletBackends) of the
// dashboard's tests. The wallet pages are about forms, health, permissions
// and the audit log; each real backend is tested against its own server
// (cmd/satsrail, internal/wallet/...), and only serve names them. So this
// port registers one type, "lnbits" (a form of a URL and a key), and opens
// every connection as the built-in test wallet of the merchant the test
// names: ConnectWallet then really tests (a real invoice made and looked
// up), seals and stores it. Any other type is refused as serve refuses a
// type it does not have.
type pageBackends struct {
	tw *testwallet.Wallet

	mu       sync.Mutex
	merchant string // whose test wallet connections open
	down     string // when set, every connected wallet's invoices fail with it
}

func (b *pageBackends) setMerchant(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.merchant = id
}

// setDown makes every connected wallet fail with msg ("" = working).
func (b *pageBackends) setDown(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = msg
}

func (b *pageBackends) Configure(p gateway.WalletParams) ([]byte, error) {
	if p.Type != "lnbits" {
		return nil, &gateway.Error{Code: gateway.CodeValidation, Message: "The wallet connection is not usable: type is not supported.",
			Fields: []gateway.FieldError{{Field: "type", Message: `"` + p.Type + `" is not supported (supported: lnbits)`}}}
	}
	var fields []gateway.FieldError
	if p.URL == "" {
		fields = append(fields, gateway.FieldError{Field: "url", Message: "is required"})
	}
	switch p.APIKey {
	case "":
		fields = append(fields, gateway.FieldError{Field: "api_key", Message: "is required"})
	case "admin":
		fields = append(fields, gateway.FieldError{Field: "api_key", Message: "is an admin key, which can spend: give the Invoice/read key"})
	}
	if fields != nil {
		return nil, &gateway.Error{Code: gateway.CodeValidation, Message: "The wallet connection is not usable.", Fields: fields}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return []byte(b.merchant), nil
}

func (b *pageBackends) Open(typ string, mode gateway.Mode, config []byte) (gateway.Wallet, error) {
	if typ != "lnbits" {
		return nil, errors.New("unknown wallet type " + typ)
	}
	return &downable{Wallet: b.tw.For(string(config)), b: b}, nil
}

// downable is a connected wallet the test can take down.
type downable struct {
	gateway.Wallet
	b *pageBackends
}

func (d *downable) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	d.b.mu.Lock()
	down := d.b.down
	d.b.mu.Unlock()
	if down != "" {
		return gateway.Invoice{}, errors.New(down)
	}
	return d.Wallet.CreateInvoice(ctx, req)
}

// connectWallet connects merchantID's wallet of mode as the API would.
func (e *env) connectWallet(merchantID string, mode gateway.Mode) *gateway.WalletConnection {
	e.t.Helper()
	e.backends.setMerchant(merchantID)
	c, err := e.svc.ConnectWallet(context.Background(), gateway.Scope{MerchantID: merchantID, Mode: mode},
		gateway.WalletParams{Type: "lnbits", URL: "https://lnbits.example", APIKey: "invoice-key"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestWalletPageBuiltinAndLive(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	r := b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Built-in test wallet", "regtest", "Test connection")
	// Every type has its connect link and its how-to; the custodial one
	// is flagged.
	for _, k := range walletKinds {
		if k.Builtin {
			continue
		}
		wantIn(t, "the page", r.body, `href="/dashboard/wallet/connect?type=`+k.Type+`"`)
		if len(k.HowTo) == 0 {
			t.Errorf("%s has no how-to", k.Type)
		}
	}
	wantIn(t, "the page", r.body, "How to get a receive-only credential", "Custodial:", "bakemacaroon invoices:read invoices:write")
	if n := strings.Count(r.body, "Custodial:"); n != 1 {
		t.Errorf("%d custodial warnings, want lndhub's only", n)
	}
	r = b.post("/dashboard/wallet/test", nil).want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Connection test passed", "on regtest")

	// Live mode has no built-in wallet: the page says so, and testing is
	// the domain's clear refusal.
	b.post("/dashboard/switch", url.Values{"mode": {"live"}}).want(t, http.StatusSeeOther)
	r = b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "No wallet is connected for live mode")
	wantNotIn(t, "the page", r.body, "Built-in test wallet</dd>")
	r = b.post("/dashboard/wallet/test", nil).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Connection test failed: No Lightning wallet is connected for live mode")
	b.post("/dashboard/wallet/connect", url.Values{"type": {"test"}}).want(t, http.StatusUnprocessableEntity)
}

func TestWalletConnectTestDisconnect(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := e.merchant("Alpha Shop")
	e.backends.setMerchant(m.ID)
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}

	// A stale session is asked for its password first, and its post
	// connects nothing.
	e.clock.Advance(10 * time.Minute)
	r := b.get("/dashboard/wallet/connect?type=lnbits").want(t, http.StatusSeeOther)
	if !strings.HasPrefix(r.location, "/dashboard/reauth?next=") {
		t.Fatalf("stale connect form: to %q, want the reauth", r.location)
	}
	b.post("/dashboard/wallet/connect", url.Values{"type": {"lnbits"}, "url": {"https://lnbits.example"}, "api_key": {"k"}}).
		want(t, http.StatusSeeOther)
	if _, err := e.svc.GetWalletConnection(ctx, scope); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("a stale session connected a wallet: %v", err)
	}
	b.post("/dashboard/reauth", url.Values{"password": {testPassword}, "next": {"/dashboard/wallet/connect?type=lnbits"}}).
		want(t, http.StatusSeeOther)

	r = b.get("/dashboard/wallet/connect?type=lnbits").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, `id="f-url"`, `id="f-api_key"`, "Invoice/read key", `name="type" value="lnbits"`)
	r = b.get("/dashboard/wallet/connect?type=lndhub").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Custodial:")

	// The domain's field errors, at their fields; a key is never echoed.
	r = b.post("/dashboard/wallet/connect", url.Values{"type": {"lnbits"}, "api_key": {"key-typed-by-ada"}}).
		want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, `aria-invalid="true" aria-describedby="e-url"`, `<p class="fielderror" id="e-url">LNbits URL: is required</p>`)
	wantNotIn(t, "the page", r.body, "key-typed-by-ada")
	r = b.post("/dashboard/wallet/connect", url.Values{"type": {"lnbits"}, "url": {"https://lnbits.example"}, "api_key": {"admin"}}).
		want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, `id="e-api_key">Invoice/read key: is an admin key, which can spend`, `value="https://lnbits.example"`)
	// A type this instance does not have is the domain's 422, shown.
	r = b.post("/dashboard/wallet/connect", url.Values{"type": {"cln"}, "rest_url": {"https://cln.example"}, "rune": {"r"}}).
		want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, `type &#34;cln&#34; is not supported`)
	if _, err := e.svc.GetWalletConnection(ctx, scope); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("a refused form connected a wallet: %v", err)
	}

	// Connected: tested with a real invoice, sealed, audit-logged, and the
	// key never shown again.
	r = b.post("/dashboard/wallet/connect", url.Values{"type": {"lnbits"}, "url": {"https://lnbits.example"}, "api_key": {"invoice-key-of-ada"}}).
		want(t, http.StatusSeeOther)
	if r.location != "/dashboard/wallet?notice=wallet_connected" {
		t.Fatalf("connected: to %q", r.location)
	}
	conn, err := e.svc.GetWalletConnection(ctx, scope)
	must(t, err)
	if conn.Type != "lnbits" || conn.Network != "regtest" || conn.LastInvoiceAt.IsZero() {
		t.Errorf("stored connection: %+v", conn)
	}
	r = b.get("/dashboard/wallet?notice=wallet_connected").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "passed its connection test", "<dd>lnbits</dd>", "<dd>regtest</dd>", "Disconnect…", "<dd>Active</dd>")
	wantNotIn(t, "the page", r.body, "invoice-key-of-ada")
	r = b.get("/dashboard/audit").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, gateway.AuditWalletChanged, "connected lnbits (test mode)")

	// The wallet goes down: "Test connection" says why, and the health
	// shows the error (escaped) until an invoice is made again.
	e.clock.Advance(time.Second) // the error is newer than the connection's invoice
	e.backends.setDown(xss)
	r = b.post("/dashboard/wallet/test", nil).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Connection test failed", "&lt;script&gt;alert(1)&lt;/script&gt;")
	wantNotIn(t, "the page", r.body, "<script>alert(1)")
	r = b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, `<strong class="bad">Failing</strong>`, "&lt;script&gt;alert(1)&lt;/script&gt;")
	e.backends.setDown("")
	r = b.post("/dashboard/wallet/test", nil).want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Connection test passed")

	// Disconnecting asks first; test mode goes back to the built-in wallet.
	r = b.get("/dashboard/wallet/disconnect").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Disconnect the lnbits wallet", "built-in test wallet again")
	b.post("/dashboard/wallet/disconnect", nil).want(t, http.StatusSeeOther)
	if _, err := e.svc.GetWalletConnection(ctx, scope); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("still connected: %v", err)
	}
	r = b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Built-in test wallet")
	r = b.get("/dashboard/audit").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "disconnected lnbits (test mode)")

	// "Use the built-in test wallet" is the same disconnection.
	e.connectWallet(m.ID, gateway.ModeTest)
	b.post("/dashboard/wallet/connect", url.Values{"type": {"test"}}).want(t, http.StatusSeeOther)
	if _, err := e.svc.GetWalletConnection(ctx, scope); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("the built-in wallet did not replace the connection: %v", err)
	}
}

// TestWalletModes: each mode has its own wallet; the page shows the
// viewer's mode only.
func TestWalletModes(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleManager)
	e.connectWallet(m.ID, gateway.ModeLive)
	r := b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Built-in test wallet")
	wantNotIn(t, "the page", r.body, "<dd>lnbits</dd>")
	b.post("/dashboard/switch", url.Values{"mode": {"live"}}).want(t, http.StatusSeeOther)
	r = b.get("/dashboard/wallet").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "<dd>lnbits</dd>", "(live mode)")
	r = b.get("/dashboard/wallet/disconnect").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Live checkouts cannot be created")
}
