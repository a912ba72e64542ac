package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/satsrail/satsrail/client"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// App is the shop's web front: its state, the gateway's SDK client and the
// pages.
type App struct {
	cfg     config
	shop    *Shop
	sr      *client.Client // the gateway, with the secret key: server-side only
	secrets []string       // the webhook endpoint's signing secret(s)
	log     *slog.Logger
	pages   map[string]*template.Template
	css     string // the stylesheet's path, with its content hash
	cssBody []byte
}

func newApp(c config, log *slog.Logger) (*App, error) {
	a := &App{cfg: c, shop: NewShop(), log: log, pages: map[string]*template.Template{},
		sr: client.New(c.gatewayURL, c.secretKey, client.WithUserAgent("satsrail-example-store/1"))}
	if c.webhookSecret != "" {
		a.secrets = []string{c.webhookSecret}
	}
	css, err := fs.ReadFile(staticFS, "static/store.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	a.css, a.cssBody = "/static/store."+hex.EncodeToString(sum[:6])+".css", css
	funcs := template.FuncMap{"money": money, "sats": sats, "css": func() string { return a.css }}
	for _, page := range []string{"catalog", "product", "cart", "success", "orders", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		a.pages[page] = t
	}
	return a, nil
}

// routes is every URL of the shop; each handler is in the file named after
// its page and action.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.showCatalog)
	mux.HandleFunc("GET /products/{slug}", a.showProduct)
	mux.HandleFunc("GET /cart", a.showCart)
	mux.HandleFunc("POST /cart/add", a.addToCart)
	mux.HandleFunc("POST /cart/remove", a.removeFromCart)
	mux.HandleFunc("POST /checkout", a.createCheckout)
	mux.HandleFunc("GET /success", a.showSuccess)
	mux.HandleFunc("GET /orders", a.listOrders)
	mux.HandleFunc("POST /webhooks/satsrail", a.receiveWebhook)
	mux.HandleFunc("GET "+a.css, a.serveCSS)
	// Forms post only from the shop's own pages: a cross-site POST (a form
	// on another site) is refused. The gateway's webhook is a server's
	// request, without the browser headers this looks at, and passes.
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// securityHeaders sets what every answer carries; each page sets its CSP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// csp is the pages' Content-Security-Policy: nothing but the shop's own
// stylesheet, and forms that post to the shop (whose checkout redirects to
// the gateway's hosted page, which form-action must allow too). No script
// runs on the shop's pages, except pay.js from the gateway on the page that
// shows its button (withPayJS).
func (a *App) csp(withPayJS bool) string {
	gw := origin(a.cfg.gatewayURL)
	p := []string{"default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self' " + gw,
		"base-uri 'none'", "frame-ancestors 'none'"}
	if withPayJS {
		// pay.js loads from the gateway, creates the session there with the
		// publishable key, and shows the hosted page in a frame.
		p = append(p, "script-src "+gw, "connect-src "+gw, "frame-src "+gw)
	}
	return strings.Join(p, "; ")
}

// origin is scheme://host of a URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// render writes a page with the layout around it.
func (a *App) render(w http.ResponseWriter, status int, page string, data map[string]any, withPayJS bool) {
	if data == nil {
		data = map[string]any{}
	}
	var buf bytes.Buffer
	if err := a.pages[page].Execute(&buf, data); err != nil {
		a.log.Error("render", "page", page, "err", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", a.csp(withPayJS))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows the error page with a message for the customer.
func (a *App) fail(w http.ResponseWriter, status int, msg string) {
	a.render(w, status, "error", map[string]any{"Title": http.StatusText(status), "Message": msg}, false)
}

func (a *App) serveCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.cssBody)
}

// money writes cents of the shop's currency: $12.50.
func money(cents int64) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}

// sats writes an amount of satoshis with grouped digits: 75,385 sats.
func sats(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " sats"
}

// cartCookie names the cookie that holds the customer's cart id.
const cartCookie = "cart"

// cartID returns the customer's cart, making one (and setting its cookie)
// when make is true and there is none.
func (a *App) cartID(w http.ResponseWriter, r *http.Request, create bool) string {
	if c, err := r.Cookie(cartCookie); err == nil && a.shop.HasCart(c.Value) {
		return c.Value
	}
	if !create {
		return ""
	}
	id := a.shop.NewCart()
	http.SetCookie(w, &http.Cookie{Name: cartCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(a.cfg.publicURL, "https://"), SameSite: http.SameSiteLaxMode})
	return id
}

// urlJoin joins the shop's public URL and a path.
func (a *App) urlJoin(p string) string {
	return a.cfg.publicURL + path.Clean("/"+p)
}
