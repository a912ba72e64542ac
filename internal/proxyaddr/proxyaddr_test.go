package proxyaddr

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientBehindTrustedProxies(t *testing.T) {
	trusted, err := Parse("10.0.0.0/8, 192.168.1.10")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy header", "10.0.0.5:1234", nil, "10.0.0.5:1234"},
		{"one trusted hop", "10.0.0.5:1234", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"chain of trusted proxies", "10.0.0.5:1234", []string{"198.51.100.9, 10.1.2.3", "192.168.1.10"}, "198.51.100.9:0"},
		{"client spoofs extra entries", "10.0.0.5:1234", []string{"1.1.1.1, 203.0.113.7"}, "203.0.113.7:0"},
		{"untrusted peer is believed as is", "203.0.113.50:999", []string{"1.2.3.4"}, "203.0.113.50:999"},
		{"garbled chain", "10.0.0.5:1234", []string{"not-an-ip"}, "10.0.0.5:1234"},
		{"only trusted hops", "10.0.0.5:1234", []string{"10.9.9.9"}, "10.0.0.5:1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := trusted.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want {
				t.Fatalf("RemoteAddr %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "10.0.0.1/8/2"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if h := Trusted(nil).Handler(http.NotFoundHandler()); h == nil {
		t.Fatal("nil handler")
	}
}
