package main

import (
	"encoding/json"
	"fmt"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// backends builds connected wallets by type. It is the one place that names
// the wallet adapters.
type backends struct{}

// lndConfig is what is stored (sealed) for an LND connection.
type lndConfig struct {
	RESTURL  string `json:"rest_url"`
	Macaroon string `json:"macaroon"` // hex
	TLSCert  string `json:"tls_cert,omitempty"`
}

func invalidWallet(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &gateway.Error{Code: gateway.CodeValidation, Message: "The wallet connection is not usable: " + msg,
		Fields: []gateway.FieldError{{Field: field, Message: msg}}}
}

func (backends) Configure(p gateway.WalletParams) ([]byte, error) {
	switch p.Type {
	case "lnd":
	case "":
		return nil, invalidWallet("type", "is required (supported: lnd)")
	default:
		return nil, invalidWallet("type", "%q is not supported (supported: lnd)", p.Type)
	}
	var cfg lnd.Config
	switch {
	case p.ConnectionString != "":
		if p.RESTURL != "" || p.Macaroon != "" || p.TLSCert != "" {
			return nil, invalidWallet("connection_string", "give either connection_string or rest_url, macaroon and tls_cert")
		}
		c, err := lnd.ParseLNDConnect(p.ConnectionString)
		if err != nil {
			return nil, invalidWallet("connection_string", "%v", err)
		}
		cfg = c
	default:
		if p.RESTURL == "" || p.Macaroon == "" {
			return nil, invalidWallet("rest_url", "rest_url and macaroon are required (or a connection_string)")
		}
		mac, err := lnd.ParseMacaroon(p.Macaroon)
		if err != nil {
			return nil, invalidWallet("macaroon", "%v", err)
		}
		cfg = lnd.Config{RESTURL: p.RESTURL, Macaroon: mac}
		if p.TLSCert != "" {
			if cfg.TLSCertPEM, err = lnd.ParseTLSCert(p.TLSCert); err != nil {
				return nil, invalidWallet("tls_cert", "must be the node's tls.cert (PEM, or base64/hex DER): %v", err)
			}
		}
	}
	if err := lnd.CheckReceiveOnly(cfg.Macaroon); err != nil {
		return nil, invalidWallet("macaroon", "%v", err)
	}
	return json.Marshal(lndConfig{RESTURL: cfg.RESTURL, Macaroon: fmt.Sprintf("%x", cfg.Macaroon), TLSCert: string(cfg.TLSCertPEM)})
}

func (backends) Open(typ string, config []byte) (gateway.Wallet, error) {
	if typ != "lnd" {
		return nil, fmt.Errorf("unknown wallet type %q", typ)
	}
	var c lndConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	mac, err := lnd.ParseMacaroon(c.Macaroon)
	if err != nil {
		return nil, err
	}
	return lnd.New(lnd.Config{RESTURL: c.RESTURL, Macaroon: mac, TLSCertPEM: []byte(c.TLSCert)})
}
