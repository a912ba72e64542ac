package checkout

import (
	"net/url"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// status is the public JSON of GET /checkout/{token}/status and of each
// server-sent event. It carries nothing a customer should not see.
type status struct {
	Status         string `json:"status"`
	PaymentRequest string `json:"payment_request,omitempty"`
	AmountSats     int64  `json:"amount_sats,omitempty"`
	AmountCents    int64  `json:"amount_cents"`
	Currency       string `json:"currency"`
	ExpiresAt      string `json:"expires_at"`
	TimeRemaining  int64  `json:"time_remaining"`
	RedirectURL    string `json:"redirect_url,omitempty"`
}

// statusOf is s's public status; success is where a completed session
// sends the customer (Handler.successURL).
func statusOf(s *gateway.CheckoutSession, now time.Time, success string) status {
	st := status{
		Status: string(s.Status), PaymentRequest: s.PaymentRequest, AmountSats: int64(s.AmountSats),
		AmountCents: int64(s.AmountCents), Currency: s.Currency, ExpiresAt: s.ExpiresAt.Format(time.RFC3339),
	}
	if s.Status == gateway.StatusPending {
		st.TimeRemaining = max(0, int64(s.ExpiresAt.Sub(now).Seconds()))
	}
	switch s.Status {
	case gateway.StatusCompleted:
		st.RedirectURL = success
		st.PaymentRequest = ""
	case gateway.StatusExpired, gateway.StatusCancelled:
		st.RedirectURL = s.CancelURL
		st.PaymentRequest = ""
	}
	return st
}

// successURL is success_url with checkout_id=<token> added to its query.
func successURL(s *gateway.CheckoutSession) string {
	u, err := url.Parse(s.SuccessURL)
	if err != nil {
		return s.SuccessURL
	}
	q := u.Query()
	q.Set("checkout_id", s.ID)
	u.RawQuery = q.Encode()
	return u.String()
}

// origin returns scheme://host of a URL, for the CSP.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
