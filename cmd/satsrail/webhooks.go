package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/mail"
	"github.com/satsrail/satsrail/internal/netguard"
)

// webhookPolicy is the SSRF guard of a mode: live endpoints may never reach
// loopback, private or link-local addresses; test endpoints may use loopback
// (a developer's local receiver) unless strangers can sign up (--signup
// open), whose test webhooks would otherwise probe the operator's host.
// --allow-private-webhooks lifts both.
func webhookPolicy(mode gateway.Mode, allowPrivate, openSignup bool) netguard.Policy {
	return netguard.Policy{AllowPrivate: allowPrivate, AllowLoopback: mode == gateway.ModeTest && !openSignup}
}

// urlGuard checks a webhook URL at registration; the delivery clients check
// again at connect time, so DNS rebinding can't get through.
func urlGuard(allowPrivate, openSignup bool) gateway.URLGuard {
	return func(ctx context.Context, mode gateway.Mode, rawURL string) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return webhookPolicy(mode, allowPrivate, openSignup).CheckURL(ctx, net.DefaultResolver, rawURL)
	}
}

func deliveryClients(allowPrivate, openSignup bool, timeout time.Duration) map[gateway.Mode]*http.Client {
	return map[gateway.Mode]*http.Client{
		gateway.ModeLive: netguard.NewClient(webhookPolicy(gateway.ModeLive, allowPrivate, openSignup), timeout),
		gateway.ModeTest: netguard.NewClient(webhookPolicy(gateway.ModeTest, allowPrivate, openSignup), timeout),
	}
}

// parseSchedule reads --webhook-retry-schedule, e.g. "1m,5m,30m,2h".
func parseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--webhook-retry-schedule: %q is not a positive duration", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// webhookFailingMail sends the "endpoint failing" alert to every member of
// the endpoint's merchant who manages its webhooks (owners and managers).
func webhookFailingMail(accounts *gateway.Accounts, mailer *mail.Mailer) func(ctx context.Context, job gateway.DeliveryJob, failures int, lastErr string) error {
	return func(ctx context.Context, job gateway.DeliveryJob, failures int, lastErr string) error {
		members, err := accounts.Members(ctx, job.Endpoint.MerchantID)
		if err != nil {
			return err
		}
		var errs []error
		for _, m := range members {
			if m.Role.Can(gateway.PermManageWebhooks) {
				errs = append(errs, mailer.WebhookFailing(ctx, m.UserEmail, m.MerchantName, job.Endpoint.URL, failures, lastErr))
			}
		}
		return errors.Join(errs...)
	}
}
