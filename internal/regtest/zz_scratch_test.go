package regtest_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"testing"
	"time"
	"crypto/tls"
	"crypto/x509"

	"github.com/satsrail/satsrail/internal/regtest"
)

func TestScratchHeaders(t *testing.T) {
	n := regtest.Start(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(n.Merchant.TLSCertPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	for _, q := range []string{"", "?settle_index=1"} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", n.Merchant.RESTURL+"/v1/invoices/subscribe"+q, nil)
		req.Header.Set("Grpc-Metadata-macaroon", hex.EncodeToString(n.Merchant.InvoiceMacaroon))
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Logf("%q: no headers after %s: %v", q, time.Since(start), err)
		} else {
			t.Logf("%q: headers after %s: %s %s", q, time.Since(start), resp.Status, resp.Proto)
			resp.Body.Close()
		}
		cancel()
	}
	b, _ := n.Merchant.Lncli(context.Background(), "printmacaroon", "--macaroon_file", n.Merchant.Dir+"/data/chain/bitcoin/regtest/invoice.macaroon")
	t.Logf("%s", b)
	dir := n.Dir
	t.Logf("dir %s", dir)
}
