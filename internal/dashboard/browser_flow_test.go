package dashboard

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/internal/browsertest"
	"github.com/satsrail/satsrail/internal/gateway"
)

// shotDir is where the screenshots go: $SATSRAIL_ARTIFACTS/dashboard when
// set (as the checkout browser test), else the test's t.ArtifactDir(),
// kept with `go test -artifacts -outputdir DIR` and removed otherwise.
func shotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SATSRAIL_ARTIFACTS"); d != "" {
		dir := filepath.Join(d, "dashboard")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.ArtifactDir()
}

// TestBrowserDashboardPages signs up on a real dashboard in headless
// Chromium (Debian's chromium package), then opens every GET page of the
// route table at phone (390×844) and desktop (1280×800) size — after
// adding a webhook endpoint, sending it a test event and redelivering it by
// hand, so the webhook pages have a delivery log to show: each page is
// screenshotted and checked by axe-core, injected by this test only, and
// any serious or critical violation fails it. Pages wider than the phone
// are logged.
func TestBrowserDashboardPages(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Chromium is not installed; the browser test needs Debian's chromium package (scripts/setup installs it)")
	}
	axe := browsertest.AxeSource(t)
	dir := shotDir(t)
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	// axe is injected through DevTools; the pages' CSP (Trusted Types
	// among it) is for the pages' own scripts, so it is lifted in this tab.
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(tab, 30*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[string](`navigator.userAgent`)); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	if _, err := chromedp.Call(tab, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}

	sizes := []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 800, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}},
	}
	// check screenshots and axe-checks the page at path in both sizes.
	check := func(name, path string) {
		t.Helper()
		for _, s := range sizes {
			do("open "+path+" at "+s.name, chromedp.EmulateViewport(s.w, s.h, s.opts...), chromedp.Navigate(e.url+path),
				chromedp.WaitReady(chromedp.CSS("main")))
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", path, err)
			}
			file := filepath.Join(dir, s.name+"-"+name+".png")
			if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width != int(s.w) {
				t.Errorf("%s: not a %d px wide PNG (%v)", file, s.w, err)
			}
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
				t.Fatalf("inject axe into %s: %v", path, err)
			}
			vs, err := chromedp.Run(tab, chromedp.Evaluate[[]browsertest.AxeViolation](browsertest.AxeScript, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("axe on %s: %v", path, err)
			}
			for _, v := range vs {
				t.Errorf("%s at %s: axe %s %s: %s at %s", path, s.name, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
			}
			if s.name == "phone" {
				w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				if err == nil && w > int(s.w) {
					t.Logf("%s is %d px wide on a %d px phone (it scrolls sideways)", path, w, s.w)
				}
			}
		}
	}

	// First run: the sign-up page, then the account, its merchant and keys.
	check("signup", "/dashboard/signup")
	do("sign up", chromedp.Navigate(e.url+"/dashboard/signup"),
		chromedp.SetValue(chromedp.ID("f-business_name"), "Corner Café"),
		chromedp.SetValue(chromedp.ID("f-email"), "owner@corner.example"),
		chromedp.SetValue(chromedp.ID("f-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".secret")))
	users, err := e.acc.Users(context.Background())
	must(t, err)
	if len(users) != 1 {
		t.Fatalf("%d users after sign-up, want 1", len(users))
	}
	ms, err := e.acc.Memberships(context.Background(), users[0].ID)
	must(t, err)
	if len(ms) != 1 {
		t.Fatalf("%d memberships, want 1", len(ms))
	}
	mid := ms[0].MerchantID

	// Webhooks, by hand: add an endpoint pointing at a local receiver (its
	// secret shown once), "Send test event", the log shows the 200,
	// "Redeliver", the log shows the second attempt.
	ctxb := context.Background()
	scope := gateway.Scope{MerchantID: mid, Mode: gateway.ModeTest}
	rcv := newReceiver(t)
	done := e.deliveries(t)
	do("add an endpoint", chromedp.Navigate(e.url+"/dashboard/webhooks"),
		chromedp.Click(chromedp.CSS(`a[href="/dashboard/webhooks/new"]`)),
		chromedp.WaitVisible(chromedp.ID("f-url")),
		chromedp.SetValue(chromedp.ID("f-url"), rcv.srv.URL+"/hooks/satsrail"),
		chromedp.SetValue(chromedp.ID("f-description"), "Orders to the kitchen printer"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="webhook.test"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/webhooks"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".secret")))
	if s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".secret code"))); err != nil || !whsecRE.MatchString(s) {
		t.Fatalf("the new endpoint's secret is not shown: %q, %v", s, err)
	}
	eps, err := e.svc.ListWebhookEndpoints(ctxb, scope, gateway.Page{})
	must(t, err)
	if len(eps.Items) != 1 {
		t.Fatalf("%d endpoints, want 1", len(eps.Items))
	}
	ep := eps.Items[0]
	do("send a test event", chromedp.Click(chromedp.CSS(`a[href="/dashboard/webhooks/endpoints/`+ep.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/test"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)),
		// The page the post redirects to: the navigation is over.
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "webhook.test event was queued")]`)))
	dID := attempted(t, done)
	epPage := e.url + "/dashboard/webhooks/endpoints/" + ep.ID
	do("see the 200", chromedp.Navigate(epPage), chromedp.WaitVisible(chromedp.CSS(".delivery")))
	if s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".delivery tbody td:nth-child(3)"))); err != nil || s != "200" {
		t.Fatalf("the delivery log's status: %q, %v", s, err)
	}
	do("redeliver", chromedp.Click(chromedp.CSS(`form[action="/dashboard/webhooks/deliveries/`+dID+`/redeliver"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "queued for one more attempt")]`)))
	if id := attempted(t, done); id != dID {
		t.Fatalf("redelivered %s, want %s", id, dID)
	}
	do("see the second attempt", chromedp.Navigate(epPage), chromedp.WaitVisible(chromedp.CSS(".delivery")))
	if s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".delivery > p"))); err != nil || !strings.Contains(s, "2 attempts") {
		t.Fatalf("after redelivery the log says %q, %v", s, err)
	}
	evs, err := e.svc.ListEvents(ctxb, scope, gateway.EventFilter{})
	must(t, err)
	if len(evs.Items) != 1 {
		t.Fatalf("%d events, want 1", len(evs.Items))
	}
	ev := evs.Items[0]

	// Something on every other page: a connected wallet, an invite.
	e.connectWallet(mid, gateway.ModeTest)
	token, inv, err := e.acc.Invite(ctxb, gateway.Actor{User: &users[0]}, mid, gateway.InviteParams{Email: "barista@corner.example", Role: "manager"})
	must(t, err)
	own := map[string]string{"webhook_id": ep.ID, "event_id": ev.ID, "delivery_id": dID, "invite_id": inv.ID,
		"user_id": users[0].ID, "token": token}

	var public []route
	for _, rt := range e.h.table {
		if rt.Method != "GET" || strings.HasSuffix(rt.Path, "/export") {
			continue // a form's action, or a download (CSV), not a page
		}
		if rt.Access == Public {
			public = append(public, rt)
			continue
		}
		if rt.Path == "/dashboard/transactions/export" {
			continue // a CSV download, not a page: the browser aborts its navigation
		}
		check(shotName(rt), fillPath(rt, own)+sampleQuery(rt))
	}
	// Signed out: the sign-in page, an invite link.
	do("sign out", chromedp.Navigate(e.url+"/dashboard/account"),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/signout"] button`)),
		// The sign-in page's notice: the sign-out's navigation is over.
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	for _, rt := range public {
		if rt.Path == "/dashboard/signup" {
			continue // seen first-run above
		}
		check(shotName(rt)+"-signed-out", fillPath(rt, own))
	}
	t.Logf("screenshots in %s", dir)
}

// fillPath puts the objects of own in rt's path parameters.
func fillPath(rt route, own map[string]string) string {
	return paramRE.ReplaceAllStringFunc(rt.Path, func(p string) string { return own[p[1:len(p)-1]] })
}

// shotName is a route's file name: /dashboard/webhooks/{webhook_id} →
// webhooks-webhook_id.
func shotName(rt route) string {
	n := strings.Trim(strings.TrimPrefix(rt.Path, "/dashboard"), "/")
	n = strings.NewReplacer("/", "-", "{", "", "}", "").Replace(n)
	if n == "" {
		return "overview"
	}
	return n
}
