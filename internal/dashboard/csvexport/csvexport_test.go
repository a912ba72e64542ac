package csvexport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestSafeCell checks every formula trigger OWASP lists is defused, and
// nothing else is touched.
func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"=1+2", "'=1+2"},
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\r=1", "'\r=1"},
		{"'=1", "'=1"}, // already text
		{"a=1", "a=1"},
		{" =1", " =1"},
		{"50.00", "50.00"},
		{"txn_123", "txn_123"},
		{"2025-03-14T15:09:26.535897Z", "2025-03-14T15:09:26.535897Z"},
		{"ümlaut", "ümlaut"},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTransactions checks the header, each column and the escaping, read
// back through a CSV reader.
func TestTransactions(t *testing.T) {
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	txns := []gateway.Transaction{
		{ID: "txn_1", CheckoutSessionID: "cs_1", Status: gateway.TxSettled, AmountSats: 76924, AmountMsat: 76924000,
			AmountCents: 5000, Currency: "usd", ExchangeRate: "65000.00", PaymentHash: "ab12", CreatedAt: at, SettledAt: at.Add(-time.Second)},
		{ID: "txn_2", Status: gateway.TxSettled, AmountSats: 1, AmountMsat: 1500, AmountCents: 500, Currency: "jpy",
			ExchangeRate: `=cmd|' /C calc'!A0`, PaymentHash: "-cd,\"34\"\n", CreatedAt: at},
	}
	var b bytes.Buffer
	w := NewTransactions(&b)
	for i := range txns {
		if err := w.Write(&txns[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{TransactionHeader,
		{"txn_1", "2025-03-14T15:09:26.535897Z", "2025-03-14T15:09:25.535897Z", "cs_1", "settled", "76924", "76924000", "50.00", "usd", "65000.00", "ab12"},
		{"txn_2", "2025-03-14T15:09:26.535897Z", "", "", "settled", "1", "1500", "500", "jpy", `'=cmd|' /C calc'!A0`, "'-cd,\"34\"\n"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CSV (-want +got):\n%s", d)
	}
}

// TestEmpty checks an export of nothing is the header alone.
func TestEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := NewTransactions(&b).Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "id,created_at,settled_at,checkout_session_id,status,amount_sats,amount_msat,amount_fiat,currency,exchange_rate,payment_hash\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("client went away") }

// TestWriteError checks a failing connection is reported, so the export
// stops reading the store.
func TestWriteError(t *testing.T) {
	w := NewTransactions(failWriter{})
	tx := gateway.Transaction{ID: "txn_1", Currency: "usd"}
	var err error
	for range 1000 { // more than the buffer holds
		if err = w.Write(&tx); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		t.Fatal("no error from a writer that fails")
	}
}
