// Package walletnet is what the HTTP wallet adapters (LNbits, LNDhub, a
// Lightning Address) share: one client shape (the gateway's guarded dialer,
// no environment proxy, bounded answers, no redirect carrying credentials)
// and one rule for plain http (loopback and onion hosts only).
package walletnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxBody bounds every answer read (wallet answers are a few KiB).
const MaxBody = 1 << 20

// Dialer makes every connection of a client (the gateway's SSRF guard).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Local reports whether host is a loopback address or an onion service:
// the only hosts spoken to over plain http. Onions are encrypted end to
// end; loopback is the same machine, and reachable at all only when the
// operator's guard allows it.
func Local(host string) bool {
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".onion") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// CheckURL refuses a URL that is not https (or http to a Local host), or
// that carries user info, a query or a fragment when bare is set.
func CheckURL(u *url.URL, bare bool) error {
	switch {
	case u.Host == "" || u.Hostname() == "":
		return errors.New("the URL has no host")
	case u.Scheme == "https":
	case u.Scheme == "http" && Local(u.Hostname()):
	default:
		return fmt.Errorf("%q URLs are refused: want https (plain http only to localhost or an onion)", u.Scheme)
	}
	if u.User != nil {
		return errors.New("a URL with user info is refused")
	}
	if bare && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		return errors.New("the URL must have no query or fragment")
	}
	return nil
}

// ParseBase parses a service's base URL (scheme://host[:port][/path]),
// without its trailing slash.
//
// Paths are appended to its String(), so a lone "?" or "#" (which url.Parse
// keeps as an empty query or drops) is refused, and the path's trailing
// slashes go even when a "#" hid them.
func ParseBase(raw string) (*url.URL, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if err := CheckURL(u, true); err != nil {
		return nil, err
	}
	if strings.Contains(raw, "#") {
		return nil, errors.New("the URL must have no query or fragment")
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// NewClient returns an HTTP client dialing through dial (nil: directly),
// never through an environment proxy. follow allows up to three redirects
// to URLs CheckURL accepts; without it no redirect is followed, so no
// credential header goes elsewhere.
func NewClient(dial Dialer, timeout time.Duration, follow bool) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	c := &http.Client{
		Transport: &http.Transport{
			Proxy: nil, DialContext: dial, TLSHandshakeTimeout: 15 * time.Second,
			ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second, MaxIdleConnsPerHost: 8,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if follow {
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return CheckURL(req.URL, false)
		}
	}
	return c
}

// StatusError is an answer with a non-2xx status. Its text never quotes
// the remote body; Body keeps the first KiB for callers that must read a
// documented error shape.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string { return "HTTP " + strconv.Itoa(e.Status) }

// Do sends a request with in as its JSON body (unless nil) and headers,
// and decodes a 2xx answer into out (unless nil). Errors name the cause
// (a *StatusError, a network error, "not JSON"), never the remote body.
func Do(ctx context.Context, c *http.Client, method, rawURL string, header http.Header, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a secret (a key in a path)
		}
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &StatusError{Status: resp.StatusCode, Body: b[:min(len(b), 1024)]}
	}
	if len(b) > MaxBody {
		return errors.New("the answer is too large")
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("the answer is not the JSON expected")
	}
	return nil
}
