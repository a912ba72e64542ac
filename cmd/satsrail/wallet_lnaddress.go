package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lnaddress"
)

// lnAddressWallet receives to a Lightning Address (LUD-16) whose service
// gives LUD-21 verify URLs: receive-only by nature, no credential.
var lnAddressWallet = walletType{configure: configureLNAddress, open: openLNAddress}

// lnAddressConfig is what is stored (sealed, like every configuration).
type lnAddressConfig struct {
	Address string `json:"address"`
}

func configureLNAddress(p gateway.WalletParams, net walletNet) ([]byte, error) {
	addr, field := p.Address, "address"
	switch {
	case addr != "" && p.ConnectionString != "":
		return nil, invalidWallet("address", "give either address or connection_string")
	case addr == "":
		addr, field = p.ConnectionString, "connection_string"
	}
	addr = strings.TrimSpace(addr)
	if len(addr) > len("lightning:") && strings.EqualFold(addr[:len("lightning:")], "lightning:") {
		addr = addr[len("lightning:"):]
	}
	if addr == "" {
		return nil, invalidWallet("address", "is required: the Lightning Address, name@domain")
	}
	_, domain, err := lnaddress.ParseAddress(addr)
	if err != nil {
		return nil, invalidWallet(field, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := net.checkURL(ctx, p.Mode, field, "https://"+domain+"/"); err != nil {
		return nil, err
	}
	return json.Marshal(lnAddressConfig{Address: strings.TrimSpace(addr)})
}

func openLNAddress(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error) {
	var c lnAddressConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	return lnaddress.New(lnaddress.Config{Address: c.Address, DialContext: net.dialer(mode)})
}
