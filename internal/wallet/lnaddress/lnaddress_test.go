package lnaddress_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lnaddress"
	"github.com/satsrail/satsrail/internal/wallet/lnaddress/lnurltest"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"shop@example.com": "shop example.com", " a.b-c_d+e@Pay.Example.com:8443 ": "a.b-c_d+e pay.example.com:8443",
		"shop@127.0.0.1:3000": "shop 127.0.0.1:3000",
	} {
		name, domain, err := lnaddress.ParseAddress(in)
		if err != nil || name+" "+domain != want {
			t.Errorf("ParseAddress(%q) = %q, %q, %v; want %q", in, name, domain, err, want)
		}
	}
	for _, in := range []string{"", "shop", "@example.com", "shop@", "Shop@example.com", "sh op@example.com",
		"shop@exa mple.com", "shop@user:pw@example.com", "shop@example.com/path", "shop@example.com?x"} {
		if _, _, err := lnaddress.ParseAddress(in); err == nil {
			t.Errorf("ParseAddress(%q) accepted", in)
		}
	}
}

// TestLightningAddress runs the wallet conformance suite and the refusals
// against a Lightning Address server of the test's own whose invoices are
// the regtest merchant lnd's, paid by the customer lnd.
func TestLightningAddress(t *testing.T) {
	net := regtest.Start(t)
	srv := lnurltest.Start(t, "shop", net.Merchant)
	open := func(t *testing.T) *lnaddress.Client {
		t.Helper()
		c, err := lnaddress.New(lnaddress.Config{Address: srv.Address()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	request := func() gateway.InvoiceRequest {
		return gateway.InvoiceRequest{AmountMsat: 21_000, Memo: "order 42", ExpiresAt: time.Now().Add(15 * time.Minute)}
	}

	t.Run("conformance", func(t *testing.T) {
		wallettest.Run(t, wallettest.Harness{
			Wallet: open(t), Decode: bolt11.Decode,
			Pay: func(t *testing.T, bolt11 string, amountMsat gateway.MilliSat) {
				if err := net.Pay(bolt11); err != nil {
					t.Fatalf("customer pay: %v", err)
				}
			},
		})
	})

	t.Run("connection test learns the network", func(t *testing.T) {
		network, err := open(t).Test(t.Context())
		if err != nil || network != "regtest" {
			t.Fatalf("Test = %q, %v", network, err)
		}
	})

	t.Run("the stored verify URL finds the invoice after a restart", func(t *testing.T) {
		inv, err := open(t).CreateInvoice(t.Context(), request())
		if err != nil {
			t.Fatal(err)
		}
		fresh := open(t) // knows no verify URL
		if _, err := fresh.LookupInvoice(t.Context(), inv.PaymentHash); !errors.Is(err, gateway.ErrNotFound) {
			t.Fatalf("lookup without the verify URL: %v, want ErrNotFound", err)
		}
		if err := net.Pay(inv.PaymentRequest); err != nil {
			t.Fatal(err)
		}
		got, err := fresh.LookupInvoiceRef(t.Context(), inv.PaymentHash, inv.LookupRef)
		if err != nil || got.State != gateway.InvoiceSettled || got.AmountPaidMsat != 21_000 {
			t.Fatalf("LookupInvoiceRef = %+v, %v; want settled", got, err)
		}
		var unknown [32]byte
		rand.Read(unknown[:])
		h := hex.EncodeToString(unknown[:])
		ref := strings.Replace(inv.LookupRef, inv.PaymentHash, h, 1)
		if _, err := fresh.LookupInvoiceRef(t.Context(), h, ref); !errors.Is(err, gateway.ErrNotFound) {
			t.Fatalf("unknown invoice: %v, want ErrNotFound", err)
		}
		// A verify URL answering about another invoice is not believed.
		if _, err := fresh.LookupInvoiceRef(t.Context(), h, inv.LookupRef); err == nil {
			t.Fatal("a verify answer about another invoice was taken")
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			name string
			set  func(s *lnurltest.Server)
			req  func(r *gateway.InvoiceRequest)
			want string
		}{
			{"no verify URL", func(s *lnurltest.Server) { s.NoVerify = true }, nil, "LUD-21"},
			{"wrong description hash", func(s *lnurltest.Server) { s.WrongHash = true }, nil, "description hash"},
			{"wrong amount", func(s *lnurltest.Server) { s.ExtraMsat = 1000 }, nil, "not 21000"},
			{"expires before the checkout", func(s *lnurltest.Server) { s.Expiry = time.Minute }, nil, "before the checkout"},
			{"service down", func(s *lnurltest.Server) { s.Down = true }, nil, "HTTP 503"},
			{"amount outside the range", nil, func(r *gateway.InvoiceRequest) { r.AmountMsat = 500 }, "outside"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.set != nil {
					srv.Set(c.set)
					defer srv.Reset()
				}
				req := request()
				if c.req != nil {
					c.req(&req)
				}
				inv, err := open(t).CreateInvoice(t.Context(), req)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("CreateInvoice = %+v, %v; want an error with %q", inv, err, c.want)
				}
				if strings.Contains(err.Error(), "service unavailable") {
					t.Errorf("the error quotes the service's body: %v", err)
				}
				if c.name == "no verify URL" && !errors.Is(err, lnaddress.ErrNoVerify) {
					t.Errorf("error %v is not ErrNoVerify", err)
				}
			})
		}
	})

	t.Run("a settlement without a valid preimage is not believed", func(t *testing.T) {
		c := open(t)
		inv, err := c.CreateInvoice(t.Context(), request())
		if err != nil {
			t.Fatal(err)
		}
		srv.Set(func(s *lnurltest.Server) { s.ForgeSettled = true })
		defer srv.Reset()
		if got, err := c.LookupInvoiceRef(t.Context(), inv.PaymentHash, inv.LookupRef); err == nil {
			t.Fatalf("forged settlement read as %+v", got)
		}
	})
}
