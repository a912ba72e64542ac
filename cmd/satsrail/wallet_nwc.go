package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
)

// nwcWallet connects a Nostr Wallet Connect (NIP-47) wallet service, such
// as Alby Hub, through a receive-only connection. The receive-only check
// needs get_info, so it happens in the connection test on save (and again
// whenever the client connects), not in configure.
var nwcWallet = walletType{configure: configureNWC, open: openNWC, streams: true}

// nwcConfig is what is stored (sealed) for an NWC connection.
type nwcConfig struct {
	WalletPubKey string   `json:"wallet_pubkey"`
	Relays       []string `json:"relays"`
	Secret       string   `json:"secret"`
}

func configureNWC(p gateway.WalletParams, net walletNet) ([]byte, error) {
	if p.RESTURL != "" || p.URL != "" || p.Macaroon != "" || p.TLSCert != "" || p.Rune != "" ||
		p.Password != "" || p.APIKey != "" || p.Address != "" {
		return nil, invalidWallet("connection_string", "an nwc wallet takes only connection_string")
	}
	if p.ConnectionString == "" {
		return nil, invalidWallet("connection_string", "is required: the nostr+walletconnect://… URI of a receive-only connection")
	}
	c, err := nwc.ParseURI(p.ConnectionString)
	if err != nil {
		return nil, invalidWallet("connection_string", "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range c.Relays {
		// The guard checks http(s) URLs; a websocket opens with an HTTP
		// request to the same host.
		u := "http" + strings.TrimPrefix(r, "ws")
		if err := net.checkURL(ctx, p.Mode, "connection_string", u); err != nil {
			return nil, err
		}
	}
	return json.Marshal(nwcConfig{WalletPubKey: c.WalletPubKey, Relays: c.Relays, Secret: c.Secret})
}

func openNWC(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c nwcConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	return nwc.New(nwc.Config{
		Connection:  nwc.Connection{WalletPubKey: c.WalletPubKey, Relays: c.Relays, Secret: c.Secret},
		DialContext: net.dialer(mode),
		Logger:      net.log,
	})
}
