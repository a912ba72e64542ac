package lnd

import (
	"bytes"
	"cmp"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseLNDConnect reads an lndconnect URI,
//
//	lndconnect://host:port?cert=<base64url DER>&macaroon=<base64url>
//
// (github.com/LN-Zap/lndconnect). The port must be lnd's REST port (the
// URI's default, 10009, is gRPC's; 8080 is REST's). cert is absent when the
// node has a CA-signed certificate; a PEM certificate and a hex macaroon,
// which some tools write, are accepted too. The macaroon is not checked
// here; New does that.
func ParseLNDConnect(uri string) (Config, error) {
	uri = strings.TrimSpace(uri)
	u, err := url.Parse(uri)
	if err != nil {
		// The error quotes the URI, macaroon and all: say less.
		return Config{}, errors.New("lnd: not an lndconnect URI (lndconnect://host:port?cert=…&macaroon=…)")
	}
	if !strings.EqualFold(u.Scheme, "lndconnect") || u.Host == "" {
		return Config{}, errors.New("lnd: not an lndconnect URI (lndconnect://host:port?cert=…&macaroon=…)")
	}
	// A host of "::" or a port of 99999 parses as a URL but names no
	// node: say so now rather than fail to dial later.
	hostname, port := u.Hostname(), cmp.Or(u.Port(), "8080")
	if hostname == "" || (strings.Contains(hostname, ":") && net.ParseIP(hostname) == nil) {
		return Config{}, errors.New("lnd: the lndconnect URI's host is not a host name or IP address")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Config{}, errors.New("lnd: the lndconnect URI's port is not a port (1 to 65535; lnd's REST port is often 8080)")
	}
	host := net.JoinHostPort(hostname, port)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, errors.New("lnd: lndconnect URI: malformed query")
	}
	// ParseQuery turns '+' into ' '; base64 holds no spaces, so a tool
	// that wrote standard base64 without escaping gets its '+' back
	// (outside PEM's "-----BEGIN CERTIFICATE-----" lines).
	get := func(k string) string {
		lines := strings.Split(q.Get(k), "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "-----") {
				lines[i] = strings.ReplaceAll(l, " ", "+")
			}
		}
		return strings.Join(lines, "\n")
	}

	cfg := Config{RESTURL: "https://" + host}
	if m := get("macaroon"); m != "" {
		if cfg.Macaroon, err = ParseMacaroon(m); err != nil {
			return Config{}, fmt.Errorf("lndconnect URI: %w", err)
		}
	} else {
		return Config{}, errors.New("lnd: the lndconnect URI has no macaroon")
	}
	if c := get("cert"); c != "" {
		if cfg.TLSCertPEM, err = ParseTLSCert(c); err != nil {
			return Config{}, fmt.Errorf("lndconnect URI: %w", err)
		}
	}
	return cfg, nil
}

// ParseTLSCert reads lnd's TLS certificate given as text: PEM (the
// tls.cert file), or its DER bytes in base64 (standard or URL alphabet,
// padded or not, as lndconnect carries it) or hex. It returns PEM.
func ParseTLSCert(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, errors.New("lnd: the TLS certificate is not a PEM CERTIFICATE block")
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, fmt.Errorf("lnd: TLS certificate: %w", err)
		}
		return pem.EncodeToMemory(b), nil
	}
	s = strings.Join(strings.Fields(s), "")
	der, err := hex.DecodeString(s)
	if err != nil {
		raw := strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(s, "="))
		if der, err = base64.RawURLEncoding.DecodeString(raw); err != nil {
			return nil, errors.New("lnd: the TLS certificate is neither PEM nor base64 or hex DER")
		}
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("lnd: TLS certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bytes.Clone(der)}), nil
}
