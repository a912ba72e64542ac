package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// FuzzStrictJSON checks strictJSON, the body rule of decode, against what
// encoding/json itself sees. Beyond not panicking: a refusal is one
// validation_error naming one field; for a well-formed body, strictJSON
// refuses exactly when the body is not UTF-8, a decoded string (key or
// value) holds a control character other than tab, line feed and carriage
// return, or decoding lost a key (a key given twice in one object: the
// decoder's maps keep one).
func FuzzStrictJSON(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add(s.body)
	}
	for _, s := range []string{
		`{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":1,"b":{"a":1}}`, `{"":1,"":2}`, `{"a\u0000":1}`, `["\u0000"]`, `"\u001f"`,
		`{"a":"\t\n\r"}`, `{"a":"\u0085"}`, "{\"a\":\"\xff\"}", "{\"\xc3\":1}", `{"a":"\ud800"}`, `{"a":"\u00e9","\u00e9":1}`,
		`{"a":1,"\u0061":2}`, `[{"x":1},{"x":1}]`, `{"checkout_session":{"metadata":{"k":"v","k":"w"}}}`,
		`{"\ud800":1,"\udbff":2}`, `{"\ud83d\ude42":1,"🙂":2}`, `{"a":"\ud800\u0041","b":"\ud83d\u0000"}`, `{"a":"\u00"}`,
		`{"a":"\u0009\u000A\u000d\u007F"}`, "{\"a\":\"\x7f\"}", `[1x]`, `{"a":[1,{"b":[{"c":"\u0001"}]}]}`,
	} {
		f.Add(s)
	}
	// An object with more keys than strictJSON compares one by one.
	var many strings.Builder
	many.WriteString("{")
	for i := range 40 {
		many.WriteString(`"k` + strconv.Itoa(i) + `":1,`)
	}
	f.Add(many.String() + `"k7":2}`)
	f.Add(many.String() + `"k40":2}`)
	f.Fuzz(func(t *testing.T, body string) {
		err := strictJSON([]byte(body))
		if err != nil {
			var e *gateway.Error
			if !errors.As(err, &e) || e.Code != gateway.CodeValidation || len(e.Fields) != 1 || e.Fields[0].Field == "" {
				t.Fatalf("strictJSON(%q) = %#v", body, err)
			}
		}
		if !json.Valid([]byte(body)) {
			return // the decoder's to report; strictJSON may or may not have seen a problem first
		}
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		want := !utf8.ValidString(body) || !cleanTree(v) || keyTokens(body) != keysIn(v)
		if (err != nil) != want {
			t.Fatalf("strictJSON(%q) = %v; want a refusal: %v", body, err, want)
		}
	})
}

// cleanTree reports whether every decoded key and string is free text.
func cleanTree(v any) bool {
	switch v := v.(type) {
	case string:
		return gateway.TextProblem(v, true) == ""
	case []any:
		for _, e := range v {
			if !cleanTree(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if gateway.TextProblem(k, true) != "" || !cleanTree(e) {
				return false
			}
		}
	}
	return true
}

// keysIn counts the keys of every object of a decoded value.
func keysIn(v any) int {
	n := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			n += keysIn(e)
		}
	case map[string]any:
		for _, e := range v {
			n += 1 + keysIn(e)
		}
	}
	return n
}

// keyTokens counts the keys written in a valid JSON text: the strings
// followed, after white space, by a colon.
func keyTokens(body string) int {
	n := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		for i++; body[i] != '"'; i++ {
			if body[i] == '\\' {
				i++
			}
		}
		if rest := strings.TrimLeft(body[i+1:], " \t\r\n"); strings.HasPrefix(rest, ":") {
			n++
		}
	}
	return n
}

// FuzzListQuery parses any query string as the session list does, and as
// the product and transaction lists do. Beyond not panicking: every error
// names a parameter the query has; every value read is text; page and
// per_page stay in range; times are UTC at microsecond precision; and a
// Ransack alias (q[status_eq], q[name_cont]) reads as its plain name.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"status=pending&per_page=100&page=2", "q[status_eq]=completed&q[created_at_gteq]=2026-01-01", "starting_after=cs_%00",
		"created_after=1700000000&created_before=2026-03-01T12:00:00.1234567%2B02:00", "per_page=0", "per_page=101", "page=-1",
		"name=%FF&sku=%09", "name=a&q[name_cont]=b", "x=1", "%00=1", "status=pending&status=nope", "created_after=99999999999999",
		"starting_after=cs_abc&page=3", "q%5Bstatus_eq%5D=expired", "external_ref=%C3%A9", "payment_hash=" + strings.Repeat("a", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		vals, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // not a query a client can send: net/http drops the broken pairs
		}
		read := func() (*listQuery, gateway.SessionStatus, string, gateway.TimeRange, gateway.Page) {
			r := &http.Request{Method: "GET", URL: &url.URL{Path: "/x", RawQuery: rawQuery}}
			q := newListQuery(&call{r: r})
			status := gateway.SessionStatus(q.oneOf([]string{"pending", "completed", "expired", "cancelled"}, "status", "q[status_eq]"))
			name, _ := q.str("name", "q[name_cont]")
			created := q.created()
			return q, status, name, created, q.page()
		}
		q, status, name, created, page := read()
		err = q.done()
		if err != nil {
			var e *gateway.Error
			if !errors.As(err, &e) || e.Code != gateway.CodeValidation || len(e.Fields) == 0 {
				t.Fatalf("%q: %#v", rawQuery, err)
			}
			for _, fe := range e.Fields {
				if _, ok := vals[fe.Field]; !ok {
					t.Fatalf("%q: the error names %q, which the query does not have", rawQuery, fe.Field)
				}
			}
			return
		}
		for _, v := range []string{string(status), name, page.StartingAfter} {
			if cleanText(v) != "" {
				t.Fatalf("%q: read %q, which is not text", rawQuery, v)
			}
		}
		if page.Page < 1 || page.Page > 1_000_000 || page.PerPage < 1 || page.PerPage > MaxPerPage {
			t.Fatalf("%q: page %+v", rawQuery, page)
		}
		for _, tm := range []time.Time{created.From, created.To} {
			if !tm.IsZero() && (tm.Location() != time.UTC || !tm.Equal(tm.Truncate(time.Microsecond))) {
				t.Fatalf("%q: time %v", rawQuery, tm)
			}
		}
		// The alias reads as the plain name when only it is given.
		if v, ok := vals["q[status_eq]"]; ok && len(vals["status"]) == 0 && string(status) != v[len(v)-1] {
			t.Fatalf("%q: q[status_eq] read as %q", rawQuery, status)
		}
		if v, ok := vals["q[name_cont]"]; ok && len(vals["name"]) == 0 && name != v[len(v)-1] {
			t.Fatalf("%q: q[name_cont] read as %q", rawQuery, name)
		}
	})
}

// BenchmarkStrictJSON is what the body rule adds to decoding a create's
// body: encoding/json alone (as decode was), then strictJSON and it.
//
//	go test ./internal/httpapi -run '^$' -bench StrictJSON
func BenchmarkStrictJSON(b *testing.B) {
	body := []byte(`{"checkout_session":{"amount_cents":5000,"currency":"usd","customer_email":"buyer@example.com",` +
		`"customer_name":"Zoë Buyer","success_url":"https://store.com/success?order=42","cancel_url":"https://store.com/cart",` +
		`"metadata":{"order_id":"ORD-1234","note":"gift wrap"},"line_items":[{"name":"Mug","unit_amount_cents":2500,"quantity":2}]}}`)
	decodeOnly := func() {
		var in apitype.CheckoutSessionCreate
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeOnly()
		}
	})
	b.Run("strictJSON+encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := strictJSON(body); err != nil {
				b.Fatal(err)
			}
			decodeOnly()
		}
	})
}
