package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// decodedCanonical is the definition canonicalJSON must keep: the body's
// first JSON value decoded with numbers as json.Number and encoded again.
func decodedCanonical(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	b, err := json.Marshal(v)
	return b, err == nil
}

// copied reports whether canonicalJSON takes body on its one-pass path.
func copied(body []byte) bool {
	c := canonicalizer{src: body}
	_, ok := c.value(nil)
	return ok && c.end()
}

// canonicalSeeds are bodies each path must agree on: plain ones the pass
// copies, and ones it must hand to encoding/json.
var canonicalSeeds = []struct {
	body   string
	copied bool
}{
	{`{"checkout_session":{"amount_cents":5000,"currency":"usd","success_url":"https://a.b/s?x=1","cancel_url":"https://a.b/c","metadata":{"order_id":"ORD-1"}}}`, true},
	{` { "b" : 1 , "a" : [ true , false , null , -0 , 1.5e-3 , 2E+10 , "" , { } , [ ] ] } `, true},
	{`{"a ":1,"a":2,"a!":3,"":4,"A":5,"a\u0000":6}`, false},
	{`{"a ":1,"a":2,"a!":3,"":4,"A":5}`, true},
	{`{"ab":1,"a":2,"b":{"z":[{"y":1,"x":2}],"c":3}}`, true},
	{`"plain"`, true}, {`12`, true}, {`[]`, true}, {`null`, true},
	{`{"a":1,"a":2}`, false},    // repeated key: the last wins
	{`{"a":"<b>&amp;"}`, false}, // HTML characters are escaped
	{`{"a":"<"}`, false}, {`{"a":">"}`, false}, {`{"a":"&"}`, false}, {`{"<":1}`, false},
	{`{"a":"caf\u00e9","b":"café"}`, false}, // escapes and non-ASCII are re-encoded
	{`{"a":"x\"y","b":"tab\there"}`, false}, // escapes
	{`{"a":1} {"b":2}`, false},              // the decoder reads the first value only
	{`{"a":1}x`, false},                     // ... and ignores what follows
	{`{"a":01}`, false}, {`{"a":1.}`, false}, {`{"a":.5}`, false}, {`{"a":-}`, false}, {`{"a":1e}`, false},
	{`{"a":tru}`, false}, {`{"a":truex}`, false}, {`{"a" 1}`, false}, {`{"a":1,}`, false}, {`[1,]`, false},
	{`{1:2}`, false}, {`{"a":1`, false}, {`[`, false}, {``, false}, {`   `, false}, {"\xef\xbb\xbf{}", false},
	{"{\"a\":\"\x7f\"}", false}, {"{\"a\":\"\xff\"}", false}, {"{\"a\":\"\u2028\"}", false},
	{`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, false}, // deeper than the pass goes
}

func TestCanonicalJSON(t *testing.T) {
	for _, s := range canonicalSeeds {
		body := []byte(s.body)
		want, wantOK := decodedCanonical(body)
		got, ok := canonicalJSON([]byte("prefix:"), body)
		if ok != wantOK || ok && string(got) != "prefix:"+string(want) {
			t.Errorf("canonicalJSON(%q) = %q, %v; encoding/json gives %q, %v", s.body, got, ok, want, wantOK)
		}
		if copied(body) != s.copied {
			t.Errorf("one-pass copy of %q: %v, want %v", s.body, copied(body), s.copied)
		}
	}
	if got, _ := canonicalJSON(nil, []byte(`{"b":{"d":1,"c":2},"a":[3,{"f":4,"e":5}]}`)); string(got) != `{"a":[3,{"e":5,"f":4}],"b":{"c":2,"d":1}}` {
		t.Errorf("nested objects: %s", got)
	}
}

// FuzzCanonicalJSON: for every body, canonicalJSON gives exactly what
// decoding and encoding with encoding/json gives, so a hash stored before the
// one-pass copy existed still matches its request; and the canonical form
// is a fixed point.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add(s.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		want, wantOK := decodedCanonical([]byte(body))
		got, ok := canonicalJSON(nil, []byte(body))
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("canonicalJSON(%q) = %q, %v; encoding/json gives %q, %v", body, got, ok, want, wantOK)
		}
		// The canonical form is its own canonical form, so a body and its
		// canonical form hash alike under one Idempotency-Key.
		if ok {
			if again, ok2 := canonicalJSON(nil, got); !ok2 || !bytes.Equal(again, got) {
				t.Fatalf("canonicalJSON(%q) = %q, but canonicalJSON of that = %q, %v", body, got, again, ok2)
			}
		}
	})
}

// BenchmarkCanonicalJSON compares the one-pass copy with decoding and
// encoding again, on a create's body.
//
//	go test ./internal/httpapi -run '^$' -bench CanonicalJSON
func BenchmarkCanonicalJSON(b *testing.B) {
	body := []byte(canonicalSeeds[0].body)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodedCanonical(body)
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			canonicalJSON(nil, body)
		}
	})
}
