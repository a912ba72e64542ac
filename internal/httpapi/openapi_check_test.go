package httpapi_test

// The OpenAPI check: every real response a test gets can be held against the
// embedded OpenAPI document (SPEC §2: "tests check real responses against
// it"), and tests here keep the document honest: it is valid, covers exactly
// the routes the server serves, matches the apitype wire structs, and its
// checker really fails on drift.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
)

// checkOpenAPI validates one real response against the embedded OpenAPI document:
// the operation must exist for method+path (matching path templates, query string ignored),
// the status must be documented for it, and the JSON body must validate against that
// status's schema (204 must have no body). It calls t.Errorf with a clear message on mismatch.
//
// Two answers are not operations of their own: a method+path the document does
// not describe may be answered with components/responses/NoSuchRoute (404),
// and, when the path is described for other methods, with
// components/responses/MethodNotAllowed (405). HEAD is checked as GET without
// a body.
func checkOpenAPI(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	d, err := loadOpenAPI()
	if err != nil {
		t.Errorf("checkOpenAPI: the embedded OpenAPI document is unusable: %v", err)
		return
	}
	if err := d.check(method, path, status, body); err != nil {
		t.Errorf("OpenAPI mismatch: %s %s → %d: %v\nbody: %s", method, path, status, err, excerpt(body))
	}
}

// checkOpenAPIHeaders checks a real response's headers against the headers
// the document declares for its status: every required one is present, and
// every declared one that is present has a value of the declared type. It
// complements checkOpenAPI, which sees only the body.
func checkOpenAPIHeaders(t testing.TB, method, path string, status int, h http.Header) {
	t.Helper()
	d, err := loadOpenAPI()
	if err != nil {
		t.Errorf("checkOpenAPIHeaders: the embedded OpenAPI document is unusable: %v", err)
		return
	}
	resp, _, err := d.response(method, path, status)
	if err != nil {
		t.Errorf("OpenAPI mismatch: %s %s → %d: %v", method, path, status, err)
		return
	}
	headers, _ := resp["headers"].(map[string]any)
	for name := range headers {
		hdr, _, err := d.resolve([]string{"components", "headers", name}, headers[name])
		if err != nil {
			t.Errorf("OpenAPI: header %s: %v", name, err)
			continue
		}
		vals, present := h[http.CanonicalHeaderKey(name)]
		if !present {
			if hdr["required"] == true {
				t.Errorf("OpenAPI mismatch: %s %s → %d: required header %s is missing", method, path, status, name)
			}
			continue
		}
		sch, _ := hdr["schema"].(map[string]any)
		if typ, _ := sch["type"].(string); typ == "integer" {
			if _, err := strconv.Atoi(vals[0]); err != nil {
				t.Errorf("OpenAPI mismatch: %s %s → %d: header %s = %q, want an integer", method, path, status, name, vals[0])
			}
		}
		if c, ok := sch["const"].(string); ok && vals[0] != c {
			t.Errorf("OpenAPI mismatch: %s %s → %d: header %s = %q, want %q", method, path, status, name, vals[0], c)
		}
	}
}

// --- the loaded document ---

// openAPIResource is the URL the document is added to the schema compiler
// under; schemas are compiled as openAPIResource#<JSON pointer>.
const openAPIResource = "https://satsrail.invalid/api/v1/openapi.json"

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type openAPIDoc struct {
	root  map[string]any
	paths []openAPIPath

	mu       sync.Mutex // guards compiler and schemas
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer
}

// openAPIPath is one entry of paths, its path item resolved.
type openAPIPath struct {
	template string
	segs     []string
	literals int      // segments that are not {params}
	itemPtr  []string // where the resolved path item is
	item     map[string]any
}

var (
	openAPIOnce sync.Once
	openAPIData *openAPIDoc
	openAPIErr  error
)

func loadOpenAPI() (*openAPIDoc, error) {
	openAPIOnce.Do(func() { openAPIData, openAPIErr = parseOpenAPI(httpapi.OpenAPI()) })
	return openAPIData, openAPIErr
}

// parseOpenAPI decodes doc, resolves its path items and compiles the JSON
// schema of every documented response.
func parseOpenAPI(raw []byte) (*openAPIDoc, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(openAPIResource, root); err != nil {
		return nil, err
	}
	d := &openAPIDoc{root: root, compiler: c, schemas: map[string]*jsonschema.Schema{}}

	paths, ok := root["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no paths object")
	}
	for _, tmpl := range sortedKeys(paths) {
		item, ptr, err := d.resolve([]string{"paths", tmpl}, paths[tmpl])
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", tmpl, err)
		}
		p := openAPIPath{template: tmpl, segs: strings.Split(tmpl, "/"), itemPtr: ptr, item: item}
		for _, s := range p.segs {
			if !isParam(s) {
				p.literals++
			}
		}
		d.paths = append(d.paths, p)
	}
	// Most specific first: more literal segments win over {params}.
	sort.SliceStable(d.paths, func(i, j int) bool { return d.paths[i].literals > d.paths[j].literals })

	// Compile every response schema up front, so a broken schema fails the
	// document once, not each check.
	for _, p := range d.paths {
		for _, m := range httpMethods {
			op, ok := p.item[m].(map[string]any)
			if !ok {
				continue
			}
			responses, ok := op["responses"].(map[string]any)
			if !ok || len(responses) == 0 {
				return nil, fmt.Errorf("%s %s: no responses", strings.ToUpper(m), p.template)
			}
			for _, code := range sortedKeys(responses) {
				at := append(slices.Clone(p.itemPtr), m, "responses", code)
				if err := d.compileResponse(at, responses[code]); err != nil {
					return nil, fmt.Errorf("%s %s → %s: %w", strings.ToUpper(m), p.template, code, err)
				}
			}
		}
	}
	for _, name := range []string{"NoSuchRoute", "MethodNotAllowed"} {
		at := []string{"components", "responses", name}
		node, err := d.lookup(at)
		if err != nil {
			return nil, err
		}
		if err := d.compileResponse(at, node); err != nil {
			return nil, fmt.Errorf("components/responses/%s: %w", name, err)
		}
	}
	return d, nil
}

func (d *openAPIDoc) compileResponse(at []string, node any) error {
	resp, ptr, err := d.resolve(at, node)
	if err != nil {
		return err
	}
	if _, ok := resp["description"].(string); !ok {
		return fmt.Errorf("response %s has no description", pointer(ptr))
	}
	content, _ := resp["content"].(map[string]any)
	for mt := range content {
		if mt != "application/json" {
			return fmt.Errorf("response %s: media type %q: only application/json is used", pointer(ptr), mt)
		}
		if _, err := d.schemaAt(append(slices.Clone(ptr), "content", mt, "schema")); err != nil {
			return err
		}
	}
	return nil
}

// schemaAt compiles (once) the schema at the JSON pointer tokens ptr.
func (d *openAPIDoc) schemaAt(ptr []string) (*jsonschema.Schema, error) {
	key := pointer(ptr)
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[key]; ok {
		return s, nil
	}
	if _, err := d.lookup(ptr); err != nil {
		return nil, err
	}
	s, err := d.compiler.Compile(openAPIResource + "#" + fragment(ptr))
	if err != nil {
		return nil, fmt.Errorf("schema %s does not compile: %w", key, err)
	}
	d.schemas[key] = s
	return s, nil
}

// lookup returns the node at the JSON pointer tokens ptr.
func (d *openAPIDoc) lookup(ptr []string) (any, error) {
	var node any = d.root
	for i, tok := range ptr {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("%s does not exist", pointer(ptr[:i+1]))
			}
			node = v
		case []any:
			k, err := strconv.Atoi(tok)
			if err != nil || k < 0 || k >= len(n) {
				return nil, fmt.Errorf("%s does not exist", pointer(ptr[:i+1]))
			}
			node = n[k]
		default:
			return nil, fmt.Errorf("%s does not exist", pointer(ptr[:i+1]))
		}
	}
	return node, nil
}

// resolve follows the $ref of a non-schema object (path item, response,
// parameter, header) found at ptr, and returns the object and where it is.
func (d *openAPIDoc) resolve(ptr []string, node any) (map[string]any, []string, error) {
	for range 16 {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s is not an object", pointer(ptr))
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, ptr, nil
		}
		to, err := parseRef(ref)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pointer(ptr), err)
		}
		if node, err = d.lookup(to); err != nil {
			return nil, nil, fmt.Errorf("%s: $ref %q: %w", pointer(ptr), ref, err)
		}
		ptr = to
	}
	return nil, nil, fmt.Errorf("%s: $ref chain too long", pointer(ptr))
}

// match finds the path item whose template matches path, most specific first.
func (d *openAPIDoc) match(path string) *openAPIPath {
	segs := strings.Split(path, "/")
	for i := range d.paths {
		p := &d.paths[i]
		if len(p.segs) != len(segs) {
			continue
		}
		ok := true
		for k, s := range p.segs {
			if isParam(s) {
				ok = segs[k] != ""
			} else {
				ok = s == segs[k]
			}
			if !ok {
				break
			}
		}
		if ok {
			return p
		}
	}
	return nil
}

// response finds the documented response for method, path and status, and
// where it is in the document.
func (d *openAPIDoc) response(method, rawPath string, status int) (map[string]any, []string, error) {
	path := cleanPath(rawPath)
	m := strings.ToLower(method)
	p := d.match(path)
	if p == nil {
		if status == http.StatusNotFound {
			return d.named("NoSuchRoute")
		}
		return nil, nil, fmt.Errorf("no path of the OpenAPI document matches %q", path)
	}
	op, ok := p.item[m].(map[string]any)
	if !ok && m == "head" {
		op, ok = p.item["get"].(map[string]any)
		m = "get"
	}
	if !ok {
		switch status {
		case http.StatusMethodNotAllowed:
			return d.named("MethodNotAllowed")
		case http.StatusNotFound:
			return d.named("NoSuchRoute")
		}
		var have []string
		for _, hm := range httpMethods {
			if _, ok := p.item[hm]; ok {
				have = append(have, strings.ToUpper(hm))
			}
		}
		return nil, nil, fmt.Errorf("the document has no %s operation on %s (only %s)", strings.ToUpper(method), p.template, strings.Join(have, ", "))
	}
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	for _, k := range []string{code, code[:1] + "XX", code[:1] + "xx", "default"} {
		if r, ok := responses[k]; ok {
			return d.resolve(append(slices.Clone(p.itemPtr), m, "responses", k), r)
		}
	}
	return nil, nil, fmt.Errorf("status %d is not documented for %s %s (documented: %s)",
		status, strings.ToUpper(m), p.template, strings.Join(sortedKeys(responses), ", "))
}

func (d *openAPIDoc) named(name string) (map[string]any, []string, error) {
	at := []string{"components", "responses", name}
	node, err := d.lookup(at)
	if err != nil {
		return nil, nil, err
	}
	return d.resolve(at, node)
}

// check is checkOpenAPI without the testing.TB.
func (d *openAPIDoc) check(method, path string, status int, body []byte) error {
	resp, ptr, err := d.response(method, path, status)
	if err != nil {
		return err
	}
	content, _ := resp["content"].(map[string]any)
	empty := len(bytes.TrimSpace(body)) == 0
	if len(content) == 0 {
		if !empty {
			return fmt.Errorf("status %d is documented without a body (%s), but the response has %d bytes", status, pointer(ptr), len(body))
		}
		return nil
	}
	if _, ok := content["application/json"]; !ok {
		return fmt.Errorf("%s documents no application/json body", pointer(ptr))
	}
	if strings.EqualFold(method, http.MethodHead) {
		return nil
	}
	if empty {
		return fmt.Errorf("status %d is documented with a JSON body (%s), but the response body is empty", status, pointer(ptr))
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not one JSON value: %v", err)
	}
	sch, err := d.schemaAt(append(slices.Clone(ptr), "content", "application/json", "schema"))
	if err != nil {
		return err
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("the body does not match the schema of %s:\n%v", pointer(ptr), err)
	}
	return nil
}

// --- helpers ---

// cleanPath reduces what a test passes to a URL path: a full URL's path, no
// query string or fragment.
func cleanPath(p string) string {
	if strings.Contains(p, "://") {
		if u, err := url.Parse(p); err == nil {
			return u.Path
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

func isParam(seg string) bool {
	return len(seg) > 2 && strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// pointer renders JSON pointer tokens as an RFC 6901 pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// fragment renders JSON pointer tokens as a URI fragment: RFC 6901 escaping,
// then percent-encoding of each token (braces, spaces, ...).
func fragment(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(strings.NewReplacer("~", "~0", "/", "~1").Replace(t)))
	}
	return b.String()
}

// parseRef turns a local "#/a/b~1c" reference into pointer tokens.
func parseRef(ref string) ([]string, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	frag, err := url.PathUnescape(ref[1:])
	if err != nil {
		return nil, fmt.Errorf("$ref %q: %w", ref, err)
	}
	toks := strings.Split(frag[1:], "/")
	for i, t := range toks {
		toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return toks, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func excerpt(b []byte) string {
	const max = 600
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// --- tests of the document ---

// TestOpenAPIDocument checks the document itself: valid JSON, OpenAPI 3.1.0,
// every $ref resolves, every schema compiles, and the conventions of SPEC §2
// hold for every operation.
func TestOpenAPIDocument(t *testing.T) {
	raw := httpapi.OpenAPI()
	if !json.Valid(raw) {
		t.Fatal("openapi.json is not valid JSON")
	}
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if d.root["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", d.root["openapi"])
	}
	info, _ := d.root["info"].(map[string]any)
	for _, k := range []string{"title", "version", "description"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}

	// Every $ref anywhere resolves to a node of the document.
	var refs int
	var walk func(at []string, n any)
	walk = func(at []string, n any) {
		switch n := n.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				refs++
				to, err := parseRef(ref)
				if err == nil {
					_, err = d.lookup(to)
				}
				if err != nil {
					t.Errorf("%s: $ref %q does not resolve: %v", pointer(at), ref, err)
				}
			}
			for k, v := range n {
				walk(append(slices.Clone(at), k), v)
			}
		case []any:
			for i, v := range n {
				walk(append(slices.Clone(at), strconv.Itoa(i)), v)
			}
		}
	}
	walk(nil, d.root)
	if refs == 0 {
		t.Error("no $ref at all: the document cannot be the real one")
	}

	// Every schema compiles: components, parameters, headers, request bodies.
	comps, _ := d.root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for _, name := range sortedKeys(schemas) {
		if _, err := d.schemaAt([]string{"components", "schemas", name}); err != nil {
			t.Error(err)
		}
	}
	for _, kind := range []string{"parameters", "headers"} {
		m, _ := comps[kind].(map[string]any)
		for _, name := range sortedKeys(m) {
			if _, err := d.schemaAt([]string{"components", kind, name, "schema"}); err != nil {
				t.Error(err)
			}
		}
	}
	if n := len(schemas); n < 10 {
		t.Errorf("only %d component schemas", n)
	}

	// A well-formed envelope of the code errors.go maps to each status is
	// accepted by every documented error response; other codes are not.
	codeOf := map[int]string{
		401: "unauthorized", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed",
		409: "idempotency_in_progress", 413: "request_too_large", 422: "validation_error",
		429: "rate_limited", 500: "internal_error",
	}
	// 503 has two codes; each operation's 503 accepts exactly those it can
	// answer, and no other status accepts either.
	unavailable := []string{"rate_unavailable", "wallet_unavailable"}
	codes503 := func(template string) []string {
		switch {
		case strings.HasSuffix(template, "/simulate_payment"):
			return unavailable // paying needs a price and the wallet
		case strings.HasSuffix(template, "/wallet"), strings.HasSuffix(template, "/wallet/test"):
			return []string{"wallet_unavailable"}
		}
		return []string{"rate_unavailable"}
	}
	envelope := func(code string) []byte {
		return fmt.Appendf(nil, `{"error":{"code":%q,"message":"m","details":[{"field":"f","message":"m"}],"request_id":"req_0123456789abcdefghijKLMN"}}`, code)
	}
	ops := 0
	for _, p := range d.paths {
		for _, m := range httpMethods {
			op, ok := p.item[m].(map[string]any)
			if !ok {
				continue
			}
			ops++
			name := strings.ToUpper(m) + " " + p.template
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("%s: no summary", name)
			}
			if s, _ := op["description"].(string); s == "" {
				t.Errorf("%s: no description", name)
			}
			responses := op["responses"].(map[string]any)
			secured := true
			if sec, ok := op["security"].([]any); ok && len(sec) == 0 {
				secured = false
			}
			must := []string{}
			if secured {
				must = append(must, "401", "429", "500")
				keys, _ := op["x-satsrail-key-types"].([]any)
				switch {
				case len(keys) == 0:
					t.Errorf("%s: no x-satsrail-key-types", name)
				case slices.Contains(keys, any("publishable")):
					// Such a key is never refused for its kind; it gets a
					// 403 only from a page on an origin the merchant did
					// not allow (permission_denied) or for a suspended
					// merchant.
					if r, ok := responses["403"].(map[string]any); !ok || r["$ref"] != "#/components/responses/PermissionDenied" {
						t.Errorf("%s accepts publishable keys: its 403 must be PermissionDenied, not %v", name, responses["403"])
					}
				default:
					must = append(must, "403")
				}
			}
			// Every POST reads its body (an Idempotency-Key makes the
			// server read it even when the handler does not), and so does
			// every operation that takes one: the 64 KiB limit applies.
			if _, body := op["requestBody"]; body || m == "post" {
				must = append(must, "413")
			}
			if m == "post" {
				must = append(must, "409", "422")
				hasKey := false
				params, _ := op["parameters"].([]any)
				for i, prm := range params {
					pm, _, err := d.resolve(append(slices.Clone(p.itemPtr), m, "parameters", strconv.Itoa(i)), prm)
					if err == nil && pm["name"] == "Idempotency-Key" && pm["in"] == "header" {
						hasKey = true
					}
				}
				if !hasKey {
					t.Errorf("%s: no Idempotency-Key header parameter", name)
				}
			}
			for _, code := range must {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: does not document %s", name, code)
				}
			}
			if _, ok := responses["409"]; ok && m != "post" {
				t.Errorf("%s: documents 409 but only POSTs are idempotent", name)
			}
			for _, code := range sortedKeys(responses) {
				st, err := strconv.Atoi(code)
				if err != nil {
					t.Errorf("%s: response key %q is not a status code", name, code)
					continue
				}
				var want []string
				if st == 403 {
					// Every key of a suspended merchant gets
					// merchant_suspended; only secret-key operations
					// also refuse publishable keys.
					want = []string{"merchant_suspended"}
					if keys, _ := op["x-satsrail-key-types"].([]any); !slices.Contains(keys, any("publishable")) {
						want = append(want, "permission_denied")
					}
				} else if c, ok := codeOf[st]; ok {
					want = []string{c}
				} else if st == 503 {
					want = codes503(p.template)
				} else {
					continue // 2xx, and 410 (tested with a session)
				}
				path := strings.ReplaceAll(p.template, "{id}", "x")
				for _, code := range want {
					if err := d.check(strings.ToUpper(m), path, st, envelope(code)); err != nil {
						t.Errorf("%s → %d: the %s envelope is refused: %v", name, st, code, err)
					}
				}
				for _, code := range unavailable {
					if slices.Contains(want, code) {
						continue
					}
					if err := d.check(strings.ToUpper(m), path, st, envelope(code)); err == nil {
						t.Errorf("%s → %d: accepts a %s envelope", name, st, code)
					}
				}
			}
		}
	}
	// 29 routes under both base paths, simulate_payment, the document
	// itself and the two CORS preflights.
	if ops < 62 {
		t.Errorf("only %d operations", ops)
	}
}

// TestOpenAPICoversRoutes compares the document's operations with the
// patterns the server really serves, both ways.
func TestOpenAPICoversRoutes(t *testing.T) {
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Config{Service: gateway.NewService(gateway.Config{})})
	served := map[string]bool{}
	for _, p := range srv.Patterns() {
		served[p] = true
	}
	// 29 routes under both base paths, simulate_payment and the document.
	if len(served) < 60 {
		t.Fatalf("only %d patterns: %v", len(served), srv.Patterns())
	}
	// The CORS preflight is served (routes.go) but not an API pattern.
	preflight := map[string]bool{
		"OPTIONS /api/v1/checkout_sessions":   true,
		"OPTIONS /api/v1/m/checkout_sessions": true,
	}
	documented := map[string]bool{}
	for _, p := range d.paths {
		for _, m := range httpMethods {
			if _, ok := p.item[m]; ok {
				documented[strings.ToUpper(m)+" "+p.template] = true
			}
		}
	}
	for _, p := range sortedKeys(served) {
		if !documented[p] {
			t.Errorf("served but not documented: %s", p)
		}
	}
	for _, p := range sortedKeys(documented) {
		if !served[p] && !preflight[p] {
			t.Errorf("documented but not served: %s", p)
		}
	}
	for p := range preflight {
		if !documented[p] {
			t.Errorf("the CORS preflight %s is not documented", p)
		}
	}
	// Both base paths carry the same operations.
	for p := range documented {
		method, path, _ := strings.Cut(p, " ")
		if rest, ok := strings.CutPrefix(path, "/api/v1/"); ok && !strings.HasPrefix(rest, "m/") && rest != "openapi.json" {
			if !documented[method+" /api/v1/m/"+rest] {
				t.Errorf("%s is not also documented under /api/v1/m/", p)
			}
		}
	}
}

// TestOpenAPIRealResponsesWithoutStore checks the responses a server with no
// store can give (nothing below reaches the store) against the document,
// headers included.
func TestOpenAPIRealResponsesWithoutStore(t *testing.T) {
	srv := httpapi.New(httpapi.Config{Service: gateway.NewService(gateway.Config{}), PublicRateLimit: 1000})
	serve := func(method, path, key string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		checkOpenAPI(t, method, path, w.Code, w.Body.Bytes())
		checkOpenAPIHeaders(t, method, path, w.Code, w.Header())
		return w
	}
	for _, p := range srv.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		path = strings.ReplaceAll(path, "{id}", "cs_0123456789abcdefghijKLMN")
		if path == "/api/v1/openapi.json" {
			w := serve(method, path, "")
			if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), httpapi.OpenAPI()) {
				t.Errorf("%s: %d, body differs from the embedded document", p, w.Code)
			}
			continue
		}
		for _, key := range []string{"", "not-a-key"} {
			if w := serve(method, path, key); w.Code != http.StatusUnauthorized {
				t.Errorf("%s with key %q: %d %s", p, key, w.Code, w.Body)
			}
		}
	}
	if w := serve("OPTIONS", "/api/v1/checkout_sessions", ""); w.Code != http.StatusNoContent {
		t.Errorf("preflight: %d", w.Code)
	}
	if w := serve("GET", "/api/v1/nope", ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown route: %d", w.Code)
	}
	if w := serve("PUT", "/api/v1/m/rates?currency=usd", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: %d", w.Code)
	}

	// Per-IP limit on unauthenticated requests: the second is 429.
	limited := httpapi.New(httpapi.Config{Service: gateway.NewService(gateway.Config{}), PublicRateLimit: 1})
	for i, want := range []int{401, 429} {
		req := httptest.NewRequest("GET", "/api/v1/rates", nil)
		w := httptest.NewRecorder()
		limited.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("request %d: %d, want %d", i, w.Code, want)
		}
		checkOpenAPI(t, "GET", "/api/v1/rates", w.Code, w.Body.Bytes())
		checkOpenAPIHeaders(t, "GET", "/api/v1/rates", w.Code, w.Header())
	}
}

// TestOpenAPIMatchesAPITypes holds the object schemas to the apitype wire
// structs: the same property names, every field without omitempty required,
// pointer fields (and only they) nullable, and matching JSON types.
func TestOpenAPIMatchesAPITypes(t *testing.T) {
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		schema string
		typ    any
		// requiredOmitempty lists omitempty fields the schema still requires.
		requiredOmitempty []string
		// request marks a request body: what is required is what a client
		// must send, and nothing is sent as null.
		request bool
		// raw gives the JSON type each json.RawMessage field holds.
		raw map[string]string
	}{
		{"CheckoutSession", apitype.CheckoutSession{}, nil, false, nil},
		{"LineItem", apitype.LineItem{}, nil, false, nil},
		{"Product", apitype.Product{}, nil, false, nil},
		{"Transaction", apitype.Transaction{}, nil, false, nil},
		{"Rate", apitype.Rate{}, nil, false, nil},
		{"RateSource", apitype.RateSource{}, nil, false, nil},
		{"Merchant", apitype.Merchant{}, nil, false, nil},
		{"MerchantParams", apitype.MerchantParams{}, nil, true, nil},
		{"MerchantUpdate", apitype.MerchantWrite{}, nil, true, nil},
		{"ListMeta", apitype.ListMeta{}, nil, false, nil},
		{"ErrorObject", apitype.Error{}, nil, false, nil},
		{"ErrorDetail", apitype.ErrorDetail{}, nil, false, nil},
		{"CheckoutExpiredError", apitype.ErrorBody{}, []string{"checkout_session"}, false, nil},
		{"CheckoutSessionList", apitype.List[apitype.CheckoutSession]{}, nil, false, nil},
		{"ProductList", apitype.List[apitype.Product]{}, nil, false, nil},
		{"TransactionList", apitype.List[apitype.Transaction]{}, nil, false, nil},
		{"WebhookEndpoint", apitype.WebhookEndpoint{}, nil, false, nil},
		{"Event", apitype.Event{}, nil, false, map[string]string{"data": "object"}},
		{"WebhookDelivery", apitype.WebhookDelivery{}, nil, false, nil},
		{"DeliveryAttempt", apitype.DeliveryAttempt{}, nil, false, nil},
		{"WebhookEndpointList", apitype.List[apitype.WebhookEndpoint]{}, nil, false, nil},
		{"EventList", apitype.List[apitype.Event]{}, nil, false, nil},
		{"WebhookDeliveryList", apitype.List[apitype.WebhookDelivery]{}, nil, false, nil},
		{"Wallet", apitype.Wallet{}, nil, false, nil},
		{"WalletHealth", apitype.WalletHealth{}, nil, false, nil},
		{"WalletList", apitype.List[apitype.Wallet]{}, nil, false, nil},
		{"WalletTest", apitype.WalletTest{}, nil, false, nil},
		{"CheckoutSessionParams", apitype.CheckoutSessionParams{}, nil, true, nil},
		{"LineItemParams", apitype.CheckoutLineItemParams{}, nil, true, nil},
		{"ProductParams", apitype.ProductParams{}, nil, true, nil},
		{"CheckoutSessionCreate", apitype.CheckoutSessionCreate{}, nil, true, nil},
		{"ProductUpdate", apitype.ProductWrite{}, nil, true, nil},
		{"WebhookParams", apitype.WebhookParams{}, nil, true, nil},
		{"WebhookCreate", apitype.WebhookWrite{}, nil, true, nil},
		{"WebhookUpdate", apitype.WebhookWrite{}, nil, true, nil},
		{"WalletParams", apitype.WalletParams{}, nil, true, nil},
		{"WalletConnect", apitype.WalletWrite{}, nil, true, nil},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			node, err := d.lookup([]string{"components", "schemas", tc.schema})
			if err != nil {
				t.Fatal(err)
			}
			sch := node.(map[string]any)
			if sch["additionalProperties"] != false {
				t.Errorf("additionalProperties is not false")
			}
			props, _ := sch["properties"].(map[string]any)
			var required []string
			for _, r := range asSlice(sch["required"]) {
				required = append(required, r.(string))
			}
			rt := reflect.TypeOf(tc.typ)
			fields := map[string]bool{}
			for i := range rt.NumField() {
				f := rt.Field(i)
				tag := f.Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				if name == "-" || !f.IsExported() {
					continue
				}
				fields[name] = true
				omit := strings.Contains(opts, "omitempty")
				prop, ok := props[name]
				if !ok {
					t.Errorf("field %s (%s) has no property", name, f.Type)
					continue
				}
				req := slices.Contains(required, name)
				switch {
				case tc.request:
				case !omit && !req:
					t.Errorf("%s is always emitted but not required", name)
				case omit && req && !slices.Contains(tc.requiredOmitempty, name):
					t.Errorf("%s is omitempty but required", name)
				}
				types, err := d.schemaTypes(prop)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if types == nil {
					continue // no type constraint to compare
				}
				ft := f.Type
				nullable := ft.Kind() == reflect.Pointer
				if nullable {
					ft = ft.Elem()
				}
				// Request fields are never sent as null; omitempty ones
				// are left out instead.
				wantNull := nullable && !omit && !tc.request
				if slices.Contains(types, "null") != wantNull {
					t.Errorf("%s: schema types %v, Go type %s (nullable on the wire: %v)", name, types, f.Type, wantNull)
				}
				jt := jsonType(ft)
				if ft == reflect.TypeOf(json.RawMessage(nil)) {
					// Any JSON on the Go side: the test case says which.
					if jt = tc.raw[name]; jt == "" {
						t.Errorf("%s is a json.RawMessage: give its JSON type in raw", name)
						continue
					}
				}
				if !slices.Contains(types, jt) && !(jt == "number" && slices.Contains(types, "integer")) {
					t.Errorf("%s: schema types %v do not include %q (Go type %s)", name, types, jt, f.Type)
				}
			}
			for name := range props {
				if !fields[name] {
					t.Errorf("property %s is not a field of %s", name, rt)
				}
			}
		})
	}
}

// schemaTypes returns the JSON types a property schema allows, following
// $ref; nil when it has no type (e.g. only a const).
func (d *openAPIDoc) schemaTypes(prop any) ([]string, error) {
	for range 8 {
		m, ok := prop.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("not a schema object")
		}
		switch tv := m["type"].(type) {
		case string:
			return []string{tv}, nil
		case []any:
			var out []string
			for _, x := range tv {
				out = append(out, x.(string))
			}
			return out, nil
		}
		if c, ok := m["const"]; ok {
			switch c.(type) {
			case string:
				return []string{"string"}, nil
			case bool:
				return []string{"boolean"}, nil
			}
			return nil, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return nil, nil
		}
		to, err := parseRef(ref)
		if err != nil {
			return nil, err
		}
		if prop, err = d.lookup(to); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

func jsonType(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct, reflect.Interface:
		return "object"
	}
	return t.Kind().String()
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// --- the checker really fails ---

// recordingTB is a testing.TB that records failures instead of failing.
type recordingTB struct {
	testing.TB
	failures []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Error(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatal(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recordingTB) Fail()             { r.failures = append(r.failures, "Fail") }
func (r *recordingTB) FailNow()          { r.failures = append(r.failures, "FailNow") }

// sampleSession is a session as the server emits it, built from the wire
// struct so that the wire struct and the document are tested together.
func sampleSession(edit ...func(*apitype.CheckoutSession)) apitype.CheckoutSession {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	email := "buyer@example.com"
	prod := "prod_0123456789abcdefghijKLMN"
	s := apitype.CheckoutSession{
		CheckoutURL: "https://pay.example.com/checkout/cs_0123456789abcdefghijKLMN",
		Token:       "cs_0123456789abcdefghijKLMN", Status: "pending", ExpiresAt: t0.Add(15 * time.Minute),
		ID: "cs_0123456789abcdefghijKLMN", Object: "checkout_session", AmountCents: 5000, Currency: "usd",
		LineItems: []apitype.LineItem{
			{ProductID: &prod, Name: "Latte", UnitAmountCents: 450, Quantity: 2, AmountCents: 900},
			{Name: "Tip", UnitAmountCents: 4100, Quantity: 1, AmountCents: 4100},
		},
		CustomerEmail: &email, SuccessURL: "https://store.com/success", CancelURL: "https://store.com/cart",
		Metadata: map[string]string{"order_id": "ORD-1234"}, CreatedAt: t0,
	}
	for _, f := range edit {
		f(&s)
	}
	return s
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editJSON marshals v, applies edit to it as a generic map, and re-encodes.
func editJSON(t testing.TB, v any, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, v), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}

func TestCheckOpenAPIRejectsDrift(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sess := sampleSession()
	completed := sampleSession(func(s *apitype.CheckoutSession) {
		hash, txn, sats, rate, pr := strings.Repeat("ab", 32), "txn_0123456789abcdefghijKLMN", int64(7693), "65000.00", "lnbc76930n1pj9x7"
		s.Status, s.CompletedAt, s.TransactionID, s.PaymentHash, s.AmountSats, s.ExchangeRate, s.PaymentRequest = "completed", &now, &txn, &hash, &sats, &rate, &pr
	})
	expired := sampleSession(func(s *apitype.CheckoutSession) { s.Status, s.ExpiredAt = "expired", &now })
	reqID := "req_0123456789abcdefghijKLMN"
	errBody := func(code string, details ...apitype.ErrorDetail) apitype.ErrorBody {
		return apitype.ErrorBody{Error: apitype.Error{Code: code, Message: "Something.", Details: details, RequestID: reqID}}
	}
	gone := errBody("checkout_expired")
	gone.CheckoutSession = &expired
	desc, sku := "Hot.", "LATTE-1"
	product := apitype.Product{ID: "prod_0123456789abcdefghijKLMN", Object: "product", Name: "Latte", Description: &desc,
		PriceCents: 450, Currency: "usd", Slug: "latte", Status: "active", SKU: &sku, Metadata: map[string]string{},
		PaymentLinkURL: "https://pay.example.com/pay/prod_0123456789abcdefghijKLMN", CreatedAt: now, UpdatedAt: now}
	txn := apitype.Transaction{ID: "txn_0123456789abcdefghijKLMN", Object: "transaction", Status: "settled",
		CheckoutSessionID: sess.ID, PaymentHash: strings.Repeat("cd", 32), Preimage: strings.Repeat("ef", 32),
		AmountMsat: 7693000, AmountSats: 7693, AmountCents: 5000, Currency: "usd", ExchangeRate: "65000.00",
		SettledAt: now, CreatedAt: now}
	rate := apitype.Rate{Object: "rate", Currency: "usd", BTCPrice: "64123.45", SatsPerUnit: "1559.49", Source: "median",
		Sources:   []apitype.RateSource{{Name: "kraken", Price: "64123.45", FetchedAt: now}},
		FetchedAt: now}
	fixedRate := apitype.Rate{Object: "rate", Currency: "jpy", BTCPrice: "10000000.00", SatsPerUnit: "0.01", Source: "fixed",
		Sources: []apitype.RateSource{}, FetchedAt: now, Note: "no provider answered; using the configured fixed rate"}
	merchant := apitype.Merchant{ID: "mer_0123456789abcdefghijKLMN", Object: "merchant", Name: "Alice's Shop",
		Email: "owner@example.com", Status: "active", RateLimitPerMinute: 600, CheckoutTTLSeconds: 900,
		AllowedOrigins: []string{"https://alice.example"}, CreatedAt: now, UpdatedAt: now}
	list := func(items ...apitype.Product) apitype.List[apitype.Product] {
		return apitype.List[apitype.Product]{Object: "list", Data: append([]apitype.Product{}, items...),
			Meta: apitype.ListMeta{CurrentPage: 1, PerPage: 25, TotalCount: len(items), TotalPages: 1}}
	}

	type tc struct {
		name         string
		method, path string
		status       int
		body         []byte
	}
	pass := []tc{
		{"created session", "POST", "/api/v1/checkout_sessions", 201, mustJSON(t, sess)},
		{"created session, SDK path", "POST", "/api/v1/m/checkout_sessions", 201, mustJSON(t, sess)},
		{"replayed session", "POST", "/api/v1/checkout_sessions", 200, mustJSON(t, sess)},
		{"get completed session, query ignored", "GET", "/api/v1/checkout_sessions/" + sess.ID + "?expand=x", 200, mustJSON(t, completed)},
		{"full URL", "GET", "http://127.0.0.1:8080/api/v1/checkout_sessions/" + sess.ID, 200, mustJSON(t, sess)},
		{"410 with the session", "GET", "/api/v1/checkout_sessions/" + sess.ID, 410, mustJSON(t, gone)},
		{"expire → 200 expired", "POST", "/api/v1/m/checkout_sessions/" + sess.ID + "/expire", 200, mustJSON(t, expired)},
		{"expire → 410", "POST", "/api/v1/checkout_sessions/" + sess.ID + "/expire", 410, mustJSON(t, gone)},
		{"session list", "GET", "/api/v1/checkout_sessions?status=pending", 200, mustJSON(t, apitype.List[apitype.CheckoutSession]{
			Object: "list", Data: []apitype.CheckoutSession{sess, completed}, HasMore: true,
			Meta: apitype.ListMeta{CurrentPage: 1, PerPage: 2, TotalCount: 3, TotalPages: 2}})},
		{"422 with details", "POST", "/api/v1/checkout_sessions", 422, mustJSON(t, errBody("validation_error", apitype.ErrorDetail{Field: "amount_cents", Message: "must be greater than 0"}))},
		{"422 idempotency_error", "POST", "/api/v1/products", 422, mustJSON(t, errBody("idempotency_error"))},
		{"product by slug", "GET", "/api/v1/products/latte", 200, mustJSON(t, product)},
		{"product list", "GET", "/api/v1/m/products", 200, mustJSON(t, list(product))},
		{"empty product list", "GET", "/api/v1/products", 200, mustJSON(t, list())},
		{"product deleted", "DELETE", "/api/v1/m/products/latte", 204, nil},
		{"transaction", "GET", "/api/v1/transactions/" + txn.ID, 200, mustJSON(t, txn)},
		{"rate", "GET", "/api/v1/rates", 200, mustJSON(t, rate)},
		{"fixed rate", "GET", "/api/v1/m/rates?currency=jpy", 200, mustJSON(t, fixedRate)},
		{"503", "GET", "/api/v1/rates", 503, mustJSON(t, errBody("rate_unavailable"))},
		{"merchant", "GET", "/api/v1/merchant", 200, mustJSON(t, merchant)},
		{"merchant patched", "PATCH", "/api/v1/m/merchant", 200, mustJSON(t, merchant)},
		{"logo uploaded", "PUT", "/api/v1/merchant/logo", 200, mustJSON(t, merchant)},
		{"logo too large", "PUT", "/api/v1/merchant/logo", 413, mustJSON(t, errBody("request_too_large"))},
		{"logo removed", "DELETE", "/api/v1/merchant/logo", 204, nil},
		{"suspended merchant's secret key", "GET", "/api/v1/products", 403, mustJSON(t, errBody("merchant_suspended"))},
		{"suspended merchant's publishable key", "GET", "/api/v1/rates", 403, mustJSON(t, errBody("merchant_suspended"))},
		{"401", "GET", "/api/v1/merchant", 401, mustJSON(t, errBody("unauthorized"))},
		{"unknown route", "GET", "/api/v1/nope", 404, mustJSON(t, errBody("not_found"))},
		{"wrong method", "PUT", "/api/v1/checkout_sessions", 405, mustJSON(t, errBody("method_not_allowed"))},
		{"document", "GET", "/api/v1/openapi.json", 200, httpapi.OpenAPI()},
	}
	fail := []tc{
		{"session without token", "POST", "/api/v1/checkout_sessions", 201, editJSON(t, sess, func(m map[string]any) { delete(m, "token") })},
		{"session with an unknown property", "POST", "/api/v1/checkout_sessions", 201, editJSON(t, sess, func(m map[string]any) { m["amount"] = 50 })},
		{"amount_cents as a string", "POST", "/api/v1/checkout_sessions", 201, editJSON(t, sess, func(m map[string]any) { m["amount_cents"] = "5000" })},
		{"amount_sats as a float", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, completed, func(m map[string]any) { m["amount_sats"] = 76.5 })},
		{"null status", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["status"] = nil })},
		{"unknown status", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["status"] = "paid" })},
		{"wrong object", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["object"] = "session" })},
		{"wrong id prefix", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["id"] = "sess_0123456789abcdefghijKLMN" })},
		{"time not RFC 3339", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["created_at"] = "2026-03-01 12:00:00" })},
		{"impossible date (format asserted)", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["created_at"] = "2026-13-45T12:00:00Z" })},
		{"time not UTC", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["created_at"] = "2026-03-01T13:00:00+01:00" })},
		{"metadata value not a string", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["metadata"] = map[string]any{"n": 1} })},
		{"pending with completed_at", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, sess, func(m map[string]any) { m["completed_at"] = "2026-03-01T12:00:00Z" })},
		{"completed without transaction", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, editJSON(t, completed, func(m map[string]any) { m["transaction_id"] = nil })},
		{"expired session on 200", "GET", "/api/v1/checkout_sessions/" + sess.ID, 200, mustJSON(t, expired)},
		{"line item without amount", "POST", "/api/v1/checkout_sessions", 201, editJSON(t, sess, func(m map[string]any) {
			delete(m["line_items"].([]any)[0].(map[string]any), "amount_cents")
		})},
		{"410 without the session", "GET", "/api/v1/checkout_sessions/" + sess.ID, 410, mustJSON(t, errBody("checkout_expired"))},
		{"410 with a pending session", "GET", "/api/v1/checkout_sessions/" + sess.ID, 410, editJSON(t, gone, func(m map[string]any) {
			m["checkout_session"].(map[string]any)["status"] = "pending"
		})},
		{"422 on an operation without 422", "GET", "/api/v1/merchant", 422, mustJSON(t, errBody("validation_error", apitype.ErrorDetail{Field: "x", Message: "y"}))},
		{"403 of another code on an operation that takes pk keys", "GET", "/api/v1/rates", 403, mustJSON(t, errBody("checkout_expired"))},
		{"merchant without its allowed origins", "GET", "/api/v1/merchant", 200, editJSON(t, merchant, func(m map[string]any) { delete(m, "allowed_origins") })},
		{"product without its payment link", "GET", "/api/v1/products/latte", 200, editJSON(t, product, func(m map[string]any) { delete(m, "payment_link_url") })},
		{"undocumented status", "GET", "/api/v1/rates", 418, mustJSON(t, errBody("not_found"))},
		{"error without request_id", "GET", "/api/v1/merchant", 401, editJSON(t, errBody("unauthorized"), func(m map[string]any) {
			delete(m["error"].(map[string]any), "request_id")
		})},
		{"request_id without req_", "GET", "/api/v1/merchant", 401, editJSON(t, errBody("unauthorized"), func(m map[string]any) {
			m["error"].(map[string]any)["request_id"] = "0123456789abcdefghijKLMN"
		})},
		{"code of another status", "GET", "/api/v1/merchant", 401, mustJSON(t, errBody("not_found"))},
		{"unknown code", "POST", "/api/v1/checkout_sessions", 422, mustJSON(t, errBody("invalid", apitype.ErrorDetail{Field: "x", Message: "y"}))},
		{"validation_error without details", "POST", "/api/v1/checkout_sessions", 422, mustJSON(t, errBody("validation_error"))},
		{"error with a bare string", "GET", "/api/v1/merchant", 401, []byte(`{"error":"unauthorized"}`)},
		{"body on 204", "DELETE", "/api/v1/products/latte", 204, []byte(`{}`)},
		{"empty body on 200", "GET", "/api/v1/merchant", 200, nil},
		{"not JSON", "GET", "/api/v1/merchant", 200, []byte(`{"id":`)},
		{"two JSON values", "GET", "/api/v1/merchant", 200, append(mustJSON(t, merchant), mustJSON(t, merchant)...)},
		{"unknown path", "GET", "/api/v1/sessions", 200, mustJSON(t, sess)},
		{"unknown method on a known path", "PUT", "/api/v1/checkout_sessions", 200, mustJSON(t, sess)},
		{"path with an extra segment", "GET", "/api/v1/products/latte/extra", 200, mustJSON(t, product)},
		{"list without meta", "GET", "/api/v1/products", 200, editJSON(t, list(product), func(m map[string]any) { delete(m, "meta") })},
		{"list with per_page 101", "GET", "/api/v1/products", 200, editJSON(t, list(product), func(m map[string]any) {
			m["meta"].(map[string]any)["per_page"] = 101
		})},
		{"list of the wrong objects", "GET", "/api/v1/products", 200, mustJSON(t, apitype.List[apitype.Transaction]{
			Object: "list", Data: []apitype.Transaction{txn}, Meta: apitype.ListMeta{CurrentPage: 1, PerPage: 25, TotalCount: 1, TotalPages: 1}})},
		{"null data", "GET", "/api/v1/products", 200, mustJSON(t, apitype.List[apitype.Product]{Object: "list"})},
		{"product with nil metadata", "GET", "/api/v1/products/latte", 200, editJSON(t, product, func(m map[string]any) { m["metadata"] = nil })},
		{"rate as a float", "GET", "/api/v1/rates", 200, editJSON(t, rate, func(m map[string]any) { m["btc_price"] = 64123.45 })},
		{"rate with one decimal", "GET", "/api/v1/rates", 200, editJSON(t, rate, func(m map[string]any) { m["btc_price"] = "64123.5" })},
		{"null sources", "GET", "/api/v1/rates", 200, editJSON(t, rate, func(m map[string]any) { m["sources"] = nil })},
		{"transaction with a short hash", "GET", "/api/v1/transactions/" + txn.ID, 200, editJSON(t, txn, func(m map[string]any) { m["payment_hash"] = "abc" })},
		{"merchant without livemode", "GET", "/api/v1/merchant", 200, editJSON(t, merchant, func(m map[string]any) { delete(m, "livemode") })},
	}
	for _, c := range pass {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) > 0 {
			t.Errorf("%s: the checker refused a good response:\n%s", c.name, strings.Join(rec.failures, "\n"))
		}
	}
	for _, c := range fail {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) == 0 {
			t.Errorf("%s: the checker accepted %s %s → %d: %s", c.name, c.method, c.path, c.status, excerpt(c.body))
			continue
		}
		reason, _, _ := strings.Cut(rec.failures[0], "\nbody:")
		t.Logf("%s: rejected as it should be: %s", c.name, reason)
	}
	// One failure message, to show what a test author sees.
	rec := &recordingTB{TB: t}
	checkOpenAPI(rec, "POST", "/api/v1/checkout_sessions", 201, fail[0].body)
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "token") {
		t.Errorf("failure message does not name the missing property: %q", rec.failures)
	}
}

// listOf wraps items as one page of a list.
func listOf[T any](items ...T) apitype.List[T] {
	return apitype.List[T]{Object: "list", Data: append([]T{}, items...),
		Meta: apitype.ListMeta{CurrentPage: 1, PerPage: 25, TotalCount: len(items), TotalPages: 1}}
}

// TestCheckOpenAPIWebhookObjects holds webhook endpoints, events and
// deliveries, built from the wire structs and (for event bodies) as
// internal/gateway builds them, to the document, and shows that drift fails.
func TestCheckOpenAPIWebhookObjects(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(24 * time.Hour)
	reqID := "req_0123456789abcdefghijKLMN"
	errBody := func(code string, details ...apitype.ErrorDetail) apitype.ErrorBody {
		return apitype.ErrorBody{Error: apitype.Error{Code: code, Message: "Something.", Details: details, RequestID: reqID}}
	}
	const (
		weID  = "we_0123456789abcdefghijKLMN"
		evtID = "evt_0123456789abcdefghijKLMN"
		whdID = "whd_0123456789abcdefghijKLMN"
		csID  = "cs_0123456789abcdefghijKLMN"
	)
	endpoint := apitype.WebhookEndpoint{ID: weID, Object: "webhook_endpoint", URL: "https://store.example.com/hooks",
		Events: []string{"checkout.completed", "checkout.expired"}, Active: true, CreatedAt: now, UpdatedAt: now}
	everything := endpoint
	everything.Events = []string{}
	created := endpoint
	created.Secret = "whsec_0123456789abcdefghijKLMNopqrstuv"
	rotated := created
	rotated.PrevSecretExpiresAt = &later

	// Event bodies as gateway.sessionEvent and SendTestEvent make them.
	completedBody := map[string]any{
		"id": evtID, "event": "checkout.completed", "livemode": false, "checkout_id": csID, "status": "completed",
		"payment_hash": strings.Repeat("ab", 32), "preimage": strings.Repeat("cd", 32), "amount_sats": 7693,
		"amount_msat": 7693000, "amount_usd": "50.00", "amount_cents": 5000, "currency": "usd",
		"metadata": map[string]string{"order_id": "ORD-1234"}, "transaction_id": "txn_0123456789abcdefghijKLMN",
		"timestamp": "2026-03-01T12:00:00Z",
	}
	expiredBody := map[string]any{
		"id": evtID, "event": "checkout.expired", "livemode": false, "checkout_id": csID, "status": "expired",
		"amount_usd": nil, "amount_cents": 4500, "currency": "eur", "metadata": map[string]string{},
		"timestamp": "2026-03-01T12:15:00Z",
	}
	cancelledBody := map[string]any{
		"id": evtID, "event": "checkout.cancelled", "livemode": true, "checkout_id": csID, "status": "cancelled",
		"payment_hash": strings.Repeat("ab", 32), "amount_sats": 7693, "amount_usd": "50.00", "amount_cents": 5000,
		"currency": "usd", "metadata": map[string]string{}, "timestamp": "2026-03-01T12:05:00Z",
	}
	testBody := map[string]any{"id": evtID, "event": "webhook.test", "livemode": false, "webhook_id": weID, "timestamp": "2026-03-01T12:00:00Z"}
	event := func(typ string, body map[string]any, edit ...func(map[string]any)) apitype.Event {
		b := map[string]any{}
		for k, v := range body {
			b[k] = v
		}
		for _, f := range edit {
			f(b)
		}
		return apitype.Event{ID: evtID, Object: "event", Type: typ, CreatedAt: now, Data: mustJSON(t, b)}
	}
	completed := event("checkout.completed", completedBody)
	expired := event("checkout.expired", expiredBody)
	cancelled := event("checkout.cancelled", cancelledBody)
	testEvent := event("webhook.test", testBody)

	code500, code200 := 500, 200
	boom := "dial tcp: connection refused"
	failed := apitype.WebhookDelivery{ID: whdID, Object: "webhook_delivery", EventID: evtID, WebhookID: weID,
		Status: "failed", Attempts: 2, LastAttemptAt: &now, LastError: &boom,
		AttemptLog: []apitype.DeliveryAttempt{
			{Attempt: 1, At: now.Add(-time.Minute), StatusCode: &code500, LatencyMS: 12, ResponseBody: "oops"},
			{Attempt: 2, At: now, LatencyMS: 10000, Error: &boom},
		}, CreatedAt: now.Add(-time.Minute)}
	succeeded := apitype.WebhookDelivery{ID: whdID, Object: "webhook_delivery", EventID: evtID, WebhookID: weID,
		Status: "succeeded", Attempts: 1, LastAttemptAt: &now, LastStatusCode: &code200,
		AttemptLog: []apitype.DeliveryAttempt{{Attempt: 1, At: now, StatusCode: &code200, LatencyMS: 3}}, CreatedAt: now}
	pending := failed
	pending.Status, pending.NextAttemptAt = "pending", &now

	type tc struct {
		name         string
		method, path string
		status       int
		body         []byte
	}
	pass := []tc{
		{"endpoint created", "POST", "/api/v1/webhooks", 201, mustJSON(t, created)},
		{"create replayed", "POST", "/api/v1/m/webhooks", 200, mustJSON(t, created)},
		{"endpoint", "GET", "/api/v1/webhooks/" + weID, 200, mustJSON(t, endpoint)},
		{"endpoint for every event, after a rotation", "GET", "/api/v1/m/webhooks/" + weID, 200, mustJSON(t, func() apitype.WebhookEndpoint {
			e := everything
			e.PrevSecretExpiresAt = &later
			return e
		}())},
		{"endpoint updated", "PATCH", "/api/v1/webhooks/" + weID, 200, mustJSON(t, everything)},
		{"endpoint deleted", "DELETE", "/api/v1/m/webhooks/" + weID, 204, nil},
		{"endpoint list", "GET", "/api/v1/webhooks?per_page=2", 200, mustJSON(t, listOf(endpoint, everything))},
		{"empty endpoint list", "GET", "/api/v1/m/webhooks", 200, mustJSON(t, listOf[apitype.WebhookEndpoint]())},
		{"secret rotated", "POST", "/api/v1/webhooks/" + weID + "/rotate_secret", 200, mustJSON(t, rotated)},
		{"test event sent", "POST", "/api/v1/m/webhooks/" + weID + "/test", 200, mustJSON(t, testEvent)},
		{"deliveries", "GET", "/api/v1/webhooks/" + weID + "/deliveries", 200, mustJSON(t, listOf(pending, failed, succeeded))},
		{"redelivered", "POST", "/api/v1/webhook_deliveries/" + whdID + "/redeliver", 200, mustJSON(t, pending)},
		{"redeliver a pending delivery", "POST", "/api/v1/m/webhook_deliveries/" + whdID + "/redeliver", 422,
			mustJSON(t, errBody("validation_error", apitype.ErrorDetail{Field: "status", Message: "is pending"}))},
		{"completed event", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, completed)},
		{"expired event in eur", "GET", "/api/v1/m/events/" + evtID, 200, mustJSON(t, expired)},
		{"cancelled event", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, cancelled)},
		{"event list", "GET", "/api/v1/events?delivery_success=false", 200, mustJSON(t, listOf(completed, expired, cancelled, testEvent))},
		{"bad filter", "GET", "/api/v1/events?type=nope", 422, mustJSON(t, errBody("validation_error", apitype.ErrorDetail{Field: "type", Message: "must be one of ..."}))},
		{"publishable key", "GET", "/api/v1/events", 403, mustJSON(t, errBody("permission_denied"))},
	}
	fail := []tc{
		{"created without the secret", "POST", "/api/v1/webhooks", 201, mustJSON(t, endpoint)},
		{"secret on a read", "GET", "/api/v1/webhooks/" + weID, 200, mustJSON(t, created)},
		{"secret on an update", "PATCH", "/api/v1/webhooks/" + weID, 200, mustJSON(t, created)},
		{"secret in a list", "GET", "/api/v1/webhooks", 200, mustJSON(t, listOf(created))},
		{"secret without whsec_", "POST", "/api/v1/webhooks", 201, editJSON(t, created, func(m map[string]any) { m["secret"] = "sk_test_0123456789abcdefghijKLMN" })},
		{"rotated without the previous secret's expiry", "POST", "/api/v1/webhooks/" + weID + "/rotate_secret", 200, mustJSON(t, created)},
		{"endpoint id prefix", "GET", "/api/v1/webhooks/" + weID, 200, editJSON(t, endpoint, func(m map[string]any) { m["id"] = "wh_0123456789abcdefghijKLMN" })},
		{"events with *", "GET", "/api/v1/webhooks/" + weID, 200, editJSON(t, endpoint, func(m map[string]any) { m["events"] = []string{"*"} })},
		{"unknown event type", "GET", "/api/v1/webhooks/" + weID, 200, editJSON(t, endpoint, func(m map[string]any) { m["events"] = []string{"checkout.paid"} })},
		{"null events", "GET", "/api/v1/webhooks/" + weID, 200, editJSON(t, endpoint, func(m map[string]any) { m["events"] = nil })},
		{"endpoint without description", "GET", "/api/v1/webhooks/" + weID, 200, editJSON(t, endpoint, func(m map[string]any) { delete(m, "description") })},
		{"409 on PATCH", "PATCH", "/api/v1/webhooks/" + weID, 409, mustJSON(t, errBody("idempotency_in_progress"))},
		{"body on delete", "DELETE", "/api/v1/webhooks/" + weID, 204, mustJSON(t, endpoint)},
		{"null data", "GET", "/api/v1/events/" + evtID, 200, editJSON(t, completed, func(m map[string]any) { m["data"] = nil })},
		{"data not an object", "GET", "/api/v1/events/" + evtID, 200, editJSON(t, completed, func(m map[string]any) { m["data"] = "{}" })},
		{"data of another type", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.completed", testBody))},
		{"event of an unknown type", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.paid", completedBody, func(b map[string]any) { b["event"] = "checkout.paid" }))},
		{"completed without preimage", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.completed", completedBody, func(b map[string]any) { delete(b, "preimage") }))},
		{"completed with status pending", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.completed", completedBody, func(b map[string]any) { b["status"] = "pending" }))},
		{"expired with a preimage", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.expired", expiredBody, func(b map[string]any) { b["preimage"] = strings.Repeat("cd", 32) }))},
		{"body with an unknown field", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.completed", completedBody, func(b map[string]any) { b["amount"] = 1 }))},
		{"amount_usd as a number", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("checkout.completed", completedBody, func(b map[string]any) { b["amount_usd"] = 50 }))},
		{"body without its id", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("webhook.test", testBody, func(b map[string]any) { delete(b, "id") }))},
		{"test event with checkout fields", "GET", "/api/v1/events/" + evtID, 200, mustJSON(t, event("webhook.test", testBody, func(b map[string]any) { b["checkout_id"] = csID }))},
		{"a checkout event from /test", "POST", "/api/v1/webhooks/" + weID + "/test", 200, mustJSON(t, completed)},
		{"event id prefix", "GET", "/api/v1/events/" + evtID, 200, editJSON(t, completed, func(m map[string]any) { m["id"] = "ev_0123456789abcdefghijKLMN" })},
		{"delivery_success filter as a delivery list", "GET", "/api/v1/events", 200, mustJSON(t, listOf(failed))},
		{"unknown delivery status", "GET", "/api/v1/webhooks/" + weID + "/deliveries", 200, mustJSON(t, listOf(func() apitype.WebhookDelivery { d := failed; d.Status = "retrying"; return d }()))},
		{"succeeded with a 500", "GET", "/api/v1/webhooks/" + weID + "/deliveries", 200, mustJSON(t, listOf(func() apitype.WebhookDelivery { d := succeeded; d.LastStatusCode = &code500; return d }()))},
		{"null attempts", "GET", "/api/v1/webhooks/" + weID + "/deliveries", 200, mustJSON(t, listOf(func() apitype.WebhookDelivery { d := failed; d.AttemptLog = nil; return d }()))},
		{"attempt without latency", "POST", "/api/v1/webhook_deliveries/" + whdID + "/redeliver", 200, editJSON(t, pending, func(m map[string]any) {
			delete(m["attempts"].([]any)[0].(map[string]any), "latency_ms")
		})},
		{"redelivered but not pending", "POST", "/api/v1/webhook_deliveries/" + whdID + "/redeliver", 200, mustJSON(t, failed)},
		{"a path that is not served", "GET", "/api/v1/webhook_deliveries/" + whdID, 200, mustJSON(t, failed)},
	}
	for _, c := range pass {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) > 0 {
			t.Errorf("%s: the checker refused a good response:\n%s", c.name, strings.Join(rec.failures, "\n"))
		}
	}
	for _, c := range fail {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) == 0 {
			t.Errorf("%s: the checker accepted %s %s → %d: %s", c.name, c.method, c.path, c.status, excerpt(c.body))
			continue
		}
		reason, _, _ := strings.Cut(rec.failures[0], "\nbody:")
		t.Logf("%s: rejected as it should be: %s", c.name, reason)
	}
}

// TestOpenAPIEventTypes holds every list of event types in the document to
// gateway.EventTypes: the EventType enum, what an endpoint may subscribe to
// (the same and "*"), the delivered bodies, and the top-level webhooks.
func TestOpenAPIEventTypes(t *testing.T) {
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, et := range gateway.EventTypes {
		want = append(want, string(et))
	}
	sort.Strings(want)
	strs := func(at ...string) []string {
		node, err := d.lookup(at)
		if err != nil {
			t.Error(err)
			return nil
		}
		var out []string
		switch n := node.(type) {
		case []any:
			for _, v := range n {
				out = append(out, v.(string))
			}
		case map[string]any:
			out = sortedKeys(n)
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		what string
		got  []string
		want []string
	}{
		{"EventType enum", strs("components", "schemas", "EventType", "enum"), want},
		{"WebhookEventSubscription enum", strs("components", "schemas", "WebhookEventSubscription", "enum"), append([]string{"*"}, want...)},
		{"EventBody discriminator", strs("components", "schemas", "EventBody", "discriminator", "mapping"), want},
		{"webhooks", strs("webhooks"), want},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestCheckOpenAPIWalletObjects holds wallets, their list and connection
// tests, built from the wire structs, to the document, and shows that drift
// (above all a credential in an answer) fails.
func TestCheckOpenAPIWalletObjects(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	reqID := "req_0123456789abcdefghijKLMN"
	errBody := func(code string, details ...apitype.ErrorDetail) apitype.ErrorBody {
		return apitype.ErrorBody{Error: apitype.Error{Code: code, Message: "Something.", Details: details, RequestID: reqID}}
	}
	walID := "wal_0123456789abcdefghijKLMN"
	// The built-in test wallet, as builtinTestWallet makes it.
	builtin := apitype.Wallet{Object: "wallet", Type: "test", Network: "regtest", Status: "active"}
	connected := apitype.Wallet{ID: &walID, Object: "wallet", Livemode: true, Type: "lnd", Network: "mainnet", Status: "active",
		Health:    apitype.WalletHealth{LastInvoiceAt: &now, StreamAlive: true},
		CreatedAt: &now, UpdatedAt: &now}
	boom := "dial tcp 203.0.113.5:8080: connection refused"
	failing := connected
	failing.Status, failing.Health = "error", apitype.WalletHealth{LastInvoiceAt: &now, LastError: &boom, LastErrorAt: &later}
	recovered := connected // a later test passed: the error is cleared, its time kept
	recovered.Health = apitype.WalletHealth{LastInvoiceAt: &now, LastErrorAt: &later}
	testConnected := connected
	testConnected.Livemode, testConnected.Network = false, "regtest"
	wallets := func(ws ...apitype.Wallet) apitype.List[apitype.Wallet] {
		out := listOf(ws...)
		out.Meta.TotalPages = len(ws) // as listWallets makes it
		return out
	}
	tested := apitype.WalletTest{Object: "wallet_test", OK: true, Network: "signet", LatencyMS: 212}

	type tc struct {
		name         string
		method, path string
		status       int
		body         []byte
	}
	pass := []tc{
		{"built-in test wallet", "GET", "/api/v1/wallet", 200, mustJSON(t, builtin)},
		{"connected live wallet", "GET", "/api/v1/m/wallet", 200, mustJSON(t, connected)},
		{"wallet in error", "GET", "/api/v1/wallet", 200, mustJSON(t, failing)},
		{"wallet recovered", "GET", "/api/v1/wallet", 200, mustJSON(t, recovered)},
		{"connected test-mode wallet", "GET", "/api/v1/wallet", 200, mustJSON(t, testConnected)},
		{"live mode without a wallet", "GET", "/api/v1/wallet", 404, mustJSON(t, errBody("not_found"))},
		{"connected", "PUT", "/api/v1/wallet", 200, mustJSON(t, connected)},
		{"admin macaroon refused", "PUT", "/api/v1/m/wallet", 422, mustJSON(t, errBody("validation_error",
			apitype.ErrorDetail{Field: "wallet", Message: "the macaroon can spend; bake one with lncli bakemacaroon invoices:read invoices:write"}))},
		{"no backends", "PUT", "/api/v1/wallet", 503, mustJSON(t, errBody("wallet_unavailable"))},
		{"disconnected", "DELETE", "/api/v1/wallet", 204, nil},
		{"nothing to disconnect", "DELETE", "/api/v1/m/wallet", 404, mustJSON(t, errBody("not_found"))},
		{"test passed", "POST", "/api/v1/wallet/test", 200, mustJSON(t, tested)},
		{"test failed", "POST", "/api/v1/m/wallet/test", 503, mustJSON(t, errBody("wallet_unavailable"))},
		{"test under a reused key", "POST", "/api/v1/wallet/test", 422, mustJSON(t, errBody("idempotency_error"))},
		{"test in progress", "POST", "/api/v1/wallet/test", 409, mustJSON(t, errBody("idempotency_in_progress"))},
		{"list of the built-in wallet", "GET", "/api/v1/wallets", 200, mustJSON(t, wallets(builtin))},
		{"list of a connected wallet", "GET", "/api/v1/m/wallets?q[status_eq]=active", 200, mustJSON(t, wallets(connected))},
		{"empty live list", "GET", "/api/v1/wallets", 200, mustJSON(t, wallets())},
	}
	fail := []tc{
		{"macaroon in the answer", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["macaroon"] = "0201036c6e64" })},
		{"connection string in the answer", "PUT", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["connection_string"] = "lndconnect://x" })},
		{"credentials in health", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["health"].(map[string]any)["tls_cert"] = "MIIC" })},
		{"wallet id prefix", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["id"] = "wa_0123456789abcdefghijKLMN" })},
		{"wrong object", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["object"] = "wallet_connection" })},
		{"unknown type", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["type"] = "eclair" })},
		{"unknown network", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["network"] = "bitcoin" })},
		{"unknown status", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["status"] = "inactive" })},
		{"without health", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { delete(m, "health") })},
		{"error without its error", "GET", "/api/v1/wallet", 200, editJSON(t, failing, func(m map[string]any) { m["health"].(map[string]any)["last_error"] = nil })},
		{"connected without times", "GET", "/api/v1/wallet", 200, editJSON(t, connected, func(m map[string]any) { m["created_at"] = nil })},
		{"built-in wallet in live mode", "GET", "/api/v1/wallet", 200, editJSON(t, builtin, func(m map[string]any) { m["livemode"] = true })},
		{"built-in wallet of type lnd", "GET", "/api/v1/wallet", 200, editJSON(t, builtin, func(m map[string]any) { m["type"] = "lnd" })},
		{"built-in wallet on mainnet", "GET", "/api/v1/wallet", 200, editJSON(t, builtin, func(m map[string]any) { m["network"] = "mainnet" })},
		{"built-in wallet with a stream", "GET", "/api/v1/wallet", 200, editJSON(t, builtin, func(m map[string]any) { m["health"].(map[string]any)["stream_alive"] = true })},
		{"built-in wallet answered by PUT", "PUT", "/api/v1/wallet", 200, mustJSON(t, builtin)},
		{"201 on PUT", "PUT", "/api/v1/wallet", 201, mustJSON(t, connected)},
		{"409 on PUT", "PUT", "/api/v1/wallet", 409, mustJSON(t, errBody("idempotency_in_progress"))},
		{"idempotency_error on PUT", "PUT", "/api/v1/wallet", 422, mustJSON(t, errBody("idempotency_error"))},
		{"rate_unavailable on PUT", "PUT", "/api/v1/wallet", 503, mustJSON(t, errBody("rate_unavailable"))},
		{"rate_unavailable on a test", "POST", "/api/v1/wallet/test", 503, mustJSON(t, errBody("rate_unavailable"))},
		{"503 on GET", "GET", "/api/v1/wallet", 503, mustJSON(t, errBody("wallet_unavailable"))},
		{"body on delete", "DELETE", "/api/v1/wallet", 204, mustJSON(t, connected)},
		{"failed test answered 200", "POST", "/api/v1/wallet/test", 200, editJSON(t, tested, func(m map[string]any) { m["ok"] = false })},
		{"test object", "POST", "/api/v1/wallet/test", 200, editJSON(t, tested, func(m map[string]any) { m["object"] = "wallet" })},
		{"test without latency", "POST", "/api/v1/wallet/test", 200, editJSON(t, tested, func(m map[string]any) { delete(m, "latency_ms") })},
		{"test answered with the wallet", "POST", "/api/v1/wallet/test", 200, mustJSON(t, connected)},
		{"wallet as a list", "GET", "/api/v1/wallet", 200, mustJSON(t, wallets(connected))},
		{"two wallets", "GET", "/api/v1/wallets", 200, mustJSON(t, wallets(connected, builtin))},
		{"list with more", "GET", "/api/v1/wallets", 200, editJSON(t, wallets(connected), func(m map[string]any) { m["has_more"] = true })},
		{"422 on the list", "GET", "/api/v1/wallets", 422, mustJSON(t, errBody("validation_error", apitype.ErrorDetail{Field: "page", Message: "x"}))},
		{"404 on the list", "GET", "/api/v1/wallets", 404, mustJSON(t, errBody("not_found"))},
	}
	for _, c := range pass {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) > 0 {
			t.Errorf("%s: the checker refused a good response:\n%s", c.name, strings.Join(rec.failures, "\n"))
		}
	}
	for _, c := range fail {
		rec := &recordingTB{TB: t}
		checkOpenAPI(rec, c.method, c.path, c.status, c.body)
		if len(rec.failures) == 0 {
			t.Errorf("%s: the checker accepted %s %s → %d: %s", c.name, c.method, c.path, c.status, excerpt(c.body))
			continue
		}
		reason, _, _ := strings.Cut(rec.failures[0], "\nbody:")
		t.Logf("%s: rejected as it should be: %s", c.name, reason)
	}
}

// TestOpenAPIWalletRealResponses holds the wallet answers of a real server
// (SQLite store, no wallet backends) to the document: e.do checks each.
func TestOpenAPIWalletRealResponses(t *testing.T) {
	e := setup(t)
	live := e.a.keys["sk_live"]
	for _, base := range []string{"/api/v1", "/api/v1/m"} {
		if r := e.do("GET", base+"/wallet", e.a.sk(), nil); r.status != http.StatusOK || r.obj(t)["id"] != nil {
			t.Errorf("GET %s/wallet in test mode: %d %s", base, r.status, r.body)
		}
		if r := e.do("GET", base+"/wallet", live, nil); r.status != http.StatusNotFound {
			t.Errorf("GET %s/wallet in live mode: %d %s", base, r.status, r.body)
		}
		for key, n := range map[string]int{e.a.sk(): 1, live: 0} {
			r := e.do("GET", base+"/wallets?page=2", key, nil)
			if data, _ := r.obj(t)["data"].([]any); r.status != http.StatusOK || len(data) != n {
				t.Errorf("GET %s/wallets: %d %s, want %d wallets", base, r.status, r.body, n)
			}
		}
		for _, key := range []string{e.a.sk(), live} {
			if r := e.do("DELETE", base+"/wallet", key, nil); r.status != http.StatusNotFound {
				t.Errorf("DELETE %s/wallet without a wallet: %d %s", base, r.status, r.body)
			}
		}
		for _, body := range []any{nil, `{}`, `{"wallet": {"type": "lnd", "passphrase": "x"}}`, `{"wallet": "lnd"}`} {
			if r := e.do("PUT", base+"/wallet", e.a.sk(), body); r.status != http.StatusUnprocessableEntity {
				t.Errorf("PUT %s/wallet %v: %d %s", base, body, r.status, r.body)
			}
		}
		// Whatever this server says to a well-formed connect (it has no
		// backends), the document must describe it.
		e.do("PUT", base+"/wallet", live, map[string]any{"wallet": map[string]any{"type": "lnd", "connection_string": "lndconnect://127.0.0.1:9?macaroon=AgE"}})
		if r := e.do("PUT", base+"/wallet", e.a.sk(), strings.Repeat(" ", 70<<10)); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT %s/wallet with a large body: %d", base, r.status)
		}
		if r := e.do("GET", base+"/wallet", e.a.pk(), nil); r.status != http.StatusForbidden {
			t.Errorf("GET %s/wallet with a publishable key: %d", base, r.status)
		}
	}
}
