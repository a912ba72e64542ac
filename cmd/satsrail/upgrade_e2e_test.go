package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	binenc "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/webhook"
)

var updateUpgradeFixture = flag.Bool("update-upgrade-fixture", false,
	"rewrite testdata/upgrade/schema-0.1.0.sqlite from writeUpgradeFixture (only when the fixture's data changes)")

// upgradeFixturePath is a SQLite database as satsrail 0.1.0 left it: its
// migrations (sqlite.OldestSupportedVersion) and the rows below, written by
// writeUpgradeFixture with 0.1.0's SQL. It is committed so that the test
// upgrades the same bytes every time, however the helper's code changes.
const upgradeFixturePath = "testdata/upgrade/schema-0.1.0.sqlite"

// The fixture's data. Times are those a 0.1.0 gateway wrote on the day it
// shipped; the master key sealed its secrets.
var (
	fxMasterKey = strings.Repeat("a7", 32)
	fxT0        = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	fxSKTest    = "sk_test_Fx0100upgradeFixtureSecretKeyA1"
	fxSKLive    = "sk_live_Fx0100upgradeFixtureSecretKeyB2"
	fxWHSecret  = "whsec_Fx0100upgradeFixtureWebhookSecret0000"
	fxHash      = strings.Repeat("ab", 32)
	fxPreimage  = strings.Repeat("cd", 32)

	fxCreateBody  = `{"checkout_session":{"amount_cents":1200,"currency":"usd","customer_email":"grace@example.com","success_url":"https://shop.example/ok","cancel_url":"https://shop.example/cart","metadata":{"order_id":"B-2"}}}`
	fxWebhookBody = `{"webhook":{"url":"https://hooks.fixture.example/satsrail","description":"Fulfilment","events":["checkout.completed"]}}`
	// The replies 0.1.0 stored for them, as it rendered them.
	fxCreateReply  = `{"checkout_url":"http://127.0.0.1:8080/checkout/cs_fx0100pending00000000000","token":"cs_fx0100pending00000000000","status":"pending","expires_at":"2099-01-01T00:00:00Z","id":"cs_fx0100pending00000000000","object":"checkout_session","livemode":false,"amount_cents":1200,"currency":"usd","amount_sats":null,"exchange_rate":null,"payment_request":null,"payment_hash":null,"line_items":[],"customer_email":"grace@example.com","customer_name":null,"success_url":"https://shop.example/ok","cancel_url":"https://shop.example/cart","metadata":{"order_id":"B-2"},"created_at":"2026-11-26T10:04:00Z","completed_at":null,"expired_at":null,"cancelled_at":null,"transaction_id":null}`
	fxWebhookReply = `{"id":"we_fx0100endpoint0000000000","object":"webhook_endpoint","livemode":false,"url":"https://hooks.fixture.example/satsrail","description":"Fulfilment","events":["checkout.completed"],"active":true,"secret":"` + fxWHSecret + `","previous_secret_expires_at":null,"created_at":"2026-11-26T10:01:00Z","updated_at":"2026-11-26T10:01:00Z"}`
	fxEventBody    = `{"amount_cents":5000,"amount_msat":76923000,"amount_sats":76923,"amount_usd":"50.00","checkout_id":"cs_fx0100completed0000000000","currency":"usd","event":"checkout.completed","id":"evt_fx0100completed000000000","livemode":false,"metadata":{"order_id":"A-1"},"payment_hash":"` + fxHash + `","preimage":"` + fxPreimage + `","status":"completed","timestamp":"2026-11-26T10:02:00Z","transaction_id":"txn_fx0100settled00000000000"}`
)

func fxAt(minutes int) time.Time { return fxT0.Add(time.Duration(minutes) * time.Minute) }

// fxRequestHash is 0.1.0's request hash: the route, then the body's JSON
// value re-encoded (keys sorted, numbers as written).
func fxRequestHash(route, body string) []byte {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	canon, _ := json.Marshal(v)
	h := sha256.New()
	io.WriteString(h, route+" \n")
	h.Write(canon)
	return h.Sum(nil)
}

// fxMacaroon is an invoice macaroon as lnd bakes one (without a valid
// signature, which the gateway never checks).
func fxMacaroon() string {
	field := func(b []byte, typ int, v []byte) []byte {
		b = binenc.AppendUvarint(b, uint64(typ))
		b = binenc.AppendUvarint(b, uint64(len(v)))
		return append(b, v...)
	}
	proto := func(b []byte, n int, v []byte) []byte {
		b = binenc.AppendUvarint(b, uint64(n)<<3|2)
		b = binenc.AppendUvarint(b, uint64(len(v)))
		return append(b, v...)
	}
	id := proto(proto([]byte{3}, 1, []byte("0123456789abcdef")), 2, []byte("0"))
	for _, action := range []string{"read", "write"} {
		id = proto(id, 3, proto(proto(nil, 1, []byte("invoices")), 2, []byte(action)))
	}
	mac := field(field([]byte{2}, 1, []byte("lnd")), 2, id)
	mac = append(mac, 0, 0)
	return hex.EncodeToString(field(mac, 6, make([]byte, 32)))
}

// Column values that each engine stores its own way.
type (
	fxTime  time.Time // INTEGER microseconds / TIMESTAMPTZ
	fxBool  bool      // INTEGER 0/1 / BOOLEAN
	fxTypes []string  // ",a,b," / TEXT[]
)

type fxCol struct {
	name string
	v    any
}

// fixtureWriter inserts rows with the SQL of the engine's 0.1.0 schema.
type fixtureWriter struct {
	postgres bool
	exec     func(q string, args ...any) error
}

func (w fixtureWriter) insert(t *testing.T, table string, cols ...fxCol) {
	t.Helper()
	var names, marks []string
	var args []any
	for i, c := range cols {
		names = append(names, c.name)
		if w.postgres {
			marks = append(marks, fmt.Sprintf("$%d", i+1))
		} else {
			marks = append(marks, "?")
		}
		v := c.v
		switch x := c.v.(type) {
		case fxTime:
			if w.postgres {
				v = time.Time(x)
			} else {
				v = time.Time(x).UnixMicro()
			}
		case fxBool:
			if !w.postgres {
				v = map[fxBool]int{false: 0, true: 1}[x]
			} else {
				v = bool(x)
			}
		case fxTypes:
			if w.postgres {
				v = []string(x)
			} else {
				v = "," + strings.Join(x, ",") + ","
			}
		}
		args = append(args, v)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	if err := w.exec(q, args...); err != nil {
		t.Fatalf("fixture: %s: %v", q, err)
	}
}

// writeUpgradeFixture fills a database at the oldest supported schema with
// what a 0.1.0 gateway held: a merchant and its keys, a completed session
// with its transaction and checkout.completed event, a pending, an expired
// and a cancelled session, a webhook endpoint with a succeeded delivery and
// its attempt, a connected LND wallet, and two Idempotency-Key records (a
// session create's reply, and a webhook create's, sealed as it holds the
// secret).
func writeUpgradeFixture(t *testing.T, w fixtureWriter) {
	t.Helper()
	key, err := secretbox.ParseKey(fxMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(s string) []byte {
		b, err := secretbox.Seal(key, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mer := "mer_fx0100merchant000000000"
	w.insert(t, "merchants", fxCol{"id", mer}, fxCol{"name", "Fixture Coffee"}, fxCol{"email", "owner@fixture.example"},
		fxCol{"status", "active"}, fxCol{"rate_limit_per_minute", 600}, fxCol{"checkout_ttl_us", int64(20 * time.Minute / time.Microsecond)},
		fxCol{"created_at", fxTime(fxT0)}, fxCol{"updated_at", fxTime(fxT0)})
	for _, k := range []struct{ id, kind, mode, secret string }{
		{"key_fx0100sktest0000000000", "sk", "test", fxSKTest}, {"key_fx0100sklive0000000000", "sk", "live", fxSKLive}} {
		h := sha256.Sum256([]byte(k.secret))
		w.insert(t, "api_keys", fxCol{"id", k.id}, fxCol{"merchant_id", mer}, fxCol{"kind", k.kind}, fxCol{"mode", k.mode},
			fxCol{"hash", h[:]}, fxCol{"last4", k.secret[len(k.secret)-4:]}, fxCol{"created_at", fxTime(fxT0)})
	}
	session := func(id, status string, cents int64, email, name string, extra ...fxCol) {
		cols := []fxCol{{"id", id}, {"merchant_id", mer}, {"mode", "test"}, {"status", status}, {"amount_cents", cents},
			{"currency", "usd"}, {"customer_email", email}, {"customer_name", name},
			{"success_url", "https://shop.example/ok"}, {"cancel_url", "https://shop.example/cart"}}
		w.insert(t, "checkout_sessions", append(cols, extra...)...)
	}
	session("cs_fx0100completed0000000000", "completed", 5000, "ada@example.com", "Ada Lovelace",
		fxCol{"line_items", `[{"name":"Flat white","unit_amount_cents":2500,"quantity":2}]`},
		fxCol{"metadata", `{"order_id":"A-1"}`}, fxCol{"amount_sats", 76923}, fxCol{"exchange_rate", "65000.00"},
		fxCol{"payment_request", "lnbcrt769230n1fixture"}, fxCol{"payment_hash", fxHash},
		fxCol{"transaction_id", "txn_fx0100settled00000000000"}, fxCol{"created_at", fxTime(fxAt(0))}, fxCol{"updated_at", fxTime(fxAt(2))},
		fxCol{"expires_at", fxTime(fxAt(20))}, fxCol{"completed_at", fxTime(fxAt(2))})
	session("cs_fx0100pending00000000000", "pending", 1200, "grace@example.com", "",
		fxCol{"metadata", `{"order_id":"B-2"}`}, fxCol{"created_at", fxTime(fxAt(4))}, fxCol{"updated_at", fxTime(fxAt(4))},
		fxCol{"expires_at", fxTime(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))})
	session("cs_fx0100expired00000000000", "expired", 700, "", "",
		fxCol{"created_at", fxTime(fxAt(5))}, fxCol{"updated_at", fxTime(fxAt(25))},
		fxCol{"expires_at", fxTime(fxAt(25))}, fxCol{"expired_at", fxTime(fxAt(25))})
	session("cs_fx0100cancelled0000000000", "cancelled", 900, "lin@example.com", "Lin",
		fxCol{"created_at", fxTime(fxAt(6))}, fxCol{"updated_at", fxTime(fxAt(7))},
		fxCol{"expires_at", fxTime(fxAt(26))}, fxCol{"cancelled_at", fxTime(fxAt(7))})
	w.insert(t, "transactions", fxCol{"id", "txn_fx0100settled00000000000"}, fxCol{"merchant_id", mer}, fxCol{"mode", "test"},
		fxCol{"checkout_session_id", "cs_fx0100completed0000000000"}, fxCol{"status", "settled"}, fxCol{"payment_hash", fxHash},
		fxCol{"preimage", fxPreimage}, fxCol{"amount_msat", 76923000}, fxCol{"amount_sats", 76923}, fxCol{"amount_cents", 5000},
		fxCol{"currency", "usd"}, fxCol{"exchange_rate", "65000.00"}, fxCol{"settled_at", fxTime(fxAt(2))}, fxCol{"created_at", fxTime(fxAt(2))})
	w.insert(t, "events", fxCol{"id", "evt_fx0100completed000000000"}, fxCol{"merchant_id", mer}, fxCol{"mode", "test"},
		fxCol{"type", "checkout.completed"}, fxCol{"object_id", "cs_fx0100completed0000000000"}, fxCol{"body", []byte(fxEventBody)},
		fxCol{"created_at", fxTime(fxAt(2))})
	w.insert(t, "webhook_endpoints", fxCol{"id", "we_fx0100endpoint0000000000"}, fxCol{"merchant_id", mer}, fxCol{"mode", "test"},
		fxCol{"url", "https://hooks.fixture.example/satsrail"}, fxCol{"description", "Fulfilment"},
		fxCol{"events", fxTypes{"checkout.completed"}}, fxCol{"active", fxBool(true)}, fxCol{"secret", seal(fxWHSecret)},
		fxCol{"created_at", fxTime(fxAt(1))}, fxCol{"updated_at", fxTime(fxAt(1))})
	done := fxAt(2).Add(time.Second)
	w.insert(t, "webhook_deliveries", fxCol{"id", "whd_fx0100delivery0000000000"}, fxCol{"event_id", "evt_fx0100completed000000000"},
		fxCol{"endpoint_id", "we_fx0100endpoint0000000000"}, fxCol{"merchant_id", mer}, fxCol{"mode", "test"},
		fxCol{"status", "succeeded"}, fxCol{"attempts", 1}, fxCol{"manual", fxBool(false)}, fxCol{"last_attempt_at", fxTime(done)},
		fxCol{"last_status_code", 200}, fxCol{"created_at", fxTime(fxAt(2))}, fxCol{"updated_at", fxTime(done)})
	w.insert(t, "webhook_attempts", fxCol{"id", "wha_fx0100attempt00000000000"}, fxCol{"delivery_id", "whd_fx0100delivery0000000000"},
		fxCol{"attempt", 1}, fxCol{"at", fxTime(done)}, fxCol{"status_code", 200}, fxCol{"latency_us", 123456},
		fxCol{"response_body", []byte(`{"received":true}`)})
	w.insert(t, "wallet_connections", fxCol{"id", "wal_fx0100lnd000000000000000"}, fxCol{"merchant_id", mer}, fxCol{"mode", "live"},
		fxCol{"type", "lnd"}, fxCol{"network", "mainnet"},
		fxCol{"config", seal(`{"rest_url":"https://127.0.0.1:1","macaroon":"` + fxMacaroon() + `"}`)},
		fxCol{"settle_index", 7}, fxCol{"last_invoice_at", fxTime(fxAt(3))}, fxCol{"created_at", fxTime(fxAt(3))}, fxCol{"updated_at", fxTime(fxAt(3))})
	w.insert(t, "idempotency_keys", fxCol{"api_key_id", "key_fx0100sktest0000000000"}, fxCol{"key", "fixture-create-1"},
		fxCol{"request_hash", fxRequestHash("POST /checkout_sessions", fxCreateBody)}, fxCol{"done", fxBool(true)},
		fxCol{"status", 201}, fxCol{"body", []byte(fxCreateReply)}, fxCol{"created_at", fxTime(fxAt(4))})
	w.insert(t, "idempotency_keys", fxCol{"api_key_id", "key_fx0100sktest0000000000"}, fxCol{"key", "fixture-webhook-1"},
		fxCol{"request_hash", fxRequestHash("POST /webhooks", fxWebhookBody)}, fxCol{"done", fxBool(true)},
		fxCol{"status", 201}, fxCol{"body", seal(fxWebhookReply)}, fxCol{"created_at", fxTime(fxAt(1))})
}

// writeSQLiteFixture makes the SQLite fixture at path.
func writeSQLiteFixture(t *testing.T, path string) {
	t.Helper()
	if _, err := sqlite.MigrateTo(t.Context(), path, sqlite.OldestSupportedVersion); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	writeUpgradeFixture(t, fixtureWriter{exec: func(q string, args ...any) error {
		_, err := db.ExecContext(t.Context(), q, args...)
		return err
	}})
	// One self-contained file: no write-ahead log beside it.
	for _, q := range []string{"PRAGMA journal_mode=DELETE", "PRAGMA page_size=1024", "VACUUM"} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// postgresFixture makes a PostgreSQL database in the same state, by the
// same helper, and returns its URL.
func postgresFixture(t *testing.T) string {
	t.Helper()
	url := testdb.EmptyDatabase(t)
	if _, err := postgres.MigrateTo(t.Context(), url, postgres.OldestSupportedVersion); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	writeUpgradeFixture(t, fixtureWriter{postgres: true, exec: func(q string, args ...any) error {
		_, err := conn.Exec(t.Context(), q, args...)
		return err
	}})
	return url
}

// TestUpgradeFixtureIsCurrent keeps the committed SQLite fixture what the
// helper writes (compared by content: its rows, not its bytes, which hold
// fresh nonces). Run with -update-upgrade-fixture to rewrite it.
func TestUpgradeFixtureIsCurrent(t *testing.T) {
	if *updateUpgradeFixture {
		os.MkdirAll(filepath.Dir(upgradeFixturePath), 0o755)
		os.Remove(upgradeFixturePath)
		writeSQLiteFixture(t, upgradeFixturePath)
	}
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	writeSQLiteFixture(t, fresh)
	if got, want := dumpSQLite(t, upgradeFixturePath), dumpSQLite(t, fresh); got != want {
		t.Errorf("%s is not what writeUpgradeFixture writes; rerun with -update-upgrade-fixture if its data changed on purpose", upgradeFixturePath)
	}
}

// dumpSQLite lists a database's schema and rows, sealed columns aside.
func dumpSQLite(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	rows, err := db.Query("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name, q string
		rows.Scan(&name, &q)
		fmt.Fprintln(&b, q)
		if strings.HasPrefix(q, "CREATE TABLE") && name != "schema_migrations" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	sealed := map[string]bool{"secret": true, "config": true}
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, c := range cols {
				if sealed[c] || (table == "idempotency_keys" && c == "body" && !bytes.HasPrefix(vals[i].([]byte), []byte("{"))) {
					vals[i] = "(sealed)"
				}
			}
			fmt.Fprintln(&b, table, vals)
		}
		rows.Close()
	}
	return b.String()
}

// TestUpgradeFromOldestSchema opens a database of the oldest schema this
// binary supports — satsrail 0.1.0's, with sessions, a transaction, an
// event, a webhook endpoint with its delivery and attempt, a connected
// wallet and Idempotency-Key records in it — migrates it with `satsrail
// migrate`, serves it, and reads every object back unchanged through the
// API: on SQLite from the committed file, on PostgreSQL
// (SATSRAIL_TEST_STORE=postgres) from a database the same helper fills.
func TestUpgradeFromOldestSchema(t *testing.T) {
	dir := t.TempDir()
	store := []string{"--data-dir", dir}
	oldest, latest := sqlite.OldestSupportedVersion, sqlite.LatestVersion()
	if testdb.Engine() == "postgres" {
		store = []string{"--database-url", postgresFixture(t)}
		oldest, latest = postgres.OldestSupportedVersion, postgres.LatestVersion()
	} else {
		b, err := os.ReadFile(upgradeFixturePath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "satsrail.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Every migration after the fixture's schema, up to this binary's.
	out := cli(t, append([]string{"migrate"}, store...)...)
	var applied []int
	if _, list, ok := strings.Cut(out, "["); ok {
		list, _, _ = strings.Cut(list, "]")
		for _, f := range strings.Fields(list) {
			var v int
			fmt.Sscan(f, &v)
			applied = append(applied, v)
		}
	}
	if len(applied) == 0 || applied[0] != oldest+1 || applied[len(applied)-1] != latest || !slices.IsSorted(applied) {
		t.Fatalf("migrate printed %q, want the migrations %d to %d", out, oldest+1, latest)
	}

	// A receiver for the endpoint, to prove its sealed secret still signs.
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer rcv.Close()

	g := start(t, append(store, "--master-key", fxMasterKey, "--fixed-rates", "usd=65000",
		// The fixture's records are from 0.1.0's day: keep them honoured.
		"--retain-idempotency", "100000h")...)
	api := g.url + "/api/v1"

	get := func(key, path string) map[string]any {
		t.Helper()
		status, body := call(t, "GET", api+path, key, nil)
		if status != 200 {
			t.Fatalf("GET %s: %d %v", path, status, body)
		}
		return body
	}
	same := func(what string, obj map[string]any, want string) {
		t.Helper()
		var w map[string]any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		for k, v := range w {
			gv, _ := json.Marshal(obj[k])
			wv, _ := json.Marshal(v)
			if !bytes.Equal(gv, wv) {
				t.Errorf("%s: %s = %s, want %s", what, k, gv, wv)
			}
		}
	}

	same("merchant", get(fxSKTest, "/merchant"), `{"id":"mer_fx0100merchant000000000","name":"Fixture Coffee","email":"owner@fixture.example",
		"status":"active","rate_limit_per_minute":600,"checkout_ttl_seconds":1200,"created_at":"2026-11-26T10:00:00Z"}`)
	same("completed session", get(fxSKTest, "/checkout_sessions/cs_fx0100completed0000000000"), `{"id":"cs_fx0100completed0000000000",
		"status":"completed","livemode":false,"amount_cents":5000,"currency":"usd","amount_sats":76923,"exchange_rate":"65000.00",
		"payment_request":"lnbcrt769230n1fixture","payment_hash":"`+fxHash+`","customer_email":"ada@example.com","customer_name":"Ada Lovelace",
		"line_items":[{"product_id":null,"name":"Flat white","unit_amount_cents":2500,"quantity":2,"amount_cents":5000}],
		"success_url":"https://shop.example/ok","cancel_url":"https://shop.example/cart","metadata":{"order_id":"A-1"},
		"created_at":"2026-11-26T10:00:00Z","expires_at":"2026-11-26T10:20:00Z","completed_at":"2026-11-26T10:02:00Z",
		"expired_at":null,"cancelled_at":null,"transaction_id":"txn_fx0100settled00000000000"}`)
	same("pending session", get(fxSKTest, "/checkout_sessions/cs_fx0100pending00000000000"), `{"status":"pending","amount_cents":1200,
		"customer_email":"grace@example.com","customer_name":null,"metadata":{"order_id":"B-2"},"line_items":[],
		"created_at":"2026-11-26T10:04:00Z","expires_at":"2099-01-01T00:00:00Z","payment_hash":null,"transaction_id":null}`)
	// An expired session is a 410 that carries the session (SPEC).
	status, gone := call(t, "GET", api+"/checkout_sessions/cs_fx0100expired00000000000", fxSKTest, nil)
	expired, _ := gone["checkout_session"].(map[string]any)
	if status != 410 || expired == nil {
		t.Fatalf("GET the expired session: %d %v", status, gone)
	}
	same("expired session", expired, `{"status":"expired","amount_cents":700,
		"customer_email":null,"expired_at":"2026-11-26T10:25:00Z","completed_at":null}`)
	same("cancelled session", get(fxSKTest, "/checkout_sessions/cs_fx0100cancelled0000000000"), `{"status":"cancelled","amount_cents":900,
		"customer_email":"lin@example.com","customer_name":"Lin","cancelled_at":"2026-11-26T10:07:00Z"}`)
	list := get(fxSKTest, "/checkout_sessions?per_page=10")
	var ids []string
	for _, s := range list["data"].([]any) {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	if want := []string{"cs_fx0100cancelled0000000000", "cs_fx0100expired00000000000", "cs_fx0100pending00000000000",
		"cs_fx0100completed0000000000"}; !slices.Equal(ids, want) {
		t.Errorf("session list = %v, want %v (newest first)", ids, want)
	}
	// The count kept by the list-count triggers of 0.1.0's schema.
	if meta, _ := list["meta"].(map[string]any); meta["total_count"] != 4.0 {
		t.Errorf("session list meta = %v, want total_count 4", list["meta"])
	}
	same("transaction", get(fxSKTest, "/transactions/txn_fx0100settled00000000000"), `{"id":"txn_fx0100settled00000000000",
		"status":"settled","checkout_session_id":"cs_fx0100completed0000000000","payment_hash":"`+fxHash+`","preimage":"`+fxPreimage+`",
		"amount_msat":76923000,"amount_sats":76923,"amount_cents":5000,"currency":"usd","exchange_rate":"65000.00",
		"settled_at":"2026-11-26T10:02:00Z","created_at":"2026-11-26T10:02:00Z"}`)
	ev := get(fxSKTest, "/events/evt_fx0100completed000000000")
	same("event", ev, `{"type":"checkout.completed","created_at":"2026-11-26T10:02:00Z"}`)
	if data, _ := json.Marshal(ev["data"]); !jsonEqual(data, []byte(fxEventBody)) {
		t.Errorf("event data = %s, want %s", data, fxEventBody)
	}
	same("webhook endpoint", get(fxSKTest, "/webhooks/we_fx0100endpoint0000000000"), `{"url":"https://hooks.fixture.example/satsrail",
		"description":"Fulfilment","events":["checkout.completed"],"active":true,"created_at":"2026-11-26T10:01:00Z"}`)
	deliveries := get(fxSKTest, "/webhooks/we_fx0100endpoint0000000000/deliveries")["data"].([]any)
	if len(deliveries) != 1 {
		t.Fatalf("deliveries = %v, want the fixture's one", deliveries)
	}
	same("delivery", deliveries[0].(map[string]any), `{"id":"whd_fx0100delivery0000000000","event_id":"evt_fx0100completed000000000",
		"status":"succeeded","attempt_count":1,"last_status_code":200,"last_attempt_at":"2026-11-26T10:02:01Z",
		"attempts":[{"attempt":1,"at":"2026-11-26T10:02:01Z","status_code":200,"latency_ms":123,"error":null,"response_body":"{\"received\":true}"}]}`)
	same("wallet", get(fxSKLive, "/wallet"), `{"id":"wal_fx0100lnd000000000000000","livemode":true,"type":"lnd","network":"mainnet",
		"created_at":"2026-11-26T10:03:00Z"}`)

	// Its sealed credentials still open: testing the wallet dials the node
	// URL that only the sealed config holds (and finds nothing there).
	if status, body := call(t, "POST", api+"/wallet/test", fxSKLive, nil); status != 503 {
		t.Errorf("wallet test: %d %v, want 503 (the fixture's node is not running)", status, body)
	}
	health, _ := get(fxSKLive, "/wallet")["health"].(map[string]any)
	if e, _ := health["last_error"].(string); !strings.Contains(e, "https://127.0.0.1:1/") {
		t.Errorf("wallet health = %v, want an error from dialling the sealed config's node URL", health)
	}

	// The stored replies: the same request under the same key is answered
	// from the record, byte for byte — the webhook's after unsealing.
	for _, r := range []struct{ path, key, body, reply string }{
		{"/checkout_sessions", "fixture-create-1", fxCreateBody, fxCreateReply},
		{"/webhooks", "fixture-webhook-1", fxWebhookBody, fxWebhookReply},
	} {
		req, _ := http.NewRequest("POST", api+r.path, strings.NewReader(r.body))
		req.Header.Set("Authorization", "Bearer "+fxSKTest)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", r.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Idempotent-Replayed") != "true" || string(b) != r.reply {
			t.Errorf("replay of %s: %d replayed=%q\n%s\nwant 200, the stored\n%s", r.key, res.StatusCode, res.Header.Get("Idempotent-Replayed"), b, r.reply)
		}
	}

	// The endpoint's sealed secret still signs: point it at the receiver
	// and send its test event.
	if status, body := call(t, "PATCH", api+"/webhooks/we_fx0100endpoint0000000000", fxSKTest,
		map[string]any{"webhook": map[string]any{"url": rcv.URL + "/hook"}}); status != 200 {
		t.Fatalf("PATCH webhook: %d %v", status, body)
	}
	if status, body := call(t, "POST", api+"/webhooks/we_fx0100endpoint0000000000/test", fxSKTest, nil); status >= 300 {
		t.Fatalf("test event: %d %v", status, body)
	}
	select {
	case r := <-got:
		if _, err := webhook.ConstructEvent(<-bodies, r.Header, fxWHSecret); err != nil {
			t.Errorf("the test event does not verify with the fixture's secret: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the test event never arrived")
	}
}
