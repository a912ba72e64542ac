package dashboard

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/present"
)

//go:embed templates
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// pages holds every page template (each the layout plus one page file) and
// the embedded assets under their content-hashed names.
type pages struct {
	tmpl   map[string]*template.Template // page name (file name without .html) → template
	assets map[string]asset              // hashed name → asset
	hashed map[string]string             // plain name → URL with the hashed name
}

type asset struct {
	body        []byte
	contentType string
}

// loadPages parses the templates and hashes the assets; a broken template
// panics at start, never at the first request.
func loadPages() *pages {
	p := &pages{tmpl: map[string]*template.Template{}, assets: map[string]asset{}, hashed: map[string]string{}}
	files, _ := fs.ReadDir(assetFS, "assets")
	for _, f := range files {
		body, _ := assetFS.ReadFile("assets/" + f.Name())
		sum := sha256.Sum256(body)
		ext := path.Ext(f.Name())
		name := strings.TrimSuffix(f.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		p.assets[name] = asset{body: body, contentType: mime.TypeByExtension(ext)}
		p.hashed[f.Name()] = "/static/dashboard/" + name
	}
	base := template.Must(template.New("").Funcs(p.funcs()).ParseFS(templateFS, "templates/*.html"))
	names, _ := fs.Glob(templateFS, "templates/pages/*.html")
	for _, n := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
		p.tmpl[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return p
}

// serveAsset serves an embedded asset by its hashed name, cached for a year:
// a changed file gets a new name.
func (p *pages) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := p.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.body)
}

// funcs are the template functions every page may use.
func (p *pages) funcs() template.FuncMap {
	return template.FuncMap{
		// asset "dashboard.css" → its URL with the content hash.
		"asset": func(name string) string { return p.hashed[name] },
		// when renders a time for people: UTC in the page, the viewer's own
		// time zone once dashboard.js runs, and UTC on hover.
		"when": when,
		// money 5000 "usd" → $50.00.
		"money": func(c gateway.Cents, currency string) string { return present.Money(c, currency) },
		// sats 12345 → 12,345 sats.
		"sats": func(n gateway.Sats) string { return present.Sats(int64(n)) },
		// digits 1234567 → 1,234,567.
		"digits": func(n int) string { return present.GroupDigits(int64(n)) },
		// field .Data.Form "email" "Email" "email" "email" → the "field"
		// partial's input: name, label, type, autocomplete.
		"field": func(f *form.Form, name, label, typ, autocomplete string) fieldView {
			fv := fieldView{Name: name, Label: label, Type: typ, Autocomplete: autocomplete, Error: f.Error(name)}
			if typ != "password" {
				fv.Value = f.Value(name) // a password is never sent back
			}
			return fv
		},
	}
}

// fieldView is one labelled input with its error, for the "field" partial.
type fieldView struct {
	Name, Label, Type, Autocomplete, Value, Error string
}

// when is a <time> element for t; the zero time is "never".
func when(t time.Time) template.HTML {
	if t.IsZero() {
		return "never"
	}
	utc := t.UTC()
	s := template.HTMLEscapeString(utc.Format("2006-01-02 15:04 UTC"))
	return template.HTML(`<time datetime="` + utc.Format(time.RFC3339) + `" title="` + s + `">` + s + `</time>`)
}

// page is what every template gets: the viewer, the page's own data, the
// navigation and the layout's bits.
type page struct {
	V      *Viewer
	Data   any
	Nav    []navLink
	Notice string
	Path   string
}

// render writes page name with data and status 200.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, v *Viewer, name string, data any) error {
	return h.renderStatus(w, r, v, http.StatusOK, name, data)
}

// renderStatus writes page name with data and status. The page is rendered
// into a buffer first, so a template error becomes a clean 500 rather than
// half a page.
func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, v *Viewer, status int, name string, data any) error {
	t, ok := h.pages.tmpl[name]
	if !ok {
		panic("dashboard: no page template " + name)
	}
	if v == nil {
		v = &Viewer{Mode: gateway.ModeTest}
	}
	pg := page{V: v, Data: data, Nav: h.nav(v, r.URL.Path), Notice: notices[r.URL.Query().Get("notice")], Path: r.URL.Path}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(cmp.Or(status, http.StatusOK))
	_, err := w.Write(buf.Bytes())
	if err != nil {
		return nil // the client went away; nothing to tell it
	}
	return nil
}

// renderError shows the error page with a message meant for the viewer.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, v *Viewer, status int, msg string) {
	if err := h.renderStatus(w, r, v, status, "error", errorPage{Status: status, Message: msg}); err != nil {
		h.log.ErrorContext(r.Context(), "render error page", "err", err)
		http.Error(w, msg, status)
	}
}

type errorPage struct {
	Status  int
	Message string
}

// notices are the messages a page shows after a redirect (?notice=key): a
// fixed list, so a link cannot make a page say anything else.
var notices = map[string]string{
	"signed_out":       "You are signed out.",
	"switched":         "Switched.",
	"key_rolled":       "The key was rolled.",
	"invite_revoked":   "The invite was revoked.",
	"member_removed":   "The member was removed.",
	"session_revoked":  "The session was signed out.",
	"password_changed": "Your password was changed; your other sessions were signed out.",
	"password_reset":   "Your password was reset. Sign in with the new one.",
	"totp_disabled":    "Two-factor sign-in is off.",
	"joined":           "You joined the merchant.",
	"saved":            "Saved.",

	"wallet_connected":    "The wallet passed its connection test and is connected.",
	"wallet_disconnected": "The wallet was disconnected.",
	"webhook_updated":     "The endpoint was saved.",
	"webhook_enabled":     "The endpoint is enabled.",
	"webhook_disabled":    "The endpoint is disabled: no more events are sent to it.",
	"webhook_deleted":     "The endpoint was deleted.",
	"webhook_test_sent":   "A webhook.test event was queued for the endpoint; its delivery appears below.",
	"redelivery_queued":   "The delivery was queued for one more attempt.",
}

// navItem is one entry of the dashboard's navigation. An entry shows only
// when its page exists (a GET route of that path is in routes.go) and the
// viewer's role has its permission, so adding a page's route is what puts
// it in the menu.
type navItem struct {
	Label string
	Path  string
	Perm  gateway.Permission // "" for any signed-in user; permOperator for operators
}

// permOperator marks the operator's entry.
const permOperator gateway.Permission = "operator"

var navItems = []navItem{
	{"Overview", "/dashboard", gateway.PermViewPayments},
	{"Checkout sessions", "/dashboard/sessions", gateway.PermViewPayments},
	{"Transactions", "/dashboard/transactions", gateway.PermViewPayments},
	{"Products", "/dashboard/products", gateway.PermManageProducts},
	{"Wallet", "/dashboard/wallet", gateway.PermManageWallet},
	{"Webhooks", "/dashboard/webhooks", gateway.PermManageWebhooks},
	{"API keys", "/dashboard/keys", gateway.PermManageKeys},
	{"Settings", "/dashboard/settings", gateway.PermManageSettings},
	{"Team", "/dashboard/team", gateway.PermManageTeam},
	{"Audit log", "/dashboard/audit", gateway.PermViewAudit},
	{"Operator", "/dashboard/operator", permOperator},
	{"Account", "/dashboard/account", ""},
}

type navLink struct {
	Label, Path string
	Current     bool
}

func (h *Handler) nav(v *Viewer, current string) []navLink {
	if !v.SignedIn() {
		return nil
	}
	var out []navLink
	for _, it := range navItems {
		if !h.hasPage(it.Path) {
			continue
		}
		switch it.Perm {
		case "":
		case permOperator:
			if !v.User.Operator {
				continue
			}
		default:
			if !v.Can(it.Perm) {
				continue
			}
		}
		cur := current == it.Path || (it.Path != "/dashboard" && strings.HasPrefix(current, it.Path+"/"))
		out = append(out, navLink{Label: it.Label, Path: it.Path, Current: cur})
	}
	return out
}

// hasPage reports whether a GET route serves path.
func (h *Handler) hasPage(path string) bool {
	for _, rt := range h.table {
		if rt.Method == http.MethodGet && rt.Path == path {
			return true
		}
	}
	return false
}
