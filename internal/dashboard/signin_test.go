package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/password"
)

// countingHasher counts Verify calls: the work a sign-in does, which must
// be the same for an unknown email as for a wrong password.
type countingHasher struct {
	password.Hasher
	verifies atomic.Int64
}

func (c *countingHasher) Verify(enc, pw string) (bool, error) {
	c.verifies.Add(1)
	return c.Hasher.Verify(enc, pw)
}

var tokenRE = regexp.MustCompile(`value="[A-Za-z0-9_-]{40,}"`)

// normalise removes what differs between two renderings of one page: the
// CSRF token and the email typed.
func normalise(body, email string) string {
	return strings.ReplaceAll(tokenRE.ReplaceAllString(body, `value="TOKEN"`), email, "EMAIL")
}

func TestSignInEqualAnswers(t *testing.T) {
	h := &countingHasher{Hasher: password.Hasher{Params: password.Params{MemoryKiB: 256, Time: 1, Threads: 1}}}
	e := setup(t, func(a *gateway.AccountsConfig, _ *Config) { a.Hasher = h })
	m := e.merchant("Alpha Shop")
	e.user("ada@example.com", m.ID, gateway.RoleOwner)

	try := func(email, pw string) (*resp, int64) {
		b := e.browser()
		b.csrf()
		before := h.verifies.Load()
		r := b.signIn(email, pw)
		return r, h.verifies.Load() - before
	}
	wrong, wrongWork := try("ada@example.com", "not the password")
	unknown, unknownWork := try("nobody@example.com", "not the password")
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
		t.Fatalf("statuses: wrong password %d, unknown email %d; want 401 both", wrong.status, unknown.status)
	}
	if a, b := normalise(wrong.body, "ada@example.com"), normalise(unknown.body, "nobody@example.com"); a != b {
		t.Errorf("the answers differ:\n%s\n---\n%s", a, b)
	}
	if wrongWork != 1 || unknownWork != 1 {
		t.Errorf("password hashes checked: wrong password %d, unknown email %d; want 1 each (same time)", wrongWork, unknownWork)
	}
	if r, _ := try("ADA@example.com ", testPassword); r.status != http.StatusSeeOther {
		t.Errorf("sign-in with the email in another case: %d, want 303", r.status)
	}
}

func TestSignInThrottle(t *testing.T) {
	e := setup(t, func(_ *gateway.AccountsConfig, d *Config) { d.SignInPerAccount, d.SignInPerIP = 3, 8 })
	m := e.merchant("Alpha Shop")
	if _, err := e.acc.CreateUser(context.Background(), gateway.CreateUserParams{Email: "ada@example.com", Password: testPassword,
		MerchantID: m.ID, Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	for i := range 3 {
		b.signIn("ada@example.com", "wrong password!").want(t, http.StatusUnauthorized)
		_ = i
	}
	// The fourth try is refused before any check, even with the right
	// password; an unknown email is counted the same way.
	r := b.signIn("ada@example.com", testPassword).want(t, http.StatusTooManyRequests)
	if !strings.Contains(r.body, "Too many attempts") || b.get("/dashboard").status != http.StatusSeeOther {
		t.Fatal("a throttled sign-in signed in")
	}
	for range 3 {
		b.signIn("nobody@example.com", "wrong password!").want(t, http.StatusUnauthorized)
	}
	b.signIn("nobody@example.com", "wrong password!").want(t, http.StatusTooManyRequests)
	// Per address: 8 a minute whatever the emails, refused tries
	// included: a ninth email is refused too.
	b.signIn("carol@example.com", "wrong password!").want(t, http.StatusTooManyRequests)
	// The next minute, the right password works again.
	e.clock.Advance(time.Minute)
	b.signIn("ada@example.com", testPassword).want(t, http.StatusSeeOther)
}

func TestSessionLifetimes(t *testing.T) {
	e := setup(t, func(a *gateway.AccountsConfig, _ *Config) {
		a.IdleTimeout, a.MaxAge, a.FreshFor = 30*time.Minute, 3*time.Hour, 5*time.Minute
	})
	m := e.merchant("Alpha Shop")
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	b.get("/dashboard").want(t, http.StatusOK)

	t.Run("fresh for a few minutes after sign-in", func(t *testing.T) {
		b.get("/dashboard/keys/roll?key_type=sk_live").want(t, http.StatusOK)
		e.clock.Advance(6 * time.Minute)
		r := b.get("/dashboard/keys/roll?key_type=sk_live").want(t, http.StatusSeeOther)
		if !strings.HasPrefix(r.location, "/dashboard/reauth?next=") {
			t.Fatalf("stale session goes to %q, want the reauth page", r.location)
		}
		b.post("/dashboard/reauth", url.Values{"password": {"wrong password!"}, "next": {"/dashboard/keys"}}).want(t, http.StatusUnprocessableEntity)
		r = b.post("/dashboard/reauth", url.Values{"password": {testPassword}, "next": {"/dashboard/keys/roll?key_type=sk_live"}}).
			want(t, http.StatusSeeOther)
		if r.location != "/dashboard/keys/roll?key_type=sk_live" {
			t.Errorf("reauth returns to %q", r.location)
		}
		b.get(r.location).want(t, http.StatusOK)
		// next never leaves the dashboard.
		r = b.post("/dashboard/reauth", url.Values{"password": {testPassword}, "next": {"https://evil.example/x"}}).want(t, http.StatusSeeOther)
		if r.location != "/dashboard" {
			t.Errorf("reauth with a foreign next goes to %q", r.location)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		for range 5 { // active every 20 minutes: stays signed in past the idle timeout
			e.clock.Advance(20 * time.Minute)
			b.get("/dashboard").want(t, http.StatusOK)
		}
		e.clock.Advance(31 * time.Minute)
		b.get("/dashboard").want(t, http.StatusSeeOther)
	})
	t.Run("absolute lifetime", func(t *testing.T) {
		c, _ := e.user("bob@example.com", m.ID, gateway.RoleManager)
		for range 8 {
			e.clock.Advance(20 * time.Minute)
			c.get("/dashboard").want(t, http.StatusOK)
		}
		e.clock.Advance(21 * time.Minute) // 3 h 1 min after sign-in, 21 min after the last page
		c.get("/dashboard").want(t, http.StatusSeeOther)
	})
}

func TestSignOutAndSessions(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	laptop, u := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	phone := e.browser()
	phone.signIn("ada@example.com", testPassword).want(t, http.StatusSeeOther)
	thief := e.browser()
	thief.c.Jar = phone.c.Jar // a copied cookie
	thief.get("/dashboard").want(t, http.StatusOK)

	r := laptop.get("/dashboard/account").want(t, http.StatusOK)
	ss, _ := e.acc.Sessions(context.Background(), u.ID)
	if len(ss) != 2 || strings.Count(r.body, "/revoke") != 2 {
		t.Fatalf("%d sessions, page lists %d", len(ss), strings.Count(r.body, "/revoke"))
	}
	for _, s := range ss {
		if !strings.Contains(r.body, s.ID) {
			t.Errorf("session %s not listed", s.ID)
		}
	}
	laptop.post("/dashboard/account/sessions/"+ss[0].ID+"/revoke", nil).want(t, http.StatusSeeOther)
	still := 0
	for _, br := range []*browser{laptop, phone} {
		if br.get("/dashboard").status == http.StatusOK {
			still++
		}
	}
	if still != 1 {
		t.Fatalf("%d browsers still signed in after revoking one session, want 1", still)
	}
	// Sign out everywhere ends every session, the stolen cookie's too.
	survivor := laptop
	if laptop.get("/dashboard").status != http.StatusOK {
		survivor = phone
	}
	survivor.post("/dashboard/account/signout-everywhere", nil).want(t, http.StatusSeeOther)
	for name, br := range map[string]*browser{"laptop": laptop, "phone": phone, "thief": thief} {
		if st := br.get("/dashboard").status; st != http.StatusSeeOther {
			t.Errorf("%s after sign out everywhere: %d, want 303 to sign in", name, st)
		}
	}
	b := e.browser()
	b.signIn("ada@example.com", testPassword).want(t, http.StatusSeeOther)
	b.post("/dashboard/signout", nil).want(t, http.StatusSeeOther)
	b.get("/dashboard").want(t, http.StatusSeeOther)
}

func TestCookieFlagsOnHTTPS(t *testing.T) {
	e := setup(t, func(_ *gateway.AccountsConfig, d *Config) { d.PublicURL = "https://pay.example.com" })
	m := e.merchant("Alpha Shop")
	if _, err := e.acc.CreateUser(context.Background(), gateway.CreateUserParams{Email: "ada@example.com", Password: testPassword,
		MerchantID: m.ID, Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	r := b.get("/dashboard/signin").want(t, http.StatusOK)
	token := csrfRE.FindStringSubmatch(r.body)[1]
	var pre *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		pre = c
	}
	if pre == nil || pre.Name != "__Host-satsrail_pre" || !pre.Secure || !pre.HttpOnly || pre.SameSite != http.SameSiteLaxMode {
		t.Fatalf("pre-session cookie %+v", pre)
	}
	// The test server is plain http, so the jar holds no Secure cookie:
	// send it by hand as a browser on https would.
	req, _ := http.NewRequest("POST", e.url+"/dashboard/signin", strings.NewReader(url.Values{
		"email": {"ada@example.com"}, "password": {testPassword}, "csrf_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://pay.example.com")
	req.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
	r = b.do(req).want(t, http.StatusSeeOther)
	sc := r.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-satsrail_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Domain=") {
		t.Errorf("session cookie %q has a Domain", sc)
	}
	if r.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on an https instance")
	}
}
