package main

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestConfigureCLNAndPhoenixd checks what PUT /wallet refuses before any
// connection is tried, and that what is stored opens.
func TestConfigureCLNAndPhoenixd(t *testing.T) {
	b := backends{net: walletNet{allowPrivate: true}}
	rune := func(text string) string { return base64.URLEncoding.EncodeToString(append(make([]byte, 32), text...)) }
	good := rune("=0&method=invoice|method=listinvoices|method=waitanyinvoice|method=waitinvoice|method=getinfo")
	tests := []struct {
		name      string
		p         gateway.WalletParams
		field     string // "" for accepted
		mentioned string
	}{
		{"cln", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: good}, "", ""},
		{"cln connection string", gateway.WalletParams{Type: "cln", ConnectionString: "clnrest://x"}, "connection_string", "no connection string"},
		{"cln no rune", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010"}, "rest_url", "rune"},
		{"cln http", gateway.WalletParams{Type: "cln", RESTURL: "http://10.0.0.2:3010", Rune: good}, "rest_url", "https"},
		{"cln no port", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2", Rune: good}, "rest_url", "port"},
		{"cln unrestricted rune", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: rune("=0")}, "rune", "createrune"},
		{"cln rune that pays", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: rune("=0&method=invoice|method=pay")}, "rune", "createrune"},
		{"cln bad cert", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: good, TLSCert: "nope"}, "tls_cert", "ca.pem"},
		{"cln with a macaroon", gateway.WalletParams{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: good, Macaroon: "ab"}, "wallet", "rest_url, rune and tls_cert"},
		{"phoenixd", gateway.WalletParams{Type: "phoenixd", URL: "http://10.0.0.3:9740", Password: "pw"}, "", ""},
		{"phoenixd connection string", gateway.WalletParams{Type: "phoenixd", ConnectionString: "x"}, "connection_string", "no connection string"},
		{"phoenixd no password", gateway.WalletParams{Type: "phoenixd", URL: "http://10.0.0.3:9740"}, "url", "http-password-limited-access"},
		{"phoenixd URL with path", gateway.WalletParams{Type: "phoenixd", URL: "http://10.0.0.3:9740/api", Password: "pw"}, "url", "just"},
		{"phoenixd ftp", gateway.WalletParams{Type: "phoenixd", URL: "ftp://10.0.0.3", Password: "pw"}, "url", "http://host:9740"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Mode = gateway.ModeLive
			cfg, err := b.Configure(tt.p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Configure = %v", err)
				}
				w, err := b.Open(tt.p.Type, gateway.ModeLive, cfg)
				if err != nil || w == nil {
					t.Fatalf("Open(stored) = %v, %v", w, err)
				}
				return
			}
			var e *gateway.Error
			if !errors.As(err, &e) || e.Code != gateway.CodeValidation || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("Configure = %v, want a validation error on %s", err, tt.field)
			}
			if !strings.Contains(e.Message, tt.mentioned) {
				t.Errorf("message %q does not mention %q", e.Message, tt.mentioned)
			}
			for _, secret := range []string{tt.p.Rune, tt.p.Password} {
				if secret != "" && strings.Contains(e.Message, secret) {
					t.Errorf("message %q holds a secret", e.Message)
				}
			}
		})
	}
}

// TestWalletPrivateHostsRefused: with private wallet hosts not allowed, a
// cln or phoenixd URL on a private address is refused early, by name.
func TestWalletPrivateHostsRefused(t *testing.T) {
	b := backends{net: walletNet{allowPrivate: false}}
	good := base64.URLEncoding.EncodeToString(append(make([]byte, 32), "=0&method=invoice"...))
	for _, p := range []gateway.WalletParams{
		{Type: "cln", RESTURL: "https://10.0.0.2:3010", Rune: good, Mode: gateway.ModeLive},
		{Type: "phoenixd", URL: "http://127.0.0.1:9740", Password: "pw", Mode: gateway.ModeLive},
	} {
		_, err := b.Configure(p)
		if err == nil || !strings.Contains(err.Error(), "--allow-private-wallets") {
			t.Errorf("%s on a private host: %v", p.Type, err)
		}
	}
}
