package dashboard

import (
	"context"
	"encoding/base32"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

var (
	linkRE   = regexp.MustCompile(`/dashboard/invite/([0-9A-Za-z]+)`)
	secretRE = regexp.MustCompile(`sk_live_[0-9A-Za-z]{32}`)
	keyRE    = regexp.MustCompile(`or type the key <code class="copyable">([A-Z2-7]+)</code>`)
	codeRE   = regexp.MustCompile(`<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>`)
)

func TestKeyRoll(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m, secrets, err := e.svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Alpha", Email: "a@alpha.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.CreateUser(ctx, gateway.CreateUserParams{Email: "ada@example.com", Password: testPassword, MerchantID: m.ID, Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("ada@example.com", testPassword).want(t, http.StatusSeeOther)
	r := b.get("/dashboard/keys").want(t, http.StatusOK)
	if strings.Contains(r.body, secrets["sk_live"]) || !strings.Contains(r.body, secrets["pk_live"]) {
		t.Fatal("keys page: want the publishable key shown and the secret one not")
	}
	// "Last used": never, until the key authenticates a request.
	never := strings.Count(r.body, ">never<")
	_, err = e.svc.Authenticate(ctx, secrets["pk_live"])
	must(t, err)
	_, err = e.svc.FlushKeyUsage(ctx)
	must(t, err)
	if r = b.get("/dashboard/keys").want(t, http.StatusOK); never != 4 || strings.Count(r.body, ">never<") != 3 {
		t.Errorf("last used: %d keys never used before, %d after one use; want 4 then 3", never, strings.Count(r.body, ">never<"))
	}
	r = b.get("/dashboard/keys/roll?key_type=sk_live").want(t, http.StatusOK)
	if secretRE.MatchString(r.body) {
		t.Fatal("the confirmation page shows a key")
	}
	b.post("/dashboard/keys/roll", url.Values{"key_type": {"sk_bogus"}}).want(t, http.StatusUnprocessableEntity)
	r = b.post("/dashboard/keys/roll", url.Values{"key_type": {"sk_live"}}).want(t, http.StatusOK)
	secret := secretRE.FindString(r.body)
	if secret == "" {
		t.Fatal("the new key is not shown")
	}
	if _, err := e.svc.Authenticate(ctx, secrets["sk_live"]); err == nil {
		t.Error("the old key still works")
	}
	if _, err := e.svc.Authenticate(ctx, secret); err != nil {
		t.Errorf("the new key: %v", err)
	}
	r = b.get("/dashboard/audit").want(t, http.StatusOK)
	if !strings.Contains(r.body, gateway.AuditKeyRolled) || !strings.Contains(r.body, "sk_live") || !strings.Contains(r.body, "127.0.0.1") {
		t.Error("the audit log lacks the roll, its key type or its address")
	}
}

func TestTeamInvites(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	owner, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	r := owner.post("/dashboard/team/invites", url.Values{"email": {"bob@example.com"}, "role": {"admin"}}).
		want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "Role must be owner, manager or accountant") {
		t.Error("a bad role is not named in the form")
	}
	r = owner.post("/dashboard/team/invites", url.Values{"email": {"Bob@Example.com"}, "role": {"manager"}}).want(t, http.StatusOK)
	link := linkRE.FindStringSubmatch(r.body)
	if link == nil {
		t.Fatal("no invite link shown")
	}
	r = owner.get("/dashboard/team").want(t, http.StatusOK)
	if !strings.Contains(r.body, "bob@example.com") || strings.Contains(r.body, link[1]) {
		t.Error("team page: want the pending invite listed without its link")
	}
	// Bob opens the link, chooses a password, and is a manager.
	bob := e.browser()
	r = bob.get(link[0]).want(t, http.StatusOK)
	if !strings.Contains(r.body, "Alpha Shop") || !strings.Contains(r.body, "manager") {
		t.Error("invite page lacks the merchant or the role")
	}
	bob.post(link[0], url.Values{"password": {"short"}}).want(t, http.StatusUnprocessableEntity)
	bob.post(link[0], url.Values{"password": {testPassword}}).want(t, http.StatusSeeOther)
	r = bob.get("/dashboard").want(t, http.StatusOK)
	if !strings.Contains(r.body, "bob@example.com · manager") {
		t.Error("bob is not shown as manager")
	}
	bob.get("/dashboard/team").want(t, http.StatusForbidden)
	// The link works once.
	e.browser().get(link[0]).want(t, http.StatusNotFound)
	// Owners remove members, never the last owner.
	members, _ := e.acc.Members(context.Background(), m.ID)
	var bobID, adaID string
	for _, mb := range members {
		if mb.UserEmail == "bob@example.com" {
			bobID = mb.UserID
		} else {
			adaID = mb.UserID
		}
	}
	owner.post("/dashboard/team/members/"+adaID+"/remove", nil).want(t, http.StatusUnprocessableEntity)
	owner.post("/dashboard/team/members/"+bobID+"/remove", nil).want(t, http.StatusSeeOther)
	r = bob.get("/dashboard").want(t, http.StatusForbidden)
	if !strings.Contains(r.body, "not a member") {
		t.Error("a removed member is not told why")
	}
	// Revoking a pending invite makes its link a 404.
	r = owner.post("/dashboard/team/invites", url.Values{"email": {"carol@example.com"}, "role": {"accountant"}}).want(t, http.StatusOK)
	link = linkRE.FindStringSubmatch(r.body)
	invs, _ := e.acc.Invites(context.Background(), m.ID)
	owner.post("/dashboard/team/invites/"+invs[0].ID+"/revoke", nil).want(t, http.StatusSeeOther)
	e.browser().get(link[0]).want(t, http.StatusNotFound)
}

func TestTwoFactor(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	r := b.get("/dashboard/account/totp").want(t, http.StatusOK)
	if !strings.Contains(r.body, "<svg") {
		t.Error("no QR code")
	}
	key := keyRE.FindStringSubmatch(r.body)
	if key == nil {
		t.Fatal("no secret shown")
	}
	sealed := regexp.MustCompile(`name="secret" value="([^"]+)"`).FindStringSubmatch(r.body)[1]
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key[1])
	if err != nil {
		t.Fatal(err)
	}
	code := func() string { return gateway.TOTPCode(secret, gateway.TOTPStepAt(e.clock.Now()), 6) }
	b.post("/dashboard/account/totp", url.Values{"secret": {sealed}, "code": {"000000"}}).want(t, http.StatusUnprocessableEntity)
	r = b.post("/dashboard/account/totp", url.Values{"secret": {html.UnescapeString(sealed)}, "code": {code()}}).want(t, http.StatusOK)
	codes := codeRE.FindAllStringSubmatch(r.body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	b.post("/dashboard/signout", nil).want(t, http.StatusSeeOther)

	// The password alone no longer signs in; a code does, once.
	b.signIn("ada@example.com", testPassword).want(t, http.StatusUnauthorized)
	e.clock.Advance(gateway.TOTPStep)
	c := code()
	b.post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "code": {c}}).want(t, http.StatusSeeOther)
	other := e.browser()
	other.post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "code": {c}}).
		want(t, http.StatusUnauthorized)
	// A recovery code works once.
	rc := codes[0][1]
	other.post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "code": {strings.ToLower(rc)}}).
		want(t, http.StatusSeeOther)
	e.browser().post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "code": {rc}}).
		want(t, http.StatusUnauthorized)
	// A wrong password with a right code is the same refusal.
	e.clock.Advance(gateway.TOTPStep)
	e.browser().post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {"wrong password!"}, "code": {code()}}).
		want(t, http.StatusUnauthorized)
	r = b.get("/dashboard/account").want(t, http.StatusOK)
	if !strings.Contains(r.body, "9 recovery codes left") {
		t.Error("the account page does not count the recovery codes left")
	}
	b.post("/dashboard/account/totp/disable", nil).want(t, http.StatusSeeOther)
	e.browser().signIn("ada@example.com", testPassword).want(t, http.StatusSeeOther)
}

// xss is put in every field the dashboard renders that a merchant, a
// customer or a browser controls.
const xss = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`

// TestEscaping renders every GET page of the table with the payload in the
// merchant's name, a member's browser and the audit log, and finds it
// escaped everywhere.
func TestEscaping(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m, _, err := e.svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop " + xss, Email: "a@alpha.example"})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := e.acc.CreateUser(ctx, gateway.CreateUserParams{Email: "ada@example.com", Password: testPassword, MerchantID: m.ID, Role: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	req, _ := http.NewRequest("POST", e.url+"/dashboard/signin", strings.NewReader(url.Values{
		"email": {"ada@example.com"}, "password": {testPassword}, "csrf_token": {b.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", xss)
	b.do(req).want(t, http.StatusSeeOther)
	act := gateway.Actor{User: owner, Client: gateway.Client{IP: "192.0.2.1"}}
	must(t, e.acc.Record(ctx, act, m.ID, gateway.AuditWalletChanged, xss))
	token, _, err := e.acc.Invite(ctx, act, m.ID, gateway.InviteParams{Email: "bob@example.com", Role: "manager"})
	must(t, err)
	// A webhook endpoint whose URL and description carry the payload, a
	// delivery whose response body does, and a wallet whose last error does.
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	hookURL, desc := "https://hooks.example/x?"+xss, xss
	ep, _, err := e.svc.CreateWebhookEndpoint(ctx, scope, gateway.WebhookParams{URL: &hookURL, Description: &desc})
	must(t, err)
	ev, err := e.svc.SendTestEvent(ctx, scope, ep.ID)
	must(t, err)
	now := e.svc.Now()
	jobs, err := e.store.ClaimDueDeliveries(ctx, now, now.Add(time.Minute), 10, 0)
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("%d deliveries due, want 1", len(jobs))
	}
	d := jobs[0].Delivery
	out := gateway.AttemptOutcome{StatusCode: 502, Err: errors.New(xss)}
	must(t, e.store.RecordDeliveryAttempt(ctx, d.LeaseToken, gateway.DeliveryAttempt{ID: gateway.NewID(gateway.PrefixAttempt),
		DeliveryID: d.ID, Attempt: 1, At: now, StatusCode: 502, Error: xss, ResponseBody: xss},
		gateway.NextDelivery(d, out, gateway.DefaultRetrySchedule, now)))
	e.connectWallet(m.ID, gateway.ModeTest)
	e.clock.Advance(time.Second)
	e.backends.setDown(xss)
	if _, _, err := e.svc.TestWalletConnection(ctx, scope); err == nil {
		t.Fatal("the wallet test passed with the wallet down")
	}
	own := map[string]string{"token": token, "webhook_id": ep.ID, "event_id": ev.ID, "delivery_id": d.ID}
	for _, rt := range e.h.table {
		if rt.Method != "GET" {
			continue
		}
		path := paramRE.ReplaceAllStringFunc(rt.Path, func(p string) string { return own[p[1:len(p)-1]] })
		t.Run(rt.Path, func(t *testing.T) {
			r := b.get(path + sampleQuery(rt))
			if r.status >= 500 {
				t.Fatalf("status %d", r.status)
			}
			for _, raw := range []string{"<script>alert(1)", "<img src=x"} {
				if strings.Contains(r.body, raw) {
					t.Errorf("%s is not escaped", raw)
				}
			}
		})
	}
	// The pages that show the payload show it escaped, not dropped.
	for _, p := range []string{"/dashboard", "/dashboard/account", "/dashboard/audit", "/dashboard/wallet", "/dashboard/webhooks",
		"/dashboard/webhooks/endpoints/" + ep.ID, "/dashboard/webhooks/events/" + ev.ID} {
		if r := b.get(p); !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped payload", p)
		}
	}
}

func TestSwitchModeAndMerchant(t *testing.T) {
	e := setup(t)
	a, other := e.merchant("Alpha Shop"), e.merchant("Bravo Shop")
	b, u := e.user("ada@example.com", a.ID, gateway.RoleOwner)
	r := b.get("/dashboard").want(t, http.StatusOK)
	if !strings.Contains(r.body, `class="testbanner"`) {
		t.Fatal("test mode has no banner")
	}
	b.post("/dashboard/switch", url.Values{"mode": {"live"}, "next": {"/dashboard/keys"}}).want(t, http.StatusSeeOther)
	r = b.get("/dashboard").want(t, http.StatusOK)
	if strings.Contains(r.body, `class="testbanner"`) || !strings.Contains(r.body, "Live data") {
		t.Error("live mode still bannered as test")
	}
	b.post("/dashboard/switch", url.Values{"mode": {"staging"}}).want(t, http.StatusUnprocessableEntity)
	// Not a member of Bravo: switching to it is a 404 and changes nothing.
	b.post("/dashboard/switch", url.Values{"merchant_id": {other.ID}}).want(t, http.StatusNotFound)
	must(t, e.store.CreateMembership(context.Background(), gateway.Membership{UserID: u.ID, MerchantID: other.ID, Role: gateway.RoleAccountant,
		CreatedAt: e.svc.Now()}))
	b.post("/dashboard/switch", url.Values{"merchant_id": {other.ID}}).want(t, http.StatusSeeOther)
	r = b.get("/dashboard").want(t, http.StatusOK)
	if !strings.Contains(r.body, "ada@example.com · accountant") || !strings.Contains(r.body, `selected>Bravo Shop`) {
		t.Error("after switching: want Bravo in view with the accountant role")
	}
	b.get("/dashboard/keys").want(t, http.StatusForbidden)
}
