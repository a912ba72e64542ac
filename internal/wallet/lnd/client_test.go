package lnd_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// fakeNode serves handler over TLS with cert (and its chain) at
// 127.0.0.1, and returns its port.
func fakeNode(t *testing.T, handler http.HandlerFunc, cert *testCert, chain ...*testCert) string {
	t.Helper()
	tc := tls.Certificate{Certificate: [][]byte{cert.cert.Raw}, PrivateKey: cert.key, Leaf: cert.cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.cert.Raw)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{tc}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://127.0.0.1:")
}

// notFound answers like lnd for an unknown invoice.
func notFound(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"code":5,"message":"unable to locate invoice","details":[]}`))
}

const hash = "0000000000000000000000000000000000000000000000000000000000000001"

func TestClientTLS(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	lndCert := newCert(t, nil, "localhost") // self-signed, like lnd's
	ca := newCert(t, nil)
	leaf := newCert(t, ca, "localhost")
	tests := []struct {
		name   string
		served *testCert
		chain  []*testCert
		pinned []byte
		host   string
		ok     bool
	}{
		// The pinned certificate itself: the key is what counts, not the
		// name the node is reached by.
		{"pinned self-signed, name in it", lndCert, nil, lndCert.certPEM, "localhost", true},
		{"pinned self-signed, name not in it", lndCert, nil, lndCert.certPEM, "127.0.0.1", true},
		{"another self-signed certificate", lndCert, nil, selfSigned(t), "localhost", false},
		{"no pin, self-signed", lndCert, nil, nil, "localhost", false},
		// A pinned CA: certificates it signed, for the right name only.
		{"pinned CA, name in leaf", leaf, []*testCert{ca}, ca.certPEM, "localhost", true},
		{"pinned CA, name not in leaf", leaf, []*testCert{ca}, ca.certPEM, "127.0.0.1", false},
		{"pinned leaf of a CA", leaf, []*testCert{ca}, leaf.certPEM, "127.0.0.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header string
			port := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
				header = r.Header.Get("Grpc-Metadata-macaroon")
				notFound(w, r)
			}, tt.served, tt.chain...)
			c, err := lnd.New(lnd.Config{RESTURL: "https://" + tt.host + ":" + port, Macaroon: mac, TLSCertPEM: tt.pinned})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.LookupInvoice(t.Context(), hash)
			if !tt.ok {
				if err == nil || errors.Is(err, gateway.ErrNotFound) || !strings.Contains(err.Error(), "certificate") {
					t.Errorf("LookupInvoice = %v, want a certificate error", err)
				}
				if header != "" {
					t.Error("the macaroon was sent to an untrusted server")
				}
				return
			}
			if !errors.Is(err, gateway.ErrNotFound) {
				t.Fatalf("LookupInvoice = %v, want ErrNotFound", err)
			}
			if header != hex.EncodeToString(mac) {
				t.Errorf("Grpc-Metadata-macaroon = %q, want the macaroon in hex", header)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"permission denied", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"code":2,"message":"permission denied","details":[]}`))
		}, "lncli bakemacaroon invoices:read invoices:write"},
		{"gRPC port", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			w.Write([]byte("invalid gRPC request content-type"))
		}, "REST port"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		}, "HTTP 302"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html>"))
		}, "unexpected answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := newCert(t, nil, "127.0.0.1")
			port := fakeNode(t, tt.handler, cert)
			c, err := lnd.New(lnd.Config{RESTURL: "https://127.0.0.1:" + port, Macaroon: mac, TLSCertPEM: cert.certPEM})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.LookupInvoice(t.Context(), hash)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LookupInvoice = %v, want an error mentioning %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), hex.EncodeToString(mac)) {
				t.Errorf("error %q holds the macaroon", err)
			}
		})
	}
}

func TestSubscribeSettledStream(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	cert := newCert(t, nil, "127.0.0.1")
	b64 := func(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }
	var query string
	port := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		for _, line := range []string{
			`{"result":{"r_hash":"` + b64(1) + `","state":"OPEN","settle_index":"0","add_index":"9"}}`,
			`{"result":{"r_hash":"` + b64(2) + `","state":"SETTLED","settle_index":"5"}}`, // not after the cursor
			`{"result":{"r_hash":"` + b64(3) + `","state":"SETTLED","settle_index":"7","r_preimage":"` + b64(9) + `"}}`,
			`{"result":{"r_hash":"` + b64(4) + `","state":"CANCELED","settle_index":"0"}}`,
			`{"error":{"code":14,"message":"lnd is shutting down"}}`,
		} {
			w.Write([]byte(line + "\n"))
		}
	}, cert)
	c, err := lnd.New(lnd.Config{RESTURL: "https://127.0.0.1:" + port, Macaroon: mac, TLSCertPEM: cert.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.SubscribeSettled(t.Context(), 5, nil, func(hash string, index uint64) error {
		got = append(got, fmt.Sprintf("%s@%d", hash[:4], index))
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "lnd is shutting down") {
		t.Errorf("SubscribeSettled = %v, want the stream's error", err)
	}
	if want := []string{"0303@7"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if query != "settle_index=5" {
		t.Errorf("query %q, want settle_index=5", query)
	}

	stop := errors.New("stop")
	err = c.SubscribeSettled(t.Context(), 0, nil, func(string, uint64) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("SubscribeSettled = %v, want fn's error", err)
	}
	if query != "" {
		t.Errorf("query %q for index 0, want none", query)
	}
}

// TestSubscribeSettledLive: live is called once the subscription has
// reached the node (which answers nothing until its first event), and
// never when the node cannot be reached.
func TestSubscribeSettledLive(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	cert := newCert(t, nil, "127.0.0.1")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens there any more: connection refused
	c, err := lnd.New(lnd.Config{RESTURL: "https://" + closed, Macaroon: mac, TLSCertPEM: cert.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	var lives atomic.Int64
	err = c.SubscribeSettled(t.Context(), 0, func() { lives.Add(1) }, func(string, uint64) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("SubscribeSettled on a closed port = %v, want connection refused", err)
	}
	if n := lives.Load(); n != 0 {
		t.Errorf("live called %d times for a node that cannot be reached, want 0", n)
	}

	subscribed := make(chan struct{})
	port := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
		close(subscribed)
		<-r.Context().Done() // like lnd: nothing until the first event
	}, cert)
	c, err = lnd.New(lnd.Config{RESTURL: "https://127.0.0.1:" + port, Macaroon: mac, TLSCertPEM: cert.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	live := make(chan struct{}, 2)
	done := make(chan error, 1)
	go func() {
		done <- c.SubscribeSettled(ctx, 0, func() { live <- struct{}{} }, func(string, uint64) error { return nil })
	}()
	select {
	case <-live:
	case err := <-done:
		t.Fatalf("SubscribeSettled = %v before it was live", err)
	case <-time.After(30 * time.Second):
		t.Fatal("live not called within 30s of subscribing to a reachable node")
	}
	<-subscribed
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("SubscribeSettled after cancel = %v, want context.Canceled", err)
	}
	if len(live) != 0 {
		t.Error("live called more than once")
	}
}
