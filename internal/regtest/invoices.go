package regtest

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Invoice is one of a node's invoices, as the fakes of other backends
// (LNbits, LNDhub, an LNURL server) read it to answer in their own shapes.
type Invoice struct {
	PaymentHash    string // hex
	PaymentRequest string
	ValueMsat      int64
	AmtPaidMsat    int64
	State          string // lnd's: OPEN, SETTLED, CANCELED, ACCEPTED
	Preimage       string // hex, once settled
	SettledAt      time.Time
	CreatedAt      time.Time
	Expiry         time.Duration
	Memo           string
}

// ErrNoInvoice is returned by LookupInvoice for a hash the node does not know.
var ErrNoInvoice = errors.New("regtest: no such invoice")

// AddInvoice makes an invoice on the node with its admin macaroon: of
// valueMsat, described by memo or, when descriptionHash is given, committing
// to that hash instead, expiring after expiry (lnd's default hour when 0).
func (n *Node) AddInvoice(ctx context.Context, valueMsat int64, memo string, descriptionHash []byte, expiry time.Duration) (Invoice, error) {
	req := map[string]any{"value_msat": strconv.FormatInt(valueMsat, 10), "memo": memo}
	if descriptionHash != nil {
		req["description_hash"] = descriptionHash // base64, as lnd's REST takes bytes
	}
	if expiry > 0 {
		req["expiry"] = strconv.FormatInt(int64(expiry/time.Second), 10)
	}
	var out struct {
		RHash          []byte `json:"r_hash"`
		PaymentRequest string `json:"payment_request"`
	}
	if err := n.REST(ctx, nil, http.MethodPost, "/v1/invoices", req, &out); err != nil {
		return Invoice{}, err
	}
	return n.LookupInvoice(ctx, hex.EncodeToString(out.RHash))
}

// LookupInvoice reads one of the node's invoices (ErrNoInvoice if unknown).
func (n *Node) LookupInvoice(ctx context.Context, paymentHash string) (Invoice, error) {
	var inv struct {
		RHash          []byte `json:"r_hash"`
		RPreimage      []byte `json:"r_preimage"`
		PaymentRequest string `json:"payment_request"`
		ValueMsat      int64  `json:"value_msat,string"`
		AmtPaidMsat    int64  `json:"amt_paid_msat,string"`
		State          string `json:"state"`
		SettleDate     int64  `json:"settle_date,string"`
		CreationDate   int64  `json:"creation_date,string"`
		Expiry         int64  `json:"expiry,string"`
		Memo           string `json:"memo"`
	}
	err := n.REST(ctx, nil, http.MethodGet, "/v1/invoice/"+paymentHash, nil, &inv)
	if e := (*RESTError)(nil); errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Code == 5) {
		return Invoice{}, ErrNoInvoice
	}
	if err != nil {
		return Invoice{}, err
	}
	out := Invoice{
		PaymentHash: hex.EncodeToString(inv.RHash), PaymentRequest: inv.PaymentRequest,
		ValueMsat: inv.ValueMsat, AmtPaidMsat: inv.AmtPaidMsat, State: inv.State,
		CreatedAt: time.Unix(inv.CreationDate, 0).UTC(), Expiry: time.Duration(inv.Expiry) * time.Second, Memo: inv.Memo,
	}
	if inv.State == "SETTLED" {
		out.Preimage = hex.EncodeToString(inv.RPreimage)
		out.SettledAt = time.Unix(inv.SettleDate, 0).UTC()
	}
	return out, nil
}
