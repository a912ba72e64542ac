package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/webhook"
)

// startExampleGateway runs a real gateway on SQLite in a temp dir, priced at
// a fixed 65,000 USD per BTC, and returns its URL, a test secret key and a
// stop function. In a merchant's code the URL is their gateway's (e.g.
// https://pay.example.com) and the key comes from the dashboard.
func startExampleGateway() (baseURL, secretKey string, stop func()) {
	dir, err := os.MkdirTemp("", "satsrail-example")
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "satsrail.db")})
	if err != nil {
		log.Fatal(err)
	}
	g, h, err := newGateway(st, gwOptions{})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	return srv.URL, g.sk(), func() {
		g.stop()
		srv.Close()
		st.Close()
		os.RemoveAll(dir)
	}
}

// The seed's first step: the merchant's backend creates a checkout session
// when the customer clicks "Checkout with Bitcoin", and redirects the
// customer to the hosted page.
func ExampleClient_CreateCheckoutSession() {
	baseURL, secretKey, stop := startExampleGateway()
	defer stop()
	sr := client.New(baseURL, secretKey)

	checkout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := sr.CreateCheckoutSession(r.Context(), &apitype.CheckoutSessionParams{
			AmountCents:   client.Int64(5000), // the cart's total, computed on the server
			Currency:      client.String("usd"),
			CustomerEmail: client.String("buyer@example.com"),
			SuccessURL:    client.String("https://store.example/success"),
			CancelURL:     client.String("https://store.example/cart"),
			Metadata:      map[string]any{"order_id": "ORD-1234"},
		}, client.WithIdempotencyKey("order-ORD-1234")) // one session per order, however often this runs
		if err != nil {
			http.Error(w, "checkout is unavailable, try again", http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, sess.CheckoutURL, http.StatusSeeOther)
	})

	rec := httptest.NewRecorder()
	checkout.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout", nil))
	fmt.Println(rec.Code)
	fmt.Println(strings.HasPrefix(rec.Header().Get("Location"), "https://pay.example.com/checkout/cs_"))
	// Output:
	// 303
	// true
}

// The success page: the hosted page sends the customer back with
// ?checkout_id=cs_...; the merchant verifies the session on the server
// before saying "paid", so a forged or unpaid checkout_id is never taken
// for a payment.
func ExampleClient_GetCheckoutSession() {
	baseURL, secretKey, stop := startExampleGateway()
	defer stop()
	sr := client.New(baseURL, secretKey)
	ctx := context.Background()

	success := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := sr.GetCheckoutSession(r.Context(), r.URL.Query().Get("checkout_id"))
		var apiErr *client.Error
		switch {
		case errors.As(err, &apiErr) && apiErr.StatusCode < 500:
			fmt.Fprintln(w, "not paid yet") // unknown, expired or not ours
		case err != nil:
			http.Error(w, "could not verify the payment, reload in a moment", http.StatusBadGateway)
		case sess.Status == "completed":
			fmt.Fprintf(w, "paid: order %s\n", sess.Metadata["order_id"])
		default:
			fmt.Fprintln(w, "not paid yet")
		}
	})
	visit := func(checkoutID string) {
		rec := httptest.NewRecorder()
		success.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/success?checkout_id="+checkoutID, nil))
		fmt.Print(rec.Body.String())
	}

	sess, err := sr.CreateCheckoutSession(ctx, &apitype.CheckoutSessionParams{
		AmountCents: client.Int64(5000),
		SuccessURL:  client.String("https://store.example/success"),
		CancelURL:   client.String("https://store.example/cart"),
		Metadata:    map[string]any{"order_id": "ORD-1234"},
	})
	if err != nil {
		log.Fatal(err)
	}
	visit(sess.ID)            // before paying
	visit("cs_forged0000000") // a checkout_id made up by the visitor
	// The customer pays; in test mode the test wallet can pay for them.
	if _, err := sr.SimulatePayment(ctx, sess.ID); err != nil {
		log.Fatal(err)
	}
	visit(sess.ID)
	// Output:
	// not paid yet
	// not paid yet
	// paid: order ORD-1234
}

// The webhook handler: the gateway POSTs checkout.completed to the
// merchant's endpoint, signed with the endpoint's secret; the handler
// verifies it with package webhook, skips events it has already handled
// and marks the order paid.
func ExampleClient_CreateWebhook() {
	baseURL, secretKey, stop := startExampleGateway()
	defer stop()
	sr := client.New(baseURL, secretKey)
	ctx := context.Background()

	var (
		mu     sync.Mutex
		secret string // from the dashboard, e.g. os.Getenv("SATSRAIL_WEBHOOK_SECRET")
		seen   = map[string]bool{}
		paid   = make(chan string, 1)
	)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		event, err := webhook.ConstructEvent(body, r.Header, secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		if seen[event.ID] { // deliveries are at-least-once
			return
		}
		seen[event.ID] = true
		if event.Type == webhook.EventCheckoutCompleted {
			paid <- fmt.Sprintf("order %s paid: %d sats for %s %s", event.Metadata["order_id"], event.AmountSats, event.AmountUSD, event.Currency)
		}
	})
	merchant := httptest.NewServer(handler)
	defer merchant.Close()

	// Once, at set-up: register the endpoint and keep its secret.
	mu.Lock()
	endpoint, err := sr.CreateWebhook(ctx, &apitype.WebhookParams{
		URL:    client.String(merchant.URL + "/webhooks/satsrail"),
		Events: []string{"checkout.completed"},
	})
	if err != nil {
		log.Fatal(err)
	}
	secret = endpoint.Secret
	mu.Unlock()

	sess, err := sr.CreateCheckoutSession(ctx, &apitype.CheckoutSessionParams{
		AmountCents: client.Int64(5000),
		SuccessURL:  client.String("https://store.example/success"),
		CancelURL:   client.String("https://store.example/cart"),
		Metadata:    map[string]any{"order_id": "ORD-1234"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := sr.SimulatePayment(ctx, sess.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-paid)
	// Output:
	// order ORD-1234 paid: 76924 sats for 50.00 usd
}

// Errors from the API are *client.Error: branch on Code, show Details.
func ExampleError() {
	baseURL, secretKey, stop := startExampleGateway()
	defer stop()
	sr := client.New(baseURL, secretKey)

	_, err := sr.CreateCheckoutSession(context.Background(), &apitype.CheckoutSessionParams{
		AmountCents: client.Int64(5000),
		SuccessURL:  client.String("not a url"),
		CancelURL:   client.String("https://store.example/cart"),
	})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		for _, d := range apiErr.Details {
			fmt.Println(d.Field)
		}
		fmt.Println(strings.HasPrefix(apiErr.RequestID, "req_"))
	}
	// Output:
	// 422 validation_error
	// success_url
	// true
}

// AllProducts follows the pages for the caller.
func ExampleClient_AllProducts() {
	baseURL, secretKey, stop := startExampleGateway()
	defer stop()
	sr := client.New(baseURL, secretKey)
	ctx := context.Background()
	for _, name := range []string{"Espresso", "Latte", "Mocha"} {
		if _, err := sr.CreateProduct(ctx, &apitype.ProductParams{Name: client.String(name), PriceCents: client.Int64(400)}); err != nil {
			log.Fatal(err)
		}
	}
	var names []string
	for p, err := range sr.AllProducts(ctx, &client.ProductListParams{PageParams: client.PageParams{PerPage: 2}}) {
		if err != nil {
			log.Fatal(err)
		}
		names = append(names, p.Name)
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output:
	// [Espresso Latte Mocha]
}
