package browsertest

import (
	"os"
	"path/filepath"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// axeDefault is where scripts/axe installs axe-core when SATSRAIL_AXE_JS is
// not set (keep its version in step with the script's).
const axeDefault = "satsrail/axe-core-4.14.1/node_modules/axe-core/axe.min.js"

// AxeSource reads axe.min.js: $SATSRAIL_AXE_JS, else scripts/axe's cache.
// Without it the test fails: scripts/setup installs it.
func AxeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SATSRAIL_AXE_JS")
	if path == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, axeDefault)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is not installed (%v): run scripts/axe, or eval \"$(scripts/axe)\" to set SATSRAIL_AXE_JS", err)
	}
	return string(b)
}

// AxeViolation is one serious or critical axe finding.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// AxeScript runs axe on the loaded page (axe-core already injected) and
// returns its serious and critical violations as []AxeViolation.
const AxeScript = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`

// BypassCSP lifts the page's CSP in tab, for a tab that injects axe
// (the CSP is for the pages' own scripts; check the console in another tab).
func BypassCSP(t *testing.T, tab *Tab) {
	t.Helper()
	if _, err := chromedp.Call(tab.Ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// Axe injects axe-core (source from AxeSource) into the loaded page and
// returns its serious and critical violations.
func Axe(t *testing.T, tab *Tab, source string) []AxeViolation {
	t.Helper()
	Run(tab, "inject axe", chromedp.Evaluate[chromedp.Void](source))
	return Run(tab, "run axe", chromedp.Evaluate[[]AxeViolation](AxeScript, chromedp.EvalAwaitPromise))
}
