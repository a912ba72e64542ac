// Package csvexport writes the dashboard's CSV downloads: rows streamed as
// they come (constant memory, any count), every cell safe to open in a
// spreadsheet.
package csvexport

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// SafeCell defuses a cell a spreadsheet would run as a formula (OWASP "CSV
// injection"): one starting with =, +, -, @, a tab or a carriage return gets
// a leading ' so it reads as text. encoding/csv quotes what needs quoting.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// TransactionHeader is the export's first row.
var TransactionHeader = []string{"id", "created_at", "settled_at", "checkout_session_id", "status",
	"amount_sats", "amount_msat", "amount_fiat", "currency", "exchange_rate", "payment_hash"}

// Transactions writes transactions as CSV rows under TransactionHeader.
// Times are RFC 3339 in UTC with microseconds; fiat is in major units
// (50.00), so a spreadsheet sums it as it is.
type Transactions struct {
	w      *csv.Writer
	header bool
	row    []string
}

// NewTransactions returns a writer of transaction rows to w. Rows are
// buffered a few KiB at a time, not held: call Flush at the end.
func NewTransactions(w io.Writer) *Transactions {
	return &Transactions{w: csv.NewWriter(w), row: make([]string, len(TransactionHeader))}
}

// Write writes t's row (after the header, the first time).
func (x *Transactions) Write(t *gateway.Transaction) error {
	if !x.header {
		x.header = true
		if err := x.w.Write(TransactionHeader); err != nil {
			return err
		}
	}
	r := x.row
	r[0], r[1], r[2], r[3], r[4] = t.ID, csvTime(t.CreatedAt), csvTime(t.SettledAt), t.CheckoutSessionID, string(t.Status)
	r[5] = strconv.FormatInt(int64(t.AmountSats), 10)
	r[6] = strconv.FormatInt(int64(t.AmountMsat), 10)
	r[7] = gateway.FormatMinor(t.AmountCents, t.Currency)
	r[8], r[9], r[10] = t.Currency, t.ExchangeRate, t.PaymentHash
	for i := range r {
		r[i] = SafeCell(r[i])
	}
	return x.w.Write(r)
}

// Flush writes the header if no row came, then whatever is buffered, and
// reports any error of the underlying writer.
func (x *Transactions) Flush() error {
	if !x.header {
		x.header = true
		if err := x.w.Write(TransactionHeader); err != nil {
			return err
		}
	}
	x.w.Flush()
	return x.w.Error()
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}
