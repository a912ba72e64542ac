package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		c := Cookies{Secure: secure}
		w := httptest.NewRecorder()
		c.SetToken(w, "tok", time.Now().Add(time.Hour))
		ck := w.Result().Cookies()[0]
		wantName := "satsrail_session"
		if secure {
			wantName = "__Host-satsrail_session"
		}
		if ck.Name != wantName || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != secure || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("secure=%v: cookie %+v", secure, ck)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: wantName, Value: "tok"})
		if got := c.Token(r); got != "tok" {
			t.Errorf("Token = %q", got)
		}
		r = httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "satsrail_session" + strings.Repeat("x", 0), Value: "planted"})
		if secure && c.Token(r) != "" {
			t.Error("a secure instance reads a cookie without the __Host- prefix")
		}
	}
}

func TestCSRF(t *testing.T) {
	tok := CSRFToken("session-secret")
	if tok == "" || strings.Contains(tok, "session-secret") {
		t.Fatalf("token %q", tok)
	}
	if !ValidCSRF("session-secret", tok) {
		t.Error("the session's own token is refused")
	}
	for _, bad := range []string{"", tok[:len(tok)-1], CSRFToken("another session")} {
		if ValidCSRF("session-secret", bad) {
			t.Errorf("token %q accepted", bad)
		}
	}
	if ValidCSRF("", CSRFToken("")) {
		t.Error("an empty secret validates")
	}
}

func TestPreSession(t *testing.T) {
	c := Cookies{}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	v := c.PreSession(w, r)
	if len(v) < 32 || len(w.Result().Cookies()) != 1 {
		t.Fatalf("pre-session %q, cookies %v", v, w.Result().Cookies())
	}
	if again := c.PreSession(httptest.NewRecorder(), r); again != v {
		t.Error("a second read in the same request makes another secret")
	}
}
