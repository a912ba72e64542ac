package gateway

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP parameters: RFC 6238's defaults, the ones every authenticator app
// understands (SHA-1, 6 digits, 30-second steps).
const (
	TOTPStep   = 30 * time.Second
	TOTPDigits = 6
	// totpSkew is how many steps either side of now a code is accepted at,
	// for clocks a little off.
	totpSkew = 1
)

// TOTPCode returns the RFC 6238 code of secret at time step counter
// (unix time / 30 s) with the given number of digits, HMAC-SHA1.
func TOTPCode(secret []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	s := strconv.FormatUint(uint64(bin%mod), 10)
	return strings.Repeat("0", digits-len(s)) + s
}

// TOTPStepAt is the time step of t.
func TOTPStepAt(t time.Time) int64 { return t.Unix() / int64(TOTPStep/time.Second) }

// VerifyTOTP checks a 6-digit code against secret at now, one step either
// side, and returns the step it matched. A step at or before lastStep is
// refused, so each code works once.
func VerifyTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TOTPDigits {
		return 0, false
	}
	now0 := TOTPStepAt(now)
	for step := now0 - totpSkew; step <= now0+totpSkew; step++ {
		if step <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(TOTPCode(secret, step, TOTPDigits)), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// totpEncoding is the base32 authenticator apps read (no padding).
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPSecretText is secret as typed into an authenticator app by hand.
func TOTPSecretText(secret []byte) string { return totpEncoding.EncodeToString(secret) }

// TOTPURI is the otpauth:// URI an authenticator app scans from a QR code.
func TOTPURI(issuer, account string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", TOTPSecretText(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", strconv.Itoa(TOTPDigits))
	q.Set("period", strconv.Itoa(int(TOTPStep/time.Second)))
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
