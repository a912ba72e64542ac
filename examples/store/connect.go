package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// webhookPath is where the gateway delivers events to the shop.
const webhookPath = "/webhooks/satsrail"

// connect checks the secret key with the gateway and gets the shop ready
// to be paid: its webhook endpoint (registered, or its secret rotated, when
// no SATSRAIL_WEBHOOK_SECRET was given, since a secret is shown only once)
// and, with a publishable key, the pay.js button's product and the shop's
// origin among the merchant's allowed origins.
func (a *App) connect(ctx context.Context) error {
	m, err := a.sr.GetMerchant(ctx)
	if err != nil {
		return fmt.Errorf("the gateway at %s refused the secret key: %w", a.cfg.gatewayURL, err)
	}
	a.log.Info("connected to the gateway", "merchant", m.ID, "livemode", m.Livemode)
	if len(a.secrets) == 0 {
		secret, err := a.registerWebhook(ctx)
		if err != nil {
			return fmt.Errorf("registering the webhook endpoint: %w", err)
		}
		a.secrets = []string{secret}
	}
	if a.cfg.publishableKey == "" {
		return nil
	}
	for _, it := range catalog {
		if it.PayButton {
			if err := a.ensureProduct(ctx, it); err != nil {
				return fmt.Errorf("the pay.js button's product %s: %w", it.Slug, err)
			}
		}
	}
	// pay.js creates sessions from the shop's pages with the publishable
	// key; the gateway accepts that only from the merchant's allowed
	// origins.
	shop := origin(a.cfg.publicURL)
	if !slices.Contains(m.AllowedOrigins, shop) {
		origins := append(slices.Clone(m.AllowedOrigins), shop)
		if _, err := a.sr.UpdateMerchant(ctx, &apitype.MerchantParams{AllowedOrigins: &origins}); err != nil {
			return fmt.Errorf("allowing %s for pay.js: %w", shop, err)
		}
	}
	return nil
}

// registerWebhook makes sure the gateway has an endpoint for the shop's
// webhook URL and returns its signing secret: a new endpoint's, or the
// existing one's after a rotation.
func (a *App) registerWebhook(ctx context.Context) (string, error) {
	url := a.urlJoin(webhookPath)
	for we, err := range a.sr.AllWebhooks(ctx, nil) {
		if err != nil {
			return "", err
		}
		if we.URL == url {
			rotated, err := a.sr.RotateWebhookSecret(ctx, we.ID)
			if err != nil {
				return "", err
			}
			a.log.Info("webhook endpoint found, secret rotated", "id", we.ID, "url", url)
			return rotated.Secret, nil
		}
	}
	created, err := a.sr.CreateWebhook(ctx, &apitype.WebhookParams{
		URL:         client.String(url),
		Description: client.String("example store"),
		Events:      []string{"checkout.completed", "checkout.expired", "checkout.cancelled"},
	})
	if err != nil {
		return "", err
	}
	a.log.Info("webhook endpoint registered", "id", created.ID, "url", url)
	return created.Secret, nil
}

// ensureProduct creates the gateway's product for an item when it has none
// with the item's slug (pay.js names it by slug).
func (a *App) ensureProduct(ctx context.Context, it Item) error {
	_, err := a.sr.GetProduct(ctx, it.Slug)
	var e *client.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound {
		return err // found (nil), or another error
	}
	_, err = a.sr.CreateProduct(ctx, &apitype.ProductParams{
		Name:        client.String(it.Name),
		Description: client.String(it.Description),
		PriceCents:  client.Int64(it.PriceCents),
		Currency:    client.String(Currency),
		Slug:        client.String(it.Slug),
	})
	return err
}
