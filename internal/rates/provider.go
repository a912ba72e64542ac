package rates

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Provider is one public BTC price API.
//
// Fetch prices bitcoin in each of currencies (lower-case ISO 4217 codes the
// provider Supports). It may return the quotes it did get together with an
// error naming what failed; callers keep the quotes and report the error.
// Quotes carry Provider, Currency and Price. FetchedAt is zero, or the time
// the provider's answer says the price is from (Bitso's created_at, Luno's
// and Yadio's timestamp, CoinGecko's last_updated_at): the Source stamps
// each quote with the time it asked, or that time when it is earlier, so a
// provider serving an old price cannot pass it off as fresh.
type Provider interface {
	Name() string
	Supports(currency string) bool
	Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error)
}

// DefaultHTTPTimeout bounds every provider request when no client is given.
const DefaultHTTPTimeout = 10 * time.Second

// maxBodyBytes caps a provider response; real answers are a few hundred bytes.
const maxBodyBytes = 1 << 20

// maxPrice is the largest BTC price believed in any currency: 1e12 is far
// above any plausible price (even in jpy) and far below what would overflow
// sats arithmetic downstream.
var maxPrice = new(big.Rat).SetInt64(1_000_000_000_000)

// userAgent identifies satsrail to the providers.
const userAgent = "satsrail"

// defaultClient is used by providers built with a nil Client.
var defaultClient = &http.Client{Timeout: DefaultHTTPTimeout}

func clientOr(c *http.Client) *http.Client {
	if c == nil {
		return defaultClient
	}
	return c
}

// baseOr returns base without a trailing slash, or def when base is empty.
func baseOr(base, def string) string {
	if base == "" {
		base = def
	}
	return strings.TrimRight(base, "/")
}

// getJSON GETs u and decodes its JSON body into v. It refuses non-2xx
// answers, bodies over maxBodyBytes and anything but exactly one JSON value.
// With useNumber, JSON numbers decode as json.Number so no price passes
// through a float.
func getJSON(ctx context.Context, client *http.Client, u string, v any, useNumber bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := clientOr(client).Do(req)
	if err != nil {
		// The *url.Error would repeat the whole URL; the caller already
		// names the provider and the pair.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("request failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unexpected HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBodyBytes {
		return fmt.Errorf("response body larger than %d bytes", maxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed JSON: data after the top-level value")
	}
	return nil
}

// parsePrice parses a price sent as a decimal string and checks it is
// plausible.
func parsePrice(s string) (gateway.Decimal, error) {
	d, err := gateway.ParseDecimal(s)
	if err != nil {
		return gateway.Decimal{}, fmt.Errorf("price: %w", err)
	}
	return d, checkPrice(d)
}

// maxExponent bounds the exponent of a JSON number price: big.Rat would
// happily build 10^1000000000, so the exponent is checked before scaling.
const maxExponent = 30

// parseNumberPrice parses a price sent as a JSON number, exactly: "64123.45",
// "6.412345e4" and "6412345E-2" all give 64123.45. It never goes through a
// float.
func parseNumberPrice(n json.Number) (gateway.Decimal, error) {
	s := n.String()
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e < -maxExponent || e > maxExponent {
			return gateway.Decimal{}, fmt.Errorf("price: unusable number %q", s)
		}
		exp = e
	}
	d, err := gateway.ParseDecimal(mant)
	if err != nil {
		return gateway.Decimal{}, fmt.Errorf("price: %w", err)
	}
	if exp != 0 {
		r := d.Rat()
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil))
		if exp > 0 {
			r.Mul(r, p)
		} else {
			r.Quo(r, p)
		}
		d = gateway.DecimalFromRat(r)
	}
	return d, checkPrice(d)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// checkPrice refuses prices no exchange would quote: zero, negative, or over
// maxPrice.
func checkPrice(d gateway.Decimal) error {
	if d.Sign() <= 0 {
		return fmt.Errorf("price %s is not positive", d)
	}
	if d.Rat().Cmp(maxPrice) > 0 {
		return fmt.Errorf("price %s is implausibly large", d)
	}
	return nil
}

// fetchEach runs one request per currency concurrently, for the providers
// whose API prices one pair at a time. It returns the quotes it got and an
// error for each currency that failed.
func fetchEach(ctx context.Context, name string, currencies []string, one func(ctx context.Context, cur string) (gateway.Decimal, error)) ([]gateway.Quote, error) {
	type result struct {
		q   gateway.Quote
		err error
	}
	results := make([]result, len(currencies))
	var wg sync.WaitGroup
	for i, cur := range currencies {
		wg.Go(func() {
			p, err := one(ctx, cur)
			if err != nil {
				results[i].err = fmt.Errorf("%s btc/%s: %w", name, cur, err)
				return
			}
			results[i].q = gateway.Quote{Provider: name, Currency: cur, Price: p}
		})
	}
	wg.Wait()
	var quotes []gateway.Quote
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		quotes = append(quotes, r.q)
	}
	return quotes, errors.Join(errs...)
}

// pick builds the quotes of the currencies asked from one answer that
// prices many: price returns a currency's price, false when the answer
// lacks it, or an error when what it has is no price. It returns the
// quotes it could make and an error for each currency it could not.
func pick(name string, currencies []string, price func(cur string) (gateway.Decimal, bool, error)) ([]gateway.Quote, error) {
	var quotes []gateway.Quote
	var errs []error
	for _, cur := range currencies {
		p, ok, err := price(cur)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s btc/%s: %w", name, cur, err))
		case !ok:
			errs = append(errs, fmt.Errorf("%s btc/%s: missing from the answer", name, cur))
		default:
			quotes = append(quotes, gateway.Quote{Provider: name, Currency: cur, Price: p})
		}
	}
	return quotes, errors.Join(errs...)
}

// numberPrice reads a price sent as a JSON number (decoded with UseNumber
// into an any), refusing strings, null and anything else.
func numberPrice(v any) (gateway.Decimal, error) {
	n, ok := v.(json.Number)
	if !ok {
		return gateway.Decimal{}, errors.New("price is not a number")
	}
	return parseNumberPrice(n)
}

// stamp sets FetchedAt of every quote to at (a provider's own time for its
// prices; zero leaves them unset).
func stamp(quotes []gateway.Quote, at time.Time) []gateway.Quote {
	for i := range quotes {
		quotes[i].FetchedAt = at
	}
	return quotes
}

// unixTime reads a JSON number (decoded with UseNumber) counting unit since
// the Unix epoch; nil (absent) gives the zero time.
func unixTime(v any, unit time.Duration) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, errors.New("not a number")
	}
	i, err := n.Int64()
	if err != nil || i <= 0 {
		return time.Time{}, fmt.Errorf("not a positive integer: %s", n)
	}
	return time.Unix(0, 0).Add(time.Duration(i) * unit).UTC(), nil
}
