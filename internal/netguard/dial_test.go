package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// server is an httptest server on the loopback interface that counts the
// requests it is sent, per path.
type server struct {
	*httptest.Server
	hits, redirected atomic.Int32
}

func setup(t *testing.T) *server {
	t.Helper()
	s := &server{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hook", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirected", http.StatusFound)
	})
	mux.HandleFunc("GET /redirected", func(w http.ResponseWriter, r *http.Request) {
		s.redirected.Add(1)
		io.WriteString(w, "followed")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// localhostURL is the server's URL spelled with the name "localhost", or ""
// if this machine's hosts file does not name localhost.
func (s *server) localhostURL(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupNetIP(ctx, "ip", "localhost"); err != nil {
		return ""
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort("localhost", u.Port())
	u.Path = path
	return u.String()
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body), nil
}

func TestClientRefusesLoopback(t *testing.T) {
	s := setup(t)
	urls := map[string]string{"ip": s.URL + "/hook"}
	if u := s.localhostURL(t, "/hook"); u != "" {
		// Dialing resolves the name; the Control hook sees 127.0.0.1.
		urls["localhost"] = u
	} else {
		t.Log("localhost does not resolve here; testing the IP literal only")
	}
	for name, u := range urls {
		t.Run(name, func(t *testing.T) {
			resp, _, err := get(t, NewClient(Policy{}, 5*time.Second), u)
			if err == nil {
				t.Fatalf("GET %s = %s, want refused", u, resp.Status)
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("GET %s: %v, want ErrBlocked", u, err)
			}
			be, ok := errors.AsType[*BlockedError](err)
			if !ok || be.Reason != ReasonLoopback || !be.Addr.IsLoopback() {
				t.Fatalf("GET %s: %v, want a loopback BlockedError", u, err)
			}
		})
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("server was reached %d times", n)
	}
}

func TestClientAllowLoopback(t *testing.T) {
	s := setup(t)
	resp, body, err := get(t, NewClient(Policy{AllowLoopback: true}, 5*time.Second), s.URL+"/hook")
	if err != nil {
		t.Fatalf("GET with AllowLoopback: %v", err)
	}
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("GET with AllowLoopback = %s %q, want 200 ok", resp.Status, body)
	}
	if n := s.hits.Load(); n != 1 {
		t.Errorf("server hits = %d, want 1", n)
	}
}

func TestClientAllowPrivate(t *testing.T) {
	s := setup(t)
	if _, _, err := get(t, NewClient(Policy{AllowPrivate: true}, 5*time.Second), s.URL+"/hook"); err != nil {
		t.Fatalf("GET with AllowPrivate: %v", err)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	s := setup(t)
	resp, _, err := get(t, NewClient(Policy{AllowLoopback: true}, 5*time.Second), s.URL+"/redirect")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/redirected" {
		t.Errorf("response = %s Location %q, want the 302 itself", resp.Status, resp.Header.Get("Location"))
	}
	if n := s.redirected.Load(); n != 0 {
		t.Errorf("redirect target reached %d times", n)
	}
}

func TestNewClientConfig(t *testing.T) {
	tests := []struct {
		timeout, want time.Duration
	}{
		{0, DefaultTimeout},
		{-time.Second, DefaultTimeout},
		{3 * time.Second, 3 * time.Second},
	}
	for _, tc := range tests {
		c := NewClient(Policy{}, tc.timeout)
		if c.Timeout != tc.want {
			t.Errorf("NewClient(%v).Timeout = %v, want %v", tc.timeout, c.Timeout, tc.want)
		}
		tr, ok := c.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("Transport is %T, want *http.Transport", c.Transport)
		}
		if tr.Proxy != nil {
			t.Error("Transport.Proxy is set; environment proxies would bypass the guard")
		}
		if tr.DialContext == nil || tr.DialTLSContext != nil {
			t.Error("Transport must dial through DialContext only")
		}
		if tr.TLSHandshakeTimeout <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.MaxIdleConnsPerHost <= 0 || tr.MaxResponseHeaderBytes <= 0 {
			t.Errorf("Transport limits unset: %+v", tr)
		}
		if c.CheckRedirect == nil || !errors.Is(c.CheckRedirect(nil, nil), http.ErrUseLastResponse) {
			t.Error("CheckRedirect must return http.ErrUseLastResponse")
		}
	}
}

var errWouldConnect = errors.New("test: would connect")

// TestDialContextChecksBeforeConnecting drives the dial hook with a base
// Control that refuses every socket, so no test ever sends a packet to a
// non-loopback address even if the guard were broken: a guarded address
// must be refused before the base hook runs, an allowed one must reach it.
func TestDialContextChecksBeforeConnecting(t *testing.T) {
	tests := []struct {
		policy  Policy
		addr    string
		blocked bool
	}{
		{Policy{}, "127.0.0.1:9", true},
		{Policy{}, "[::1]:9", true},
		{Policy{}, "10.0.0.1:80", true},
		{Policy{}, "169.254.169.254:80", true},
		{Policy{}, "[::ffff:169.254.169.254]:80", true},
		{Policy{}, "0.0.0.0:80", true},
		{Policy{}, "8.8.8.8:443", false},
		{Policy{AllowLoopback: true}, "127.0.0.1:9", false},
		{Policy{AllowLoopback: true}, "10.0.0.1:80", true},
		{Policy{AllowLoopback: true}, "169.254.169.254:80", true},
		{Policy{AllowPrivate: true}, "10.0.0.1:80", false},
		{Policy{AllowPrivate: true}, "169.254.169.254:80", false},
	}
	for _, legacy := range []bool{false, true} {
		for _, tc := range tests {
			var reached atomic.Bool
			base := &net.Dialer{Timeout: time.Second}
			if legacy {
				base.Control = func(network, address string, c syscall.RawConn) error {
					reached.Store(true)
					return errWouldConnect
				}
			} else {
				base.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
					reached.Store(true)
					return errWouldConnect
				}
			}
			conn, err := tc.policy.DialContext(base)(t.Context(), "tcp", tc.addr)
			if conn != nil {
				conn.Close()
				t.Fatalf("legacy=%v %+v dial %s connected", legacy, tc.policy, tc.addr)
			}
			if tc.blocked {
				if !errors.Is(err, ErrBlocked) || reached.Load() {
					t.Errorf("legacy=%v %+v dial %s: err %v, base hook reached %v; want ErrBlocked before the base hook",
						legacy, tc.policy, tc.addr, err, reached.Load())
				}
				continue
			}
			if errors.Is(err, ErrBlocked) || !errors.Is(err, errWouldConnect) || !reached.Load() {
				t.Errorf("legacy=%v %+v dial %s: err %v, base hook reached %v; want it to pass to the base hook",
					legacy, tc.policy, tc.addr, err, reached.Load())
			}
		}
	}
}

func TestDialContextOnlyTCP(t *testing.T) {
	dial := Policy{AllowPrivate: true}.DialContext(nil)
	for _, network := range []string{"udp", "udp4", "unix", "ip4:icmp"} {
		if conn, err := dial(t.Context(), network, "127.0.0.1:53"); err == nil {
			conn.Close()
			t.Errorf("dial %s succeeded, want refused", network)
		}
	}
}

func TestDialContextKeepsBase(t *testing.T) {
	base := &net.Dialer{Timeout: time.Second}
	Policy{}.DialContext(base)
	if base.Control != nil || base.ControlContext != nil {
		t.Error("DialContext modified the base dialer")
	}
}

func TestCheckDialFailsClosed(t *testing.T) {
	for _, addr := range []string{"", "localhost:80", "127.0.0.1", "/tmp/sock"} {
		if err := (Policy{AllowPrivate: true}).checkDial(addr); !errors.Is(err, ErrBlocked) {
			t.Errorf("checkDial(%q) = %v, want ErrBlocked", addr, err)
		}
	}
	if err := (Policy{}).checkDial("[2606:4700::1111]:443"); err != nil {
		t.Errorf("checkDial(public) = %v", err)
	}
}
