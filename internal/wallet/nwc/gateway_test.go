package nwc_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/nostrrelay"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// backends builds nwc wallets for the gateway from the connection string,
// as cmd/satsrail does, without its network guard (the test relay is on
// loopback).
type backends struct{}

func (backends) Configure(p gateway.WalletParams) ([]byte, error) {
	c, err := nwc.ParseURI(p.ConnectionString)
	if err != nil {
		return nil, &gateway.Error{Code: gateway.CodeValidation, Message: err.Error()}
	}
	return json.Marshal(c)
}

func (backends) Open(typ string, _ gateway.Mode, b []byte) (gateway.Wallet, error) {
	var c nwc.Connection
	if err := json.Unmarshal(b, &c); err != nil || typ != "nwc" {
		return nil, errors.New("not an nwc configuration")
	}
	return nwc.New(nwc.Config{Connection: c, Timeout: 5 * time.Second, MaxBackoff: 100 * time.Millisecond})
}

// TestGatewayInvoiceLies: an invoice the wallet service lies about
// (amount, hash, network, expiry) is never shown, whether the client or
// the gateway refuses it.
func TestGatewayInvoiceLies(t *testing.T) {
	svc := newService(t, nostrrelay.Start(t), serviceOpts{methods: receiveOnly, nip44: true})
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, gateway.WalletParams{Type: "nwc", ConnectionString: svc.connection().String()})
	g.CheckLies(t, func(lie string) { svc.setLie(lndsource.Lie(lie)) },
		string(lndsource.LieAmount), string(lndsource.LieHash), string(lndsource.LieNetwork), string(lndsource.LieExpiry))
}
