package lnd_test

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// fakeNode serves handler over TLS with a self-signed certificate naming
// only localhost, at 127.0.0.1, and returns its URL and certificate.
func fakeNode(t *testing.T, handler http.HandlerFunc) (url string, certPEM []byte) {
	t.Helper()
	certPEM, keyPEM := selfSignedPair(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, certPEM
}

const hash = "0000000000000000000000000000000000000000000000000000000000000001"

func TestClientPinsCertificateNotHostName(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	var header string
	url, certPEM := fakeNode(t, func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get("Grpc-Metadata-macaroon")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"code":5,"message":"unable to locate invoice","details":[]}`))
	})
	// The certificate names localhost, the URL 127.0.0.1: pinned, the
	// key is what counts.
	c, err := lnd.New(lnd.Config{RESTURL: url, Macaroon: mac, TLSCertPEM: certPEM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LookupInvoice(t.Context(), hash); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("LookupInvoice = %v, want ErrNotFound", err)
	}
	if header != hex.EncodeToString(mac) {
		t.Errorf("Grpc-Metadata-macaroon = %q, want the macaroon in hex", header)
	}

	other, _ := selfSignedPair(t)
	c, err = lnd.New(lnd.Config{RESTURL: url, Macaroon: mac, TLSCertPEM: other})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.LookupInvoice(t.Context(), hash)
	if err == nil || errors.Is(err, gateway.ErrNotFound) || !strings.Contains(err.Error(), "not the pinned one") {
		t.Errorf("LookupInvoice with another pinned certificate = %v, want a certificate error", err)
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
			url, certPEM := fakeNode(t, tt.handler)
			c, err := lnd.New(lnd.Config{RESTURL: url, Macaroon: mac, TLSCertPEM: certPEM})
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
