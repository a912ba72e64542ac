package httpapi

import (
	"io"
	"net/http"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// --- merchant settings and logo ---

func (s *Server) updateMerchant(c *call) (int, any, error) {
	var in apitype.MerchantWrite
	if err := decode(c, &in); err != nil {
		return 0, nil, err
	}
	if in.Merchant == nil {
		return 0, nil, invalid("merchant", `is required: wrap the fields as {"merchant": {...}}`)
	}
	p := in.Merchant
	settings := gateway.MerchantSettings{
		Name: p.Name, SupportEmail: p.SupportEmail, SuccessURL: p.SuccessURL, ThankYouMessage: p.ThankYouMessage,
		AllowedOrigins: p.AllowedOrigins,
	}
	if p.CheckoutTTLSeconds != nil {
		if *p.CheckoutTTLSeconds < 0 || *p.CheckoutTTLSeconds > 1<<31 {
			return 0, nil, invalid("checkout_ttl_seconds", "must be between 300 and 3600 (5 to 60 minutes)")
		}
		d := time.Duration(*p.CheckoutTTLSeconds) * time.Second
		settings.CheckoutTTL = &d
	}
	m, err := s.svc.UpdateMerchantSettings(c.r.Context(), c.p.Merchant.ID, settings)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toMerchant(m, c.p.Key.Mode), nil
}

// putLogo takes the raw image as the body, whatever its Content-Type says:
// the type is read from the bytes (gateway.ParseLogo).
func (s *Server) putLogo(c *call) (int, any, error) {
	body, err := io.ReadAll(c.r.Body)
	if err != nil {
		if tooLarge(err) {
			return 0, nil, gateway.Errorf(gateway.CodeRequestTooLarge, "The logo is larger than %d KiB.", gateway.MaxLogoBytes>>10)
		}
		return 0, nil, invalid("body", "could not be read")
	}
	m, err := s.svc.SetMerchantLogo(c.r.Context(), c.p.Merchant.ID, body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toMerchant(m, c.p.Key.Mode), nil
}

func (s *Server) deleteLogo(c *call) (int, any, error) {
	if _, err := s.svc.DeleteMerchantLogo(c.r.Context(), c.p.Merchant.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
