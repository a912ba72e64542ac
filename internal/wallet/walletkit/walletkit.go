// Package walletkit holds what the HTTP wallet backends (cln, phoenixd)
// share, so each backend package keeps only what its API makes its own:
// the transport to a merchant's node, the expiry sent with a new invoice,
// the check of the invoice a node returns, and the network a wallet learns
// once. It is not an adapter: it names no backend.
package walletkit

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
)

// Dialer makes a connection (the gateway's SSRF guard).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Transport is the HTTP transport to a merchant's node: every connection
// through dial (nil: directly, with keepalives, which also notice a peer
// that vanished under a long-poll or websocket), never through an
// environment proxy (the node is the merchant's).
func Transport(dial Dialer, tlsConfig *tls.Config) *http.Transport {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 15 * time.Second,
		ForceAttemptHTTP2:   tlsConfig != nil,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 8,
	}
}

// NoRedirect is a CheckRedirect that never follows one: the credential
// header would go along.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// IsHash reports whether s is a payment hash as the gateway writes it: 64
// lower-case hex digits.
func IsHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && s == strings.ToLower(s)
}

// ExpirySeconds is the relative expiry that makes an invoice created now
// expire at expiresAt: whole seconds from the current second (BOLT11 counts
// from its timestamp, in seconds), rounded up. It is an error unless
// expiresAt is in the future.
func ExpirySeconds(now, expiresAt time.Time) (int64, error) {
	d := expiresAt.Sub(now.Truncate(time.Second))
	if d <= 0 {
		return 0, fmt.Errorf("invoice expiry %s is not in the future", expiresAt.Format(time.RFC3339Nano))
	}
	return int64((d + time.Second - 1) / time.Second), nil
}

// CheckCreated decodes the BOLT11 a node returned for a new invoice and
// checks it against the hash the node reported, the amount asked and the
// wallet's network (learning it from a first invoice), and returns the
// open invoice: a node is trusted with the merchant's money, not with the
// gateway's bookkeeping.
func (n *Network) CheckCreated(invoice, reportedHash string, asked gateway.MilliSat) (gateway.Invoice, error) {
	d, err := bolt11.Decode(invoice)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("the node returned an invalid invoice: %w", err)
	}
	switch {
	case !IsHash(reportedHash) || d.PaymentHash != reportedHash:
		return gateway.Invoice{}, fmt.Errorf("the node returned an invoice for hash %s, not the hash it reported", d.PaymentHash)
	case d.AmountMsat != asked:
		return gateway.Invoice{}, fmt.Errorf("the node returned an invoice of %d msat, not %d", d.AmountMsat, asked)
	}
	if err := n.Check(d.Network, "the node's invoice"); err != nil {
		return gateway.Invoice{}, err
	}
	return gateway.Invoice{PaymentHash: d.PaymentHash, PaymentRequest: invoice, AmountMsat: asked, State: gateway.InvoiceOpen}, nil
}

// Network is the chain of a wallet's invoices, learnt once (from the
// node's info or its first invoice) and then held to.
type Network struct {
	mu   sync.Mutex
	name string
}

// NewNetwork starts with name ("" to learn it).
func NewNetwork(name string) *Network { return &Network{name: name} }

// Get returns the network, or "" until learnt.
func (n *Network) Get() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.name
}

// Check learns network if none is known yet, and refuses any other: what
// (e.g. "the node's invoice") is on the wrong chain.
func (n *Network) Check(network, what string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.name == "" {
		n.name = network
	}
	if network != n.name {
		return fmt.Errorf("%s is on %s; this wallet is on %s", what, network, n.name)
	}
	return nil
}

// Clip shortens s, from a remote answer, to quote it in an error.
func Clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
