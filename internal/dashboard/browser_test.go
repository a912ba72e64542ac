package dashboard

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/internal/browsertest"
)

// TestBrowserSignUp drives the dashboard in a real headless Chromium: the
// first visit lands on the first-run sign-up; the form (no JavaScript
// needed) creates the account and shows the secret keys once; the browser is
// then signed in, and the keys page never shows a secret key again. Every
// page runs under the strict CSP without a console error or a sideways
// scroll, and is saved at desktop and phone size in $SATSRAIL_ARTIFACTS
// (default <repo>/test-artifacts/dashboard-*.png).
func TestBrowserSignUp(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := browsertest.Artifacts(t)
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	browser := browsertest.Launch(t, ctx, chromium)
	desk := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))

	desk.Do("open the dashboard",
		chromedp.Navigate(e.url+"/dashboard"),
		chromedp.WaitVisible(chromedp.ID("f-business_name")),
	)
	if loc := browsertest.Run(desk, "where", chromedp.Location()); loc != e.url+"/dashboard/signup" {
		t.Fatalf("the first visit is at %q, want the first-run sign-up", loc)
	}
	browsertest.Shot(t, desk, artifacts, "dashboard-signup-desktop.png", 1280)
	desk.Do("fill the sign-up form",
		chromedp.SendKeys(chromedp.ID("f-business_name"), "Ada's <Tea> & Co"),
		chromedp.SendKeys(chromedp.ID("f-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("f-password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.keys")),
	)
	body := browsertest.Run(desk, "read the keys", chromedp.Text(chromedp.CSS("table.keys")))
	sk := regexp.MustCompile(`sk_test_[0-9A-Za-z]{32}`).FindString(body)
	if sk == "" {
		t.Fatalf("the keys page shows no sk_test key: %q", body)
	}
	if _, err := e.svc.Authenticate(ctx, sk); err != nil {
		t.Fatalf("the shown key does not work: %v", err)
	}
	browsertest.Shot(t, desk, artifacts, "dashboard-keys-once-desktop.png", 1280)
	desk.NoConsoleErrors("the sign-up")
	desk.Do("continue", chromedp.Click(chromedp.CSS("a.button.primary")), chromedp.WaitVisible(chromedp.CSS("nav.side")))
	who := browsertest.Run(desk, "read the header", chromedp.Text(chromedp.CSS(".who")))
	if who != "ada@example.com · owner · operator" {
		t.Errorf("header says %q", who)
	}

	pages := []struct{ path, name string }{
		{"/dashboard", "overview"},
		{"/dashboard/keys", "keys"},
		{"/dashboard/keys/roll?key_type=sk_live", "key-roll"},
		{"/dashboard/team", "team"},
		{"/dashboard/team/invite", "team-invite"},
		{"/dashboard/account", "account"},
		{"/dashboard/account/totp", "totp"},
		{"/dashboard/audit", "audit"},
	}
	for _, p := range pages {
		desk.Do("open "+p.path, chromedp.Navigate(e.url+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if p.path == "/dashboard/keys" {
			text := browsertest.Run(desk, "read the keys", chromedp.Text(chromedp.CSS("main")))
			if strings.Contains(text, sk) || !strings.Contains(text, "pk_test_") {
				t.Error("the keys page: want the publishable key and not the secret one")
			}
		}
		browsertest.Shot(t, desk, artifacts, "dashboard-"+p.name+"-desktop.png", 1280)
		desk.NoConsoleErrors(p.path)
	}

	// The same pages on a phone (same browser, same session): nothing
	// scrolls sideways.
	phone := browsertest.Open(t, browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2),
		chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	for _, p := range pages {
		phone.Do("open "+p.path, chromedp.Navigate(e.url+p.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if w := browsertest.Run(phone, "measure", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
			wide := browsertest.Run(phone, "find the wide elements", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *")).
				filter(el => el.getBoundingClientRect().right > 391 && !(el.parentElement && el.parentElement.closest(".tablewrap"))).
				slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))`))
			t.Errorf("%s scrolls sideways on a 390px phone: %v px; too wide: %q", p.path, w, wide)
		}
		browsertest.Shot(t, phone, artifacts, "dashboard-"+p.name+"-phone.png", 780)
		phone.NoConsoleErrors(p.path + " (phone)")
	}

	// Sign out, then sign in again through the form.
	desk.Do("sign out", chromedp.Navigate(e.url+"/dashboard"), chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.ID("f-email")))
	browsertest.Shot(t, desk, artifacts, "dashboard-signin-desktop.png", 1280)
	desk.Do("sign in",
		chromedp.SendKeys(chromedp.ID("f-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("f-password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("nav.side")),
	)
	desk.NoConsoleErrors("sign-out and sign-in")
}
