package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/password"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
)

// clock is a settable clock for session lifetimes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type sealer []byte

func (k sealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k sealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// env is a dashboard on a real store (SQLite, or PostgreSQL with
// SATSRAIL_TEST_STORE=postgres), a real argon2id hasher (cheap parameters)
// and the real service, behind one test server.
type env struct {
	t     testing.TB
	url   string
	h     *Handler
	acc   *gateway.Accounts
	svc   *gateway.Service
	store gateway.Store
	clock *clock
}

type envOption func(*gateway.AccountsConfig, *Config)

func setup(t testing.TB, opts ...envOption) *env {
	t.Helper()
	st := testdb.Open(t)
	key, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	fixed, _ := rates.ParseFixed("usd=65000")
	svc := gateway.NewService(gateway.Config{Store: st, Clock: clk, Sealer: sealer(key),
		Rates: rates.New(rates.Config{Fixed: fixed, Currencies: []string{"usd"}})})
	acfg := gateway.AccountsConfig{Service: svc, Sealer: sealer(key),
		Hasher: password.Hasher{Params: password.Params{MemoryKiB: 256, Time: 1, Threads: 1}}}
	// Tests sign in many times a minute; the throttle's own test sets its limits.
	dcfg := Config{SignInPerAccount: 1000, SignInPerIP: 1000}
	for _, o := range opts {
		o(&acfg, &dcfg)
	}
	acc, err := gateway.NewAccounts(acfg)
	if err != nil {
		t.Fatal(err)
	}
	dcfg.Accounts = acc
	srv := httptest.NewUnstartedServer(nil)
	if dcfg.PublicURL == "" {
		dcfg.PublicURL = "http://" + srv.Listener.Addr().String()
	}
	h := New(dcfg)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, h: h, acc: acc, svc: svc, store: st, clock: clk}
}

// browser is one browser: its own cookies, no redirects followed, and an
// Origin header on posts as a browser sends.
type browser struct {
	t    testing.TB
	e    *env
	c    *http.Client
	last string // the last page's body
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) *resp {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	b.last = string(body)
	return &resp{status: res.StatusCode, body: string(body), location: res.Header.Get("Location"), header: res.Header}
}

func (b *browser) get(path string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.url+path, nil)
	return b.do(req)
}

// post submits a form from this origin with the browser's CSRF token (read
// from a page first unless vals has one).
func (b *browser) post(path string, vals url.Values) *resp {
	b.t.Helper()
	if vals == nil {
		vals = url.Values{}
	}
	if _, ok := vals["csrf_token"]; !ok {
		vals.Set("csrf_token", b.csrf())
	}
	return b.postRaw(path, vals, b.e.url)
}

// postRaw submits vals as they are, with the given Origin ("" for none).
func (b *browser) postRaw(path string, vals url.Values, origin string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf reads this browser's CSRF token from a page that has a form.
func (b *browser) csrf() string {
	b.t.Helper()
	last := b.last
	defer func() { b.last = last }()
	for _, p := range []string{"/dashboard/account", "/dashboard/signin", "/dashboard/signup"} {
		if m := csrfRE.FindStringSubmatch(b.get(p).body); m != nil {
			return m[1]
		}
	}
	b.t.Fatal("no page with a CSRF token")
	return ""
}

// want fails unless r has the status.
func (r *resp) want(t testing.TB, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%.2000s", r.status, status, r.location, r.body)
	}
	return r
}

const testPassword = "correct horse battery"

// user makes a user who is a member of merchantID with role ("" for none)
// and signs a new browser in as it.
func (e *env) user(email, merchantID string, role gateway.Role) (*browser, *gateway.User) {
	e.t.Helper()
	u, err := e.acc.CreateUser(context.Background(), gateway.CreateUserParams{Email: email, Password: testPassword, MerchantID: merchantID, Role: string(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.signIn(email, testPassword).want(e.t, http.StatusSeeOther)
	return b, u
}

func (b *browser) signIn(email, pw string) *resp {
	b.t.Helper()
	return b.post("/dashboard/signin", url.Values{"email": {email}, "password": {pw}})
}

// merchant creates a merchant by the CLI's rule.
func (e *env) merchant(name string) *gateway.Merchant {
	e.t.Helper()
	m, _, err := e.svc.CreateMerchant(context.Background(), gateway.MerchantParams{Name: name, Email: "owner@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}
