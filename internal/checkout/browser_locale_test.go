package checkout_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/internal/browsertest"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/i18n"
)

// overflowJS lists what does not fit the viewport's width: the page
// scrolling sideways, an element reaching past either edge, or an element
// whose content is wider than its box (a word too long for a button).
const overflowJS = `(() => {
	const W = document.documentElement.clientWidth, out = [];
	if (document.documentElement.scrollWidth > W) out.push("the page is " + document.documentElement.scrollWidth + "px wide");
	for (const el of document.body.querySelectorAll("*")) {
		if (el.closest(".visually-hidden, [hidden], noscript")) continue;
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			(typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
		if (r.left < -0.5 || r.right > W + 0.5) out.push(name + " spans " + Math.round(r.left) + ".." + Math.round(r.right));
		else if (el instanceof HTMLElement && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
			out.push(name + " holds " + el.scrollWidth + "px in " + el.clientWidth + "px: " + el.textContent.trim().slice(0, 40));
	}
	return out;
})()`

// TestBrowserLanguages drives the hosted pages in real headless Chromium
// at phone size (390×844): in every language no element overflows the
// phone's width, on the live pending page and on every other page a
// customer sees; for Arabic (right to left), Japanese and Portuguese
// (Brazil) the page is screenshotted ($SATSRAIL_ARTIFACTS, by default
// <repo>/test-artifacts: phone-<tag>-*.png), mirrored for Arabic, its
// script's words and digits (countdown, Copy, Paid) are the language's,
// the console stays clean under the strict CSP and axe-core finds nothing
// serious.
func TestBrowserLanguages(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := browsertest.Artifacts(t)
	axe := browsertest.AxeSource(t)
	e := setup(t)
	store := browserStore(t)
	newSession := func(mode gateway.Mode) *gateway.CheckoutSession {
		t.Helper()
		return e.session(mode, lineItems, func(p *gateway.CheckoutSessionParams) {
			succ, canc := store.url+"/success?order=42", store.url+"/cart"
			p.SuccessURL, p.CancelURL = &succ, &canc
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	browser := browsertest.Launch(t, ctx, chromium)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)

	t.Run("every language fits a phone", func(t *testing.T) {
		s := newSession(gateway.ModeTest)
		tab := browsertest.Open(t, browser, phone)
		for _, l := range i18n.All() {
			tab.Do("load the page in "+l.Tag, chromedp.Navigate(e.url+"/checkout/"+s.ID+"?locale="+l.Tag),
				chromedp.WaitVisible(chromedp.ID("copy")))
			for _, o := range browsertest.Run(tab, "measure "+l.Tag, chromedp.Evaluate[[]string](overflowJS)) {
				t.Errorf("%s pending page at 390px: %s", l.Tag, o)
			}
		}
		tab.NoConsoleErrors("the pending page in every language")
		// The control: the check sees an element wider than the phone.
		got := browsertest.Run(tab, "overflow on purpose", chromedp.Evaluate[[]string](`(() => {
			const d = document.createElement("div"); d.id = "too-wide"; d.style.width = "500px"; d.textContent = "x";
			document.querySelector("main").appendChild(d); return `+overflowJS+`; })()`))
		if !strings.Contains(strings.Join(got, "\n"), "div#too-wide") {
			t.Errorf("the overflow check missed a 500px element: %q", got)
		}
	})

	t.Run("every other page fits a phone", func(t *testing.T) {
		paid := newSession(gateway.ModeTest)
		if _, err := e.svc.SimulatePaymentFor(t.Context(), paid.ID); err != nil {
			t.Fatal(err)
		}
		cancelled := newSession(gateway.ModeTest)
		if _, err := e.svc.CancelCheckout(t.Context(), cancelled.ID); err != nil {
			t.Fatal(err)
		}
		live := newSession(gateway.ModeLive)
		mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
		token := strings.TrimPrefix(e.fetch("GET", "/pay/"+mug.ID).url, "/checkout/")
		// Without script: the final pages would leave for the store.
		tab := browsertest.Open(t, browser, phone)
		if _, err := chromedp.Call(tab.Ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		for _, l := range i18n.All() {
			q := "?locale=" + l.Tag
			for _, path := range []string{"/checkout/" + paid.ID + q, "/checkout/" + cancelled.ID + q, "/checkout/" + live.ID + q,
				"/checkout/cs_nope" + q, "/pay/prod_nope" + q, "/pay/" + mug.ID + "/thanks?checkout_id=" + token + "&locale=" + l.Tag} {
				tab.Do("load "+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(chromedp.CSS("footer")))
				for _, o := range browsertest.Run(tab, "measure "+path, chromedp.Evaluate[[]string](overflowJS)) {
					t.Errorf("%s at 390px: %s", path, o)
				}
			}
		}
		e.clock.Advance(16 * time.Minute) // every pending session of this test expires
		for _, l := range i18n.All() {
			tab.Do("load the expired page", chromedp.Navigate(e.url+"/checkout/"+live.ID+"?locale="+l.Tag), chromedp.WaitVisible(chromedp.CSS("footer")))
			for _, o := range browsertest.Run(tab, "measure", chromedp.Evaluate[[]string](overflowJS)) {
				t.Errorf("%s expired page at 390px: %s", l.Tag, o)
			}
		}
		e.clock.Advance(-16 * time.Minute)
	})

	for _, tag := range []string{"ar", "ja", "pt-BR"} {
		t.Run(tag, func(t *testing.T) {
			l := i18n.Get(tag)
			s := newSession(gateway.ModeTest)
			tab := browsertest.Open(t, browser, phone)
			tab.Do("load the checkout page", chromedp.Navigate(e.url+"/checkout/"+s.ID+"?locale="+tag),
				chromedp.WaitVisible(chromedp.CSS(".qr svg")), chromedp.WaitVisible(chromedp.ID("copy")))
			type look struct {
				Lang, Dir, Fiat, Sats, Copy string
				LabelX, AmountX             float64
			}
			got := browsertest.Run(tab, "read the page", chromedp.Evaluate[look](`({
				Lang: document.documentElement.lang, Dir: getComputedStyle(document.body).direction,
				Fiat: document.getElementById("fiat").textContent, Sats: document.getElementById("sats").textContent,
				Copy: document.getElementById("copy").textContent,
				LabelX: document.querySelector(".total span").getBoundingClientRect().left,
				AmountX: document.getElementById("fiat").getBoundingClientRect().left,
			})`))
			if got.Lang != tag || got.Dir != l.Dir || got.Fiat != l.Money(5000, "usd") || got.Sats != l.Sats(int64(e.get(s.ID).AmountSats)) || got.Copy != l.T("copy_invoice") {
				t.Errorf("page %+v; want lang %s dir %s fiat %q sats %q copy %q", got, tag, l.Dir, l.Money(5000, "usd"), l.Sats(int64(e.get(s.ID).AmountSats)), l.T("copy_invoice"))
			}
			// Mirrored: "Total" is on the reading side, the amount across.
			if rtl := l.Dir == "rtl"; rtl != (got.LabelX > got.AmountX) {
				t.Errorf("%s: Total at x=%v, amount at x=%v: the row is not laid out %s", tag, got.LabelX, got.AmountX, l.Dir)
			}
			// The countdown ticks in the language's digits.
			d := regexp.QuoteMeta(l.DigitSet())
			reCountdown := regexp.MustCompile(`^[` + d + `]+:[` + d + `]{2}$`)
			before := browsertest.Run(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
			tab.Do("let the countdown tick", chromedp.Sleep(1500*time.Millisecond))
			after := browsertest.Run(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
			if !reCountdown.MatchString(before) || !reCountdown.MatchString(after) || before == after {
				t.Errorf("countdown %q then %q: want a live m:ss in %s digits", before, after, l.DigitSet())
			}
			for _, o := range browsertest.Run(tab, "measure", chromedp.Evaluate[[]string](overflowJS)) {
				t.Errorf("%s at 390px: %s", tag, o)
			}
			browsertest.Shot(t, tab, artifacts, "phone-"+tag+"-pending.png", 780)
			// Copy says so in the page's language.
			tab.Do("click Copy", chromedp.Click(chromedp.ID("copy")))
			browsertest.Run(tab, "wait for "+l.T("copied"), chromedp.Poll[bool](
				`document.getElementById("copy").textContent === `+jsString(l.T("copied")), chromedp.WithPollingTimeout(3*time.Second)))
			tab.NoConsoleErrors("the pending page")
			// Paid, in the page's language, then on to the store.
			tab.Do("click Simulate payment", chromedp.Click(chromedp.ID("simulate")))
			browsertest.Run(tab, "wait for "+l.T("paid"), chromedp.Poll[bool](
				`document.getElementById("status").textContent === `+jsString(l.T("paid")), chromedp.WithPollingTimeout(5*time.Second)))
			browsertest.Shot(t, tab, artifacts, "phone-"+tag+"-paid.png", 780)
			want := store.url + "/success?checkout_id=" + s.ID + "&order=42"
			if at, ok := tab.WaitLocation(want); !ok {
				t.Errorf("after paying the browser is at %q, want %q", at, want)
			}
			tab.NoConsoleErrors("the payment")

			// axe-core, in a tab of its own: it is injected past the CSP. (Not
			// on the paid page: its script leaves for the store meanwhile.)
			cancelled := newSession(gateway.ModeTest)
			if _, err := e.svc.CancelCheckout(t.Context(), cancelled.ID); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/checkout/" + newSession(gateway.ModeTest).ID, "/checkout/" + cancelled.ID, "/checkout/cs_nope", "/pay/prod_nope"} {
				at := browsertest.Open(t, browser, phone)
				browsertest.BypassCSP(t, at)
				at.Do("load "+path, chromedp.Navigate(e.url+path+"?locale="+tag), chromedp.WaitVisible(chromedp.CSS("footer")))
				for _, v := range browsertest.Axe(t, at, axe) {
					t.Errorf("%s in %s: axe %s %s: %s at %s", path, tag, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
				}
			}
			// The control: axe does report a page that lost its language.
			at := browsertest.Open(t, browser, phone)
			browsertest.BypassCSP(t, at)
			at.Do("load a page without lang", chromedp.Navigate(e.url+"/checkout/cs_nope?locale="+tag), chromedp.WaitVisible(chromedp.CSS("footer")),
				chromedp.Evaluate[chromedp.Void](`document.documentElement.removeAttribute("lang")`))
			found := false
			for _, v := range browsertest.Axe(t, at, axe) {
				found = found || v.ID == "html-has-lang"
			}
			if !found {
				t.Error("axe did not report a page without lang: the check cannot fail")
			}
		})
	}

	// Paid by the wallet (the live status, not the page's own simulate), a
	// payment link's customer lands on the thank-you page in the language
	// picked on the link, not in the browser's.
	t.Run("payment link thank-you page keeps the language", func(t *testing.T) {
		mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
		tab := browsertest.Open(t, browser, phone)
		tab.Do("open the payment link in Japanese", chromedp.Navigate(e.url+"/pay/"+mug.ID+"?locale=ja"), chromedp.WaitVisible(chromedp.ID("copy")))
		at := browsertest.Run(tab, "read the location", chromedp.Evaluate[string](`location.pathname`))
		token := strings.TrimPrefix(at, "/checkout/")
		if _, err := e.svc.SimulatePaymentFor(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		want := e.url + "/pay/" + mug.ID + "/thanks?checkout_id=" + token + "&locale=ja"
		if at, ok := tab.WaitLocation(want); !ok {
			t.Fatalf("after paying the browser is at %q, want %q", at, want)
		}
		browsertest.Run(tab, "wait for the Japanese thank-you page", chromedp.Poll[bool](
			`document.documentElement.lang === "ja" && document.body.textContent.includes(`+jsString(i18n.Get("ja").T("paid"))+`)`,
			chromedp.WithPollingTimeout(5*time.Second)))
		tab.NoConsoleErrors("the payment link")
	})
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
