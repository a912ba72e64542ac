package dashboard

import (
	"net/http"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// auditPage is how many entries one page of the audit log shows.
const auditPage = 100

type auditData struct {
	Entries []gateway.AuditEntry
	// Older links to the next page (entries before the last shown), or "".
	Older string
}

// auditShow lists the merchant's audit log, newest first (owners).
func (h *Handler) auditShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	var before time.Time
	if b := r.URL.Query().Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return &gateway.Error{Code: gateway.CodeValidation, Message: "before must be an RFC 3339 time."}
		}
		before = t
	}
	es, err := h.acc.AuditLog(r.Context(), v.MerchantID(), before, auditPage)
	if err != nil {
		return err
	}
	d := auditData{Entries: es}
	if len(es) == auditPage {
		d.Older = "/dashboard/audit?before=" + es[len(es)-1].CreatedAt.Format(time.RFC3339Nano)
	}
	return h.render(w, r, v, "audit", d)
}
