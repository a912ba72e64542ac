package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

func TestConfigureNWC(t *testing.T) {
	pub := "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
	secret := "8d4a7b23f5c1e9d60b2f47a3c8e15d9b6f0a2c4e7d1b3f5a9c8e6d4b2a0f1e3d"
	uri := func(relays ...string) string {
		s := "nostr+walletconnect://" + pub + "?secret=" + secret
		for _, r := range relays {
			s += "&relay=" + r
		}
		return s
	}
	guarded := walletNet{} // the SSRF guard: no private hosts, loopback only in test mode
	tests := []struct {
		name  string
		net   walletNet
		p     gateway.WalletParams
		field string // "" = accepted
	}{
		{"loopback relay in test mode", guarded, gateway.WalletParams{Mode: gateway.ModeTest, ConnectionString: uri("ws://127.0.0.1:7777")}, ""},
		{"two relays", walletNet{allowPrivate: true}, gateway.WalletParams{Mode: gateway.ModeLive, ConnectionString: uri("ws://10.0.0.5:7777", "ws://127.0.0.1:7777")}, ""},
		{"loopback relay in live mode", guarded, gateway.WalletParams{Mode: gateway.ModeLive, ConnectionString: uri("ws://127.0.0.1:7777")}, "connection_string"},
		{"private relay", guarded, gateway.WalletParams{Mode: gateway.ModeLive, ConnectionString: uri("wss://192.168.1.9")}, "connection_string"},
		{"loopback under open sign-up", walletNet{openSignup: true}, gateway.WalletParams{Mode: gateway.ModeTest, ConnectionString: uri("ws://[::1]:7777")}, "connection_string"},
		{"one private relay of two", guarded, gateway.WalletParams{Mode: gateway.ModeTest, ConnectionString: uri("ws://127.0.0.1:7777", "ws://10.1.2.3")}, "connection_string"},
		{"missing", guarded, gateway.WalletParams{Mode: gateway.ModeTest}, "connection_string"},
		{"not nwc", guarded, gateway.WalletParams{Mode: gateway.ModeTest, ConnectionString: "lndconnect://127.0.0.1:8080?macaroon=AgE"}, "connection_string"},
		{"with parts", guarded, gateway.WalletParams{Mode: gateway.ModeTest, ConnectionString: uri("ws://127.0.0.1:7777"), URL: "https://x"}, "connection_string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Type = "nwc"
			cfg, err := backends{net: tt.net}.Configure(tt.p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				var c nwcConfig
				if err := json.Unmarshal(cfg, &c); err != nil || c.Secret != secret || c.WalletPubKey != pub || len(c.Relays) == 0 {
					t.Fatalf("stored %s (%v)", cfg, err)
				}
				w, err := backends{net: tt.net}.Open("nwc", tt.p.Mode, cfg)
				if err != nil || w.Network() != "" {
					t.Fatalf("Open = %v, %v", w, err)
				}
				return
			}
			var e *gateway.Error
			if !errors.As(err, &e) || e.Code != gateway.CodeValidation || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("Configure = %v, want a validation error on %s", err, tt.field)
			}
			if strings.Contains(err.Error(), secret[:16]) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}
