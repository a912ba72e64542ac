package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names and values of a webhook delivery (SPEC §8).
const (
	// HeaderSignature carries the seed scheme's signature, "sha256=<hex>".
	HeaderSignature = "X-SatsRail-Signature"
	// HeaderSignatureV2 carries the replay-safe signature, "t=<unix>,v1=<hex>[,v1=<hex>...]".
	HeaderSignatureV2 = "X-SatsRail-Signature-V2"
	// HeaderTimestamp carries the unix seconds of the attempt, the same t as in HeaderSignatureV2.
	HeaderTimestamp = "X-SatsRail-Timestamp"
	// HeaderEvent carries the event type, such as "checkout.completed".
	HeaderEvent = "X-SatsRail-Event"
	// HeaderEventID carries the event's id, the same for every attempt; receivers deduplicate on it.
	HeaderEventID = "X-SatsRail-Event-Id"
	// HeaderDeliveryID carries the id of the delivery (one event sent to one endpoint).
	HeaderDeliveryID = "X-SatsRail-Delivery-Id"
	// HeaderAttempt carries the attempt number, starting at 1.
	HeaderAttempt = "X-SatsRail-Attempt"
	// UserAgent is the User-Agent of every delivery.
	UserAgent = "SatsRail-Webhook/1.0"
)

// DefaultTolerance is how far the t of a V2 signature may lie from the
// receiver's clock, in either direction, before the delivery is rejected.
const DefaultTolerance = 5 * time.Minute

// Errors returned by the verifiers; compare with errors.Is. The returned
// errors may wrap these with detail.
var (
	// ErrNoSignature means the signature header being checked is missing or empty.
	ErrNoSignature = errors.New("webhook: no signature header")
	// ErrInvalidHeader means a signature header is malformed, or the
	// X-SatsRail-Timestamp header disagrees with the t of the V2 signature.
	ErrInvalidHeader = errors.New("webhook: malformed signature header")
	// ErrInvalidSignature means no signature in the header matches any of the secrets.
	ErrInvalidSignature = errors.New("webhook: signature does not match")
	// ErrTimestampOutOfRange means the V2 signature is valid but its t lies
	// further than the tolerance from now: a replay, or a badly wrong clock.
	ErrTimestampOutOfRange = errors.New("webhook: timestamp outside tolerance")
	// ErrNoSecret means the verifier was given no non-empty secret. An empty
	// secret is never used: anyone can compute an HMAC with an empty key.
	ErrNoSecret = errors.New("webhook: no secret")
)

const seedPrefix = "sha256="

// Sign returns the value of the seed scheme's header for body:
// "sha256=" followed by the lower-case hex HMAC-SHA256 of body keyed by secret.
func Sign(secret string, body []byte) string {
	return seedPrefix + hex.EncodeToString(mac(secret, nil, body))
}

// SignV2 returns the value of the replay-safe header for body sent at t:
// "t=<unix seconds>" followed by one ",v1=<hex>" per secret, in the order
// given, each the HMAC-SHA256 of "<t>." + body. Pass both the new and the
// old secret while a rotation is in progress.
func SignV2(secrets []string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, []byte(ts+"."), body)))
	}
	return b.String()
}

// SignHeaders sets the three signature headers of a delivery of body sent at
// t: HeaderTimestamp, HeaderSignatureV2 signed with every secret, and
// HeaderSignature signed with secrets[0]. The seed scheme has room for one
// signature only, so during a rotation a receiver that checks only the seed
// header must already hold secrets[0]; put the newest secret first. With no
// secrets only HeaderTimestamp and a HeaderSignatureV2 without v1 values are
// set, which no receiver accepts.
func SignHeaders(h http.Header, secrets []string, t time.Time, body []byte) {
	h.Set(HeaderTimestamp, strconv.FormatInt(t.Unix(), 10))
	h.Set(HeaderSignatureV2, SignV2(secrets, t, body))
	if len(secrets) > 0 {
		h.Set(HeaderSignature, Sign(secrets[0], body))
	} else {
		h.Del(HeaderSignature)
	}
}

// Verify checks a seed-scheme signature header ("sha256=<hex>") against body.
// It succeeds if the signature matches any of the non-empty secrets.
//
// The seed scheme carries no timestamp, so a captured delivery verifies
// forever; prefer VerifyV2 (or ConstructEvent, which uses it when it can).
func Verify(body []byte, signatureHeader string, secrets ...string) error {
	signatureHeader = strings.TrimSpace(signatureHeader)
	if signatureHeader == "" {
		return ErrNoSignature
	}
	hexSig, ok := strings.CutPrefix(signatureHeader, seedPrefix)
	if !ok {
		return fmt.Errorf("%w: %s does not start with %q", ErrInvalidHeader, HeaderSignature, seedPrefix)
	}
	sig, err := decodeMAC(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidHeader, HeaderSignature, err)
	}
	return match(secrets, nil, body, [][]byte{sig})
}

// VerifyV2 checks a replay-safe signature header
// ("t=<unix>,v1=<hex>[,v1=<hex>...]") against body. It succeeds if any v1
// value matches any of the non-empty secrets and t lies within tolerance of
// now, in either direction; a t exactly tolerance away is accepted.
//
// A zero now means time.Now(); a tolerance of zero or less means
// DefaultTolerance. The signature is checked before the timestamp, so
// ErrTimestampOutOfRange is only returned for deliveries that really were
// signed with one of the secrets.
//
// Pairs other than t and v1 (such as a future v2=) are ignored; the header
// must hold exactly one t and at least one v1, and every v1 must be 64 hex
// digits.
func VerifyV2(body []byte, v2Header string, now time.Time, tolerance time.Duration, secrets ...string) error {
	h, err := parseV2(v2Header)
	if err != nil {
		return err
	}
	return h.verify(body, now, tolerance, secrets)
}

// v2Header is a parsed HeaderSignatureV2 value.
type v2Header struct {
	t    int64
	tRaw string // t as sent: the signed bytes start with it
	sigs [][]byte
}

func parseV2(s string) (v2Header, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return v2Header{}, ErrNoSignature
	}
	var h v2Header
	seenT := false
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return v2Header{}, fmt.Errorf("%w: %s: pair %q is not key=value", ErrInvalidHeader, HeaderSignatureV2, part)
		}
		switch k {
		case "t":
			if seenT {
				return v2Header{}, fmt.Errorf("%w: %s: more than one t", ErrInvalidHeader, HeaderSignatureV2)
			}
			t, err := parseUnix(v)
			if err != nil {
				return v2Header{}, fmt.Errorf("%w: %s: %v", ErrInvalidHeader, HeaderSignatureV2, err)
			}
			h.t, h.tRaw, seenT = t, v, true
		case "v1":
			sig, err := decodeMAC(v)
			if err != nil {
				return v2Header{}, fmt.Errorf("%w: %s: v1: %v", ErrInvalidHeader, HeaderSignatureV2, err)
			}
			h.sigs = append(h.sigs, sig)
		default:
			// Another scheme (v0, v2, ...) that this version does not know.
		}
	}
	if !seenT {
		return v2Header{}, fmt.Errorf("%w: %s: no t", ErrInvalidHeader, HeaderSignatureV2)
	}
	if len(h.sigs) == 0 {
		return v2Header{}, fmt.Errorf("%w: %s: no v1 signature", ErrInvalidHeader, HeaderSignatureV2)
	}
	return h, nil
}

func (h v2Header) verify(body []byte, now time.Time, tolerance time.Duration, secrets []string) error {
	prefix := []byte(h.tRaw + ".")
	if err := match(secrets, prefix, body, h.sigs); err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now()
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Sub saturates, so an absurd t cannot overflow into the window.
	age := now.Sub(time.Unix(h.t, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: t=%d is %s from now (tolerance %s)", ErrTimestampOutOfRange, h.t, age.Abs().Truncate(time.Second), tolerance)
	}
	return nil
}

// parseUnix parses unix seconds written as plain decimal digits: no sign,
// no spaces, no fraction.
func parseUnix(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("timestamp %q is not unix seconds", s)
	}
	t, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q is not unix seconds", s)
	}
	return t, nil
}

func decodeMAC(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("signature is not hex")
	}
	if len(b) != sha256.Size {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(b), sha256.Size)
	}
	return b, nil
}

// match reports whether any of sigs equals the HMAC of prefix+body under any
// of the non-empty secrets, comparing in constant time.
func match(secrets []string, prefix, body []byte, sigs [][]byte) error {
	tried := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		tried = true
		want := mac(s, prefix, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	if !tried {
		return ErrNoSecret
	}
	return ErrInvalidSignature
}

func mac(secret string, prefix, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(prefix)
	m.Write(body)
	return m.Sum(nil)
}
