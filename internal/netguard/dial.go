package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds a whole delivery attempt when NewClient is given no
// timeout (SPEC §8: a delivery that takes longer than 10 s has failed).
const DefaultTimeout = 10 * time.Second

// DialContext returns a dial function for http.Transport.DialContext that
// dials like base (a zero net.Dialer if nil) but refuses to connect to any
// address p refuses. The check runs in the socket's ControlContext hook,
// which the net package calls with the numeric "ip:port" of each address it
// is about to connect to, after name resolution, so the address checked is
// the address connected to: a name that resolved to a public address at
// registration and resolves to 127.0.0.1 now (DNS rebinding) is refused. A
// refused dial returns an error wrapping a *BlockedError (errors.Is
// ErrBlocked). Any Control or ControlContext hook of base still runs after
// the check. Only the tcp, tcp4 and tcp6 networks may be dialed.
func (p Policy) DialContext(base *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	if base != nil {
		d = *base
	}
	nextCtx, next := d.ControlContext, d.Control
	d.Control = nil // ignored anyway once ControlContext is set
	d.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := p.checkDial(address); err != nil {
			return err
		}
		switch {
		case nextCtx != nil:
			return nextCtx(ctx, network, address, c)
		case next != nil:
			return next(network, address, c)
		}
		return nil
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch network {
		case "tcp", "tcp4", "tcp6":
		default:
			return nil, fmt.Errorf("netguard: dial %s %s: only tcp is allowed", network, addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// checkDial checks the address a socket is about to connect to.
func (p Policy) checkDial(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// The hook is only ever given "ip:port" for TCP; anything else
		// fails closed.
		return fmt.Errorf("%w: unparsable dial address %q: %w", ErrBlocked, address, err)
	}
	return p.CheckIP(ap.Addr())
}

// NewClient returns the HTTP client webhook deliveries are sent with. Every
// connection goes through p.DialContext; proxies are never used, since the
// environment's HTTP_PROXY would carry requests past the guard (and the
// proxy would resolve the host itself); redirects are not followed (SPEC
// §8), the 3xx response is returned as is; and timeout (DefaultTimeout if
// not positive) bounds the whole attempt, response body included.
func NewClient(p Policy, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            p.DialContext(dialer),
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    min(timeout, DefaultTimeout),
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10, // receivers are untrusted
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
