package httpapi_test

// The document as other languages' client generators read it: every
// operation has one stable operationId, every example is valid against its
// own schema (checked here with the same JSON Schema 2020-12 compiler as the
// responses), and Redocly CLI's recommended rules (redocly.yaml) report
// nothing.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/satsrail/satsrail/internal/httpapi"
)

// operationIDs returns every operation's operationId by where the operation
// is (a path item shared by /api/v1 and /api/v1/m is one operation), and a
// problem for each operation without one, with a malformed one, or with one
// another operation also has.
func operationIDs(d *openAPIDoc) (map[string]string, []string) {
	ids := map[string]string{} // pointer of the operation → operationId
	var problems []string
	visit := func(name string, item map[string]any, at []string) {
		for _, m := range httpMethods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			ptr := pointer(append(slices.Clone(at), m))
			if _, seen := ids[ptr]; seen {
				continue
			}
			id, _ := op["operationId"].(string)
			switch {
			case id == "":
				problems = append(problems, fmt.Sprintf("%s %s (%s) has no operationId", strings.ToUpper(m), name, ptr))
			case !regexp.MustCompile(`^[a-z][A-Za-z]*$`).MatchString(id):
				problems = append(problems, fmt.Sprintf("%s %s: operationId %q is not lowerCamelCase", strings.ToUpper(m), name, id))
			}
			ids[ptr] = id
		}
	}
	for _, p := range d.paths {
		visit(p.template, p.item, p.itemPtr)
	}
	webhooks, _ := d.root["webhooks"].(map[string]any)
	for _, name := range sortedKeys(webhooks) {
		at := []string{"webhooks", name}
		item, ptr, err := d.resolve(at, webhooks[name])
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		visit("webhook "+name, item, ptr)
	}
	owner := map[string]string{}
	for _, ptr := range sortedKeys(ids) {
		id := ids[ptr]
		if id == "" {
			continue
		}
		if other, dup := owner[id]; dup {
			problems = append(problems, fmt.Sprintf("operationId %q names both %s and %s", id, other, ptr))
		}
		owner[id] = ptr
	}
	return ids, problems
}

// exampleProblems validates every example of the document against the
// schema it illustrates: a media type's, parameter's or header's `example`
// and `examples` (Example objects) against its `schema`, and a schema's own
// `example` and `examples` against that schema.
func exampleProblems(d *openAPIDoc) []string {
	var problems []string
	check := func(schemaPtr []string, where string, value any) {
		sch, err := d.schemaAt(schemaPtr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			return
		}
		// Round-trip through the compiler's own decoder, so numbers are
		// what it expects.
		raw, err := json.Marshal(value)
		if err == nil {
			value, err = jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		}
		if err == nil {
			err = sch.Validate(value)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("the example at %s does not match its schema %s:\n%v", where, pointer(schemaPtr), err))
		}
	}
	var walk func(at []string, n any)
	walk = func(at []string, n any) {
		switch n := n.(type) {
		case map[string]any:
			inProperties := len(at) > 0 && at[len(at)-1] == "properties" // keys here are property names
			if !inProperties {
				_, hasSchema := n["schema"].(map[string]any)
				target := at // the node is a schema
				if hasSchema {
					target = append(slices.Clone(at), "schema") // media type, parameter, header
				}
				if ex, ok := n["example"]; ok {
					check(target, pointer(append(slices.Clone(at), "example")), ex)
				}
				switch exs := n["examples"].(type) {
				case []any: // a schema's examples
					for i, ex := range exs {
						check(target, pointer(append(slices.Clone(at), "examples", strconv.Itoa(i))), ex)
					}
				case map[string]any: // Example objects
					for _, name := range sortedKeys(exs) {
						exo, _, err := d.resolve(append(slices.Clone(at), "examples", name), exs[name])
						if err != nil {
							problems = append(problems, err.Error())
							continue
						}
						if v, ok := exo["value"]; ok {
							check(target, pointer(append(slices.Clone(at), "examples", name, "value")), v)
						}
					}
				}
			}
			for _, k := range sortedKeys(n) {
				walk(append(slices.Clone(at), k), n[k])
			}
		case []any:
			for i, v := range n {
				walk(append(slices.Clone(at), strconv.Itoa(i)), v)
			}
		}
	}
	walk(nil, d.root)
	return problems
}

// TestOpenAPIOperationIDs: every operation has one unique lowerCamelCase
// operationId, shared by its /api/v1 and /api/v1/m paths; and the check
// fails on a document where one is missing or repeated.
func TestOpenAPIOperationIDs(t *testing.T) {
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ids, problems := operationIDs(d)
	for _, p := range problems {
		t.Error(p)
	}
	// 34 merchant operations, simulate_payment, the document, 4 webhooks.
	if len(ids) < 39 {
		t.Errorf("only %d operations have been seen", len(ids))
	}
	byPath := map[string]string{}
	for _, p := range d.paths {
		for _, m := range httpMethods {
			if op, ok := p.item[m].(map[string]any); ok {
				byPath[strings.ToUpper(m)+" "+p.template], _ = op["operationId"].(string)
			}
		}
	}
	// The names generators turn into methods: these must never change.
	for route, want := range map[string]string{
		"POST /api/v1/checkout_sessions":                 "createCheckoutSession",
		"POST /api/v1/m/checkout_sessions":               "createCheckoutSession",
		"GET /api/v1/checkout_sessions/{id}":             "getCheckoutSession",
		"POST /api/v1/checkout_sessions/{id}/expire":     "expireCheckoutSession",
		"GET /api/v1/transactions":                       "listTransactions",
		"PATCH /api/v1/products/{id}":                    "updateProduct",
		"GET /api/v1/rates":                              "getRate",
		"POST /api/v1/webhooks/{id}/rotate_secret":       "rotateWebhookEndpointSecret",
		"POST /api/v1/webhook_deliveries/{id}/redeliver": "redeliverWebhookDelivery",
		"PUT /api/v1/wallet":                             "connectWallet",
		"POST /checkout/{id}/simulate_payment":           "simulateCheckoutPayment",
		"GET /api/v1/openapi.json":                       "getOpenAPIDocument",
	} {
		if got := byPath[route]; got != want {
			t.Errorf("%s: operationId %q, want %q", route, got, want)
		}
	}

	// The check can fail: one operationId removed, another repeated.
	var root map[string]any
	if err := json.Unmarshal(httpapi.OpenAPI(), &root); err != nil {
		t.Fatal(err)
	}
	items := root["components"].(map[string]any)["pathItems"].(map[string]any)
	delete(items["transactions"].(map[string]any)["get"].(map[string]any), "operationId")
	items["product"].(map[string]any)["get"].(map[string]any)["operationId"] = "getCheckoutSession"
	raw, _ := json.Marshal(root)
	bad, err := parseOpenAPI(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, problems = operationIDs(bad)
	joined := strings.Join(problems, "\n")
	if !strings.Contains(joined, "(/components/pathItems/transactions/get) has no operationId") || !strings.Contains(joined, `"getCheckoutSession" names both`) {
		t.Errorf("the check missed a missing and a repeated operationId; it said:\n%s", joined)
	}
}

// TestOpenAPIExamplesMatchSchemas holds every example of the document to its
// schema, and shows the check refuses a wrong one.
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	d, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range exampleProblems(d) {
		t.Error(p)
	}

	var root map[string]any
	if err := json.Unmarshal(httpapi.OpenAPI(), &root); err != nil {
		t.Fatal(err)
	}
	// A validation_error without the details it must carry, and a request
	// example with a field the request does not have.
	responses := root["components"].(map[string]any)["responses"].(map[string]any)
	example := responses["ValidationError"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["example"].(map[string]any)
	delete(example["error"].(map[string]any), "details")
	post := root["components"].(map[string]any)["pathItems"].(map[string]any)["checkoutSessions"].(map[string]any)["post"].(map[string]any)
	reqExample := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["example"].(map[string]any)
	reqExample["checkout_session"].(map[string]any)["amount_sats"] = 1000
	raw, _ := json.Marshal(root)
	bad, err := parseOpenAPI(raw)
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(exampleProblems(bad), "\n")
	for _, want := range []string{"/components/responses/ValidationError/content/application~1json/example", "/components/pathItems/checkoutSessions/post/requestBody/content/application~1json/example"} {
		if !strings.Contains(problems, want+" does not match") {
			t.Errorf("the check accepted the broken example at %s; it said:\n%s", want, problems)
		}
	}
}

// redoclyLint runs Redocly CLI's lint with redocly.yaml (and the ignore file
// beside it) on the openapi.json in dir, and returns its JSON report.
func redoclyLint(t *testing.T, bin, dir string) (report struct {
	Totals   struct{ Errors, Warnings, Ignored int }
	Problems []struct {
		RuleID   string `json:"ruleId"`
		Severity string
		Message  string
		Location []struct{ Pointer string }
	}
}) {
	t.Helper()
	cmd := exec.Command(bin, "lint", "--config", "redocly.yaml", "--format", "json", "openapi.json")
	cmd.Dir = dir
	// No telemetry, no update check: the test suite talks to no one.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run() // exits 1 when it finds errors; the report says which
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("redocly lint gave no JSON report (%v, run error %v):\nstdout: %s\nstderr: %s", err, runErr, excerpt(stdout.Bytes()), stderr.String())
	}
	return report
}

// redoclyBin finds the CLI scripts/redocly installs: $SATSRAIL_REDOCLY. The
// test is skipped without it on a developer's machine (plain go test), and
// fails without it under CI (CI set, as CI systems do) or scripts/test
// (which sets SATSRAIL_REDOCLY_REQUIRED).
func redoclyBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SATSRAIL_REDOCLY")
	if bin == "" {
		if os.Getenv("CI") != "" || os.Getenv("SATSRAIL_REDOCLY_REQUIRED") != "" {
			t.Fatal(`SATSRAIL_REDOCLY is not set, and CI or scripts/test needs the OpenAPI lint: eval "$(scripts/redocly)" (scripts/setup does)`)
		}
		t.Skip(`Redocly CLI is not installed: eval "$(scripts/redocly)" to lint the OpenAPI document`)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("SATSRAIL_REDOCLY=%s: %v (run scripts/redocly)", bin, err)
	}
	return bin
}

// TestOpenAPILint runs Redocly CLI's recommended rules on the document and
// fails on any error or warning; and shows on a copy with one operationId
// removed that the lint really finds something.
func TestOpenAPILint(t *testing.T) {
	bin := redoclyBin(t)
	report := redoclyLint(t, bin, ".")
	for _, p := range report.Problems {
		var at []string
		for _, l := range p.Location {
			at = append(at, l.Pointer)
		}
		t.Errorf("redocly lint: %s %s: %s at %s", p.Severity, p.RuleID, p.Message, strings.Join(at, ", "))
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 {
		t.Errorf("redocly lint: %d errors, %d warnings", report.Totals.Errors, report.Totals.Warnings)
	}
	t.Logf("redocly lint: clean, %d problems ignored with a reason in .redocly.lint-ignore.yaml", report.Totals.Ignored)

	// The same lint on a copy that lost one operationId must complain.
	dir := t.TempDir()
	for _, f := range []string{"redocly.yaml", ".redocly.lint-ignore.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc := bytes.Replace(httpapi.OpenAPI(), []byte(`"operationId": "listTransactions",`), nil, 1)
	if bytes.Equal(doc, httpapi.OpenAPI()) {
		t.Fatal("the document has no listTransactions operationId to remove")
	}
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := redoclyLint(t, bin, dir)
	found := false
	for _, p := range broken.Problems {
		found = found || p.RuleID == "operation-operationId"
	}
	if !found || broken.Totals.Warnings+broken.Totals.Errors == 0 {
		t.Errorf("redocly lint did not notice a missing operationId: %+v", broken)
	}
}
