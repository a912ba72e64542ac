package nwc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/nbd-wtf/go-nostr"
)

// Scheme is the scheme of a NIP-47 connection URI.
const Scheme = "nostr+walletconnect"

// maxRelays bounds the relays of one connection: each is a websocket held
// while the wallet is in use.
const maxRelays = 8

// Connection is what a NIP-47 connection URI says: the wallet service's
// public key, the relays it listens on and the client secret the wallet
// service knows this connection by. The secret is the credential.
type Connection struct {
	WalletPubKey string   // hex x-only public key of the wallet service
	Relays       []string // ws:// or wss:// URLs, in the URI's order
	Secret       string   // hex 32-byte client secret key
}

// String returns the connection as a URI. It holds the secret.
func (c Connection) String() string {
	q := url.Values{}
	q["relay"] = c.Relays
	q.Set("secret", c.Secret)
	return Scheme + "://" + c.WalletPubKey + "?" + q.Encode()
}

// ParseURI parses nostr+walletconnect://<wallet pubkey>?relay=…&relay=…&secret=…
// (NIP-47). Other parameters (lud16) are ignored. Errors never quote the
// secret.
func ParseURI(s string) (Connection, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !strings.EqualFold(scheme, Scheme) {
		// Some wallets print the scheme without the slashes.
		scheme, rest, ok = strings.Cut(s, ":")
		if !ok || !strings.EqualFold(scheme, Scheme) {
			return Connection{}, errors.New("nwc: want a nostr+walletconnect://<wallet pubkey>?relay=…&secret=… URI")
		}
	}
	pub, query, _ := strings.Cut(rest, "?")
	pub = strings.ToLower(strings.TrimSuffix(pub, "/"))
	if !nostr.IsValidPublicKey(pub) {
		return Connection{}, errors.New("nwc: the URI's wallet public key is not a public key (64 hex characters)")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Connection{}, errors.New("nwc: the URI's parameters do not parse")
	}
	c := Connection{WalletPubKey: pub, Secret: strings.ToLower(q.Get("secret"))}
	if c.Secret == "" {
		return Connection{}, errors.New("nwc: the URI has no secret")
	}
	if err := checkSecret(c.Secret); err != nil {
		return Connection{}, err
	}
	for _, r := range q["relay"] {
		u, err := checkRelayURL(r)
		if err != nil {
			return Connection{}, err
		}
		if !slices.Contains(c.Relays, u) {
			c.Relays = append(c.Relays, u)
		}
	}
	if len(c.Relays) == 0 {
		return Connection{}, errors.New("nwc: the URI names no relay")
	}
	if len(c.Relays) > maxRelays {
		return Connection{}, fmt.Errorf("nwc: the URI names %d relays; at most %d are used", len(c.Relays), maxRelays)
	}
	return c, nil
}

// checkSecret accepts a 32-byte hex secp256k1 secret key.
func checkSecret(secret string) error {
	b, err := hex.DecodeString(secret)
	if err != nil || len(b) != 32 {
		return errors.New("nwc: the URI's secret is not 64 hex characters")
	}
	var k btcec.ModNScalar
	if overflow := k.SetByteSlice(b); overflow || k.IsZero() {
		return errors.New("nwc: the URI's secret is not a valid key")
	}
	return nil
}

// checkRelayURL accepts ws:// and wss:// URLs with a host and returns them
// normalised (lower-case scheme and host, no trailing slash).
func checkRelayURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("nwc: relay %q is not a URL", s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "wss" && u.Scheme != "ws" {
		return "", fmt.Errorf("nwc: relay %q: want a wss:// (or ws://) URL", s)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", fmt.Errorf("nwc: relay %q: want wss://host[:port][/path]", s)
	}
	u.Host = strings.ToLower(u.Host)
	if u.Path == "/" {
		u.Path = ""
	}
	return u.String(), nil
}
