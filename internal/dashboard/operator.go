package dashboard

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// The operator's area: the instance's merchants, suspended and reactivated
// with the same Service methods as `satsrail merchant suspend|reactivate`,
// and the instance's health as /readyz sees it.

type operatorData struct {
	Merchants []gateway.Merchant
	Checks    []healthCheck
	Ready     bool
	HasChecks bool
}

type healthCheck struct {
	Name, Problem string // Problem "" when ready
}

// operatorShow lists every merchant and the instance's checks.
func (h *Handler) operatorShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	ms, err := h.svc.ListMerchants(r.Context())
	if err != nil {
		return err
	}
	d := operatorData{Merchants: ms, Ready: true}
	if h.readiness != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		for name, err := range h.readiness(ctx) {
			c := healthCheck{Name: name}
			if err != nil {
				c.Problem, d.Ready = err.Error(), false
			}
			d.Checks = append(d.Checks, c)
		}
		slices.SortFunc(d.Checks, func(a, b healthCheck) int { return cmpString(a.Name, b.Name) })
		d.HasChecks = true
	}
	return h.render(w, r, v, "operator", d)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// operatorSuspend suspends the merchant named by the form's merchant_id.
func (h *Handler) operatorSuspend(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.operatorSetStatus(w, r, v, h.svc.SuspendMerchant, gateway.AuditMerchantSuspended)
}

// operatorReactivate lifts a suspension.
func (h *Handler) operatorReactivate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.operatorSetStatus(w, r, v, h.svc.ReactivateMerchant, gateway.AuditMerchantReactivated)
}

// operatorSetStatus applies change to the form's merchant_id (a form
// field, not a path: an operator acts on any merchant, and an unknown id is
// 404) and records it in that merchant's audit log.
func (h *Handler) operatorSetStatus(w http.ResponseWriter, r *http.Request, v *Viewer,
	change func(context.Context, string) (*gateway.Merchant, error), action string) error {
	id := r.PostForm.Get("merchant_id")
	if id == "" {
		return gateway.ErrNotFound
	}
	m, err := change(r.Context(), id)
	if err != nil {
		return err
	}
	if err := h.acc.Record(r.Context(), v.Actor(), m.ID, action, m.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/operator?notice=saved", http.StatusSeeOther)
	return nil
}
