package client

import (
	"bytes"
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// DefaultBaseURL is where `satsrail serve` listens unless told otherwise.
const DefaultBaseURL = "http://127.0.0.1:8080"

// Defaults of the retry policy.
const (
	DefaultMaxRetries    = 3
	DefaultMinBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff    = 8 * time.Second
	DefaultMaxRetryAfter = time.Minute
)

// maxResponseBytes bounds what is read of one answer.
const maxResponseBytes = 32 << 20

// Client calls the merchant API with one API key. It is safe for concurrent
// use.
type Client struct {
	baseURL, testBaseURL string
	key                  string
	http                 *http.Client
	userAgent            string
	maxRetries           int
	minBackoff           time.Duration
	maxBackoff           time.Duration
	maxRetryAfter        time.Duration

	// Seams for tests: how to wait, and how to make a key.
	sleep  func(ctx context.Context, d time.Duration) error
	newKey func() string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (its Transport, Timeout, proxies).
// The default is a client with a 60 s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithTestBaseURL sends the calls of a test key (sk_test_..., pk_test_...)
// to a separate test gateway; live keys keep the base URL given to New.
func WithTestBaseURL(u string) Option {
	return func(c *Client) { c.testBaseURL = normalizeBase(u) }
}

// WithMaxRetries sets how many times a failed call is retried (0: never).
func WithMaxRetries(n int) Option {
	return func(c *Client) { c.maxRetries = max(n, 0) }
}

// WithBackoff sets the first retry's delay and the cap of the exponential
// backoff; each delay is jittered to between half and all of its value.
func WithBackoff(minDelay, maxDelay time.Duration) Option {
	return func(c *Client) {
		if minDelay > 0 {
			c.minBackoff = minDelay
		}
		if maxDelay >= c.minBackoff {
			c.maxBackoff = maxDelay
		}
	}
}

// WithMaxRetryAfter caps how long the client waits on a Retry-After: a 429
// asking for longer is returned to the caller instead of being retried.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *Client) { c.maxRetryAfter = d }
}

// WithUserAgent prefixes the User-Agent header with the caller's product,
// e.g. "mystore/1.2".
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua + " " + c.userAgent
		}
	}
}

// New returns a client of the gateway at baseURL (e.g.
// "https://pay.example.com"; a trailing /api/v1 is accepted too) using
// apiKey, a secret key (sk_...) or, for creating checkout sessions and
// reading rates only, a publishable key (pk_...).
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{
		baseURL:       normalizeBase(baseURL),
		key:           strings.TrimSpace(apiKey),
		http:          &http.Client{Timeout: 60 * time.Second},
		userAgent:     "satsrail-go/" + Version,
		maxRetries:    DefaultMaxRetries,
		minBackoff:    DefaultMinBackoff,
		maxBackoff:    DefaultMaxBackoff,
		maxRetryAfter: DefaultMaxRetryAfter,
		sleep:         sleepCtx,
		newKey:        cryptorand.Text,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func normalizeBase(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	u = strings.TrimSuffix(u, "/api/v1/m")
	u = strings.TrimSuffix(u, "/api/v1")
	return u
}

// Livemode reports whether the client's key is a live key.
func (c *Client) Livemode() bool {
	return strings.HasPrefix(c.key, "sk_live_") || strings.HasPrefix(c.key, "pk_live_")
}

// BaseURL is the gateway the client's calls go to, chosen by the key's mode.
func (c *Client) BaseURL() string {
	if c.testBaseURL != "" && !c.Livemode() {
		return c.testBaseURL
	}
	return c.baseURL
}

// CallOption adjusts one call.
type CallOption func(*callConfig)

type callConfig struct {
	idempotencyKey string
	response       *Response
}

// WithIdempotencyKey sends key as the call's Idempotency-Key (POST only; at
// most 255 characters) instead of a generated one. Reuse a key to make sure
// an operation runs once across restarts of the caller, e.g. the order id.
func WithIdempotencyKey(key string) CallOption {
	return func(cc *callConfig) { cc.idempotencyKey = key }
}

// CaptureResponse fills r with what is known of the call's last HTTP answer.
func CaptureResponse(r *Response) CallOption {
	return func(cc *callConfig) { cc.response = r }
}

// Response describes a call's last HTTP answer.
type Response struct {
	StatusCode int
	Header     http.Header
	// RequestID is the server's Request-Id of the last attempt.
	RequestID string
	// Replayed is true when the server answered from its idempotency record
	// (Idempotent-Replayed: true): the operation had already run.
	Replayed bool
	// Attempts is how many requests the call sent.
	Attempts int
	// IdempotencyKey is the key the call's POSTs carried.
	IdempotencyKey string
}

// request is one API call to make.
type request struct {
	method, path string
	query        url.Values
	body         any    // encoded as JSON, unless raw is set
	raw          []byte // sent as is, with contentType
	contentType  string
}

// do sends r, retrying as the package doc says, and decodes a 2xx answer
// into out (unless out is nil or the answer has no body).
func (c *Client) do(ctx context.Context, r request, out any, opts []CallOption) error {
	var cc callConfig
	for _, o := range opts {
		o(&cc)
	}
	var payload []byte
	contentType := r.contentType
	switch {
	case r.raw != nil:
		payload = r.raw
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("satsrail: encode %s %s: %w", r.method, r.path, err)
		}
		payload, contentType = b, "application/json"
	}
	// Only POSTs carry a key (the server ignores it elsewhere), and every
	// POST does.
	key := ""
	if r.method == http.MethodPost {
		key = cmp.Or(cc.idempotencyKey, c.newKey())
	}
	target := c.BaseURL() + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	if cc.response != nil {
		*cc.response = Response{IdempotencyKey: key}
	}

	for attempt := 0; ; attempt++ {
		var body io.Reader
		if payload != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, target, body)
		if err != nil {
			return fmt.Errorf("satsrail: %s %s: %w", r.method, r.path, err)
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		if cc.response != nil {
			cc.response.Attempts = attempt + 1
		}

		res, err := c.http.Do(req)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
			res.Body.Close()
		}
		if err != nil {
			// The request may or may not have reached the server: a GET,
			// PUT, PATCH or DELETE may run again, and a POST carries its
			// key, so the server runs it at most once.
			if ctx.Err() != nil {
				return fmt.Errorf("satsrail: %s %s: %w", r.method, r.path, ctx.Err())
			}
			if unusableURL(err) {
				return fmt.Errorf("satsrail: %s %s: base URL %q cannot be used: %w", r.method, r.path, c.BaseURL(), err)
			}
			if attempt < c.maxRetries {
				if werr := c.wait(ctx, c.backoff(attempt)); werr == nil {
					continue
				}
			}
			return fmt.Errorf("satsrail: %s %s (attempt %d): %w", r.method, r.path, attempt+1, err)
		}
		if cc.response != nil {
			cc.response.StatusCode = res.StatusCode
			cc.response.Header = res.Header
			cc.response.RequestID = res.Header.Get("Request-Id")
			cc.response.Replayed = res.Header.Get("Idempotent-Replayed") == "true"
		}
		if res.StatusCode >= 200 && res.StatusCode < 300 {
			if out == nil || res.StatusCode == http.StatusNoContent || len(b) == 0 {
				return nil
			}
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("satsrail: %s %s: decode %d answer: %w", r.method, r.path, res.StatusCode, err)
			}
			return nil
		}
		apiErr := parseError(res, b)
		if attempt < c.maxRetries && apiErr.retryable() {
			d := c.backoff(attempt)
			if apiErr.RetryAfter > 0 {
				if apiErr.RetryAfter > c.maxRetryAfter {
					return apiErr
				}
				d = max(d, apiErr.RetryAfter)
			}
			if werr := c.wait(ctx, d); werr == nil {
				continue
			}
		}
		return apiErr
	}
}

// unusableURL reports whether err says the request's URL cannot be sent at
// all: a scheme the HTTP client does not speak (ftp://, or none), no host,
// or a URL that does not parse. The same URL would fail again, so such an
// error is returned at once, never retried. net/http has no sentinel for
// these; its messages are stable since Go 1.
func unusableURL(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	var parse *url.Error
	if errors.As(ue.Err, &parse) && parse.Op == "parse" {
		return true
	}
	msg := ue.Err.Error()
	return strings.HasPrefix(msg, "unsupported protocol scheme") || msg == "http: no Host in request URL"
}

// backoff is the delay before retry number attempt+1: minBackoff doubled per
// attempt, capped at maxBackoff, then jittered to [d/2, d] so that many
// clients failing together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.minBackoff
	for range attempt {
		d *= 2
		if d >= c.maxBackoff {
			d = c.maxBackoff
			break
		}
	}
	half := d / 2
	return half + rand.N(half+1)
}

// wait sleeps d, or fails at once if ctx would end before d has passed.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	return c.sleep(ctx, d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
