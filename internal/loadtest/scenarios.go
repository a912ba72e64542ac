package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/webhook"
)

// CreateBody is the request body of every create: the seed's example
// session. The baselines decode the same bytes.
var CreateBody = []byte(`{"checkout_session":{"amount_cents":5000,"currency":"usd","customer_email":"buyer@example.com","success_url":"https://store.example/success","cancel_url":"https://store.example/cart","metadata":{"order_id":"ORD-1234"}}}`)

// Client talks to one gateway (or baseline) as a merchant's backend would.
type Client struct {
	BaseURL   string // http://host:port
	SecretKey string // sk_test_...
	HTTP      *http.Client
	// RunID makes this run's Idempotency-Keys unique.
	RunID string
	seq   atomic.Int64
}

// NewHTTPClient is a keep-alive client for clients concurrent requests.
func NewHTTPClient(clients int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, MaxConnsPerHost: 0,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, IdleConnTimeout: time.Minute,
	}}
}

// do sends one request and decodes a JSON answer into out (if not nil) when
// the status is want; any other status is an error carrying the body.
func (c *Client) do(ctx context.Context, method, path string, body []byte, header http.Header, want int, out any) error {
	b, err := c.raw(ctx, method, path, body, header, want)
	if err == nil && out != nil {
		err = json.Unmarshal(b, out)
	}
	return err
}

// raw sends one request and returns the body when the status is want. The
// timed scenarios check answers with it rather than decoding them: the
// client's own work must stay small beside the server's, or it would be the
// client that is measured (the baselines' answers are tiny).
func (c *Client) raw(ctx context.Context, method, path string, body []byte, header http.Header, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.SecretKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.SecretKey)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b[:min(len(b), 300)]))
	}
	return b, nil
}

// createKey returns a fresh Idempotency-Key header.
func (c *Client) createKey() http.Header {
	return http.Header{"Idempotency-Key": {fmt.Sprintf("bench-%s-%d", c.RunID, c.seq.Add(1))}}
}

// CreateSession creates one checkout session with a fresh Idempotency-Key.
func (c *Client) CreateSession(ctx context.Context) (*apitype.CheckoutSession, error) {
	var s apitype.CheckoutSession
	if err := c.do(ctx, http.MethodPost, "/api/v1/checkout_sessions", CreateBody, c.createKey(), http.StatusCreated, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// timed runs fn and returns how long it took.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// Create is scenario (a): POST /checkout_sessions with an Idempotency-Key,
// the full path (auth, rate limit, idempotency, validation, durable write).
func (c *Client) Create() Op {
	return func(ctx context.Context, _, _ int) (time.Duration, error) {
		return timed(func() error {
			b, err := c.raw(ctx, http.MethodPost, "/api/v1/checkout_sessions", CreateBody, c.createKey(), http.StatusCreated)
			if err == nil && !bytes.Contains(b, []byte(`"id":"cs_`)) {
				err = fmt.Errorf("a 201 without a session id: %s", b)
			}
			return err
		})
	}
}

// Sessions creates n sessions for the read scenarios.
func (c *Client) Sessions(ctx context.Context, n int) ([]*apitype.CheckoutSession, error) {
	out := make([]*apitype.CheckoutSession, n)
	for i := range out {
		s, err := c.CreateSession(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// Get is scenario (b): GET /checkout_sessions/{id} over the given sessions.
func (c *Client) Get(sessions []*apitype.CheckoutSession) Op {
	return func(ctx context.Context, w, i int) (time.Duration, error) {
		s := sessions[(w*7919+i)%len(sessions)]
		return timed(func() error {
			b, err := c.raw(ctx, http.MethodGet, "/api/v1/checkout_sessions/"+s.ID, nil, nil, http.StatusOK)
			if err == nil && !bytes.Contains(b, []byte(`"id":"`+s.ID+`"`)) {
				err = fmt.Errorf("asked for %s, got %s", s.ID, b)
			}
			return err
		})
	}
}

// Status returns the status of session id.
func (c *Client) Status(ctx context.Context, id string) (string, error) {
	var s apitype.CheckoutSession
	err := c.do(ctx, http.MethodGet, "/api/v1/checkout_sessions/"+id, nil, nil, http.StatusOK, &s)
	return s.Status, err
}

// ListQueries are the filters scenario (c) cycles through: what a merchant's
// back office asks of its transactions.
func ListQueries(now time.Time) []string {
	week := now.Add(-7 * 24 * time.Hour).UTC().Format(time.RFC3339)
	return []string{
		"per_page=25",
		"status=settled&per_page=25",
		"created_after=" + url.QueryEscape(week) + "&per_page=25",
		"q[status_eq]=settled&q[created_at_gteq]=" + url.QueryEscape(week) + "&per_page=100",
	}
}

// List is scenario (c): GET /transactions with filters. Every answer must be
// a list whose total_count is at least wantAtLeast (the seeded rows the
// first, unfiltered query must see).
func (c *Client) List(queries []string, wantAtLeast int) Op {
	return func(ctx context.Context, w, i int) (time.Duration, error) {
		q := queries[(w+i)%len(queries)]
		return timed(func() error {
			b, err := c.raw(ctx, http.MethodGet, "/api/v1/transactions?"+q, nil, nil, http.StatusOK)
			if err != nil {
				return err
			}
			if q != queries[0] {
				if !bytes.HasPrefix(b, []byte(`{"object":"list"`)) {
					return fmt.Errorf("%s: not a list: %.200s", q, b)
				}
				return nil
			}
			var l struct {
				Object string           `json:"object"`
				Meta   apitype.ListMeta `json:"meta"`
			}
			if err := json.Unmarshal(b, &l); err != nil || l.Object != "list" || l.Meta.TotalCount < wantAtLeast {
				return fmt.Errorf("%s: a list of %d, want at least %d (%v)", q, l.Meta.TotalCount, wantAtLeast, err)
			}
			return nil
		})
	}
}

// Page is scenario (e): GET /checkout/{token}, the hosted page, over
// sessions whose invoices exist (Warm makes them).
func (c *Client) Page(sessions []*apitype.CheckoutSession) Op {
	return func(ctx context.Context, w, i int) (time.Duration, error) {
		s := sessions[(w*7919+i)%len(sessions)]
		return timed(func() error { return c.loadPage(ctx, s) })
	}
}

func (c *Client) loadPage(ctx context.Context, s *apitype.CheckoutSession) error {
	b, err := c.raw(ctx, http.MethodGet, "/checkout/"+s.Token, nil, nil, http.StatusOK)
	if err == nil && !bytes.Contains(b, []byte("lnbcrt")) {
		err = fmt.Errorf("GET /checkout/%s: %d bytes without an invoice", s.Token, len(b))
	}
	return err
}

// Read is a plain GET of path answered 200: the baselines' read ceiling.
func (c *Client) Read(path string) Op {
	return func(ctx context.Context, _, _ int) (time.Duration, error) {
		return timed(func() error {
			_, err := c.raw(ctx, http.MethodGet, path, nil, nil, http.StatusOK)
			return err
		})
	}
}

// Warm loads each session's page once, which makes its invoice.
func (c *Client) Warm(ctx context.Context, sessions []*apitype.CheckoutSession) error {
	for _, s := range sessions {
		if err := c.loadPage(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// Receiver is a local webhook endpoint that verifies every delivery with the
// public webhook package and reports when each session's checkout.completed
// arrived.
type Receiver struct {
	URL    string
	secret atomic.Pointer[string]
	srv    *http.Server
	ln     net.Listener

	mu      sync.Mutex
	waiting map[string]chan struct{}
	early   map[string]bool
	bad     atomic.Int64
}

// NewReceiver listens on a loopback port.
func NewReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + ln.Addr().String() + "/hooks", ln: ln,
		waiting: map[string]chan struct{}{}, early: map[string]bool{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// Close stops the receiver.
func (r *Receiver) Close() error { return r.srv.Close() }

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	secret := r.secret.Load()
	if err != nil || secret == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	ev, err := webhook.ConstructEvent(body, req.Header, *secret)
	if err != nil {
		r.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
	if ev.Type != webhook.EventCheckoutCompleted {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.waiting[ev.CheckoutID]; ok {
		close(ch)
		delete(r.waiting, ev.CheckoutID)
	} else {
		r.early[ev.CheckoutID] = true
	}
}

// expect returns a channel closed when id's checkout.completed arrives.
func (r *Receiver) expect(id string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	if r.early[id] {
		delete(r.early, id)
		close(ch)
	} else {
		r.waiting[id] = ch
	}
	return ch
}

func (r *Receiver) forget(id string) {
	r.mu.Lock()
	delete(r.waiting, id)
	r.mu.Unlock()
}

// Register makes the receiver a webhook endpoint of the merchant for
// checkout.completed (test mode may deliver to loopback).
func (c *Client) Register(ctx context.Context, r *Receiver) error {
	body, _ := json.Marshal(map[string]any{"webhook": apitype.WebhookParams{URL: &r.URL, Events: []string{webhook.EventCheckoutCompleted}}})
	var ep apitype.WebhookEndpoint
	if err := c.do(ctx, http.MethodPost, "/api/v1/webhooks", body, nil, http.StatusCreated, &ep); err != nil {
		return err
	}
	r.secret.Store(&ep.Secret)
	return nil
}

// Pay is scenario (d): a simulated payment of a session whose invoice exists,
// timed from the moment simulate_payment is sent until the receiver holds
// the verified checkout.completed webhook. Making the session and its
// invoice is not timed.
func (c *Client) Pay(r *Receiver) Op {
	return func(ctx context.Context, _, _ int) (time.Duration, error) {
		s, err := c.CreateSession(ctx)
		if err != nil {
			return 0, err
		}
		if err := c.do(ctx, http.MethodGet, "/checkout/"+s.Token+"/status", nil, nil, http.StatusOK, nil); err != nil {
			return 0, err
		}
		arrived := r.expect(s.ID)
		start := time.Now()
		if err := c.do(ctx, http.MethodPost, "/checkout/"+s.ID+"/simulate_payment", nil, nil, http.StatusOK, nil); err != nil {
			r.forget(s.ID)
			return 0, err
		}
		select {
		case <-arrived:
			return time.Since(start), nil
		case <-time.After(30 * time.Second):
			r.forget(s.ID)
			return 0, errors.New("no webhook for " + s.ID + " within 30s")
		}
	}
}

// BadSignatures counts deliveries that failed verification.
func (r *Receiver) BadSignatures() int64 { return r.bad.Load() }
