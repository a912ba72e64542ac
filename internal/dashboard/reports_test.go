package dashboard

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// reportXSS is a payload in every field a merchant or customer fills.
const reportXSS = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`

// reportsEnv is a dashboard with a merchant (owner signed in) and another
// merchant, both with sessions and payments in test and live mode.
type reportsEnv struct {
	*env
	owner      *browser
	m, other   *gateway.Merchant
	paid       *gateway.CheckoutSession // a paid session of m's test mode, with reportXSS in it
	otherPaid  *gateway.CheckoutSession // a paid session of the other merchant
	livePaid   *gateway.CheckoutSession // a paid session of m's live mode
	n          int
	pendingOne *gateway.CheckoutSession
}

func setupReports(t *testing.T) *reportsEnv {
	t.Helper()
	e := &reportsEnv{env: setup(t)}
	e.m, e.other = e.merchant("Ada Tea"), e.merchant("Bob Books")
	e.owner, _ = e.user("owner@ada.example", e.m.ID, gateway.RoleOwner)
	now := e.clock.Now()
	test := gateway.Scope{MerchantID: e.m.ID, Mode: gateway.ModeTest}
	e.paid = e.pay(t, test, now.Add(-2*time.Hour), func(s *gateway.CheckoutSession) {
		s.CustomerEmail, s.CustomerName = "ada"+reportXSS+"@example.com", "Ada "+reportXSS
		s.Metadata = map[string]string{"order_id": "A-1" + reportXSS, reportXSS: "value " + reportXSS}
		s.LineItems = []gateway.LineItem{{Name: "Tea " + reportXSS, UnitAmountCents: 2500, Quantity: 2}}
	}, "=HYPERLINK(\"http://evil.example\")")
	e.pay(t, test, now.AddDate(0, 0, -3), nil, "65000.00")
	e.pendingOne = e.session(t, test, now.Add(-time.Minute), nil)
	e.otherPaid = e.pay(t, gateway.Scope{MerchantID: e.other.ID, Mode: gateway.ModeTest}, now.Add(-time.Hour), func(s *gateway.CheckoutSession) {
		s.CustomerEmail, s.Metadata = "ada@example.com", map[string]string{"order_id": "B-1"}
	}, "65000.00")
	e.livePaid = e.pay(t, gateway.Scope{MerchantID: e.m.ID, Mode: gateway.ModeLive}, now.Add(-time.Hour), func(s *gateway.CheckoutSession) {
		s.Metadata = map[string]string{"order_id": "L-1"}
	}, "65000.00")
	return e
}

// session stores a pending session of scope created at created.
func (e *reportsEnv) session(t *testing.T, scope gateway.Scope, created time.Time, edit func(*gateway.CheckoutSession)) *gateway.CheckoutSession {
	t.Helper()
	e.n++
	s := &gateway.CheckoutSession{ID: fmt.Sprintf("cs_dash%03d%s", e.n, strings.ToLower(scope.MerchantID[4:8])), MerchantID: scope.MerchantID,
		Mode: scope.Mode, Status: gateway.StatusPending, AmountCents: 5000, Currency: "usd", CustomerEmail: "buyer@example.com",
		SuccessURL: "https://shop.example/ok", CancelURL: "https://shop.example/cart",
		Metadata: map[string]string{"order_id": fmt.Sprintf("ORD-%d", e.n)}, CreatedAt: created, UpdatedAt: created,
		ExpiresAt: e.clock.Now().Add(time.Hour), PaymentHash: fmt.Sprintf("%064x", e.n), PaymentRequest: "lnbcrt1dashboardtest"}
	if edit != nil {
		edit(s)
	}
	if err := e.store.CreateCheckoutSession(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// pay stores a session of scope paid at paid, as the settlement does.
func (e *reportsEnv) pay(t *testing.T, scope gateway.Scope, paid time.Time, edit func(*gateway.CheckoutSession), rate string) *gateway.CheckoutSession {
	t.Helper()
	s := e.session(t, scope, paid.Add(-time.Minute), edit)
	tx := &gateway.Transaction{ID: "txn_" + s.ID[3:], MerchantID: s.MerchantID, Mode: s.Mode, CheckoutSessionID: s.ID,
		Status: gateway.TxSettled, PaymentHash: s.PaymentHash, Preimage: "00", AmountMsat: 76_924_000, AmountSats: 76924,
		AmountCents: s.AmountCents, Currency: s.Currency, ExchangeRate: rate, SettledAt: paid, CreatedAt: paid}
	out, err := e.store.UpdateCheckoutSession(t.Context(), scope, s.ID, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
		if err := cs.Transition(gateway.StatusCompleted, paid); err != nil {
			return gateway.SessionChange{}, err
		}
		cs.TransactionID = tx.ID
		ev := gateway.Event{ID: "evt_" + s.ID[3:], MerchantID: s.MerchantID, Mode: s.Mode, Type: gateway.EventCheckoutCompleted,
			ObjectID: s.ID, Body: []byte(`{}`), CreatedAt: paid}
		return gateway.SessionChange{Events: []gateway.Event{ev}, Transaction: tx}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantEscaped fails if body holds the payload raw anywhere.
func wantEscaped(t *testing.T, page, body string) {
	t.Helper()
	for _, raw := range []string{"<script>alert", "<img src=x", `"><img`} {
		if strings.Contains(body, raw) {
			t.Errorf("%s renders %q unescaped", page, raw)
		}
	}
}

func wantIn(t *testing.T, page, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", page, w)
		}
	}
}

func wantNotIn(t *testing.T, page, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s shows %q", page, b)
		}
	}
}

// TestOverviewPage: the chart (an image with a title and a table of its
// numbers), each switch, the figures, and no other scope's payments.
func TestOverviewPage(t *testing.T) {
	e := setupReports(t)
	r := e.owner.get("/dashboard").want(t, http.StatusOK)
	wantIn(t, "overview", r.body, `role="img"`, `<title id="revenue-title">Revenue per day (sats)</title>`,
		"<summary>The chart's numbers as a table</summary>", "153,848 sats", "Pending now", "1 sessions",
		"66.7%", "2 completed of 3 sessions created", "test mode uses the built-in test wallet", "No endpoint is failing",
		`href="/dashboard?g=week&amp;unit=sats"`, `href="/dashboard?currency=usd&amp;g=day&amp;unit=fiat"`,
		e.paid.TransactionID)
	wantNotIn(t, "overview", r.body, "Get started", e.otherPaid.TransactionID, e.livePaid.TransactionID, "<script>alert")

	r = e.owner.get("/dashboard?g=month&unit=fiat&currency=usd").want(t, http.StatusOK)
	wantIn(t, "monthly fiat overview", r.body, "Revenue per month (USD)", "$100.00")
	r = e.owner.get("/dashboard?g=week").want(t, http.StatusOK)
	wantIn(t, "weekly overview", r.body, "Week of ")
	for _, bad := range []string{"/dashboard?g=year", "/dashboard?unit=euro"} {
		e.owner.get(bad).want(t, http.StatusUnprocessableEntity)
	}

	// A merchant with nothing yet is told what to do next.
	fresh := e.merchant("New Shop")
	b, _ := e.user("new@shop.example", fresh.ID, gateway.RoleOwner)
	r = b.get("/dashboard").want(t, http.StatusOK)
	wantIn(t, "empty overview", r.body, "Get started", "curl -s "+e.url+"/api/v1/checkout_sessions", "No payments yet.",
		"No payments in this period yet.")
}

// TestSessionsPage: the list, its filters and search, in one scope, with
// every customer value escaped.
func TestSessionsPage(t *testing.T) {
	e := setupReports(t)
	r := e.owner.get("/dashboard/sessions").want(t, http.StatusOK)
	wantIn(t, "sessions", r.body, "3 sessions", e.paid.ID, e.pendingOne.ID, "A-1&lt;script&gt;")
	wantNotIn(t, "sessions", r.body, e.otherPaid.ID, e.livePaid.ID)
	wantEscaped(t, "sessions", r.body)

	for _, tc := range []struct {
		query string
		want  []string
		not   []string
	}{
		{"status=pending", []string{e.pendingOne.ID, "1 session matching"}, []string{e.paid.ID}},
		{"q=" + url.QueryEscape(e.paid.ID), []string{e.paid.ID, "1 session matching"}, []string{e.pendingOne.ID}},
		{"q=" + url.QueryEscape(strings.ToUpper(e.paid.CustomerEmail)), []string{e.paid.ID}, []string{e.pendingOne.ID}},
		{"q=" + url.QueryEscape(e.paid.Metadata["order_id"]), []string{e.paid.ID}, []string{e.pendingOne.ID}},
		{"q=B-1", []string{"0 sessions matching", "No session matches."}, []string{e.otherPaid.ID}},
		{"q=" + e.otherPaid.ID, []string{"No session matches."}, []string{e.otherPaid.ID + "</code></a>"}},
		{"from=" + e.clock.Now().AddDate(0, 0, -1).Format("2006-01-02"), []string{e.paid.ID, e.pendingOne.ID}, nil},
		{"to=" + e.clock.Now().AddDate(0, 0, -1).Format("2006-01-02"), []string{"1 session matching"}, []string{e.paid.ID}},
	} {
		r := e.owner.get("/dashboard/sessions?"+tc.query).want(t, http.StatusOK)
		wantIn(t, tc.query, r.body, tc.want...)
		wantNotIn(t, tc.query, r.body, tc.not...)
		wantEscaped(t, tc.query, r.body)
	}
	for _, bad := range []string{"status=paid", "from=yesterday", "from=2025-03-02&to=2025-03-01"} {
		r := e.owner.get("/dashboard/sessions?"+bad).want(t, http.StatusUnprocessableEntity)
		wantIn(t, bad, r.body, "The filter has invalid fields.")
	}
}

// TestSessionPage: the detail page's timeline and JSON, escaped; another
// merchant's or mode's session is 404.
func TestSessionPage(t *testing.T) {
	e := setupReports(t)
	r := e.owner.get("/dashboard/sessions/"+e.paid.ID).want(t, http.StatusOK)
	wantIn(t, "session", r.body, "Created.", "time unknown</span> —\nLightning invoice made.", "<strong>Paid.</strong>",
		"Event <code>checkout.completed</code>", e.paid.TransactionID, "Ada &lt;script&gt;alert(1)&lt;/script&gt;",
		`&#34;object&#34;: &#34;checkout_session&#34;`, `&#34;order_id&#34;: &#34;A-1\u003cscript\u003ealert(1)`)
	wantEscaped(t, "session", r.body)
	for _, id := range []string{e.otherPaid.ID, e.livePaid.ID, "cs_nope"} {
		e.owner.get("/dashboard/sessions/"+id).want(t, http.StatusNotFound)
	}
}

// TestTransactionsPage: the list and its filters in one scope; the CSV
// export of the same filter, every cell defused; the export's permission.
func TestTransactionsPage(t *testing.T) {
	e := setupReports(t)
	r := e.owner.get("/dashboard/transactions").want(t, http.StatusOK)
	wantIn(t, "transactions", r.body, "2 transactions", e.paid.TransactionID, `href="/dashboard/transactions/export"`)
	wantNotIn(t, "transactions", r.body, e.otherPaid.TransactionID, e.livePaid.TransactionID)
	r = e.owner.get("/dashboard/transactions?q="+e.paid.ID).want(t, http.StatusOK)
	wantIn(t, "one session's transactions", r.body, "1 transaction matching", `href="/dashboard/transactions/export?q=`+e.paid.ID+`"`)
	e.owner.get("/dashboard/transactions?status=refunded").want(t, http.StatusUnprocessableEntity)

	r = e.owner.get("/dashboard/transactions/export").want(t, http.StatusOK)
	if ct, cd := r.header.Get("Content-Type"), r.header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(cd, `attachment; filename="satsrail-transactions-test-`) {
		t.Errorf("export headers %q, %q", ct, cd)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "id" || rows[1][0] != e.paid.TransactionID {
		t.Fatalf("export rows %q, want the header and two rows, newest first", rows)
	}
	if got := rows[1][9]; got != `'=HYPERLINK("http://evil.example")` {
		t.Errorf("exchange_rate cell %q, want it defused with a leading '", got)
	}
	r = e.owner.get("/dashboard/transactions/export?q="+e.paid.ID).want(t, http.StatusOK)
	if n := strings.Count(r.body, "\n"); n != 2 {
		t.Errorf("filtered export has %d lines, want the header and one row:\n%s", n, r.body)
	}
	e.owner.get("/dashboard/transactions/export?from=never").want(t, http.StatusUnprocessableEntity)

	// An accountant may export; a manager reads the list but may not.
	acct, _ := e.user("books@ada.example", e.m.ID, gateway.RoleAccountant)
	acct.get("/dashboard/transactions/export").want(t, http.StatusOK)
	mgr, _ := e.user("shop@ada.example", e.m.ID, gateway.RoleManager)
	r = mgr.get("/dashboard/transactions").want(t, http.StatusOK)
	wantNotIn(t, "a manager's transactions", r.body, "Download CSV")
	mgr.get("/dashboard/transactions/export").want(t, http.StatusForbidden)

	// Signed out: the sign-in page, no data.
	r = e.browser().get("/dashboard/transactions/export")
	if r.status != http.StatusSeeOther || strings.Contains(r.body, e.paid.TransactionID) {
		t.Errorf("signed-out export: %d %q", r.status, r.location)
	}
}
