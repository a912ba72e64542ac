// Package session keeps the dashboard's browser side of a sign-in: the
// session cookie, the pre-session cookie of signed-out forms, and the CSRF
// token derived from either. The session itself (who, since when, revoked or
// not) lives server-side, in gateway.Accounts and the store; the cookie holds
// only a random token whose hash finds it.
package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"
)

// Cookies names and flags the dashboard's cookies. With Secure (an https
// public URL) the names carry the __Host- prefix, which browsers accept only
// on Secure, host-only cookies with Path=/ — so no subdomain and no plain
// http page can plant or overwrite them.
type Cookies struct {
	Secure bool
}

func (c Cookies) name(base string) string {
	if c.Secure {
		return "__Host-" + base
	}
	return base
}

// Names of the two cookies (without the __Host- prefix).
const (
	sessionCookie = "satsrail_session"
	preCookie     = "satsrail_pre"
)

func (c Cookies) cookie(base, value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{Name: c.name(base), Value: value, Path: "/", HttpOnly: true, Secure: c.Secure,
		SameSite: http.SameSiteLaxMode}
	if !expires.IsZero() {
		ck.Expires = expires
	}
	return ck
}

// Token returns the session token the request carries, or "".
func (c Cookies) Token(r *http.Request) string {
	ck, err := r.Cookie(c.name(sessionCookie))
	if err != nil {
		return ""
	}
	return ck.Value
}

// SetToken sets the session cookie until expires (the session's absolute
// end); the server may end the session sooner.
func (c Cookies) SetToken(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, c.cookie(sessionCookie, token, expires))
}

// Clear removes the session cookie.
func (c Cookies) Clear(w http.ResponseWriter) {
	ck := c.cookie(sessionCookie, "", time.Time{})
	ck.MaxAge = -1
	http.SetCookie(w, ck)
}

// PreSession returns the pre-session secret of a signed-out browser, making
// and setting one if it has none. Signed-out forms (sign-in, sign-up, invite)
// carry a CSRF token derived from it, so another site cannot sign a browser
// in to an account of its choosing.
func (c Cookies) PreSession(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(c.name(preCookie)); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, c.cookie(preCookie, v, time.Time{}))
	r.AddCookie(&http.Cookie{Name: c.name(preCookie), Value: v}) // later reads in this request see it
	return v
}

// CSRFToken is the synchronizer token of a browser secret (the session
// token, or the pre-session secret): an HMAC of it, so it is tied to that
// session, needs no storage, and tells nothing of the secret.
func CSRFToken(secret string) string {
	if secret == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("satsrail dashboard csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ValidCSRF reports whether token is the CSRF token of secret, in constant
// time.
func ValidCSRF(secret, token string) bool {
	want := CSRFToken(secret)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}
