package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/csvexport"
	"github.com/satsrail/satsrail/internal/gateway"
)

// transactionStatuses are the values of the transaction list's status
// filter.
var transactionStatuses = []string{string(gateway.TxSettled)}

type transactionsData struct {
	Filter       *listFilter
	Statuses     []string
	Transactions []gateway.Transaction
	Total        int
	// First and Next are the links to the first page and the next one
	// ("" on the last page).
	First, Next string
	Export      string // the CSV download of the same filter
}

// transactionFilter is the store's filter of f: its q is a checkout
// session id.
func transactionFilter(f *listFilter) gateway.TransactionFilter {
	return gateway.TransactionFilter{Status: gateway.TransactionStatus(f.Status), CheckoutSessionID: f.Q,
		Created: f.created, Page: f.page()}
}

// transactionsShow lists the settled payments of the mode in view, newest
// first, a page at a time, filtered by status, date and checkout session.
func (h *Handler) transactionsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := readListFilter(r.URL.Query(), transactionStatuses)
	d := transactionsData{Filter: f, Statuses: transactionStatuses}
	if f.Failed() {
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "transactions", d)
	}
	l, err := h.svc.ListTransactions(r.Context(), v.Scope(), transactionFilter(f))
	if err != nil {
		return err
	}
	d.Transactions, d.Total = l.Items, l.TotalCount
	if l.HasMore {
		d.Next = f.link("/dashboard/transactions", l.Items[len(l.Items)-1].ID)
	}
	d.First = f.link("/dashboard/transactions", "")
	d.Export = f.link("/dashboard/transactions/export", "")
	return h.render(w, r, v, "transactions", d)
}

// transactionsExport downloads every transaction matching the list's
// filter as CSV, streamed as it is read: keyset pages of the store, rows
// written as they come, so any number of rows takes constant memory. Every
// cell is defused against spreadsheet formulas (csvexport.SafeCell).
func (h *Handler) transactionsExport(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := readListFilter(r.URL.Query(), transactionStatuses)
	if f.err != nil {
		return f.err
	}
	tf := transactionFilter(f)
	tf.Page = gateway.Page{}
	name := "satsrail-transactions-" + string(v.Mode) + "-" + h.svc.Now().Format("2006-01-02") + ".csv"
	hdr := w.Header()
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hdr.Set("Cache-Control", "no-store")
	out := csvexport.NewTransactions(w)
	rc := http.NewResponseController(w)
	rows := 0
	err := h.svc.ExportTransactions(r.Context(), v.Scope(), tf, func(t *gateway.Transaction) error {
		if rows++; rows%gateway.ExportPageSize == 0 {
			rc.Flush() // the client sees progress; an error shows at the next write
		}
		return out.Write(t)
	})
	if err == nil {
		err = out.Flush()
	}
	if err != nil && rows == 0 {
		// Nothing is sent yet: the error page can still say why.
		hdr.Del("Content-Disposition")
		return err
	}
	if err != nil {
		// The status line and some rows may be out: nothing can be said
		// to the client but a cut-off download. Log it and stop.
		h.log.ErrorContext(r.Context(), "transaction export failed", "rows", rows, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
