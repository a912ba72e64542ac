// Package browsertest drives a real headless Chromium for the pages'
// browser tests (the hosted checkout, the dashboard): it launches Debian's
// chromium bound to a test, opens tabs that collect console errors and CSP
// reports, and saves screenshots as test artifacts. It is imported only by
// tests.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium finds Debian's chromium; without it the test fails, since CI
// installs it (.ci/run).
func Chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("Chromium is not installed; the browser test needs Debian's chromium package: " +
		"apt-get install -y --no-install-recommends chromium (.ci/run installs it in CI)")
	return ""
}

// Artifacts is where the screenshots go: $SATSRAIL_ARTIFACTS, or
// test-artifacts/ at the repository root (ignored by git).
func Artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SATSRAIL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Launch starts headless Chromium, bound to ctx. Its output goes to a
// log that the test prints when it fails.
func Launch(t *testing.T, ctx context.Context, chromium string) context.Context {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			var lines []string
			for _, l := range strings.Split(string(b), "\n") {
				if l != "" && !strings.Contains(l, "dbus/") { // a container has no D-Bus: noise
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				t.Logf("chromium output:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
	})
	// The first call starts the browser and binds it to the context it gets,
	// so it gets bctx itself (bounded by ctx), not a shorter deadline.
	v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Logf("browser: %s", v)
	return bctx
}

// Tab is one tab, with what its console reported.
type Tab struct {
	t       *testing.T
	Ctx     context.Context
	Console *Console
}

// Open opens a tab in the browser of parent and runs setup in it (a
// viewport); the tab closes when the test ends.
func Open(t *testing.T, parent context.Context, setup ...chromedp.Action[chromedp.Void]) *Tab {
	t.Helper()
	c := &Console{}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithListener(c.listen))
	t.Cleanup(cancel)
	tab := &Tab{t: t, Ctx: ctx, Console: c}
	// The first call opens the tab: it runs with the browser's own context,
	// so that the tab lives until cancel.
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// Do runs actions with a deadline.
func (b *Tab) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// browserRun runs one action with a deadline and returns its value.
func Run[T any](b *Tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// WaitLocation waits up to 10s for the tab to be at url; it returns where the
// tab is.
func (b *Tab) WaitLocation(url string) (string, bool) {
	b.t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.Ctx, 2*time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if err == nil {
			last = loc
			if loc == url {
				return loc, true
			}
		}
	}
	return last, false
}

// NoConsoleErrors fails on any exception, console error or warning, or
// browser log error or warning (CSP violations among them) seen so far.
func (b *Tab) NoConsoleErrors(when string) {
	b.t.Helper()
	// Let events already sent by the browser arrive.
	b.Do("settle", chromedp.Evaluate[chromedp.Void](`0`))
	for _, m := range b.Console.Take() {
		b.t.Errorf("console during %s: %s", when, m)
	}
}

// Shot saves a full-page PNG in dir and checks it is a real picture
// of the expected width in device pixels.
func Shot(t *testing.T, tab *Tab, dir, name string, width int) {
	t.Helper()
	buf := Run(tab, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	switch {
	case err != nil:
		t.Errorf("%s is not a PNG: %v", path, err)
	case len(buf) <= 5*1024:
		t.Errorf("%s is only %d bytes", path, len(buf))
	case cfg.Width != width:
		t.Errorf("%s is %dx%d, want %d px wide", path, cfg.Width, cfg.Height, width)
	}
	t.Logf("screenshot %s (%dx%d, %d bytes)", path, cfg.Width, cfg.Height, len(buf))
}

// Console collects what a tab reports as wrong: uncaught exceptions,
// console.error/warn/assert, and browser log entries at warning or error
// level (where Chromium reports CSP violations and failed loads).
type Console struct {
	mu   sync.Mutex
	msgs []string
}

// listen runs in the tab's event loop: it must be quick and send no command.
func (c *Console) listen(ev any) {
	var m string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		m = "exception: " + d.Text
		if d.Exception != nil {
			m += " " + d.Exception.Description
		}
		m += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			m = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		}
	case *cdplog.EventEntryAdded:
		en := ev.Entry
		// The browser's own request for /favicon.ico (the gateway has none) is
		// not the page's doing.
		if en == nil || en.Source == cdplog.EntrySourceNetwork && strings.HasSuffix(en.URL, "/favicon.ico") {
			return
		}
		if en.Level == cdplog.EntryLevelError || en.Level == cdplog.EntryLevelWarning || strings.Contains(en.Text, "Content Security Policy") {
			m = fmt.Sprintf("log %s %s: %s %s", en.Source, en.Level, en.Text, en.URL)
		}
	}
	if m != "" {
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
	}
}

// Take returns the messages so far and forgets them.
func (c *Console) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs
	c.msgs = nil
	return m
}
