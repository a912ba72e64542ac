package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Access is who may reach a route.
type Access int

// The access levels.
const (
	// Public routes serve signed-out browsers too (sign-in, sign-up,
	// invite links); the viewer may not be signed in.
	Public Access = iota
	// SignedIn routes need a signed-in user, with or without a merchant
	// (the user's own account).
	SignedIn
	// Member routes need a merchant in view and the route's Perm in the
	// viewer's role there; the handler works in v.Scope().
	Member
	// Operator routes need an instance operator.
	Operator
)

// handlerFunc is a dashboard page action. It gets the viewer (never nil)
// and returns an error for fail to render (404, 403, 500 ...); it renders
// its own page, form errors included, on success.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *Viewer) error

// route is one row of the dashboard's table.
type route struct {
	Method string
	Path   string // a ServeMux pattern path; each {param} needs a sample in security_test.go
	Access Access
	Perm   gateway.Permission // for Member routes
	// Fresh routes need the password (or a TOTP code) proved in the last
	// few minutes: secret keys, wallets, members. Others are sent to
	// /dashboard/reauth first.
	Fresh  bool
	Handle handlerFunc
}

// routes is the one table of every dashboard URL; the file serving each is
// named after its handler (signInShow → signin.go). The security tests
// iterate this table: a route added here is tested signed out, without a
// CSRF token, with a revoked session, by each role and across merchants.
func (h *Handler) routes() []route {
	return []route{
		// Signing in, up and out (signin.go, signup.go, invite.go, reset.go, reauth.go).
		{Method: "GET", Path: "/dashboard/signin", Access: Public, Handle: h.signInShow},
		{Method: "POST", Path: "/dashboard/signin", Access: Public, Handle: h.signInSubmit},
		{Method: "POST", Path: "/dashboard/signout", Access: SignedIn, Handle: h.signOut},
		{Method: "GET", Path: "/dashboard/signup", Access: Public, Handle: h.signUpShow},
		{Method: "POST", Path: "/dashboard/signup", Access: Public, Handle: h.signUpSubmit},
		{Method: "GET", Path: "/dashboard/invite/{token}", Access: Public, Handle: h.inviteShow},
		{Method: "POST", Path: "/dashboard/invite/{token}", Access: Public, Handle: h.inviteAccept},
		{Method: "GET", Path: "/dashboard/reset", Access: Public, Handle: h.resetShow},
		{Method: "POST", Path: "/dashboard/reset", Access: Public, Handle: h.resetRequest},
		{Method: "GET", Path: "/dashboard/reset/{token}", Access: Public, Handle: h.resetForm},
		{Method: "POST", Path: "/dashboard/reset/{token}", Access: Public, Handle: h.resetPassword},
		{Method: "GET", Path: "/dashboard/reauth", Access: SignedIn, Handle: h.reauthShow},
		{Method: "POST", Path: "/dashboard/reauth", Access: SignedIn, Handle: h.reauthSubmit},
		// The merchant and live/test switch in the header (switch.go).
		{Method: "POST", Path: "/dashboard/switch", Access: SignedIn, Handle: h.switchView},

		// Overview (overview.go).
		{Method: "GET", Path: "/dashboard", Access: Member, Perm: gateway.PermViewPayments, Handle: h.overview},

		// Checkout sessions and transactions (sessions.go, transactions.go).
		{Method: "GET", Path: "/dashboard/sessions", Access: Member, Perm: gateway.PermViewPayments, Handle: h.sessionsShow},
		{Method: "GET", Path: "/dashboard/sessions/{checkout_session_id}", Access: Member, Perm: gateway.PermViewPayments, Handle: h.sessionShow},
		{Method: "GET", Path: "/dashboard/transactions", Access: Member, Perm: gateway.PermViewPayments, Handle: h.transactionsShow},
		{Method: "GET", Path: "/dashboard/transactions/export", Access: Member, Perm: gateway.PermExport, Handle: h.transactionsExport},

		// API keys (keys.go).
		{Method: "GET", Path: "/dashboard/keys", Access: Member, Perm: gateway.PermManageKeys, Handle: h.keysShow},
		{Method: "GET", Path: "/dashboard/keys/roll", Access: Member, Perm: gateway.PermManageKeys, Fresh: true, Handle: h.keyRollConfirm},
		{Method: "POST", Path: "/dashboard/keys/roll", Access: Member, Perm: gateway.PermManageKeys, Fresh: true, Handle: h.keyRoll},

		// Wallet (wallet.go, wallet_types.go): connecting or dropping one needs a fresh password.
		{Method: "GET", Path: "/dashboard/wallet", Access: Member, Perm: gateway.PermManageWallet, Handle: h.walletShow},
		{Method: "POST", Path: "/dashboard/wallet/test", Access: Member, Perm: gateway.PermManageWallet, Handle: h.walletTest},
		{Method: "GET", Path: "/dashboard/wallet/connect", Access: Member, Perm: gateway.PermManageWallet, Fresh: true, Handle: h.walletConnectShow},
		{Method: "POST", Path: "/dashboard/wallet/connect", Access: Member, Perm: gateway.PermManageWallet, Fresh: true, Handle: h.walletConnect},
		{Method: "GET", Path: "/dashboard/wallet/disconnect", Access: Member, Perm: gateway.PermManageWallet, Fresh: true, Handle: h.walletDisconnectConfirm},
		{Method: "POST", Path: "/dashboard/wallet/disconnect", Access: Member, Perm: gateway.PermManageWallet, Fresh: true, Handle: h.walletDisconnect},

		// Webhooks (webhooks.go): endpoints, their delivery logs, events.
		{Method: "GET", Path: "/dashboard/webhooks", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhooksShow},
		{Method: "GET", Path: "/dashboard/webhooks/new", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookNew},
		{Method: "POST", Path: "/dashboard/webhooks", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookCreate},
		{Method: "GET", Path: "/dashboard/webhooks/endpoints/{webhook_id}", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookShow},
		{Method: "POST", Path: "/dashboard/webhooks/endpoints/{webhook_id}", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookUpdate},
		{Method: "POST", Path: "/dashboard/webhooks/endpoints/{webhook_id}/active", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookActive},
		{Method: "GET", Path: "/dashboard/webhooks/endpoints/{webhook_id}/delete", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookDeleteConfirm},
		{Method: "POST", Path: "/dashboard/webhooks/endpoints/{webhook_id}/delete", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookDelete},
		{Method: "POST", Path: "/dashboard/webhooks/endpoints/{webhook_id}/rotate", Access: Member, Perm: gateway.PermManageWebhooks, Fresh: true, Handle: h.webhookRotate},
		{Method: "POST", Path: "/dashboard/webhooks/endpoints/{webhook_id}/test", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookTest},
		{Method: "POST", Path: "/dashboard/webhooks/deliveries/{delivery_id}/redeliver", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.webhookRedeliver},
		{Method: "GET", Path: "/dashboard/webhooks/events", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.eventsShow},
		{Method: "GET", Path: "/dashboard/webhooks/events/{event_id}", Access: Member, Perm: gateway.PermManageWebhooks, Handle: h.eventShow},

		// Team (team.go).
		{Method: "GET", Path: "/dashboard/team", Access: Member, Perm: gateway.PermManageTeam, Handle: h.teamShow},
		{Method: "GET", Path: "/dashboard/team/invite", Access: Member, Perm: gateway.PermManageTeam, Fresh: true, Handle: h.teamInviteNew},
		{Method: "POST", Path: "/dashboard/team/invites", Access: Member, Perm: gateway.PermManageTeam, Fresh: true, Handle: h.teamInviteCreate},
		{Method: "POST", Path: "/dashboard/team/invites/{invite_id}/revoke", Access: Member, Perm: gateway.PermManageTeam, Handle: h.teamInviteRevoke},
		{Method: "POST", Path: "/dashboard/team/members/{user_id}/remove", Access: Member, Perm: gateway.PermManageTeam, Fresh: true, Handle: h.teamMemberRemove},

		// Products and their payment links (products.go).
		{Method: "GET", Path: "/dashboard/products", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productsShow},
		{Method: "POST", Path: "/dashboard/products", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productCreate},
		{Method: "GET", Path: "/dashboard/products/{product_id}", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productEdit},
		{Method: "POST", Path: "/dashboard/products/{product_id}", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productUpdate},
		{Method: "POST", Path: "/dashboard/products/{product_id}/archive", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productArchive},

		// Settings and logo (settings.go).
		{Method: "GET", Path: "/dashboard/settings", Access: Member, Perm: gateway.PermManageSettings, Handle: h.settingsShow},
		{Method: "POST", Path: "/dashboard/settings", Access: Member, Perm: gateway.PermManageSettings, Handle: h.settingsUpdate},
		{Method: "POST", Path: "/dashboard/settings/logo", Access: Member, Perm: gateway.PermManageSettings, Handle: h.logoUpload},
		{Method: "POST", Path: "/dashboard/settings/logo/delete", Access: Member, Perm: gateway.PermManageSettings, Handle: h.logoDelete},

		// The operator's area: merchants and instance health (operator.go).
		{Method: "GET", Path: "/dashboard/operator", Access: Operator, Handle: h.operatorShow},
		{Method: "POST", Path: "/dashboard/operator/suspend", Access: Operator, Handle: h.operatorSuspend},
		{Method: "POST", Path: "/dashboard/operator/reactivate", Access: Operator, Handle: h.operatorReactivate},

		// Audit log (audit.go).
		{Method: "GET", Path: "/dashboard/audit", Access: Member, Perm: gateway.PermViewAudit, Handle: h.auditShow},

		// The user's own account: sessions, password, two-factor (account.go, totp.go).
		{Method: "GET", Path: "/dashboard/account", Access: SignedIn, Handle: h.accountShow},
		{Method: "POST", Path: "/dashboard/account/sessions/{session_id}/revoke", Access: SignedIn, Handle: h.accountSessionRevoke},
		{Method: "POST", Path: "/dashboard/account/signout-everywhere", Access: SignedIn, Handle: h.accountSignOutEverywhere},
		{Method: "POST", Path: "/dashboard/account/password", Access: SignedIn, Handle: h.accountPassword},
		{Method: "GET", Path: "/dashboard/account/totp", Access: SignedIn, Fresh: true, Handle: h.totpEnrol},
		{Method: "POST", Path: "/dashboard/account/totp", Access: SignedIn, Fresh: true, Handle: h.totpEnable},
		{Method: "POST", Path: "/dashboard/account/totp/disable", Access: SignedIn, Fresh: true, Handle: h.totpDisable},
	}
}
