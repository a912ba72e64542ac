package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnbits"
)

// lnbitsWallet connects one LNbits wallet with its invoice/read key; the
// admin key is refused by the connection test.
var lnbitsWallet = walletType{configure: configureLNbits, open: openLNbits}

// lnbitsConfig is what is stored (sealed).
type lnbitsConfig struct {
	URL    string `json:"url"`
	APIKey string `json:"api_key"`
}

func configureLNbits(p gateway.WalletParams, net walletNet) ([]byte, error) {
	if p.ConnectionString != "" {
		return nil, invalidWallet("connection_string", "LNbits takes url and api_key (the wallet's Invoice/read key), not a connection_string")
	}
	if p.URL == "" || p.APIKey == "" {
		return nil, invalidWallet("url", "url and api_key (the wallet's Invoice/read key) are required")
	}
	cfg := lnbitsConfig{URL: strings.TrimSpace(p.URL), APIKey: strings.TrimSpace(p.APIKey)}
	if _, err := lnbits.New(lnbits.Config{URL: cfg.URL, APIKey: cfg.APIKey}); err != nil {
		field := "url"
		if strings.Contains(err.Error(), "key") {
			field = "api_key"
		}
		return nil, invalidWallet(field, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := net.checkURL(ctx, p.Mode, "url", cfg.URL); err != nil {
		return nil, err
	}
	return json.Marshal(cfg)
}

func openLNbits(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c lnbitsConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	return lnbits.New(lnbits.Config{URL: c.URL, APIKey: c.APIKey, DialContext: net.dialer(mode)})
}
