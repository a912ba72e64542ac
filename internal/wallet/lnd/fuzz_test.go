package lnd_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// FuzzParseMacaroon decodes any bytes written as hex, standard base64 and
// URL base64 without padding. Beyond not panicking: the three spellings
// give the same answer, and a macaroon that decodes comes back byte for
// byte (round trip); CheckReceiveOnly accepts only what decodes as a
// macaroon; an error never quotes the macaroon (a credential).
func FuzzParseMacaroon(f *testing.F) {
	for _, m := range [][]byte{
		fakeMacaroon("invoices:read", "invoices:write"), fakeMacaroon(adminPerms...), fakeMacaroon(),
		fakeMacaroon("uri:/lnrpc.Lightning/AddInvoice", "info:read"), {2}, {2, 1, 3, 'l', 'n', 'd'}, {},
		{2, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, bytes.Repeat([]byte{2}, 40),
	} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, mac []byte) {
		spellings := []string{hex.EncodeToString(mac), base64.StdEncoding.EncodeToString(mac),
			base64.RawURLEncoding.EncodeToString(mac), " " + strings.ToUpper(hex.EncodeToString(mac)) + "\n"}
		first, firstErr := lnd.ParseMacaroon(spellings[0])
		for _, s := range spellings {
			got, err := lnd.ParseMacaroon(s)
			if (err == nil) != (firstErr == nil) || !bytes.Equal(got, first) {
				t.Fatalf("ParseMacaroon(%q) = %x, %v; as hex: %x, %v", s, got, err, first, firstErr)
			}
			if err != nil && len(s) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
				t.Fatalf("the error quotes the macaroon: %v", err)
			}
		}
		if firstErr == nil && !bytes.Equal(first, mac) {
			t.Fatalf("round trip: %x became %x", mac, first)
		}
		if lnd.CheckReceiveOnly(mac) == nil && firstErr != nil {
			t.Fatalf("CheckReceiveOnly accepts %x, which ParseMacaroon refuses: %v", mac, firstErr)
		}
	})
}

// FuzzParseLNDConnect parses any lndconnect URI. Beyond not panicking: an
// error never quotes the macaroon parameter; a URI that parses gives an
// https REST URL with a host, a port from 1 to 65535 and a macaroon, and writing that config back
// as an lndconnect URI (URL base64, as the spec writes it) parses to the
// same config (round trip).
func FuzzParseLNDConnect(f *testing.F) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	der := fuzzCertDER(f)
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"lndconnect://node.example:8080?cert=" + b64(der) + "&macaroon=" + b64(mac),
		"lndconnect://node.example?macaroon=" + b64(mac),
		"LNDCONNECT://[::1]:8080?macaroon=" + base64.URLEncoding.EncodeToString(mac),
		"lndconnect://10.0.0.2:8080?macaroon=" + hex.EncodeToString(mac) + "&cert=" + url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		"lndconnect://node.example:8080?macaroon=" + base64.StdEncoding.EncodeToString(mac) + "&cert=" + base64.StdEncoding.EncodeToString(der),
		"lndconnect://h:1?macaroon=%zz", "lndconnect://?macaroon=AgEDbG5k", "lndconnect://h:99999?macaroon=" + b64(mac),
		"lndconnect://user:pw@h:1?macaroon=" + b64(mac) + "#frag", "lndconnect://h:1?cert=-----BEGIN%20CERTIFICATE-----&macaroon=" + b64(mac),
		"", "lndconnect:", "lndconnect://h\x00:1?macaroon=" + b64(mac),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		cfg, err := lnd.ParseLNDConnect(uri)
		if err != nil {
			if u, perr := url.Parse(strings.TrimSpace(uri)); perr == nil {
				if m := u.Query().Get("macaroon"); len(m) >= 8 && strings.Contains(err.Error(), m) {
					t.Fatalf("the error quotes the macaroon: %v", err)
				}
			}
			return
		}
		u, perr := url.Parse(cfg.RESTURL)
		port, _ := strconv.Atoi(u.Port())
		if perr != nil || u.Scheme != "https" || u.Hostname() == "" || port < 1 || port > 65535 || u.Path != "" || len(cfg.Macaroon) == 0 {
			t.Fatalf("ParseLNDConnect(%q) = %+v", uri, cfg)
		}
		again := "lndconnect://" + u.Host + "?macaroon=" + b64(cfg.Macaroon)
		if len(cfg.TLSCertPEM) > 0 {
			block, _ := pem.Decode(cfg.TLSCertPEM)
			again += "&cert=" + b64(block.Bytes)
		}
		cfg2, err := lnd.ParseLNDConnect(again)
		if err != nil || cfg2.RESTURL != cfg.RESTURL || !bytes.Equal(cfg2.Macaroon, cfg.Macaroon) || !bytes.Equal(cfg2.TLSCertPEM, cfg.TLSCertPEM) {
			t.Fatalf("round trip of %q through %q: %+v, %v", uri, again, cfg2, err)
		}
	})
}

// FuzzParseTLSCert: any text; a certificate that parses is PEM of one
// CERTIFICATE block, and reading that PEM again gives the same bytes.
func FuzzParseTLSCert(f *testing.F) {
	der := fuzzCertDER(f)
	for _, s := range []string{
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), hex.EncodeToString(der),
		base64.StdEncoding.EncodeToString(der), base64.RawURLEncoding.EncodeToString(der),
		"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----", "-----BEGIN", "", "zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := lnd.ParseTLSCert(s)
		if err != nil {
			return
		}
		block, rest := pem.Decode(p)
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			t.Fatalf("ParseTLSCert(%q) = %q: not one CERTIFICATE block", s, p)
		}
		if again, err := lnd.ParseTLSCert(string(p)); err != nil || !bytes.Equal(again, p) {
			t.Fatalf("round trip: %q, %v", again, err)
		}
	})
}

// fuzzCertDER is a self-signed certificate, as lnd's tls.cert, in DER.
func fuzzCertDER(f *testing.F) []byte {
	f.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	return der
}
