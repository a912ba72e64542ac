package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/netguard"
)

// walletType is one wallet backend: how a merchant's params become the
// configuration stored (sealed), and how a stored configuration opens. Each
// backend lives in its own file (wallet_<type>.go) and is listed in
// walletTypes; this is the one place that names the wallet adapters.
type walletType struct {
	// configure checks p (bad or spend-capable credentials are a
	// *gateway.Error with CodeValidation, see invalidWallet) and returns the
	// configuration to store.
	configure func(p gateway.WalletParams, net walletNet) ([]byte, error)
	// open builds the wallet of a stored configuration for mode; every
	// connection it makes goes through net.dialer(mode).
	open func(config []byte, mode gateway.Mode, net walletNet) (gateway.Wallet, error)
	// streams says the backend's wallets are gateway.SettlementSubscribers:
	// some node must hold each one's stream (the readiness check).
	streams bool
}

// walletTypes lists the backends a merchant can connect, by type.
func walletTypes() map[string]walletType {
	return map[string]walletType{
		"lnd":               lndWallet,
		"cln":               clnWallet,
		"phoenixd":          phoenixdWallet,
		"lightning_address": lnAddressWallet,
		"lnbits":            lnbitsWallet,
		"lndhub":            lndhubWallet,
		"nwc":               nwcWallet,
	}
}

// walletNet says which hosts a merchant's wallet may make the gateway reach:
// the webhook SSRF guard (netguard), unless the operator allows private
// wallet hosts (--allow-private-wallets); test mode may use loopback, like
// test webhooks, unless strangers can sign up.
type walletNet struct {
	allowPrivate bool
	openSignup   bool
	// log receives the backends' own warnings (relay losses, forged
	// notifications); nil discards them.
	log *slog.Logger
}

// policy is the guard of mode's wallet connections.
func (n walletNet) policy(mode gateway.Mode) netguard.Policy {
	return netguard.Policy{AllowPrivate: n.allowPrivate, AllowLoopback: mode == gateway.ModeTest && !n.openSignup}
}

// dialer dials mode's wallet hosts through the guard, checking the address
// actually connected to (so DNS rebinding is refused too).
func (n walletNet) dialer(mode gateway.Mode) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return n.policy(mode).DialContext(&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second})
}

// checkURL gives the merchant an early, readable error for a wallet URL
// whose host the guard refuses (the dial-time check is the boundary).
func (n walletNet) checkURL(ctx context.Context, mode gateway.Mode, field, rawURL string) error {
	if err := n.policy(mode).CheckURL(ctx, net.DefaultResolver, rawURL); err != nil {
		return invalidWallet(field, "%v (an operator can allow private wallet hosts with --allow-private-wallets)", err)
	}
	return nil
}

// backends builds connected wallets by type (gateway.WalletBackends).
type backends struct {
	net walletNet
}

func invalidWallet(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &gateway.Error{Code: gateway.CodeValidation, Message: "The wallet connection is not usable: " + msg,
		Fields: []gateway.FieldError{{Field: field, Message: msg}}}
}

// supportedWallets lists the connectable types, for error messages.
func supportedWallets() string {
	var names []string
	for name := range walletTypes() {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (b backends) Configure(p gateway.WalletParams) ([]byte, error) {
	if p.Type == "" {
		return nil, invalidWallet("type", "is required (supported: %s)", supportedWallets())
	}
	t, ok := walletTypes()[p.Type]
	if !ok {
		return nil, invalidWallet("type", "%q is not supported (supported: %s)", p.Type, supportedWallets())
	}
	return t.configure(p, b.net)
}

func (b backends) Open(typ string, mode gateway.Mode, config []byte) (gateway.Wallet, error) {
	t, ok := walletTypes()[typ]
	if !ok {
		return nil, fmt.Errorf("unknown wallet type %q", typ)
	}
	return t.open(config, mode, b.net)
}
