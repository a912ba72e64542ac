package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/netguard"
)

// dashBrowser is a browser on a running gateway's dashboard: cookies kept,
// redirects not followed, forms posted with the page's CSRF token.
type dashBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newDashBrowser(t *testing.T, base string) *dashBrowser {
	jar, _ := cookiejar.New(nil)
	return &dashBrowser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var dashCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *dashBrowser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header.Get("Location")
}

// submit gets the form page at page and posts form to action with its token.
func (b *dashBrowser) submit(page, action string, form url.Values) (int, string, string) {
	b.t.Helper()
	_, body, _ := b.do("GET", page, nil)
	m := dashCSRF.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no form on %s:\n%s", page, body)
	}
	form.Set("csrf_token", m[1])
	return b.do("POST", action, form)
}

// TestDashboardFirstRun is the first-run sign-up through the real binary:
// the first visit is offered the sign-up, the secret keys are shown once
// (and work), and the browser is signed in.
func TestDashboardFirstRun(t *testing.T) {
	g := start(t, "--data-dir", t.TempDir())
	b := newDashBrowser(t, g.url)
	if st, _, loc := b.do("GET", "/dashboard", nil); st != 303 || loc != "/dashboard/signin" {
		t.Fatalf("GET /dashboard: %d to %q", st, loc)
	}
	if st, _, loc := b.do("GET", "/dashboard/signin", nil); st != 303 || loc != "/dashboard/signup" {
		t.Fatalf("first-run sign-in: %d to %q, want the sign-up", st, loc)
	}
	st, body, _ := b.submit("/dashboard/signup", "/dashboard/signup", url.Values{
		"business_name": {"Ada's Tea"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}})
	if st != 201 {
		t.Fatalf("sign-up: %d\n%s", st, body)
	}
	keys := map[string]string{}
	for _, kt := range gateway.KeyTypes {
		keys[string(kt)] = regexp.MustCompile(string(kt) + `_[0-9A-Za-z]{32}`).FindString(body)
		if keys[string(kt)] == "" {
			t.Fatalf("the sign-up page lacks the %s key", kt)
		}
	}
	dir := dirOf(t, g)
	db, _ := os.ReadFile(filepath.Join(dir, "satsrail.db"))
	for _, k := range keys {
		if bytes.Contains(db, []byte(k)) || databaseHolds(t, dir, k) {
			t.Fatalf("a key is stored in clear in the database")
		}
	}
	if status, m := call(t, "GET", g.url+"/api/v1/merchant", keys["sk_test"], nil); status != 200 || m["name"] != "Ada's Tea" {
		t.Fatalf("the shown sk_test key: %d %v", status, m)
	}
	st, body, _ = b.do("GET", "/dashboard", nil)
	if st != 200 || !strings.Contains(body, "ada@example.com · owner · operator") {
		t.Fatalf("signed in after sign-up: %d\n%s", st, body)
	}
	_, body, _ = b.do("GET", "/dashboard/keys", nil)
	if strings.Contains(body, keys["sk_test"]) || strings.Contains(body, keys["sk_live"]) || !strings.Contains(body, keys["pk_test"]) {
		t.Error("the keys page: want the publishable keys and no secret key")
	}
	// The CLI sees the operator; a second visitor finds sign-up closed.
	if list := cli(t, "user", "list", "--data-dir", dir, "--json"); !strings.Contains(list, `"operator":true`) {
		t.Errorf("user list: %s", list)
	}
	if st, _, _ := newDashBrowser(t, g.url).do("GET", "/dashboard/signup", nil); st != 403 {
		t.Errorf("second sign-up: %d, want 403 (closed)", st)
	}
}

// dirOf returns the --data-dir a gateway was started with.
func dirOf(t *testing.T, g *gatewayProc) string {
	t.Helper()
	for i, a := range g.cmd.Args {
		if a == "--data-dir" && i+1 < len(g.cmd.Args) {
			return g.cmd.Args[i+1]
		}
	}
	t.Fatal("no --data-dir")
	return ""
}

// TestDashboardDemoAndUserCLI: serve --demo prints the dashboard and a
// demo user that signs in; user create and reset-password work from the CLI
// beside a running gateway, and a reset signs the user out everywhere.
func TestDashboardDemoAndUserCLI(t *testing.T) {
	dir := t.TempDir()
	g := start(t, "--demo", "--data-dir", dir)
	out := g.stdout.String()
	m := regexp.MustCompile(`dashboard +(\S+)\n +sign in as +(\S+) +password (\S+)`).FindStringSubmatch(out)
	if m == nil || m[1] != g.url+"/dashboard" {
		t.Fatalf("demo banner lacks the dashboard sign-in:\n%s", out)
	}
	b := newDashBrowser(t, g.url)
	if st, _, loc := b.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {m[2]}, "password": {m[3]}}); st != 303 || loc != "/dashboard" {
		t.Fatalf("demo sign-in: %d to %q", st, loc)
	}
	if st, body, _ := b.do("GET", "/dashboard", nil); st != 200 || !strings.Contains(body, "Demo Store") {
		t.Fatalf("demo dashboard: %d", st)
	}
	merchantID := regexp.MustCompile(`merchant (mer_\S+)`).FindStringSubmatch(out)[1]
	created := cli(t, "user", "create", "--data-dir", dir, "--email", "Bob@Example.com", "--merchant", merchantID, "--role", "accountant")
	pw := regexp.MustCompile(`Password \(shown only now\): (\S+)`).FindStringSubmatch(created)
	if pw == nil {
		t.Fatalf("user create: %s", created)
	}
	bob := newDashBrowser(t, g.url)
	if st, _, _ := bob.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"bob@example.com"}, "password": {pw[1]}}); st != 303 {
		t.Fatalf("bob's sign-in: %d", st)
	}
	if st, body, _ := bob.do("GET", "/dashboard", nil); st != 200 || !strings.Contains(body, "bob@example.com · accountant") {
		t.Fatalf("bob's dashboard: %d", st)
	}
	reset := cli(t, "user", "reset-password", "--data-dir", dir, "--email", "bob@example.com")
	pw2 := regexp.MustCompile(`New password \(shown only now\): (\S+)`).FindStringSubmatch(reset)
	if pw2 == nil {
		t.Fatalf("reset-password: %s", reset)
	}
	if st, _, _ := bob.do("GET", "/dashboard", nil); st != 303 {
		t.Errorf("bob's session after a reset: %d, want 303 (signed out)", st)
	}
	again := newDashBrowser(t, g.url)
	if st, _, _ := again.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"bob@example.com"}, "password": {pw[1]}}); st != 401 {
		t.Errorf("old password after reset: %d, want 401", st)
	}
	if st, _, _ := again.submit("/dashboard/signin", "/dashboard/signin", url.Values{"email": {"bob@example.com"}, "password": {pw2[1]}}); st != 303 {
		t.Errorf("new password: %d, want 303", st)
	}
}

// TestOpenSignupPolicies: under --signup open, strangers' test webhooks
// lose the loopback exception, and private wallet hosts are off unless the
// operator allows them.
func TestOpenSignupPolicies(t *testing.T) {
	loop := func(p netguard.Policy) bool { return p.AllowLoopback }
	if !loop(webhookPolicy(gateway.ModeTest, false, false)) || loop(webhookPolicy(gateway.ModeTest, false, true)) {
		t.Error("test webhooks: want loopback allowed unless sign-up is open")
	}
	if !loop(walletNet{}.policy(gateway.ModeTest)) || loop(walletNet{openSignup: true}.policy(gateway.ModeTest)) {
		t.Error("test wallets: want loopback allowed unless sign-up is open")
	}

	g := start(t, "--data-dir", t.TempDir(), "--signup", "open")
	b := newDashBrowser(t, g.url)
	b.do("GET", "/dashboard/signup", nil)
	st, body, _ := b.submit("/dashboard/signup", "/dashboard/signup", url.Values{
		"business_name": {"First"}, "email": {"first@example.com"}, "password": {"correct horse battery"}})
	if st != 201 {
		t.Fatalf("sign-up: %d", st)
	}
	stranger := newDashBrowser(t, g.url)
	st, body, _ = stranger.submit("/dashboard/signup", "/dashboard/signup", url.Values{
		"business_name": {"Stranger"}, "email": {"eve@example.com"}, "password": {"correct horse battery"}})
	if st != 201 || strings.Contains(body, "you are this gateway's operator") {
		t.Fatalf("open sign-up of a second merchant: %d", st)
	}
	sk := regexp.MustCompile(`sk_test_[0-9A-Za-z]{32}`).FindString(body)
	status, _ := call(t, "POST", g.url+"/api/v1/webhooks", sk, map[string]any{"webhook": map[string]any{"url": "http://127.0.0.1:9/hook"}})
	if status != 422 {
		t.Errorf("a stranger's test webhook to loopback: %d, want 422", status)
	}
}
