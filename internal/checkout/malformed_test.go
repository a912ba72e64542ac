package checkout_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestMalformedIDsAreUnknown: a token, product id, checkout_id or logo id
// that is not text (a NUL, bytes that are not UTF-8, a control character)
// is answered exactly as a well-formed unknown one, on every engine; it
// never reaches the store, where PostgreSQL would fail (a 500 anyone could
// cause on these unauthenticated pages).
func TestMalformedIDsAreUnknown(t *testing.T) {
	e := setup(t)
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	reqID := regexp.MustCompile(`req_[0-9A-Za-z]+`)
	same := func(method, bad, unknown string) {
		t.Helper()
		b, u := e.fetch(method, bad, "Origin", e.url), e.fetch(method, unknown, "Origin", e.url)
		if b.status != u.status || reqID.ReplaceAllString(b.body, "") != reqID.ReplaceAllString(u.body, "") {
			t.Errorf("%s %s: %d %.200q\nunknown %s: %d %.200q", method, bad, b.status, b.body, unknown, u.status, u.body)
		}
		if b.status >= 500 || (b.status != 404 && !strings.Contains(unknown, "checkout_id")) {
			t.Errorf("%s %s: %d", method, bad, b.status)
		}
	}
	for _, bad := range []string{"cs_%00x", "cs_%FFx", "cs_%C3", "cs_%7F", "cs_%1Bx", "cs_%0Ax", "%00"} {
		same("GET", "/checkout/"+bad, "/checkout/cs_nope")
		same("GET", "/checkout/"+bad+"/status", "/checkout/cs_nope/status")
		same("GET", "/checkout/"+bad+"/events", "/checkout/cs_nope/events")
		same("GET", "/checkout/"+bad+"/qr", "/checkout/cs_nope/qr")
		same("POST", "/checkout/"+bad+"/cancel", "/checkout/cs_nope/cancel")
		same("POST", "/checkout/"+bad+"/simulate", "/checkout/cs_nope/simulate")
		same("GET", "/pay/"+mug.ID+"/thanks?checkout_id="+bad, "/pay/"+mug.ID+"/thanks?checkout_id=cs_nope")
	}
	for _, bad := range []string{"prod_%00x", "prod_%FF", "prod_x%7F"} {
		same("GET", "/pay/"+bad, "/pay/prod_nope")
		same("HEAD", "/pay/"+bad, "/pay/prod_nope")
		same("GET", "/pay/"+bad+"/thanks", "/pay/prod_nope/thanks")
		same("GET", "/pay/"+bad+"/qr.svg", "/pay/prod_nope/qr.svg")
		same("GET", "/pay/"+bad+"/qr.png", "/pay/prod_nope/qr.png")
	}
	same("GET", "/logos/"+strings.Repeat("a", 63)+"%00", "/logos/"+strings.Repeat("a", 64))
	same("GET", "/logos/"+strings.Repeat("a", 62)+"%C3%28", "/logos/"+strings.Repeat("a", 64))
}
