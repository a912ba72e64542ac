package gateway

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// MerchantSettings patches the settings a merchant changes itself (PATCH
// /merchant, the dashboard's settings page): nil fields stay as they are;
// an empty string clears an optional text field.
type MerchantSettings struct {
	Name            *string
	SupportEmail    *string
	CheckoutTTL     *time.Duration // 0 goes back to the gateway's default
	SuccessURL      *string
	ThankYouMessage *string
	AllowedOrigins  *[]string
}

// Limits on merchant settings.
const (
	MaxThankYouMessageLen = 1000
	MaxAllowedOrigins     = 20
)

// apply validates in onto m. Every broken field gets one FieldError and
// nothing of m changes unless all are valid.
func (in MerchantSettings) apply(m *Merchant) error {
	var fe fieldErrors
	next := *m
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		switch {
		case name == "":
			fe.add("name", "is required")
		case len(name) > MaxNameLen:
			fe.add("name", "must be at most %d characters", MaxNameLen)
		default:
			next.Name = name
		}
	}
	if in.SupportEmail != nil {
		e := strings.TrimSpace(*in.SupportEmail)
		if e != "" && !validEmail(e) {
			fe.add("support_email", "must be a valid email address")
		} else {
			next.SupportEmail = e
		}
	}
	if in.CheckoutTTL != nil {
		d := *in.CheckoutTTL
		if d != 0 && (d < MinCheckoutTTL || d > MaxCheckoutTTL || d%time.Second != 0) {
			fe.add("checkout_ttl_seconds", "must be between 300 and 3600 (5 to 60 minutes)")
		} else {
			next.CheckoutTTL = d
		}
	}
	if in.SuccessURL != nil {
		next.SuccessURL = checkSuccessURL(&fe, "success_url", *in.SuccessURL, next.SuccessURL)
	}
	if in.ThankYouMessage != nil {
		next.ThankYouMessage = checkThankYou(&fe, "thank_you_message", *in.ThankYouMessage, next.ThankYouMessage)
	}
	if in.AllowedOrigins != nil {
		if o, ok := checkOrigins(&fe, "allowed_origins", *in.AllowedOrigins); ok {
			next.AllowedOrigins = o
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	*m = next
	return nil
}

// checkSuccessURL returns s if it is "" or an absolute http(s) URL, else
// reports field and returns old.
func checkSuccessURL(fe *fieldErrors, field, s, old string) string {
	s = strings.TrimSpace(s)
	if s != "" && !validHTTPURL(s) {
		fe.add(field, "must be an absolute http or https URL")
		return old
	}
	return s
}

// checkThankYou returns the trimmed message, plain text of bounded size;
// it is always rendered escaped.
func checkThankYou(fe *fieldErrors, field, s, old string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxThankYouMessageLen {
		fe.add(field, "must be at most %d characters", MaxThankYouMessageLen)
		return old
	}
	return s
}

// checkOrigins validates a list of web origins and returns it normalised
// (lower case, default ports dropped, duplicates removed, in the given
// order). An origin is scheme://host[:port] with nothing after it: https
// for any host, and plain http only for this computer (localhost,
// 127.0.0.1, [::1]), so a developer can try pay.js from a local page —
// OriginAllowed honours those for test mode only. Wildcards are refused: a
// merchant names each site it trusts.
func checkOrigins(fe *fieldErrors, field string, in []string) ([]string, bool) {
	if len(in) > MaxAllowedOrigins {
		fe.add(field, "must have at most %d origins", MaxAllowedOrigins)
		return nil, false
	}
	out := []string{}
	ok := true
	for i, raw := range in {
		o, err := normalOrigin(raw)
		if err != "" {
			fe.add(fmt.Sprintf("%s[%d]", field, i), "%s", err)
			ok = false
			continue
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, ok
}

// normalOrigin returns raw as a normalised origin, or why it is not one.
func normalOrigin(raw string) (string, string) {
	const want = "must be an origin like https://shop.example.com (scheme, host and optional port; no path)"
	if len(raw) > 255 || strings.TrimSpace(raw) != raw || raw == "" {
		return "", want
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.Hostname() == "" ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return "", want
	}
	if strings.Contains(u.Host, "*") {
		return "", "must name one host: wildcards are not allowed"
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme == "https":
		if port == "443" {
			port = ""
		}
	case scheme == "http" && loopbackHost(host):
		if port == "80" {
			port = ""
		}
	case scheme == "http":
		return "", "must use https (plain http only for localhost, 127.0.0.1 or [::1])"
	default:
		return "", want
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, ""
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// OriginAllowed reports whether origin (as a browser sends it in the Origin
// header, or the origin of a success or cancel URL) is one the merchant
// allowed for mode. Plain-http loopback origins count in test mode only: a
// live payment never returns to a page any local process could serve.
func (m *Merchant) OriginAllowed(origin string, mode Mode) bool {
	o, bad := normalOrigin(origin)
	if bad != "" || !slices.Contains(m.AllowedOrigins, o) {
		return false
	}
	return !mode.Live() || strings.HasPrefix(o, "https://")
}

// UpdateMerchantSettings applies a settings patch to merchant id.
func (s *Service) UpdateMerchantSettings(ctx context.Context, id string, in MerchantSettings) (*Merchant, error) {
	m, err := s.store.UpdateMerchant(ctx, id, func(m *Merchant) error {
		if err := in.apply(m); err != nil {
			return err
		}
		m.UpdatedAt = s.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.keys.reset() // principals carry the merchant: re-read them now
	return m, nil
}

// SuspendMerchant suspends merchant id (the operator's decision): from now
// on every key of the merchant is refused with merchant_suspended on every
// node (the store's credentials version changes with the merchant row),
// and its hosted checkout pages and payment links say the shop is
// unavailable. Payments of invoices already made still settle: the money
// is in the merchant's own wallet either way.
func (s *Service) SuspendMerchant(ctx context.Context, id string) (*Merchant, error) {
	return s.setMerchantStatus(ctx, id, MerchantSuspended)
}

// ReactivateMerchant lifts a suspension.
func (s *Service) ReactivateMerchant(ctx context.Context, id string) (*Merchant, error) {
	return s.setMerchantStatus(ctx, id, MerchantActive)
}

func (s *Service) setMerchantStatus(ctx context.Context, id, status string) (*Merchant, error) {
	m, err := s.store.UpdateMerchant(ctx, id, func(m *Merchant) error {
		if m.Status == status {
			return errNoChange
		}
		m.Status, m.UpdatedAt = status, s.Now()
		return nil
	})
	if err == errNoChange {
		return s.store.GetMerchant(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	s.keys.reset()
	return m, nil
}

// errMerchantSuspended is what a suspended merchant's keys and pages get.
func errMerchantSuspended() error {
	return &Error{Code: CodeMerchantSuspended,
		Message: "This merchant account is suspended by the gateway's operator; its API keys and checkout pages do not work until it is reactivated."}
}

// Audit actions of the operator's merchant suspensions, recorded in the
// merchant's own audit log so its owners see who suspended it and when.
const (
	AuditMerchantSuspended   = "merchant.suspended"
	AuditMerchantReactivated = "merchant.reactivated"
)
