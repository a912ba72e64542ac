package cln

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParseTLSCert checks that s holds at least one PEM certificate and returns
// it trimmed.
func ParseTLSCert(s string) ([]byte, error) {
	if _, err := parseCerts([]byte(s)); err != nil {
		return nil, err
	}
	return bytes.TrimSpace([]byte(s)), nil
}

func parseCerts(certPEM []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil && b.Type == "CERTIFICATE" {
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("cln: the TLS certificate is not PEM (-----BEGIN CERTIFICATE-----, clnrest's ca.pem)")
	}
	return certs, nil
}

// pinnedTLS trusts only certPEM when given, and the system roots otherwise.
//
// clnrest makes its own certificate authority (ca.pem) and signs its
// server certificate with it, naming only localhost and clnrest-host: the
// merchant pins ca.pem (or server.pem). A certificate that is a pinned one,
// or is signed by one, is accepted whatever name the node is reached by (an
// onion address, a Docker or LAN name): the pinned authority is the node's
// own, and signs nothing else.
func pinnedTLS(certPEM []byte) (*tls.Config, error) {
	if len(bytes.TrimSpace(certPEM)) == 0 {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	pinned, err := parseCerts(certPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range pinned {
		pool.AddCert(c)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification happens in VerifyConnection.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("cln: no TLS certificate presented")
			}
			leaf := cs.PeerCertificates[0]
			for _, c := range pinned {
				if leaf.Equal(c) {
					return nil
				}
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter}); err != nil {
				return fmt.Errorf("cln: the node's TLS certificate is not signed by the pinned one "+
					"(did clnrest make new certificates? then reconnect with the new ca.pem): %w", err)
			}
			return nil
		},
	}, nil
}
