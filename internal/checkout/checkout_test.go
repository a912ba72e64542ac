package checkout_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
)

func TestPendingPage(t *testing.T) {
	e := setup(t)
	name, qty, unit := "Flat white", int64(2), int64(450)
	ship, one, shipCost := "Shipping", int64(1), int64(4100)
	s := e.session(gateway.ModeTest, func(p *gateway.CheckoutSessionParams) {
		p.LineItems = []gateway.LineItemParams{{Name: &name, Quantity: &qty, UnitAmountCents: &unit}, {Name: &ship, Quantity: &one, UnitAmountCents: &shipCost}}
	})
	r := e.fetch("GET", "/checkout/"+s.ID)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	got := e.get(s.ID)
	if got.PaymentRequest == "" || got.AmountSats != 76924 || got.ExchangeRate != "65000.00" || len(got.PaymentHash) != 64 {
		t.Fatalf("invoice not fixed on the session: %+v", got)
	}
	d, err := bolt11.Decode(got.PaymentRequest)
	if err != nil || d.Network != "regtest" || d.AmountMsat != 76924000 || d.PaymentHash != got.PaymentHash || !d.ExpiresAt.Equal(got.ExpiresAt) {
		t.Fatalf("invoice %+v %v", d, err)
	}
	contains(t, r.body, "Alice&#39;s Coffee &amp; Co", "Flat white", "$9.00", "$50.00", "76,924 sats",
		`href="lightning:`+got.PaymentRequest+`"`, "<svg", "Simulate payment", "Test mode", `id="webln-pay" hidden`,
		`data-copy="`+got.PaymentRequest+`"`, `datetime="`+got.ExpiresAt.Format(time.RFC3339)+`"`, "Cancel and return")
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self' https://store.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(r.body, "http://") && !strings.Contains(r.body, `xmlns="http://www.w3.org/2000/svg"`) || strings.Contains(r.body, "<script>") || strings.Contains(r.body, "style=") {
		t.Errorf("page refers to another host or inlines script/style")
	}
	golden(t, "pending.html", r.body)
	// The QR encodes lightning:<BOLT11> in upper case.
	qr := e.fetch("GET", "/checkout/"+s.ID+"/qr")
	if qr.status != 200 || qr.header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(qr.body, "<svg") {
		t.Fatalf("qr: %d %s", qr.status, qr.header)
	}
	// A revisit shows the same invoice.
	e.fetch("GET", "/checkout/"+s.ID)
	if again := e.get(s.ID); again.PaymentRequest != got.PaymentRequest {
		t.Fatal("a second page load made another invoice")
	}
	// Live mode has no wallet: 503 with a retry, nothing stored.
	live := e.session(gateway.ModeLive)
	r = e.fetch("GET", "/checkout/"+live.ID)
	if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Unable to generate invoice") || strings.Contains(r.body, "Test mode") {
		t.Fatalf("live without wallet: %d %s", r.status, r.body)
	}
	golden(t, "unavailable.html", r.body)
	if e.get(live.ID).PaymentRequest != "" {
		t.Fatal("an invoice was stored for a failed page")
	}
}

func TestStatusJSONMakesInvoice(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest)
	r := e.fetch("GET", "/checkout/"+s.ID+"/status")
	var st map[string]any
	json.Unmarshal([]byte(r.body), &st)
	if r.status != 200 || st["status"] != "pending" || !strings.HasPrefix(st["payment_request"].(string), "lnbcrt") || st["amount_sats"] != 76924.0 || st["time_remaining"] != 900.0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.fetch("GET", "/checkout/cs_nope/status"); r.status != 404 {
		t.Fatalf("unknown token: %d", r.status)
	}
	if r := e.fetch("GET", "/checkout/cs_nope"); r.status != 404 || !strings.Contains(r.body, "Checkout not found") {
		t.Fatalf("unknown page: %d", r.status)
	}
}

// TestOneInvoiceUnderConcurrentLoads: 50 page loads and 50 status polls at
// once make exactly one invoice in the wallet.
func TestOneInvoiceUnderConcurrentLoads(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest)
	var wg sync.WaitGroup
	reqs := make([]string, 100)
	for i := range 100 {
		path := "/checkout/" + s.ID
		if i%2 == 1 {
			path += "/status"
		}
		wg.Go(func() {
			r := e.fetch("GET", path)
			if r.status != 200 {
				t.Errorf("%s: %d", path, r.status)
			}
			reqs[i] = reBolt11.FindString(r.body)
		})
	}
	wg.Wait()
	pr := e.get(s.ID).PaymentRequest
	for i, got := range reqs {
		if !strings.EqualFold(got, pr) {
			t.Fatalf("request %d saw invoice %q, session has %q", i, got, pr)
		}
	}
	far := e.clock.Now().Add(time.Hour)
	invs, err := e.store.DueTestInvoices(context.Background(), far, e.clock.Now(), 1000)
	if err != nil || len(invs) != 1 {
		t.Fatalf("the wallet holds %d invoices, want 1 (%v)", len(invs), err)
	}
}

// TestSettlementExactlyOnce: after the customer pays, 50 concurrent lookups
// and 50 concurrent page loads complete the session once: one transaction,
// one checkout.completed event.
func TestSettlementExactlyOnce(t *testing.T) {
	e := setup(t)
	s, err := e.svc.EnsureInvoice(context.Background(), e.session(gateway.ModeTest).ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.wallet.Pay(context.Background(), s.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if i%2 == 0 {
				if _, err := e.svc.SettleByHash(context.Background(), s.PaymentHash); err != nil {
					t.Error(err)
				}
				return
			}
			if r := e.fetch("GET", "/checkout/"+s.ID); r.status != 200 {
				t.Errorf("page: %d", r.status)
			}
		})
	}
	wg.Wait()
	// The lookups settle; the page shows Paid once it sees it.
	done := e.get(s.ID)
	if done.Status != gateway.StatusCompleted || done.TransactionID == "" {
		t.Fatalf("session %s", done.Status)
	}
	checkSettled(t, e, done)
	r := e.fetch("GET", "/checkout/"+s.ID)
	contains(t, r.body, "Paid ✓", "https://store.com/success?checkout_id="+s.ID+"&amp;order=42")
	if strings.Contains(r.body, "lnbcrt") {
		t.Error("a paid page still shows an invoice")
	}
	golden(t, "paid.html", r.body)
}

// checkSettled asserts one transaction and one checkout.completed event with
// the seed's webhook fields.
func checkSettled(t *testing.T, e *env, s *gateway.CheckoutSession) {
	t.Helper()
	l, err := e.store.ListTransactions(context.Background(), s.Scope(), gateway.TransactionFilter{PaymentHash: s.PaymentHash, Page: gateway.Page{PerPage: 10}})
	if err != nil || len(l.Items) != 1 {
		t.Fatalf("%d transactions for the payment (%v)", len(l.Items), err)
	}
	tx := l.Items[0]
	if tx.ID != s.TransactionID || tx.AmountMsat < gateway.MilliSat(s.AmountSats)*1000 || tx.AmountCents != s.AmountCents || len(tx.Preimage) != 64 || tx.ExchangeRate != "65000.00" {
		t.Errorf("transaction %+v", tx)
	}
	var completed []gateway.Event
	for _, ev := range e.events(s.ID) {
		if ev.Type == gateway.EventCheckoutCompleted {
			completed = append(completed, ev)
		}
	}
	if len(completed) != 1 {
		t.Fatalf("%d checkout.completed events, want 1", len(completed))
	}
	var body map[string]any
	json.Unmarshal(completed[0].Body, &body)
	for k, want := range map[string]any{"event": "checkout.completed", "checkout_id": s.ID, "payment_hash": s.PaymentHash,
		"amount_sats": float64(s.AmountSats), "amount_usd": "50.00", "amount_cents": 5000.0, "currency": "usd",
		"preimage": tx.Preimage, "livemode": false, "id": completed[0].ID} {
		if body[k] != want {
			t.Errorf("event %s = %v, want %v", k, body[k], want)
		}
	}
	if md, _ := body["metadata"].(map[string]any); md["order_id"] != "ORD-1234" {
		t.Errorf("event metadata %v", body["metadata"])
	}
}

func TestDuplicateAndLateReports(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	s, _ := e.svc.EnsureInvoice(ctx, e.session(gateway.ModeTest).ID)
	// Expired first, paid afterwards (in flight at expiry): a settled invoice wins.
	e.clock.Advance(16 * time.Minute)
	if n, err := e.svc.ExpireDue(ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if err := e.wallet.For(e.mid).SimulatePayment(ctx, s.PaymentHash); err == nil {
		t.Fatal("the test wallet paid an expired invoice")
	}
	e.clock.Advance(-16 * time.Minute)
	if err := e.wallet.Pay(ctx, s.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(16 * time.Minute)
	for range 3 {
		out, err := e.svc.SettleByHash(ctx, s.PaymentHash)
		if err != nil || out.Status != gateway.StatusCompleted {
			t.Fatalf("late report: %v %v", out, err)
		}
	}
	done := e.get(s.ID)
	checkSettled(t, e, done)
	if evs := e.events(s.ID); len(evs) != 2 || evs[0].Type != gateway.EventCheckoutExpired {
		t.Errorf("events %v", evs)
	}
}

func TestUnderpaymentDoesNotComplete(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	s, _ := e.svc.EnsureInvoice(ctx, e.session(gateway.ModeTest).ID)
	if err := e.wallet.Pay(ctx, s.PaymentRequest, gateway.MilliSat(s.AmountSats)*1000-1); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SettleByHash(ctx, s.PaymentHash)
	if !errors.Is(err, gateway.ErrUnderpaid) {
		t.Fatalf("underpayment: %v", err)
	}
	if got := e.get(s.ID); got.Status != gateway.StatusPending || got.TransactionID != "" || len(e.events(s.ID)) != 0 {
		t.Fatalf("underpaid session moved: %+v", got)
	}
}

func TestReconcileFindsPaymentsWithoutHints(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var paid []string
	for i := range 3 {
		s, _ := e.svc.EnsureInvoice(ctx, e.session(gateway.ModeTest).ID)
		if i < 2 {
			e.wallet.Pay(ctx, s.PaymentRequest, 0)
			paid = append(paid, s.ID)
		}
	}
	n, err := e.svc.Reconcile(ctx)
	if err != nil || n != 2 {
		t.Fatalf("reconcile completed %d (%v), want 2", n, err)
	}
	for _, id := range paid {
		checkSettled(t, e, e.get(id))
	}
	if n, _ := e.svc.Reconcile(ctx); n != 0 {
		t.Fatalf("second sweep completed %d", n)
	}
}

// lyingWallet alters what the test wallet returns.
type lyingWallet struct {
	gateway.Wallet
	lie func(*gateway.Invoice)
	net string
}

func (l lyingWallet) Network() string {
	if l.net != "" {
		return l.net
	}
	return l.Wallet.Network()
}

func (l lyingWallet) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if l.lie != nil {
		req2 := req
		inv, err := l.Wallet.CreateInvoice(ctx, req2)
		l.lie(&inv)
		return inv, err
	}
	return l.Wallet.CreateInvoice(ctx, req)
}

type shiftAmount struct{ gateway.Wallet }

func (w shiftAmount) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	req.AmountMsat -= 1000
	return w.Wallet.CreateInvoice(ctx, req)
}

type shiftExpiry struct{ gateway.Wallet }

func (w shiftExpiry) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	req.ExpiresAt = req.ExpiresAt.Add(time.Hour)
	return w.Wallet.CreateInvoice(ctx, req)
}

// TestLyingWallet: an invoice that is not what was asked is never shown or
// stored; the page says "Unable to generate invoice".
func TestLyingWallet(t *testing.T) {
	cases := map[string]func(gateway.Wallet) gateway.Wallet{
		"amount":  func(w gateway.Wallet) gateway.Wallet { return shiftAmount{w} },
		"expiry":  func(w gateway.Wallet) gateway.Wallet { return shiftExpiry{w} },
		"network": func(w gateway.Wallet) gateway.Wallet { return lyingWallet{Wallet: w, net: "mainnet"} },
		"hash": func(w gateway.Wallet) gateway.Wallet {
			return lyingWallet{Wallet: w, lie: func(i *gateway.Invoice) { i.PaymentHash = strings.Repeat("0", 64) }}
		},
		"garbage": func(w gateway.Wallet) gateway.Wallet {
			return lyingWallet{Wallet: w, lie: func(i *gateway.Invoice) { i.PaymentRequest = "lnbcrt1garbage" }}
		},
		"tampered": func(w gateway.Wallet) gateway.Wallet {
			return lyingWallet{Wallet: w, lie: func(i *gateway.Invoice) {
				b := []byte(i.PaymentRequest)
				b[len(b)-10] ^= 1
				i.PaymentRequest = string(b)
			}}
		},
	}
	for name, wrap := range cases {
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			e.resolver.wrap = wrap
			s := e.session(gateway.ModeTest)
			r := e.fetch("GET", "/checkout/"+s.ID)
			if r.status != 503 || !strings.Contains(r.body, "Unable to generate invoice") || reBolt11.MatchString(r.body) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := e.get(s.ID); got.PaymentRequest != "" || !got.InvoiceClaimedAt.IsZero() {
				t.Fatalf("bad invoice stored or claim kept: %+v", got)
			}
			// An honest wallet afterwards works at once.
			e.resolver.wrap = nil
			if r := e.fetch("GET", "/checkout/"+s.ID); r.status != 200 {
				t.Fatalf("after recovery: %d", r.status)
			}
		})
	}
}

// fixedExpiry is a wallet that chooses its invoices' expiry itself (a
// Lightning Address's service does): shift from the session's, and a
// lookup reference with each invoice.
type fixedExpiry struct {
	gateway.Wallet
	shift time.Duration
}

func (fixedExpiry) InvoiceExpiryFixed() bool { return true }

func (w fixedExpiry) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	req.ExpiresAt = req.ExpiresAt.Add(w.shift)
	inv, err := w.Wallet.CreateInvoice(ctx, req)
	inv.LookupRef = "https://ln.example/verify/" + inv.PaymentHash
	return inv, err
}

// TestFixedExpiryWallet: a wallet that cannot choose the expiry may give a
// later one than the session's, never an earlier one; its lookup reference
// is stored with the session.
func TestFixedExpiryWallet(t *testing.T) {
	e := setup(t)
	e.resolver.wrap = func(w gateway.Wallet) gateway.Wallet { return fixedExpiry{Wallet: w, shift: time.Hour} }
	s := e.session(gateway.ModeTest)
	if r := e.fetch("GET", "/checkout/"+s.ID); r.status != 200 || !reBolt11.MatchString(r.body) {
		t.Fatalf("later expiry: %d %s", r.status, r.body)
	}
	if got := e.get(s.ID); got.InvoiceRef != "https://ln.example/verify/"+got.PaymentHash {
		t.Fatalf("stored invoice ref %q", got.InvoiceRef)
	}
	e.resolver.wrap = func(w gateway.Wallet) gateway.Wallet { return fixedExpiry{Wallet: w, shift: -time.Minute} }
	s = e.session(gateway.ModeTest)
	if r := e.fetch("GET", "/checkout/"+s.ID); r.status != 503 || reBolt11.MatchString(r.body) {
		t.Fatalf("earlier expiry shown: %d", r.status)
	}
}

func TestCancelAndExpiredPages(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest)
	e.fetch("GET", "/checkout/"+s.ID)
	if r := e.fetch("POST", "/checkout/"+s.ID+"/cancel", "Origin", "https://evil.example"); r.status != 403 {
		t.Fatalf("cross-site cancel: %d", r.status)
	}
	r := e.fetch("POST", "/checkout/"+s.ID+"/cancel", "Origin", e.url)
	if r.status != http.StatusSeeOther || r.url != "https://store.com/cart" {
		t.Fatalf("cancel: %d %q", r.status, r.url)
	}
	if got := e.get(s.ID); got.Status != gateway.StatusCancelled {
		t.Fatalf("status %s", got.Status)
	}
	if evs := e.events(s.ID); len(evs) != 1 || evs[0].Type != gateway.EventCheckoutCancelled {
		t.Fatalf("events %v", evs)
	}
	r = e.fetch("GET", "/checkout/"+s.ID)
	contains(t, r.body, "cancelled", `href="https://store.com/cart"`)
	golden(t, "cancelled.html", r.body)

	x := e.session(gateway.ModeTest)
	e.clock.Advance(15 * time.Minute)
	r = e.fetch("GET", "/checkout/"+x.ID)
	if r.status != http.StatusGone {
		t.Fatalf("expired page: %d", r.status)
	}
	contains(t, r.body, "expired", `href="https://store.com/cart"`)
	golden(t, "expired.html", r.body)
	if got := e.get(x.ID); got.Status != gateway.StatusExpired || got.PaymentRequest != "" {
		t.Fatalf("an expired session got an invoice: %+v", got)
	}
}

// TestEventsStream: the page's SSE stream sends the status at once and the
// completion as soon as it happens.
func TestEventsStream(t *testing.T) {
	e := setup(t)
	s, _ := e.svc.EnsureInvoice(context.Background(), e.session(gateway.ModeTest).ID)
	res, err := http.Get(e.url + "/checkout/" + s.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(res.Body)
	next := func() map[string]any {
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var m map[string]any
				json.Unmarshal([]byte(data), &m)
				return m
			}
		}
		t.Fatal("stream ended")
		return nil
	}
	if first := next(); first["status"] != "pending" {
		t.Fatalf("first event %v", first)
	}
	go e.svc.SimulatePaymentFor(context.Background(), s.ID)
	done := next()
	if done["status"] != "completed" || done["redirect_url"] != "https://store.com/success?checkout_id="+s.ID+"&order=42" {
		t.Fatalf("completion event %v", done)
	}
	if lines.Scan() && strings.HasPrefix(lines.Text(), "data: ") {
		t.Fatalf("stream goes on after completion: %s", lines.Text())
	}
}

func TestSimulatePaymentAPI(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest)
	call := func(key, id string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", e.url+"/checkout/"+id+"/simulate_payment", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	other, otherKeys, _ := e.svc.CreateMerchant(context.Background(), gateway.MerchantParams{Name: "Other", Email: "o@example.com"})
	_ = other
	for name, tc := range map[string]struct {
		key  string
		want int
	}{
		"live key":        {e.keys["sk_live"], 403},
		"publishable key": {e.keys["pk_test"], 403},
		"other merchant":  {otherKeys["sk_test"], 404},
		"no key":          {"", 401},
	} {
		if st, body := call(tc.key, s.ID); st != tc.want {
			t.Errorf("%s: %d %v, want %d", name, st, body, tc.want)
		}
	}
	st, body := call(e.keys["sk_test"], s.ID)
	if st != 200 || body["status"] != "completed" || body["transaction_id"] == nil || body["amount_sats"] != 76924.0 {
		t.Fatalf("simulate: %d %v", st, body)
	}
	checkSettled(t, e, e.get(s.ID))
	if st, body := call(e.keys["sk_test"], s.ID); st != 200 || body["status"] != "completed" {
		t.Fatalf("again: %d %v", st, body)
	}
	if r := e.fetch("GET", fmt.Sprintf("/api/v1/transactions?checkout_session_id=%s", s.ID), "Authorization", "Bearer "+e.keys["sk_test"]); !strings.Contains(r.body, s.PaymentHash) {
		t.Fatalf("transactions API does not show the payment: %s", r.body)
	}
}

func TestPageSimulateButton(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest)
	r := e.fetch("POST", "/checkout/"+s.ID+"/simulate")
	if r.status != http.StatusSeeOther || r.url != "/checkout/"+s.ID {
		t.Fatalf("%d %q %s", r.status, r.url, r.body)
	}
	if e.get(s.ID).Status != gateway.StatusCompleted {
		t.Fatal("not completed")
	}
	live := e.session(gateway.ModeLive)
	if r := e.fetch("POST", "/checkout/"+live.ID+"/simulate"); r.status != 403 {
		t.Fatalf("live simulate: %d", r.status)
	}
}
