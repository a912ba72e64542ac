package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/satsrail/satsrail/webhook"
)

// The fixed vector: computed once (with Python's hmac module, independently
// of this package) and pinned here so that any change to either scheme fails.
const (
	vecSecret = "whsec_test"
	vecBody   = `{"id":"evt_1"}`
	vecUnix   = 1700000000
	vecSeed   = "sha256=030fa3b2413d1993c551364bd53bb9b3edb5c0c34d55dba6ada6041245632811"
	vecV1     = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
	// vecV1Old is the same body and t signed with "whsec_old".
	vecV1Old = "ef1b1b7e4b312671a75ef2a03e10529f7834a6528a49db77ad6568c8c8017843"
)

var vecTime = time.Unix(vecUnix, 0)

// hmacHex computes HMAC-SHA256 the long way, independently of the package.
func hmacHex(t *testing.T, secret, msg string) string {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestFixedVector(t *testing.T) {
	body := []byte(vecBody)
	if got := webhook.Sign(vecSecret, body); got != vecSeed {
		t.Errorf("Sign = %s, want %s", got, vecSeed)
	}
	want := "t=1700000000,v1=" + vecV1
	if got := webhook.SignV2([]string{vecSecret}, vecTime, body); got != want {
		t.Errorf("SignV2 = %s, want %s", got, want)
	}
	want = "t=1700000000,v1=" + vecV1 + ",v1=" + vecV1Old
	if got := webhook.SignV2([]string{vecSecret, "whsec_old"}, vecTime, body); got != want {
		t.Errorf("SignV2 rotating = %s, want %s", got, want)
	}
	if err := webhook.Verify(body, vecSeed, vecSecret); err != nil {
		t.Errorf("Verify(fixed vector) = %v", err)
	}
	if err := webhook.VerifyV2(body, "t=1700000000,v1="+vecV1, vecTime, 0, vecSecret); err != nil {
		t.Errorf("VerifyV2(fixed vector) = %v", err)
	}
}

func TestSignMatchesHMAC(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		body   string
		unix   int64
	}{
		{"event", "whsec_abc", `{"id":"evt_2","event":"checkout.completed"}`, 1705312950},
		{"empty body", "whsec_abc", ``, 1},
		{"binary body", "k", "\x00\xff\n.", 4102444800},
		{"unicode secret", "whsec_ü", `{"a":"€"}`, 1700000123},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			ts := time.Unix(tt.unix, 999_000_000) // sub-seconds are dropped
			if got, want := webhook.Sign(tt.secret, body), "sha256="+hmacHex(t, tt.secret, tt.body); got != want {
				t.Errorf("Sign = %s, want %s", got, want)
			}
			tstr := strconv.FormatInt(tt.unix, 10)
			want := "t=" + tstr + ",v1=" + hmacHex(t, tt.secret, tstr+"."+tt.body) + ",v1=" + hmacHex(t, "other", tstr+"."+tt.body)
			if got := webhook.SignV2([]string{tt.secret, "other"}, ts, body); got != want {
				t.Errorf("SignV2 = %s, want %s", got, want)
			}
		})
	}
}

func TestSignHeaders(t *testing.T) {
	body := []byte(vecBody)
	h := http.Header{}
	h.Set(webhook.HeaderSignature, "stale")
	webhook.SignHeaders(h, []string{vecSecret, "whsec_old"}, vecTime, body)
	want := map[string]string{
		webhook.HeaderTimestamp:   "1700000000",
		webhook.HeaderSignature:   vecSeed,
		webhook.HeaderSignatureV2: "t=1700000000,v1=" + vecV1 + ",v1=" + vecV1Old,
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("headers = %v, want only %v", h, want)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		header  string
		secrets []string
		want    error
	}{
		{"valid", vecBody, vecSeed, []string{vecSecret}, nil},
		{"valid upper-case hex", vecBody, "sha256=" + strings.ToUpper(vecSeed[len("sha256="):]), []string{vecSecret}, nil},
		{"second secret matches", vecBody, vecSeed, []string{"whsec_new", vecSecret}, nil},
		{"empty secrets skipped", vecBody, vecSeed, []string{"", vecSecret}, nil},
		{"tampered body", `{"id":"evt_2"}`, vecSeed, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"trailing newline in body", vecBody + "\n", vecSeed, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"wrong secret", vecBody, vecSeed, []string{"whsec_wrong"}, webhook.ErrInvalidSignature},
		{"V2 signature in seed header", vecBody, "sha256=" + vecV1, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"empty header", vecBody, "", []string{vecSecret}, webhook.ErrNoSignature},
		{"blank header", vecBody, "  ", []string{vecSecret}, webhook.ErrNoSignature},
		{"prefix missing", vecBody, vecSeed[len("sha256="):], []string{vecSecret}, webhook.ErrInvalidHeader},
		{"prefix upper-case", vecBody, "SHA256=" + vecSeed[len("sha256="):], []string{vecSecret}, webhook.ErrInvalidHeader},
		{"other algorithm", vecBody, "sha1=" + vecSeed[len("sha256="):], []string{vecSecret}, webhook.ErrInvalidHeader},
		{"V2 header in seed slot", vecBody, "t=1700000000,v1=" + vecV1, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"non-hex", vecBody, "sha256=" + strings.Repeat("zz", 32), []string{vecSecret}, webhook.ErrInvalidHeader},
		{"truncated", vecBody, vecSeed[:len(vecSeed)-2], []string{vecSecret}, webhook.ErrInvalidHeader},
		{"odd length", vecBody, vecSeed[:len(vecSeed)-1], []string{vecSecret}, webhook.ErrInvalidHeader},
		{"prefix only", vecBody, "sha256=", []string{vecSecret}, webhook.ErrInvalidHeader},
		{"no secrets", vecBody, vecSeed, nil, webhook.ErrNoSecret},
		// An unset environment variable must not turn into a key anyone knows.
		{"only empty secret", vecBody, "sha256=" + hmacHex(t, "", vecBody), []string{""}, webhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify([]byte(tt.body), tt.header, tt.secrets...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyV2(t *testing.T) {
	const ts = "1700000000"
	sig := func(secret, t0, body string) string { return hmacHex(t, secret, t0+"."+body) }
	good := "t=" + ts + ",v1=" + sig(vecSecret, ts, vecBody)
	rotated := "t=" + ts + ",v1=" + sig("whsec_new", ts, vecBody) + ",v1=" + sig("whsec_old", ts, vecBody)
	tests := []struct {
		name      string
		body      string
		header    string
		now       time.Time
		tolerance time.Duration
		secrets   []string
		want      error
	}{
		{"valid", vecBody, good, vecTime, 0, []string{vecSecret}, nil},
		{"pinned vector", vecBody, "t=" + ts + ",v1=" + vecV1, vecTime, 0, []string{vecSecret}, nil},
		{"tampered body", `{"id":"evt_2"}`, good, vecTime, 0, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"wrong secret", vecBody, good, vecTime, 0, []string{"whsec_wrong"}, webhook.ErrInvalidSignature},
		{"t changed after signing", vecBody, "t=1700000001,v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"t with leading zero is a different message", vecBody, "t=0" + ts + ",v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"seed MAC in v1", vecBody, "t=" + ts + ",v1=" + hmacHex(t, vecSecret, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidSignature},
		{"no secrets", vecBody, good, vecTime, 0, nil, webhook.ErrNoSecret},
		{"only empty secret", vecBody, "t=" + ts + ",v1=" + sig("", ts, vecBody), vecTime, 0, []string{""}, webhook.ErrNoSecret},

		// Tolerance.
		{"stale 6 min", vecBody, good, vecTime.Add(6 * time.Minute), 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"future 6 min", vecBody, good, vecTime.Add(-6 * time.Minute), 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"old by exactly tolerance", vecBody, good, vecTime.Add(webhook.DefaultTolerance), 0, []string{vecSecret}, nil},
		{"future by exactly tolerance", vecBody, good, vecTime.Add(-webhook.DefaultTolerance), 0, []string{vecSecret}, nil},
		{"old by tolerance + 1ns", vecBody, good, vecTime.Add(webhook.DefaultTolerance + 1), 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"future by tolerance + 1s", vecBody, good, vecTime.Add(-webhook.DefaultTolerance - time.Second), 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"custom tolerance", vecBody, good, vecTime.Add(time.Hour), 2 * time.Hour, []string{vecSecret}, nil},
		{"custom tolerance exceeded", vecBody, good, vecTime.Add(11 * time.Second), 10 * time.Second, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"negative tolerance means default", vecBody, good, vecTime.Add(6 * time.Minute), -time.Hour, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"stale and wrong secret reports signature", vecBody, good, vecTime.Add(time.Hour), 0, []string{"whsec_wrong"}, webhook.ErrInvalidSignature},
		{"zero now is the real clock", vecBody, good, time.Time{}, 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},
		{"absurd t", vecBody, "t=9223372036854775807,v1=" + sig(vecSecret, "9223372036854775807", vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrTimestampOutOfRange},

		// Rotation: two v1 values, either secret accepted, a third refused.
		{"rotated, receiver has new", vecBody, rotated, vecTime, 0, []string{"whsec_new"}, nil},
		{"rotated, receiver has old", vecBody, rotated, vecTime, 0, []string{"whsec_old"}, nil},
		{"rotated, receiver has both", vecBody, rotated, vecTime, 0, []string{"whsec_old", "whsec_new"}, nil},
		{"rotated, receiver has neither", vecBody, rotated, vecTime, 0, []string{"whsec_third"}, webhook.ErrInvalidSignature},
		{"v1 before t", vecBody, "v1=" + sig(vecSecret, ts, vecBody) + ",t=" + ts, vecTime, 0, []string{vecSecret}, nil},
		{"spaces around commas", vecBody, " t=" + ts + " ,\tv1=" + sig("x", ts, vecBody) + " , v1=" + sig(vecSecret, ts, vecBody) + " ", vecTime, 0, []string{vecSecret}, nil},
		{"unknown schemes ignored", vecBody, "t=" + ts + ",v0=legacy,v2=not-hex-but-unknown,v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, nil},

		// Malformed.
		{"empty", vecBody, "", vecTime, 0, []string{vecSecret}, webhook.ErrNoSignature},
		{"blank", vecBody, "   ", vecTime, 0, []string{vecSecret}, webhook.ErrNoSignature},
		{"missing t", vecBody, "v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"missing v1", vecBody, "t=" + ts, vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"only unknown scheme", vecBody, "t=" + ts + ",v2=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"non-hex v1", vecBody, "t=" + ts + ",v1=" + strings.Repeat("g", 64), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"short v1", vecBody, "t=" + ts + ",v1=abcd", vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"empty v1", vecBody, "t=" + ts + ",v1=", vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"one bad v1 among good", vecBody, good + ",v1=nothex", vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t not a number", vecBody, "t=abc,v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t negative", vecBody, "t=-1,v1=" + sig(vecSecret, "-1", vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t with plus", vecBody, "t=+" + ts + ",v1=" + sig(vecSecret, "+"+ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t fractional", vecBody, "t=" + ts + ".5,v1=" + sig(vecSecret, ts+".5", vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t empty", vecBody, "t=,v1=" + sig(vecSecret, "", vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t overflows", vecBody, "t=99999999999999999999,v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"t twice", vecBody, good + ",t=" + ts, vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"space around =", vecBody, "t = " + ts + ",v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"pair without =", vecBody, good + ",garbage", vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"empty pair", vecBody, "t=" + ts + ",,v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"trailing comma", vecBody, good + ",", vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"seed header in V2 slot", vecBody, vecSeed, vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
		{"semicolons", vecBody, "t=" + ts + ";v1=" + sig(vecSecret, ts, vecBody), vecTime, 0, []string{vecSecret}, webhook.ErrInvalidHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyV2([]byte(tt.body), tt.header, tt.now, tt.tolerance, tt.secrets...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyV2 = %v, want %v", err, tt.want)
			}
		})
	}
}

// specBody is SPEC §8's checkout.completed example with every field the
// server writes (internal/gateway/event.go), in the server's order.
const specBody = `{"id":"evt_3kT9xQ","event":"checkout.completed","livemode":false,` +
	`"checkout_id":"cs_abc123","payment_hash":"5f1c2a","preimage":"9d8e7f",` +
	`"amount_sats":50000,"amount_msat":50000000,"amount_usd":"50.00","amount_cents":5000,` +
	`"currency":"usd","metadata":{"order_id":"ORD-1234"},"timestamp":"2024-01-15T10:02:30Z",` +
	`"status":"completed","transaction_id":"tx_9f2c"}`

var specTime = time.Date(2024, 1, 15, 10, 2, 30, 0, time.UTC)

func TestEventFieldsMatchServer(t *testing.T) {
	// Every key the server writes must be a field of Event: decoding the full
	// body with unknown fields disallowed catches a misspelt json tag.
	dec := json.NewDecoder(strings.NewReader(specBody))
	dec.DisallowUnknownFields()
	var e webhook.Event
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	// And nothing is lost: re-encoding gives back the same object.
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(specBody), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Event round trip (-server +Event):\n%s", diff)
	}
}

func TestConstructEvent(t *testing.T) {
	body := []byte(specBody)
	wantEvent := webhook.Event{
		ID:            "evt_3kT9xQ",
		Type:          webhook.EventCheckoutCompleted,
		Livemode:      false,
		CheckoutID:    "cs_abc123",
		PaymentHash:   "5f1c2a",
		Preimage:      "9d8e7f",
		AmountSats:    50000,
		AmountMsat:    50000000,
		AmountUSD:     "50.00",
		AmountCents:   5000,
		Currency:      "usd",
		Metadata:      map[string]string{"order_id": "ORD-1234"},
		Timestamp:     specTime,
		Status:        "completed",
		TransactionID: "tx_9f2c",
		Raw:           json.RawMessage(specBody),
	}
	sent := specTime.Add(3 * time.Second)
	now := func() time.Time { return sent.Add(time.Minute) }
	signed := func(secrets ...string) http.Header {
		h := http.Header{}
		webhook.SignHeaders(h, secrets, sent, body)
		return h
	}
	without := func(h http.Header, keys ...string) http.Header {
		for _, k := range keys {
			h.Del(k)
		}
		return h
	}
	with := func(h http.Header, k, v string) http.Header {
		h.Set(k, v)
		return h
	}

	tests := []struct {
		name   string
		body   []byte
		header http.Header
		opts   webhook.Options
		want   error
	}{
		{"both schemes", body, signed("whsec_a"), webhook.Options{}, nil},
		{"rotation, old secret", body, signed("whsec_new", "whsec_old"), webhook.Options{Secrets: []string{"whsec_old"}}, nil},
		{"only V2", body, without(signed("whsec_a"), webhook.HeaderSignature), webhook.Options{}, nil},
		{"only V2, no timestamp header", body, without(signed("whsec_a"), webhook.HeaderSignature, webhook.HeaderTimestamp), webhook.Options{}, nil},
		{"only seed", body, without(signed("whsec_a"), webhook.HeaderSignatureV2, webhook.HeaderTimestamp), webhook.Options{}, nil},
		// A seed-only delivery is a replay risk: with the V2 headers
		// stripped, the tolerance cannot be enforced.
		{"only seed, stale, accepted", body, without(signed("whsec_a"), webhook.HeaderSignatureV2), webhook.Options{Now: func() time.Time { return sent.Add(time.Hour) }}, nil},
		{"only seed, RequireV2", body, without(signed("whsec_a"), webhook.HeaderSignatureV2, webhook.HeaderTimestamp), webhook.Options{RequireV2: true}, webhook.ErrNoSignature},
		{"both, RequireV2", body, signed("whsec_a"), webhook.Options{RequireV2: true}, nil},
		{"none", body, http.Header{}, webhook.Options{}, webhook.ErrNoSignature},
		{"wrong secret", body, signed("whsec_b"), webhook.Options{}, webhook.ErrInvalidSignature},
		{"tampered body", []byte(strings.Replace(specBody, "50000", "50001", 1)), signed("whsec_a"), webhook.Options{}, webhook.ErrInvalidSignature},
		{"stale", body, signed("whsec_a"), webhook.Options{Now: func() time.Time { return sent.Add(6 * time.Minute) }}, webhook.ErrTimestampOutOfRange},
		{"stale within custom tolerance", body, signed("whsec_a"), webhook.Options{Now: func() time.Time { return sent.Add(6 * time.Minute) }, Tolerance: 10 * time.Minute}, nil},
		{"V2 bad, seed good: no fallback", body, with(signed("whsec_a"), webhook.HeaderSignatureV2, "t="+strconv.FormatInt(sent.Unix(), 10)+",v1="+strings.Repeat("00", 32)), webhook.Options{}, webhook.ErrInvalidSignature},
		{"V2 malformed, seed good: no fallback", body, with(signed("whsec_a"), webhook.HeaderSignatureV2, "garbage"), webhook.Options{}, webhook.ErrInvalidHeader},
		{"timestamp header differs", body, with(signed("whsec_a"), webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix()+1, 10)), webhook.Options{}, webhook.ErrInvalidHeader},
		{"timestamp header malformed", body, with(signed("whsec_a"), webhook.HeaderTimestamp, "soon"), webhook.Options{}, webhook.ErrInvalidHeader},
		{"no secrets", body, signed("whsec_a"), webhook.Options{Secrets: []string{}}, webhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts.Secrets == nil {
				opts.Secrets = []string{"whsec_a"}
			}
			if opts.Now == nil {
				opts.Now = now
			}
			got, err := webhook.ConstructEventWithOptions(tt.body, tt.header, opts)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ConstructEventWithOptions = %v, want %v", err, tt.want)
			}
			if err != nil {
				if diff := cmp.Diff(webhook.Event{}, got); diff != "" {
					t.Errorf("event returned with error %v:\n%s", err, diff)
				}
				return
			}
			if diff := cmp.Diff(wantEvent, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConstructEventRealClock(t *testing.T) {
	body := []byte(specBody)
	h := http.Header{}
	webhook.SignHeaders(h, []string{"whsec_a"}, time.Now(), body)
	e, err := webhook.ConstructEvent(body, h, "whsec_a")
	if err != nil {
		t.Fatalf("ConstructEvent(fresh delivery) = %v", err)
	}
	if e.ID != "evt_3kT9xQ" || e.Type != webhook.EventCheckoutCompleted {
		t.Errorf("event = %+v", e)
	}

	h = http.Header{}
	webhook.SignHeaders(h, []string{"whsec_a"}, time.Now().Add(-6*time.Minute), body)
	if _, err := webhook.ConstructEvent(body, h, "whsec_a"); !errors.Is(err, webhook.ErrTimestampOutOfRange) {
		t.Errorf("ConstructEvent(6 min old) = %v, want %v", err, webhook.ErrTimestampOutOfRange)
	}

	if _, err := webhook.ConstructEvent(body, http.Header{}, "whsec_a"); !errors.Is(err, webhook.ErrNoSignature) {
		t.Errorf("ConstructEvent(no headers) = %v, want %v", err, webhook.ErrNoSignature)
	}
}

func TestConstructEventDecoding(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    webhook.Event
		wantErr bool
	}{
		{
			name: "expired, no invoice, non-usd",
			body: `{"id":"evt_x","event":"checkout.expired","livemode":true,"checkout_id":"cs_x","amount_cents":1200,"currency":"eur","amount_usd":null,"metadata":{},"timestamp":"2024-01-15T10:15:00Z","status":"expired"}`,
			want: webhook.Event{ID: "evt_x", Type: webhook.EventCheckoutExpired, Livemode: true, CheckoutID: "cs_x",
				AmountCents: 1200, Currency: "eur", Metadata: map[string]string{},
				Timestamp: time.Date(2024, 1, 15, 10, 15, 0, 0, time.UTC), Status: "expired"},
		},
		{
			name: "unknown fields ignored",
			body: `{"id":"evt_y","event":"checkout.refunded","future":{"a":1},"metadata":{"k":"v"},"timestamp":"2024-01-15T10:15:00Z"}`,
			want: webhook.Event{ID: "evt_y", Type: "checkout.refunded", Metadata: map[string]string{"k": "v"},
				Timestamp: time.Date(2024, 1, 15, 10, 15, 0, 0, time.UTC)},
		},
		{name: "not JSON", body: `checkout.completed`, wantErr: true},
		{name: "wrong type", body: `{"amount_sats":"50000"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			h := http.Header{}
			h.Set(webhook.HeaderSignature, webhook.Sign("whsec_a", body))
			got, err := webhook.ConstructEvent(body, h, "whsec_a")
			if tt.wantErr {
				if err == nil || errors.Is(err, webhook.ErrInvalidSignature) {
					t.Fatalf("ConstructEvent = %v, want a decode error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Raw = json.RawMessage(tt.body)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			body[0] = 'X' // Raw is a copy, not the caller's buffer.
			if string(got.Raw) != tt.body {
				t.Errorf("Raw aliases the caller's body")
			}
		})
	}
}
