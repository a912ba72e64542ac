package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// The security tests iterate the route table itself (routes.go), so every
// dashboard route — whoever adds it — is tried signed out, without a CSRF
// token, from another origin, with a revoked session, by each role, and
// with another merchant's object in its path.

// secFixture is two merchants: A (where the viewers work, one user per
// role) and B (whose objects are the probes), each with members, pending
// invites and sessions.
type secFixture struct {
	e        *env
	a, b     *gateway.Merchant
	users    map[gateway.Role]*gateway.User // members of A
	bOwner   *gateway.User
	bInvite  *gateway.Invite
	bToken   string // B's invite token
	bSession string // a session id of B's owner
	aInvite  *gateway.Invite
	aToken   string // A's invite token
	aSession string // a session id of a user of A (its accountant)
	bProduct string // a test-mode product of B
	aProduct string // a test-mode product of A
	// A checkout session of A's and of B's test mode (reports' pages).
	aCheckout, bCheckout string
	// Each merchant's webhook endpoint, its test event and that event's
	// (pending) delivery, in test mode; each has a connected test wallet.
	aHook, bHook         *gateway.WebhookEndpoint
	aEvent, bEvent       string
	aDelivery, bDelivery string
}

func newSecFixture(t *testing.T) *secFixture {
	e := setup(t)
	ctx := context.Background()
	f := &secFixture{e: e, a: e.merchant("Alpha Shop"), b: e.merchant("Bravo Shop"), users: map[gateway.Role]*gateway.User{}}
	for _, r := range gateway.Roles {
		u, err := e.acc.CreateUser(ctx, gateway.CreateUserParams{Email: string(r) + "@alpha.example", Password: testPassword,
			MerchantID: f.a.ID, Role: string(r)})
		if err != nil {
			t.Fatal(err)
		}
		f.users[r] = u
	}
	var err error
	f.bOwner, err = e.acc.CreateUser(ctx, gateway.CreateUserParams{Email: "owner@bravo.example", Password: testPassword,
		MerchantID: f.b.ID, Role: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	bAct := gateway.Actor{User: f.bOwner}
	f.bToken, f.bInvite, err = e.acc.Invite(ctx, bAct, f.b.ID, gateway.InviteParams{Email: "new@bravo.example", Role: "manager"})
	if err != nil {
		t.Fatal(err)
	}
	f.aToken, f.aInvite, err = e.acc.Invite(ctx, gateway.Actor{User: f.users[gateway.RoleOwner]}, f.a.ID,
		gateway.InviteParams{Email: "new@alpha.example", Role: "accountant"})
	if err != nil {
		t.Fatal(err)
	}
	bb := e.browser()
	bb.signIn("owner@bravo.example", testPassword).want(t, http.StatusSeeOther)
	ss, err := e.acc.Sessions(ctx, f.bOwner.ID)
	if err != nil || len(ss) != 1 {
		t.Fatalf("B's sessions: %v, %v", ss, err)
	}
	f.bSession = ss[0].ID
	ab := e.browser()
	ab.signIn("accountant@alpha.example", testPassword).want(t, http.StatusSeeOther)
	ss, err = e.acc.Sessions(ctx, f.users[gateway.RoleAccountant].ID)
	if err != nil || len(ss) != 1 {
		t.Fatalf("A's accountant's sessions: %v, %v", ss, err)
	}
	f.aSession = ss[0].ID
	name, price := "Bravo Mug", int64(900)
	p, err := e.svc.CreateProduct(ctx, gateway.Scope{MerchantID: f.b.ID, Mode: gateway.ModeTest}, gateway.ProductParams{Name: &name, PriceCents: &price})
	if err != nil {
		t.Fatal(err)
	}
	f.bProduct = p.ID
	if p, err = e.svc.CreateProduct(ctx, gateway.Scope{MerchantID: f.a.ID, Mode: gateway.ModeTest}, gateway.ProductParams{Name: &name, PriceCents: &price}); err != nil {
		t.Fatal(err)
	}
	f.aProduct = p.ID
	for m, id := range map[*gateway.Merchant]*string{f.a: &f.aCheckout, f.b: &f.bCheckout} {
		now := e.clock.Now()
		cs := &gateway.CheckoutSession{ID: gateway.NewID(gateway.PrefixSession), MerchantID: m.ID, Mode: gateway.ModeTest,
			Status: gateway.StatusPending, AmountCents: 500, Currency: "usd", CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := e.store.CreateCheckoutSession(ctx, cs, nil); err != nil {
			t.Fatal(err)
		}
		*id = cs.ID
	}
	f.aHook, f.aEvent, f.aDelivery = f.hook(t, f.a.ID)
	f.bHook, f.bEvent, f.bDelivery = f.hook(t, f.b.ID)
	e.connectWallet(f.a.ID, gateway.ModeTest)
	e.connectWallet(f.b.ID, gateway.ModeTest)
	return f
}

// hook gives merchantID a test-mode endpoint with one test event on its way.
func (f *secFixture) hook(t *testing.T, merchantID string) (*gateway.WebhookEndpoint, string, string) {
	ctx := context.Background()
	scope := gateway.Scope{MerchantID: merchantID, Mode: gateway.ModeTest}
	u, desc := "https://hooks.example/"+merchantID, "orders"
	ep, _, err := f.e.svc.CreateWebhookEndpoint(ctx, scope, gateway.WebhookParams{URL: &u, Description: &desc})
	must(t, err)
	ev, err := f.e.svc.SendTestEvent(ctx, scope, ep.ID)
	must(t, err)
	ds, err := f.e.svc.ListDeliveries(ctx, scope, ep.ID, gateway.Page{})
	must(t, err)
	if len(ds.Items) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds.Items))
	}
	return ep, ev.ID, ds.Items[0].ID
}

// paramSample is how the tests fill one path parameter: Other names an
// object of merchant B (or of B's owner) — a route with the parameter,
// opened by A's owner, must answer 404 and change nothing; Own names one of
// merchant A, so the role and CSRF tests reach the page itself.
type paramSample struct {
	Own, Other func(f *secFixture) string
}

// paramSamples has a sample for each path parameter of the table. A route
// with a parameter missing here fails TestRouteTableIsCovered: add its
// sample (and the objects it names to newSecFixture).
var paramSamples = map[string]paramSample{
	"token": {Own: func(f *secFixture) string { return f.aToken }, Other: func(f *secFixture) string { return f.bToken }},
	"invite_id": {Own: func(f *secFixture) string { return f.aInvite.ID },
		Other: func(f *secFixture) string { return f.bInvite.ID }},
	"user_id": {Own: func(f *secFixture) string { return f.users[gateway.RoleManager].ID },
		Other: func(f *secFixture) string { return f.bOwner.ID }},
	"session_id": {Own: func(f *secFixture) string { return f.aSession }, Other: func(f *secFixture) string { return f.bSession }},
	"checkout_session_id": {Own: func(f *secFixture) string { return f.aCheckout },
		Other: func(f *secFixture) string { return f.bCheckout }},
	"product_id":  {Own: func(f *secFixture) string { return f.aProduct }, Other: func(f *secFixture) string { return f.bProduct }},
	"webhook_id":  {Own: func(f *secFixture) string { return f.aHook.ID }, Other: func(f *secFixture) string { return f.bHook.ID }},
	"event_id":    {Own: func(f *secFixture) string { return f.aEvent }, Other: func(f *secFixture) string { return f.bEvent }},
	"delivery_id": {Own: func(f *secFixture) string { return f.aDelivery }, Other: func(f *secFixture) string { return f.bDelivery }},
}

// formSamples are valid forms for POST routes, so a refused request is
// refused for its missing right, not for a bad form. Routes not listed post
// an empty form.
var formSamples = map[string]url.Values{
	"POST /dashboard/signin":                                 {"email": {"owner@alpha.example"}, "password": {testPassword}},
	"POST /dashboard/signup":                                 {"email": {"x@new.example"}, "password": {testPassword}, "business_name": {"X"}},
	"POST /dashboard/invite/{token}":                         {"password": {testPassword}},
	"POST /dashboard/reauth":                                 {"password": {testPassword}},
	"POST /dashboard/switch":                                 {"mode": {"live"}},
	"POST /dashboard/keys/roll":                              {"key_type": {"sk_live"}},
	"POST /dashboard/team/invites":                           {"email": {"z@alpha.example"}, "role": {"manager"}},
	"POST /dashboard/account/password":                       {"current_password": {testPassword}, "new_password": {"another long password"}},
	"POST /dashboard/wallet/connect":                         {"type": {"lnbits"}, "url": {"https://lnbits.example"}, "api_key": {"invoice-key"}},
	"POST /dashboard/webhooks":                               {"url": {"https://hooks.example/new"}, "events": {"webhook.test"}},
	"POST /dashboard/webhooks/endpoints/{webhook_id}":        {"url": {"https://hooks.example/changed"}, "description": {"changed"}},
	"POST /dashboard/webhooks/endpoints/{webhook_id}/active": {"active": {"false"}},
}

var paramRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// path fills rt's parameters with B's objects.
func (f *secFixture) path(t *testing.T, rt route) string {
	return paramRE.ReplaceAllStringFunc(rt.Path, func(m string) string {
		name := m[1 : len(m)-1]
		sample, ok := paramSamples[name]
		if !ok {
			t.Fatalf("%s %s: no sample for {%s} in paramSamples", rt.Method, rt.Path, name)
		}
		return url.PathEscape(sample.Other(f))
	})
}

// snapshot is every account-side fact a refused request must leave as it
// was: members, invites, keys, sessions and the audit log of both merchants.
func (f *secFixture) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, m := range []*gateway.Merchant{f.a, f.b} {
		members, err := f.e.acc.Members(ctx, m.ID)
		must(t, err)
		invites, err := f.e.acc.Invites(ctx, m.ID)
		must(t, err)
		keys, err := f.e.acc.APIKeys(ctx, m.ID)
		must(t, err)
		audit, err := f.e.acc.AuditLog(ctx, m.ID, f.e.svc.Now().AddDate(1, 0, 0), 200)
		must(t, err)
		fmt.Fprintf(&b, "%s members %v\ninvites %v\nkeys %v\naudit %d\n", m.ID, members, invites, keys, len(audit))
		for _, mode := range []gateway.Mode{gateway.ModeTest, gateway.ModeLive} {
			scope := gateway.Scope{MerchantID: m.ID, Mode: mode}
			if w, err := f.e.store.GetWalletConnection(ctx, scope); err == nil {
				fmt.Fprintf(&b, "wallet %s %s %s %s %x\n", mode, w.ID, w.Type, w.LastError, w.Config)
			}
			eps, err := f.e.store.ListWebhookEndpoints(ctx, scope, gateway.Page{PerPage: 100})
			must(t, err)
			for _, ep := range eps.Items {
				ds, err := f.e.store.ListDeliveries(ctx, scope, ep.ID, gateway.Page{PerPage: 100})
				must(t, err)
				fmt.Fprintf(&b, "endpoint %+v\ndeliveries %+v\n", ep, ds.Items)
			}
			evs, err := f.e.store.ListEvents(ctx, scope, gateway.EventFilter{Page: gateway.Page{PerPage: 100}})
			must(t, err)
			fmt.Fprintf(&b, "events %s %d\n", mode, len(evs.Items))
		}
	}
	users, err := f.e.acc.Users(ctx)
	must(t, err)
	for _, u := range users {
		ss, err := f.e.store.ListUserSessions(ctx, u.ID, f.e.svc.Now())
		must(t, err)
		var ids []string
		for _, s := range ss {
			ids = append(ids, s.ID+"/"+string(s.Mode)+"/"+s.MerchantID)
		}
		fmt.Fprintf(&b, "user %s %s pw %s 2fa %v sessions %v\n", u.ID, u.Email, u.PasswordHash, u.TwoFactor(), ids)
	}
	return b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *secFixture) unchanged(t *testing.T, before string) {
	t.Helper()
	if d := cmp.Diff(before, f.snapshot(t)); d != "" {
		t.Errorf("a refused request changed something (-before +after):\n%s", d)
	}
}

func routeName(rt route) string { return rt.Method + " " + rt.Path }

// TestRouteTableIsCovered fails when a route has a path parameter without a
// sample, so no route escapes the cross-merchant test.
func TestRouteTableIsCovered(t *testing.T) {
	e := setup(t)
	for _, rt := range e.h.table {
		for _, m := range paramRE.FindAllStringSubmatch(rt.Path, -1) {
			if _, ok := paramSamples[m[1]]; !ok {
				t.Errorf("%s: add a sample for {%s} to paramSamples", routeName(rt), m[1])
			}
		}
		if rt.Access == Member && rt.Perm == "" {
			t.Errorf("%s: a Member route needs a Perm", routeName(rt))
		}
	}
}

func TestSignedOut(t *testing.T) {
	f := newSecFixture(t)
	for _, rt := range f.e.h.table {
		t.Run(routeName(rt), func(t *testing.T) {
			b := f.e.browser()
			before := f.snapshot(t)
			var r *resp
			if rt.Method == "GET" {
				r = b.get(f.path(t, rt))
			} else {
				r = b.post(f.path(t, rt), clone(formSamples[routeName(rt)]))
			}
			if rt.Access == Public {
				if r.status >= 500 {
					t.Fatalf("public route failed signed out: %d", r.status)
				}
				return
			}
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/dashboard/signin") {
				t.Fatalf("signed out: %d to %q, want 303 to the sign-in", r.status, r.location)
			}
			f.unchanged(t, before)
		})
	}
}

func TestNoCSRFToken(t *testing.T) {
	f := newSecFixture(t)
	for _, rt := range f.e.h.table {
		if rt.Method == "GET" {
			continue
		}
		t.Run(routeName(rt), func(t *testing.T) {
			b := f.e.browser()
			b.signIn("owner@alpha.example", testPassword).want(t, http.StatusSeeOther)
			before := f.snapshot(t)
			path := ownPath(f, rt)
			for name, vals := range map[string]url.Values{
				"no token":              clone(formSamples[routeName(rt)]),
				"another session's":     withToken(formSamples[routeName(rt)], f.e.browser().csrf()),
				"token, foreign origin": withToken(formSamples[routeName(rt)], b.csrf()),
			} {
				origin := f.e.url
				if name == "token, foreign origin" {
					origin = "https://evil.example"
				}
				r := b.postRaw(path, vals, origin)
				if r.status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", name, r.status)
				}
			}
			// Sec-Fetch-Site from another site, with the right token.
			req, _ := http.NewRequest("POST", f.e.url+path, strings.NewReader(withToken(formSamples[routeName(rt)], b.csrf()).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if r := b.do(req); r.status != http.StatusForbidden {
				t.Errorf("cross-site fetch: %d, want 403", r.status)
			}
			f.unchanged(t, before)
		})
	}
}

// ownPath fills a route's parameters with merchant A's own objects, so a
// refusal is not a 404 in disguise.
func ownPath(f *secFixture, rt route) string {
	return paramRE.ReplaceAllStringFunc(rt.Path, func(m string) string {
		return url.PathEscape(paramSamples[m[1:len(m)-1]].Own(f))
	})
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func withToken(v url.Values, token string) url.Values {
	out := clone(v)
	out.Set("csrf_token", token)
	return out
}

// TestRevokedSession: a stolen cookie stops working once its session is
// revoked (sign out everywhere, or one session from another browser).
func TestRevokedSession(t *testing.T) {
	f := newSecFixture(t)
	ctx := context.Background()
	for _, rt := range f.e.h.table {
		if rt.Access == Public {
			continue
		}
		t.Run(routeName(rt), func(t *testing.T) {
			b := f.e.browser()
			b.signIn("owner@alpha.example", testPassword).want(t, http.StatusSeeOther)
			token := b.csrf()
			owner := f.users[gateway.RoleOwner]
			if _, err := f.e.store.RevokeUserSessions(ctx, owner.ID, "", f.e.svc.Now()); err != nil {
				t.Fatal(err)
			}
			before := f.snapshot(t)
			var r *resp
			if rt.Method == "GET" {
				r = b.get(ownPath(f, rt))
			} else {
				r = b.post(ownPath(f, rt), withToken(formSamples[routeName(rt)], token))
			}
			refused := (r.status == http.StatusSeeOther && strings.HasPrefix(r.location, "/dashboard/signin")) || r.status == http.StatusForbidden
			if !refused {
				t.Fatalf("revoked session: %d to %q, want the sign-in or 403", r.status, r.location)
			}
			f.unchanged(t, before)
		})
	}
}

// TestRoles: each Member route answers 403 to a role without its
// permission, and serves the roles with it.
func TestRoles(t *testing.T) {
	f := newSecFixture(t)
	browsers := map[gateway.Role]*browser{}
	for _, r := range gateway.Roles {
		browsers[r] = f.e.browser()
		browsers[r].signIn(string(r)+"@alpha.example", testPassword).want(t, http.StatusSeeOther)
	}
	for _, rt := range f.e.h.table {
		if rt.Access != Member {
			continue
		}
		for _, role := range gateway.Roles {
			t.Run(routeName(rt)+"/"+string(role), func(t *testing.T) {
				b := browsers[role]
				before := f.snapshot(t)
				var r *resp
				if rt.Method == "GET" {
					r = b.get(ownPath(f, rt) + sampleQuery(rt))
				} else if !role.Can(rt.Perm) {
					r = b.post(ownPath(f, rt), clone(formSamples[routeName(rt)]))
				} else {
					return // a permitted change is each page's own test
				}
				if !role.Can(rt.Perm) {
					if r.status != http.StatusForbidden {
						t.Fatalf("%s without %s: %d, want 403", role, rt.Perm, r.status)
					}
					f.unchanged(t, before)
					return
				}
				if r.status != http.StatusOK {
					t.Fatalf("%s with %s: %d (to %q), want 200", role, rt.Perm, r.status, r.location)
				}
			})
		}
	}
}

// sampleQuery is a valid query for GET pages that need one.
func sampleQuery(rt route) string {
	switch rt.Path {
	case "/dashboard/keys/roll":
		return "?key_type=sk_live"
	case "/dashboard/wallet/connect":
		return "?type=lnd"
	}
	return ""
}

// TestOtherMerchantsObjects: A's owner naming B's objects gets 404 and
// changes nothing, on every route with a parameter.
func TestOtherMerchantsObjects(t *testing.T) {
	f := newSecFixture(t)
	b := f.e.browser()
	b.signIn("owner@alpha.example", testPassword).want(t, http.StatusSeeOther)
	for _, rt := range f.e.h.table {
		if rt.Access == Public || !paramRE.MatchString(rt.Path) {
			continue
		}
		t.Run(routeName(rt), func(t *testing.T) {
			before := f.snapshot(t)
			var r *resp
			if rt.Method == "GET" {
				r = b.get(f.path(t, rt))
			} else {
				r = b.post(f.path(t, rt), clone(formSamples[routeName(rt)]))
			}
			if r.status != http.StatusNotFound {
				t.Fatalf("another merchant's object: %d (to %q), want 404", r.status, r.location)
			}
			f.unchanged(t, before)
		})
	}
}
