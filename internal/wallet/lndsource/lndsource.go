// Package lndsource is test support for the faithful fakes of wallet
// backends that cannot run on this machine (Core Lightning, phoenixd): it
// makes and reads invoices on a real lnd node (the regtest merchant) through
// lnd's REST API with the admin macaroon, so a fake can hand out real
// invoices that a real customer node pays, and report lnd's state
// translated into the faked API.
package lndsource

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Source is one lnd node, reached with its admin macaroon.
type Source struct {
	restURL  string
	macaroon string
	http     *http.Client // per-request timeout
	stream   *http.Client // none: subscriptions last
}

// New returns a source on the lnd at restURL (https://host:port), trusting
// only certPEM (lnd's tls.cert).
func New(restURL string, certPEM, macaroon []byte) (*Source, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("lndsource: no certificate in certPEM")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 16}
	return &Source{restURL: restURL, macaroon: hex.EncodeToString(macaroon),
		http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, stream: &http.Client{Transport: tr}}, nil
}

// Invoice is lnd's invoice, as much of it as the fakes report.
type Invoice struct {
	Hash           string // hex
	Preimage       string // hex, whatever the state (lnd knows it from the start)
	PaymentRequest string
	Memo           string
	ValueMsat      int64
	AmtPaidMsat    int64
	State          string // OPEN, SETTLED, CANCELED, ACCEPTED
	CreatedAt      time.Time
	Expiry         time.Duration
	SettledAt      time.Time
	SettleIndex    uint64
	AddIndex       uint64
}

// ExpiresAt is when the invoice stops being payable.
func (inv Invoice) ExpiresAt() time.Time { return inv.CreatedAt.Add(inv.Expiry) }

// lndInvoice is lnrpc.Invoice as lnd's REST API renders it.
type lndInvoice struct {
	RHash          []byte `json:"r_hash"`
	RPreimage      []byte `json:"r_preimage"`
	PaymentRequest string `json:"payment_request"`
	Memo           string `json:"memo"`
	ValueMsat      int64  `json:"value_msat,string"`
	AmtPaidMsat    int64  `json:"amt_paid_msat,string"`
	State          string `json:"state"`
	CreationDate   int64  `json:"creation_date,string"`
	Expiry         int64  `json:"expiry,string"`
	SettleDate     int64  `json:"settle_date,string"`
	SettleIndex    uint64 `json:"settle_index,string"`
	AddIndex       uint64 `json:"add_index,string"`
}

func (l lndInvoice) invoice() Invoice {
	inv := Invoice{Hash: hex.EncodeToString(l.RHash), Preimage: hex.EncodeToString(l.RPreimage),
		PaymentRequest: l.PaymentRequest, Memo: l.Memo, ValueMsat: l.ValueMsat, AmtPaidMsat: l.AmtPaidMsat,
		State: l.State, CreatedAt: time.Unix(l.CreationDate, 0).UTC(), Expiry: time.Duration(l.Expiry) * time.Second,
		SettleIndex: l.SettleIndex, AddIndex: l.AddIndex}
	if l.SettleDate > 0 {
		inv.SettledAt = time.Unix(l.SettleDate, 0).UTC()
	}
	return inv
}

// ErrNotFound is the answer for a hash lnd does not know.
var ErrNotFound = errors.New("lndsource: no such invoice")

// AddInvoice makes an invoice of msat (0: any amount) with memo, payable for
// expiry (whole seconds; 0: lnd's default), with route hints.
func (s *Source) AddInvoice(ctx context.Context, msat int64, memo string, expiry time.Duration) (Invoice, error) {
	body := map[string]any{"value_msat": strconv.FormatInt(msat, 10), "memo": memo, "private": true}
	if expiry > 0 {
		body["expiry"] = strconv.FormatInt(int64(expiry/time.Second), 10)
	}
	var resp struct {
		RHash []byte `json:"r_hash"`
	}
	if err := s.do(ctx, http.MethodPost, "/v1/invoices", body, &resp); err != nil {
		return Invoice{}, err
	}
	return s.Lookup(ctx, hex.EncodeToString(resp.RHash))
}

// Lookup reads the invoice of hash (hex); ErrNotFound if lnd has none.
func (s *Source) Lookup(ctx context.Context, hash string) (Invoice, error) {
	var l lndInvoice
	err := s.do(ctx, http.MethodGet, "/v1/invoice/"+hash, nil, &l)
	if e := (*statusError)(nil); errors.As(err, &e) && (e.status == http.StatusNotFound || e.code == 5) {
		return Invoice{}, ErrNotFound
	}
	if err != nil {
		return Invoice{}, err
	}
	return l.invoice(), nil
}

// List returns every invoice of the node, oldest first.
func (s *Source) List(ctx context.Context) ([]Invoice, error) {
	var out []Invoice
	for offset := uint64(0); ; {
		var page struct {
			Invoices  []lndInvoice `json:"invoices"`
			LastIndex uint64       `json:"last_index_offset,string"`
		}
		path := fmt.Sprintf("/v1/invoices?index_offset=%d&num_max_invoices=1000", offset)
		if err := s.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, l := range page.Invoices {
			out = append(out, l.invoice())
		}
		if len(page.Invoices) < 1000 {
			return out, nil
		}
		offset = page.LastIndex
	}
}

// Subscribe streams lnd's invoice updates: first every settlement with a
// settle index above settleIndex (0: none), then live adds and
// settlements, until fn returns false or an error, or ctx ends.
func (s *Source) Subscribe(ctx context.Context, settleIndex uint64, fn func(Invoice) (bool, error)) error {
	path := "/v1/invoices/subscribe"
	if settleIndex > 0 {
		path += "?settle_index=" + strconv.FormatUint(settleIndex, 10)
	}
	resp, err := s.send(ctx, s.stream, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Result *lndInvoice `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			return fmt.Errorf("lndsource: invoice stream: %w", err)
		}
		if msg.Error != nil {
			return fmt.Errorf("lndsource: invoice stream: %s", msg.Error.Message)
		}
		if msg.Result == nil {
			continue
		}
		more, err := fn(msg.Result.invoice())
		if err != nil || !more {
			return err
		}
	}
}

type statusError struct {
	status int
	code   int
	msg    string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("lndsource: lnd: HTTP %d: %s", e.status, e.msg)
}

func (s *Source) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := s.send(ctx, s.http, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func (s *Source) send(ctx context.Context, c *http.Client, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.restURL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Grpc-Metadata-macaroon", s.macaroon)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	e := &statusError{status: resp.StatusCode, msg: string(b)}
	var m struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		e.code, e.msg = m.Code, m.Message
	}
	return nil, e
}
