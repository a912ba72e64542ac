package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/secretbox"
)

// FuzzEnginesAgree sends the same request (method, key, path and query,
// body, Idempotency-Key) to a gateway on SQLite and to one on PostgreSQL,
// each holding the same objects made the same way, and requires the same
// answer: the same status and the same body once each gateway's own ids,
// keys and secrets are put back as names and times are set aside. It also requires that neither
// answers 5xx (503, no price, aside). So no input can make the engines
// disagree, as a NUL once did (201 on SQLite, 500 on PostgreSQL).
//
// The hosted pages (/checkout/..., /pay/..., /logos/...) are served from the
// same gateway, so their answers are compared too.
//
// Paths and bodies may name the objects: {cs} (a pending session), {cs_paid}
// (a completed one), {cs_b} (merchant b's), {prod}, {txn}, {we}. The seeds
// run in every `go test` (the PostgreSQL server of internal/testdb must be
// up); `go test -fuzz FuzzEnginesAgree` explores more.
func FuzzEnginesAgree(f *testing.F) {
	type seed struct {
		op                 uint8 // method op%5; key (op/5)%4
		target, body, idem string
	}
	const urls = `"success_url":"https://a.b/s","cancel_url":"https://a.b/c"`
	for _, s := range []seed{
		// bodies
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"a\u0000b"}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"order":"\u0000"}}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"\u0000":"x"}}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,"amount_cents":1,` + urls + `}}`, ""},
		{1, "/api/v1/checkout_sessions", "{\"checkout_session\":{\"amount_cents\":5000," + urls + ",\"customer_name\":\"\xff\"}}", ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"\ud800","customer_email":"a@b.co"}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"Zoë\t🙂\r\n"}}`, "k1"},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{` + urls + `,"line_items":[{"product_id":"{prod}","quantity":2},{"name":"x\u0000","unit_amount_cents":1,"quantity":1}]}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{` + urls + `,"line_items":[{"product_id":"prod_\u0000","quantity":1}]}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{` + urls + `,"line_items":[{"product_id":"{prod}","quantity":1}]}}`, "k2"},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,"currency":"us\u0000",` + urls + `}}`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":5000,"success_url":"https://a.b/\u0000","cancel_url":"https://a.b/c"}}`, ""},
		{6, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":1,` + urls + `}}`, ""},
		{1, "/api/v1/products", `{"product":{"name":"a\u0000","price_cents":100}}`, ""},
		{1, "/api/v1/products", `{"product":{"name":"Mug","price_cents":100,"sku":"\u0000","external_ref":"x"}}`, ""},
		{1, "/api/v1/products", `{"product":{"name":"Mug","price_cents":100,"slug":"mug-2"}}`, "\xc3\xa9"},
		{2, "/api/v1/products/{prod}", `{"product":{"description":"\u0000"}}`, ""},
		{2, "/api/v1/products/{prod}", `{"product":{"metadata":{"a":"1","a":"2"}}}`, ""},
		{2, "/api/v1/merchant", `{"merchant":{"name":"\u0000"}}`, ""},
		{2, "/api/v1/merchant", `{"merchant":{"thank_you_message":"\u0007"}}`, ""},
		{1, "/api/v1/webhooks", `{"webhook":{"url":"https://a.b/h","description":"\u0000"}}`, ""},
		{1, "/api/v1/webhooks", `{"webhook":{"url":"https://a.b/h\u0000"}}`, ""},
		{2, "/api/v1/webhooks/{we}", `{"webhook":{"events":["checkout.completed","\u0000"]}}`, ""},
		{3, "/api/v1/wallet", `{"wallet":{"type":"lnd\u0000","connection_string":"x"}}`, ""},
		{1, "/api/v1/checkout_sessions", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, ""},
		{1, "/api/v1/checkout_sessions", `{"checkout_session":{"amount_cents":1e400}}`, ""},
		// path ids
		{0, "/api/v1/checkout_sessions/cs_%00abc", "", ""},
		{0, "/api/v1/checkout_sessions/cs_%FF", "", ""},
		{0, "/api/v1/checkout_sessions/{cs}", "", ""},
		{0, "/api/v1/checkout_sessions/{cs_b}", "", ""},
		{0, "/api/v1/checkout_sessions/{cs}%00", "", ""},
		{1, "/api/v1/checkout_sessions/{cs}%00/expire", "", ""},
		{1, "/checkout/cs_%00x/simulate_payment", "", ""},
		{0, "/api/v1/products/prod_%00", "", ""},
		{4, "/api/v1/products/prod_%00", "", ""},
		{0, "/api/v1/transactions/txn_%00", "", ""},
		{0, "/api/v1/transactions/{txn}", "", ""},
		{0, "/api/v1/events/evt_%00", "", ""},
		{0, "/api/v1/webhooks/we_%00/deliveries", "", ""},
		{1, "/api/v1/webhook_deliveries/whd_%00/redeliver", "", ""},
		{0, "/api/v1/m/checkout_sessions/\u00e9", "", ""},
		// query strings and cursors; the products above are there for the filters below
		{1, "/api/v1/products", `{"product":{"name":"Éclair au café","price_cents":400,"sku":"ÉCL-1","external_ref":"Ref-ß"}}`, ""},
		{0, "/api/v1/products?name=%C3%A9clair", "", ""},
		{0, "/api/v1/products?name=%C3%89CLAIR", "", ""},
		{0, "/api/v1/products?name=CAF%C3%89", "", ""},
		{0, "/api/v1/products?name=mug", "", ""},
		{0, "/api/v1/products?sku=%C3%A9cl-1", "", ""},
		{0, "/api/v1/products?external_ref=REF-SS", "", ""},
		{0, "/api/v1/products?name=%25", "", ""},
		{0, "/api/v1/products?name=_", "", ""},
		{0, "/api/v1/products?name=%5C", "", ""},
		{0, "/api/v1/checkout_sessions?starting_after=cs_%00", "", ""},
		{0, "/api/v1/checkout_sessions?starting_after={cs}&per_page=1", "", ""},
		{0, "/api/v1/checkout_sessions?starting_after=cs_nope", "", ""},
		{0, "/api/v1/checkout_sessions?status=pending&created_after=2026-01-01&per_page=2", "", ""},
		{0, "/api/v1/checkout_sessions?q[created_at_gteq]=%00", "", ""},
		{0, "/api/v1/checkout_sessions?created_before=99999999999999999999", "", ""},
		{0, "/api/v1/products?name=a%00", "", ""},
		{0, "/api/v1/products?name=%25&q[name_cont]=_", "", ""},
		{0, "/api/v1/products?sku=%FF", "", ""},
		{0, "/api/v1/products?external_ref=%C3%A9&page=2&per_page=1", "", ""},
		{0, "/api/v1/transactions?payment_hash=%00&checkout_session_id={cs_paid}", "", ""},
		{0, "/api/v1/transactions?checkout_session_id={cs_paid}", "", ""},
		{0, "/api/v1/events?starting_after=evt_%00", "", ""},
		{0, "/api/v1/events?per_page=100&page=1000000", "", ""},
		{0, "/api/v1/webhooks?starting_after=we_%7F", "", ""},
		{0, "/api/v1/rates?currency=u%00sd", "", ""},
		{5, "/api/v1/rates?currency=eur", "", ""},
		{0, "/api/v1/checkout_sessions?%00=1", "", ""},
		// time bounds at the fixtures' second, to the microsecond, in another zone
		{0, "/api/v1/checkout_sessions?created_after=2026-03-01T11:59:59.9999999Z", "", ""},
		{0, "/api/v1/checkout_sessions?created_after=2026-03-01T12:00:00Z", "", ""},
		{0, "/api/v1/checkout_sessions?q[created_at_lteq]=2026-03-01T13:00:00%2B01:00&q[created_at_gteq]=2026-03-01", "", ""},
		{0, "/api/v1/transactions?created_before=2026-03-01T12:00:00.000001Z", "", ""},
		{0, "/api/v1/events?type=checkout.completed&delivery_success=false&created_after=0", "", ""},
		{0, "/api/v1/events?q[type_eq]=webhook.test&per_page=1&page=2", "", ""},
		{0, "/api/v1/products?q[created_at_lteq]=9999-12-31T23:59:59Z&created_after=1970-01-01", "", ""},
		{10, "/api/v1/checkout_sessions/{cs}", "", ""},
		{15, "/api/v1/checkout_sessions/cs_%00", "", ""},
		// the hosted pages, payment links and logos: public, no key
		{10, "/checkout/cs_%00x", "", ""},
		{10, "/checkout/cs_%00x/status", "", ""},
		{10, "/checkout/{cs}", "", ""},
		{10, "/checkout/{cs}/status", "", ""},
		{10, "/checkout/{cs_paid}/status", "", ""},
		{10, "/checkout/{cs}%FF/qr", "", ""},
		{11, "/checkout/cs_%00/cancel", "", ""},
		{11, "/checkout/{cs_b}/cancel", "", ""},
		{10, "/pay/{prod}", "", ""},
		{10, "/pay/prod_%00", "", ""},
		{10, "/pay/{prod}/thanks?checkout_id=cs_%00", "", ""},
		{10, "/pay/{prod}/thanks?checkout_id={cs_paid}", "", ""},
		{10, "/pay/{prod}/qr.svg?download=%00", "", ""},
		{10, "/logos/" + strings.Repeat("a", 63) + "%00", "", ""},
	} {
		f.Add(s.op, s.target, s.body, s.idem)
	}
	var envs [2]*engineEnv
	for i, engine := range []string{"sqlite", "postgres"} {
		envs[i] = newEngineEnv(f, engine)
	}
	f.Fuzz(func(t *testing.T, op uint8, target, body, idem string) {
		var got [2]engineAnswer
		for i, ee := range envs {
			got[i] = ee.send(t, op, target, body, idem)
		}
		if got[0] != got[1] {
			t.Fatalf("the engines disagree on op %d %q body %q Idempotency-Key %q:\nsqlite:   %s\npostgres: %s",
				op, target, body, idem, got[0], got[1])
		}
		if got[0].status >= 500 && got[0].status != http.StatusServiceUnavailable {
			t.Fatalf("op %d %q body %q: %s", op, target, body, got[0])
		}
	})
}

// engineEnv is one engine's gateway with the objects the fuzz inputs name.
type engineEnv struct {
	e        *env
	pagesURL string            // the hosted pages' server
	names    map[string]string // placeholder, as in the inputs → this gateway's value
	back     *strings.Replacer // this gateway's values → placeholders
}

func newEngineEnv(t testing.TB, engine string) *engineEnv {
	t.Helper()
	key, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t, options{engine: engine, rateLimit: 1 << 30, publicRateLimit: 1 << 30, sealer: keySealer(key)})
	must := func(r resp, want int) map[string]any {
		t.Helper()
		if r.status != want {
			t.Fatalf("%s: fixture: %d %s", engine, r.status, r.body)
		}
		return r.obj(t)
	}
	prod := must(e.do("POST", "/api/v1/products", e.a.sk(), `{"product":{"name":"Mug","price_cents":1500,"sku":"MUG-1"}}`), 201)["id"].(string)
	cs := e.createSession(e.a, e.a.sk())
	paid := e.createSession(e.a, e.a.sk())
	txn := e.settle(paid, strings.Repeat("cd", 32), e.clock.Now())
	csB := e.createSession(e.b, e.b.sk())
	we := must(e.do("POST", "/api/v1/webhooks", e.a.sk(), `{"webhook":{"url":"https://a.b/hook"}}`), 201)["id"].(string)
	// The hosted page, payment links and logos, on the same service.
	pages := httptest.NewServer(checkout.New(checkout.Config{Service: e.svc, RateLimit: 1 << 30, PublicURL: "https://pay.example.com"}))
	t.Cleanup(pages.Close)
	ee := &engineEnv{e: e, pagesURL: pages.URL, names: map[string]string{
		"{cs}": cs, "{cs_paid}": paid, "{cs_b}": csB, "{prod}": prod, "{txn}": txn, "{we}": we,
		"{mer}": e.a.id, "{mer_b}": e.b.id,
	}}
	var pairs []string
	for name, v := range ee.names {
		pairs = append(pairs, v, name)
	}
	for _, k := range e.a.keys {
		pairs = append(pairs, k, "{key}")
	}
	ee.back = strings.NewReplacer(pairs...)
	return ee
}

// keySealer seals with a secretbox key, as the gateway's master key does.
type keySealer []byte

func (k keySealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k keySealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// engineAnswer is one gateway's answer, normalised.
type engineAnswer struct {
	status int
	body   string
}

func (a engineAnswer) String() string { return fmt.Sprintf("%d %s", a.status, a.body) }

var engineMethods = [...]string{"GET", "POST", "PATCH", "PUT", "DELETE"}

// send makes the request on this gateway. A request the HTTP client cannot
// send (a control character in a header) is an answer of status 0.
func (ee *engineEnv) send(t *testing.T, op uint8, target, body, idem string) engineAnswer {
	t.Helper()
	method := engineMethods[int(op)%len(engineMethods)]
	var key string
	switch (op / 5) % 4 {
	case 0:
		key = ee.e.a.sk()
	case 1:
		key = ee.e.a.pk()
	case 2:
		key = ""
	case 3:
		key = "sk_test_" + strings.Repeat("0", 32)
	}
	for name, v := range ee.names {
		target = strings.ReplaceAll(target, name, v)
		body = strings.ReplaceAll(body, name, v)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := ee.e.url
	if isPage(target) {
		base = ee.pagesURL
	}
	req, err := http.NewRequestWithContext(ctx, method, base+requestTarget(target), rd)
	if err != nil {
		return engineAnswer{body: "no request: " + normaliseBody(ee.back.Replace(strings.ReplaceAll(err.Error(), base, "{url}")))}
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header["Idempotency-Key"] = []string{idem}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("%s %q: no answer in 30s", method, target)
		}
		return engineAnswer{body: "not sent: " + normaliseBody(ee.back.Replace(strings.ReplaceAll(err.Error(), base, "{url}")))}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body = ee.back.Replace(string(b))
	if strings.HasPrefix(res.Header.Get("Content-Type"), "image/png") {
		body = "<png>" // a QR code of a link that holds this gateway's ids
	}
	if loc := res.Header.Get("Location"); loc != "" {
		body = "Location: " + ee.back.Replace(loc) + "\n" + body
	}
	return engineAnswer{status: res.StatusCode, body: normaliseBody(body)}
}

// isPage says which targets the hosted pages serve: /checkout/..., /pay/...
// and /logos/..., but the API's simulate_payment and the event stream
// (which holds a pending session's page open until it ends).
func isPage(target string) bool {
	path, _, _ := strings.Cut(target, "?")
	switch {
	case strings.HasSuffix(path, "/simulate_payment"), strings.HasSuffix(path, "/events"):
		return false
	}
	return strings.HasPrefix(path, "/checkout/") || strings.HasPrefix(path, "/pay/") || strings.HasPrefix(path, "/logos/")
}

// requestTarget makes s a path and query the HTTP client sends as it is:
// bytes a URL cannot hold are percent-encoded, and a % that starts no
// escape stands for itself.
func requestTarget(s string) string {
	var b strings.Builder
	if !strings.HasPrefix(s, "/") {
		b.WriteByte('/')
	}
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c <= ' ' || c >= 0x7f || c == '%' || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// The values each gateway makes up on its own: ids and secrets of objects
// made during the run, request ids, invoices and their hashes, QR codes of
// links holding ids, a taken slug's random suffix, and times (a price's fetched_at is the wall clock's).
var (
	madeUpID      = regexp.MustCompile(`\b(cs|prod|txn|evt|we|whd|wha|mer|key|req|wal|usr)_[0-9A-Za-z]{28}\b`)
	madeUpSecret  = regexp.MustCompile(`\b(whsec|sk_test|sk_live|pk_test|pk_live)_[0-9A-Za-z]+`)
	madeUpInvoice = regexp.MustCompile(`\bln(bc|tb|bcrt|tbs)[0-9a-z]{20,}`)
	madeUpHex     = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	madeUpSlug    = regexp.MustCompile(`("slug":"[a-z0-9-]*)-[a-z0-9]{6}"`) // a taken slug's random suffix
	madeUpQR      = regexp.MustCompile(` d="M[^"]*"`)                       // a QR code's modules: of a link with this gateway's ids
	madeUpTime    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

func normaliseBody(s string) string {
	s = madeUpID.ReplaceAllString(s, "${1}_*")
	s = madeUpSecret.ReplaceAllString(s, "${1}_*")
	s = madeUpInvoice.ReplaceAllString(s, "ln*")
	s = madeUpHex.ReplaceAllString(s, "hex*")
	s = madeUpTime.ReplaceAllString(s, "time*")
	s = madeUpQR.ReplaceAllString(s, ` d="*"`)
	s = madeUpSlug.ReplaceAllString(s, `$1-*"`)
	return string(bytes.TrimSpace([]byte(s)))
}
