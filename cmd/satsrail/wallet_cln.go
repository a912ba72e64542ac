package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/cln"
)

// clnWallet connects the merchant's Core Lightning node through its clnrest
// plugin with a rune that can only receive.
var clnWallet = walletType{configure: configureCLN, open: openCLN, streams: true}

// clnConfig is what is stored (sealed) for a Core Lightning connection.
type clnConfig struct {
	RESTURL string `json:"rest_url"`
	Rune    string `json:"rune"`
	TLSCert string `json:"tls_cert,omitempty"`
}

func configureCLN(p gateway.WalletParams, net walletNet) ([]byte, error) {
	switch {
	case p.ConnectionString != "":
		// Core Lightning documents no connection string for clnrest.
		return nil, invalidWallet("connection_string", "Core Lightning has no connection string: give rest_url (clnrest's https://host:port), rune and tls_cert (clnrest's ca.pem)")
	case p.RESTURL == "" || p.Rune == "":
		return nil, invalidWallet("rest_url", "rest_url and rune are required (and tls_cert, clnrest's ca.pem, unless its certificate is CA-signed)")
	case p.Macaroon != "" || p.Password != "" || p.APIKey != "" || p.URL != "" || p.Address != "":
		return nil, invalidWallet("wallet", "a cln wallet takes rest_url, rune and tls_cert only")
	}
	if _, err := cln.ParseRESTURL(p.RESTURL); err != nil {
		return nil, invalidWallet("rest_url", "%v", err)
	}
	if err := cln.CheckReceiveOnly(p.Rune); err != nil {
		return nil, invalidWallet("rune", "%v", err)
	}
	cfg := clnConfig{RESTURL: p.RESTURL, Rune: p.Rune}
	if p.TLSCert != "" {
		pemCert, err := cln.ParseTLSCert(p.TLSCert)
		if err != nil {
			return nil, invalidWallet("tls_cert", "must be clnrest's ca.pem (PEM): %v", err)
		}
		cfg.TLSCert = string(pemCert)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := net.checkURL(ctx, p.Mode, "rest_url", p.RESTURL); err != nil {
		return nil, err
	}
	return json.Marshal(cfg)
}

func openCLN(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c clnConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	if c.RESTURL == "" {
		return nil, errors.New("cln: stored configuration has no rest_url")
	}
	return cln.New(cln.Config{RESTURL: c.RESTURL, Rune: c.Rune, TLSCertPEM: []byte(c.TLSCert), DialContext: net.dialer(mode)})
}
