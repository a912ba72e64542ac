package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lndhub"
)

// lndhubWallet connects an LNDhub account (custodial: the hub holds the
// funds), whose hub must be lndhub.go, which gives paid invoices' preimages.
var lndhubWallet = walletType{configure: configureLNDhub, open: openLNDhub}

// lndhubConfig is what is stored (sealed).
type lndhubConfig struct {
	URL      string `json:"url"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

func configureLNDhub(p gateway.WalletParams, net walletNet) ([]byte, error) {
	if p.ConnectionString == "" {
		return nil, invalidWallet("connection_string", "is required: lndhub://login:password@https://host")
	}
	cfg, err := lndhub.ParseURI(p.ConnectionString)
	if err != nil {
		return nil, invalidWallet("connection_string", "%v", err)
	}
	if _, err := lndhub.New(cfg); err != nil {
		return nil, invalidWallet("connection_string", "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := net.checkURL(ctx, p.Mode, "connection_string", cfg.URL); err != nil {
		return nil, err
	}
	return json.Marshal(lndhubConfig{URL: cfg.URL, Login: cfg.Login, Password: cfg.Password})
}

func openLNDhub(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c lndhubConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	return lndhub.New(lndhub.Config{URL: c.URL, Login: c.Login, Password: c.Password, DialContext: net.dialer(mode)})
}
