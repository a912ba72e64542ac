package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/phoenixd"
)

// phoenixdWallet connects the merchant's phoenixd with its limited-access
// password, which cannot pay.
var phoenixdWallet = walletType{configure: configurePhoenixd, open: openPhoenixd, streams: true}

// phoenixdConfig is what is stored (sealed) for a phoenixd connection.
type phoenixdConfig struct {
	URL      string `json:"url"`
	Password string `json:"password"`
}

func configurePhoenixd(p gateway.WalletParams, net walletNet) ([]byte, error) {
	switch {
	case p.ConnectionString != "":
		// phoenixd documents no connection string.
		return nil, invalidWallet("connection_string", "phoenixd has no connection string: give url (http://host:9740) and password (http-password-limited-access from phoenix.conf)")
	case p.URL == "" || p.Password == "":
		return nil, invalidWallet("url", "url and password (http-password-limited-access from phoenix.conf) are required")
	case p.RESTURL != "" || p.Macaroon != "" || p.Rune != "" || p.TLSCert != "" || p.APIKey != "" || p.Address != "":
		return nil, invalidWallet("wallet", "a phoenixd wallet takes url and password only")
	}
	if _, err := phoenixd.ParseURL(p.URL); err != nil {
		return nil, invalidWallet("url", "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := net.checkURL(ctx, p.Mode, "url", p.URL); err != nil {
		return nil, err
	}
	// Whether the password is the full-access one is known only by asking
	// the node: the connection test does (phoenixd.Client.Test).
	return json.Marshal(phoenixdConfig{URL: p.URL, Password: p.Password})
}

func openPhoenixd(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c phoenixdConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	if c.URL == "" {
		return nil, errors.New("phoenixd: stored configuration has no url")
	}
	return phoenixd.New(phoenixd.Config{URL: c.URL, Password: c.Password, DialContext: net.dialer(mode)})
}
