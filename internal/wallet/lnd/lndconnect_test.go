package lnd_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

func TestParseLNDConnect(t *testing.T) {
	certPEM := selfSigned(t)
	block, _ := pem.Decode(certPEM)
	der := block.Bytes
	mac := fakeMacaroon("invoices:read", "invoices:write")
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name string
		uri  string
		want lnd.Config
	}{
		{
			"lndconnect spec",
			"lndconnect://node.example:8080?cert=" + b64(der) + "&macaroon=" + b64(mac),
			lnd.Config{RESTURL: "https://node.example:8080", Macaroon: mac, TLSCertPEM: certPEM},
		},
		{
			"no cert (CA-signed node)",
			"lndconnect://node.example:443?macaroon=" + b64(mac),
			lnd.Config{RESTURL: "https://node.example:443", Macaroon: mac},
		},
		{
			"no port",
			"lndconnect://node.example?macaroon=" + b64(mac),
			lnd.Config{RESTURL: "https://node.example:8080", Macaroon: mac},
		},
		{
			"IPv6, padded base64, upper-case scheme",
			"LNDCONNECT://[::1]:8080?macaroon=" + url.QueryEscape(base64.URLEncoding.EncodeToString(mac)) +
				"&cert=" + url.QueryEscape(base64.URLEncoding.EncodeToString(der)),
			lnd.Config{RESTURL: "https://[::1]:8080", Macaroon: mac, TLSCertPEM: certPEM},
		},
		{
			"hex macaroon, PEM cert",
			"lndconnect://10.0.0.2:8080?macaroon=" + hex.EncodeToString(mac) + "&cert=" + url.QueryEscape(string(certPEM)),
			lnd.Config{RESTURL: "https://10.0.0.2:8080", Macaroon: mac, TLSCertPEM: certPEM},
		},
		{
			"standard base64 left unescaped",
			"lndconnect://node.example:8080?macaroon=" + base64.StdEncoding.EncodeToString(mac) +
				"&cert=" + base64.StdEncoding.EncodeToString(der),
			lnd.Config{RESTURL: "https://node.example:8080", Macaroon: mac, TLSCertPEM: certPEM},
		},
		{
			"surrounding white space",
			"  lndconnect://node.example:8080?macaroon=" + b64(mac) + "\n",
			lnd.Config{RESTURL: "https://node.example:8080", Macaroon: mac},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lnd.ParseLNDConnect(tt.uri)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLNDConnect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLNDConnectErrors(t *testing.T) {
	der, _ := pem.Decode(selfSigned(t))
	mac := base64.RawURLEncoding.EncodeToString(fakeMacaroon("invoices:read", "invoices:write"))
	cert := base64.RawURLEncoding.EncodeToString(der.Bytes)
	for name, uri := range map[string]string{
		"empty":           "",
		"other scheme":    "https://node.example:8080?macaroon=" + mac,
		"no host":         "lndconnect://?macaroon=" + mac,
		"no macaroon":     "lndconnect://node.example:8080?cert=" + cert,
		"bad macaroon":    "lndconnect://node.example:8080?macaroon=AgEDbG5k&cert=" + cert,
		"bad cert":        "lndconnect://node.example:8080?macaroon=" + mac + "&cert=bm90IGEgY2VydA",
		"not a URI":       "lndconnect://node example:80:80?macaroon=" + mac,
		"truncated query": "lndconnect://node.example:8080?macaroon=" + mac + "%",
		// Found by FuzzParseLNDConnect: URLs that parse but name no node.
		"host ::":           "LNDCONNECT://::?macaroon=" + mac,
		"host :":            "lndconnect://:?macaroon=" + mac,
		"port out of range": "lndconnect://node.example:99999?macaroon=" + mac,
		"port 0":            "lndconnect://node.example:0?macaroon=" + mac,
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := lnd.ParseLNDConnect(uri)
			if err == nil {
				t.Fatalf("ParseLNDConnect = %+v, want an error", cfg)
			}
			// Errors reach the merchant and logs: never the credential.
			if strings.Contains(err.Error(), mac) {
				t.Errorf("error %q quotes the macaroon", err)
			}
		})
	}
}

func TestParseTLSCert(t *testing.T) {
	certPEM := selfSigned(t)
	block, _ := pem.Decode(certPEM)
	for name, s := range map[string]string{
		"PEM":            string(certPEM),
		"PEM in spaces":  "\n  " + string(certPEM) + "\n",
		"base64 DER":     base64.StdEncoding.EncodeToString(block.Bytes),
		"base64url DER":  base64.RawURLEncoding.EncodeToString(block.Bytes),
		"hex DER":        hex.EncodeToString(block.Bytes),
		"wrapped base64": strings.Join(chunk(base64.StdEncoding.EncodeToString(block.Bytes), 64), "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := lnd.ParseTLSCert(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(certPEM) {
				t.Errorf("got\n%s\nwant\n%s", got, certPEM)
			}
		})
	}
	for name, s := range map[string]string{
		"empty":       "",
		"garbage":     "not a certificate",
		"private key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
		"bad DER":     base64.StdEncoding.EncodeToString([]byte("not DER at all")),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := lnd.ParseTLSCert(s); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

func TestNewChecksConfig(t *testing.T) {
	good := fakeMacaroon("invoices:read", "invoices:write")
	tests := map[string]lnd.Config{
		"no URL":          {Macaroon: good},
		"plain http":      {RESTURL: "http://127.0.0.1:8080", Macaroon: good},
		"URL with path?":  {RESTURL: "https://127.0.0.1:8080/?x=1", Macaroon: good},
		"no macaroon":     {RESTURL: "https://127.0.0.1:8080"},
		"admin macaroon":  {RESTURL: "https://127.0.0.1:8080", Macaroon: fakeMacaroon(adminPerms...)},
		"bad certificate": {RESTURL: "https://127.0.0.1:8080", Macaroon: good, TLSCertPEM: []byte("nope")},
		"unknown network": {RESTURL: "https://127.0.0.1:8080", Macaroon: good, Network: "bitcoin"},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := lnd.New(cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
	c, err := lnd.New(lnd.Config{RESTURL: "https://127.0.0.1", Macaroon: good, Network: "regtest"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Network() != "regtest" {
		t.Errorf("Network() = %q, want the configured regtest", c.Network())
	}
}
