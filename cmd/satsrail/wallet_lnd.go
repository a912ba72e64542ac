package main

import (
	"encoding/json"
	"fmt"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// lndWallet connects the merchant's own lnd over REST with an invoice-only
// macaroon.
var lndWallet = walletType{configure: configureLND, open: openLND, streams: true}

// lndConfig is what is stored (sealed) for an LND connection.
type lndConfig struct {
	RESTURL  string `json:"rest_url"`
	Macaroon string `json:"macaroon"` // hex
	TLSCert  string `json:"tls_cert,omitempty"`
}

func configureLND(p gateway.WalletParams, _ walletNet) ([]byte, error) {
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

func openLND(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c lndConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	mac, err := lnd.ParseMacaroon(c.Macaroon)
	if err != nil {
		return nil, err
	}
	return lnd.New(lnd.Config{RESTURL: c.RESTURL, Macaroon: mac, TLSCertPEM: []byte(c.TLSCert), DialContext: net.dialer(mode)})
}
