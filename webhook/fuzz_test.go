package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

// fuzzNow is the receiver's clock in the fuzz targets.
var fuzzNow = time.Unix(1_780_000_000, 0)

const fuzzSecret = "whsec_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfu"

// verifyErrors are the sentinels a verifier's every error wraps.
var verifyErrors = []error{webhook.ErrNoSignature, webhook.ErrInvalidHeader, webhook.ErrInvalidSignature,
	webhook.ErrTimestampOutOfRange, webhook.ErrNoSecret}

func isVerifyError(err error) bool {
	for _, s := range verifyErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzVerifyV2 feeds any header and body to VerifyV2 and ConstructEvent.
// Beyond not panicking it checks that every error wraps one of the
// documented sentinels; that a header is accepted only if one of its v1
// values really is the HMAC of "<t>."+body under the secret (computed here
// independently) and t is within tolerance; that ConstructEvent gives the
// same verdict as VerifyV2 on the same header; and that what SignV2 makes
// for the same body and t verifies (sign/verify round trip).
func FuzzVerifyV2(f *testing.F) {
	body := `{"id":"evt_1","event":"checkout.completed"}`
	good := webhook.SignV2([]string{fuzzSecret}, fuzzNow, []byte(body))
	for _, s := range []struct{ header, body string }{
		{good, body},
		{good + ",v2=abc", body},
		{"t=" + strconv.FormatInt(fuzzNow.Unix(), 10) + ",v1=" + strings.Repeat("0", 64), body},
		{"t=1,v1=" + strings.Repeat("a", 64), ""},
		{"t=,v1=", ""}, {"t=1,t=2,v1=00", ""}, {"v1=" + strings.Repeat("A", 64), ""}, {"t=-1,v1=x", ""},
		{"t=99999999999999999999,v1=" + strings.Repeat("0", 64), ""}, {" , ,", ""}, {"t=1\x00,v1=1", ""},
		{strings.ToUpper(good), body}, {good, body + " "},
	} {
		f.Add(s.header, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhook.VerifyV2(body, header, fuzzNow, 0, fuzzSecret)
		if err != nil && !isVerifyError(err) {
			t.Fatalf("VerifyV2(%q): %v wraps no documented error", header, err)
		}
		if err == nil && !reallySigned(header, body) {
			t.Fatalf("VerifyV2 accepted %q, which holds no valid signature of the body at a t in tolerance", header)
		}
		h := http.Header{}
		h.Set(webhook.HeaderSignatureV2, header)
		_, cerr := webhook.ConstructEventWithOptions(body, h, webhook.Options{Secrets: []string{fuzzSecret}, Now: func() time.Time { return fuzzNow }})
		if (err == nil) != (cerr == nil || !isVerifyError(cerr)) && strings.TrimSpace(header) != "" {
			t.Fatalf("ConstructEvent disagrees with VerifyV2 on %q: %v vs %v", header, cerr, err)
		}
		// Round trip: what SignV2 makes verifies, under either of two secrets.
		signed := webhook.SignV2([]string{"whsec_old", fuzzSecret}, fuzzNow, body)
		if err := webhook.VerifyV2(body, signed, fuzzNow, 0, fuzzSecret); err != nil {
			t.Fatalf("SignV2 then VerifyV2: %v", err)
		}
		if err := webhook.VerifyV2(append(body, 'x'), signed, fuzzNow, 0, fuzzSecret); !errors.Is(err, webhook.ErrInvalidSignature) {
			t.Fatalf("a changed body verified: %v", err)
		}
	})
}

// reallySigned says whether header has a t within the default tolerance
// of fuzzNow and a v1 that is the HMAC of "<t>."+body, worked out without
// the package's parser: split on commas, trim, take the pairs.
func reallySigned(header string, body []byte) bool {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n < fuzzNow.Unix()-300 || n > fuzzNow.Unix()+300 {
		return false
	}
	m := hmac.New(sha256.New, []byte(fuzzSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	for _, s := range sigs {
		if s == want {
			return true
		}
	}
	return false
}

// FuzzVerify is the seed scheme's ("sha256=<hex>"): errors wrap the
// documented sentinels, a header is accepted only if it is the HMAC of the
// body (worked out here), and Sign then Verify round-trips.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"id":"evt_1"}`)
	for _, s := range []string{webhook.Sign(fuzzSecret, body), "sha256=", "sha256=zz", "SHA256=" + strings.Repeat("0", 64), "", " sha256=" + strings.Repeat("0", 64) + " "} {
		f.Add(s, body)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhook.Verify(body, header, fuzzSecret)
		if err != nil && !isVerifyError(err) {
			t.Fatalf("Verify(%q): %v wraps no documented error", header, err)
		}
		m := hmac.New(sha256.New, []byte(fuzzSecret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if err == nil && !strings.EqualFold(strings.TrimSpace(header), want) {
			t.Fatalf("Verify accepted %q, want only %q", header, want)
		}
		if err := webhook.Verify(body, webhook.Sign(fuzzSecret, body), fuzzSecret); err != nil {
			t.Fatalf("Sign then Verify: %v", err)
		}
		if err := webhook.Verify(body, webhook.Sign(fuzzSecret, body), ""); !errors.Is(err, webhook.ErrNoSecret) {
			t.Fatalf("an empty secret: %v", err)
		}
	})
}
