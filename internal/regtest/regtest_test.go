package regtest_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/regtest"
)

// TestNetwork brings a network up, uses every part of it and checks that
// Close leaves nothing behind.
func TestNetwork(t *testing.T) {
	n, err := regtest.New(t.Context(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			n.Close()
		}
	})
	t.Logf("start-up took %s", n.StartupTime)
	ctx := t.Context()

	t.Run("Nodes", func(t *testing.T) {
		for _, node := range []*regtest.Node{n.Merchant, n.Customer} {
			if !strings.HasPrefix(node.RESTURL, "https://127.0.0.1:") {
				t.Errorf("%s RESTURL = %q", node.Name, node.RESTURL)
			}
			if len(node.PubKey) != 66 || len(node.AdminMacaroon) == 0 || len(node.InvoiceMacaroon) == 0 {
				t.Errorf("%s: pubkey %q, %d-byte admin and %d-byte invoice macaroon",
					node.Name, node.PubKey, len(node.AdminMacaroon), len(node.InvoiceMacaroon))
			}
			if b, _ := pem.Decode(node.TLSCertPEM); b == nil {
				t.Errorf("%s: TLSCertPEM is not PEM", node.Name)
			}
		}
	})

	t.Run("LNDConnect", func(t *testing.T) {
		u, err := url.Parse(n.Merchant.LNDConnect(n.Merchant.InvoiceMacaroon))
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "lndconnect" || "https://"+u.Host != n.Merchant.RESTURL {
			t.Errorf("URI %s://%s, want lndconnect://%s", u.Scheme, u.Host, strings.TrimPrefix(n.Merchant.RESTURL, "https://"))
		}
		q := u.Query()
		mac, err := base64.RawURLEncoding.DecodeString(q.Get("macaroon"))
		if err != nil || hex.EncodeToString(mac) != hex.EncodeToString(n.Merchant.InvoiceMacaroon) {
			t.Errorf("macaroon %q does not decode to the invoice macaroon (%v)", q.Get("macaroon"), err)
		}
		der, err := base64.RawURLEncoding.DecodeString(q.Get("cert"))
		b, _ := pem.Decode(n.Merchant.TLSCertPEM)
		if err != nil || b == nil || string(der) != string(b.Bytes) {
			t.Errorf("cert does not decode to tls.cert's DER (%v)", err)
		}
	})

	// invoice makes an invoice on the merchant's node with the admin macaroon.
	invoice := func(t *testing.T, in map[string]any) string {
		t.Helper()
		var out struct {
			PaymentRequest string `json:"payment_request"`
		}
		if err := n.Merchant.REST(ctx, nil, http.MethodPost, "/v1/invoices", in, &out); err != nil {
			t.Fatal(err)
		}
		return out.PaymentRequest
	}
	// paid returns the amount paid to the merchant's invoice.
	paid := func(t *testing.T, bolt11 string) string {
		t.Helper()
		var dec struct {
			Hash string `json:"payment_hash"`
		}
		if err := n.Merchant.REST(ctx, nil, http.MethodGet, "/v1/payreq/"+bolt11, nil, &dec); err != nil {
			t.Fatal(err)
		}
		var inv struct {
			State string `json:"state"`
			Paid  string `json:"amt_paid_msat"`
		}
		if err := n.Merchant.REST(ctx, nil, http.MethodGet, "/v1/invoice/"+dec.Hash, nil, &inv); err != nil {
			t.Fatal(err)
		}
		if inv.State != "SETTLED" {
			t.Fatalf("invoice state %s after payment", inv.State)
		}
		return inv.Paid
	}

	t.Run("Pay", func(t *testing.T) {
		pr := invoice(t, map[string]any{"value_msat": "100000000", "memo": "regtest pay"})
		if err := n.Pay(pr); err != nil {
			t.Fatal(err)
		}
		if got := paid(t, pr); got != "100000000" {
			t.Errorf("paid %s msat, want 100000000", got)
		}
		if err := n.Pay(pr); err == nil {
			t.Error("paying a paid invoice again succeeded")
		}
	})

	t.Run("PayAmount", func(t *testing.T) {
		amountless := invoice(t, map[string]any{"memo": "regtest amountless"})
		if err := n.PayAmount(amountless, 21_000); err != nil {
			t.Fatal(err)
		}
		if got := paid(t, amountless); got != "21000" {
			t.Errorf("amountless: paid %s msat, want 21000", got)
		}
		over := invoice(t, map[string]any{"value_msat": "10000", "memo": "regtest overpay"})
		if err := n.PayAmount(over, 15_000); err != nil {
			t.Fatal(err)
		}
		if got := paid(t, over); got != "15000" {
			t.Errorf("overpaid: paid %s msat, want 15000", got)
		}
		under := invoice(t, map[string]any{"value_msat": "10000", "memo": "regtest underpay"})
		if err := n.PayAmount(under, 5_000); err == nil {
			t.Error("an underpayment succeeded")
		}
	})

	t.Run("Mine", func(t *testing.T) {
		if err := n.Mine(3); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RestartMerchant", func(t *testing.T) {
		n.RestartMerchant(t)
		pr := invoice(t, map[string]any{"value": "1000", "memo": "regtest after restart"})
		if err := n.Pay(pr); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Lncli", func(t *testing.T) {
		out, err := n.Customer.Lncli(ctx, "getinfo")
		if err != nil || !strings.Contains(string(out), n.Customer.PubKey) {
			t.Errorf("lncli getinfo = %.200s, %v", out, err)
		}
	})

	dir := n.Dir
	closed = true
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s (%v)", dir, err)
	}
	// No daemon of this network may survive it.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), dir) {
			t.Errorf("still running after Close: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}
