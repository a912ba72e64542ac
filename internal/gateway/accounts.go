package gateway

import (
	"crypto/sha256"
	"strings"
	"time"
)

// Object id prefixes of the account objects.
const (
	PrefixUser        = "usr_"
	PrefixUserSession = "uss_"
	PrefixInvite      = "inv_"
	PrefixAudit       = "aud_"
)

// Role is what a member may do in one merchant.
type Role string

// The three roles (issue 14): an owner may do everything; a manager runs the
// shop (products, sessions, webhooks, wallet) and reads transactions; an
// accountant reads sessions and transactions and exports them.
const (
	RoleOwner      Role = "owner"
	RoleManager    Role = "manager"
	RoleAccountant Role = "accountant"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleManager, RoleAccountant}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Permission is one thing a dashboard page or action needs.
type Permission string

// The permissions. Every dashboard route names the one it needs; Role.Can is
// the only place that says which role has which.
const (
	// PermViewPayments: the overview, checkout sessions, transactions, events.
	PermViewPayments Permission = "view_payments"
	// PermExport: CSV exports.
	PermExport Permission = "export"
	// PermManagePayments: act on checkout sessions (expire one).
	PermManagePayments Permission = "manage_payments"
	// PermManageProducts: products and payment links.
	PermManageProducts Permission = "manage_products"
	// PermManageWebhooks: webhook endpoints, deliveries, redelivery.
	PermManageWebhooks Permission = "manage_webhooks"
	// PermManageWallet: connect, test and disconnect wallets.
	PermManageWallet Permission = "manage_wallet"
	// PermManageKeys: see the publishable keys, roll any key.
	PermManageKeys Permission = "manage_keys"
	// PermManageSettings: the merchant's settings.
	PermManageSettings Permission = "manage_settings"
	// PermManageTeam: members, roles and invites.
	PermManageTeam Permission = "manage_team"
	// PermViewAudit: the audit log.
	PermViewAudit Permission = "view_audit"
)

// Can reports whether role r has permission p: the one permission table.
func (r Role) Can(p Permission) bool {
	switch r {
	case RoleOwner:
		return true
	case RoleManager:
		switch p {
		case PermViewPayments, PermManagePayments, PermManageProducts, PermManageWebhooks, PermManageWallet:
			return true
		}
	case RoleAccountant:
		switch p {
		case PermViewPayments, PermExport:
			return true
		}
	}
	return false
}

// User is a person who signs in to the dashboard. Its email is stored
// normalised (NormalizeEmail), so it is unique case-insensitively.
type User struct {
	ID           string
	Email        string
	PasswordHash string // PasswordHasher's encoding; never the password
	// Operator users run the instance: they see every merchant.
	Operator bool
	// TOTPSecret is the sealed RFC 6238 secret; empty while two-factor
	// sign-in is off.
	TOTPSecret []byte
	// TOTPLastStep is the last time step a code was accepted for, so a code
	// is good once.
	TOTPLastStep int64
	// RecoveryCodes are the SHA-256 hashes (hex) of the unused recovery codes.
	RecoveryCodes []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TwoFactor reports whether the user has TOTP turned on.
func (u *User) TwoFactor() bool { return len(u.TOTPSecret) > 0 }

// NormalizeEmail is the form emails are stored and looked up in: trimmed and
// lower-cased, so Ada@Example.com and ada@example.com are one account.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Password limits. Long passphrases are welcome; the upper bound only keeps
// a request from making the hasher chew megabytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 200
)

func checkPassword(fe *fieldErrors, field, pw string) {
	switch {
	case len(pw) < MinPasswordLen:
		fe.add(field, "must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		fe.add(field, "must be at most %d characters", MaxPasswordLen)
	}
}

func checkUserEmail(fe *fieldErrors, field, email string) {
	if !validEmail(email) {
		fe.add(field, "must be a valid email address")
	}
}

// Membership says a user belongs to a merchant with a role. MerchantName and
// UserEmail are filled by the lists that join them, for display.
type Membership struct {
	UserID       string
	MerchantID   string
	Role         Role
	CreatedAt    time.Time
	MerchantName string
	UserEmail    string
}

// UserSession is one signed-in browser. Only the SHA-256 of its token is
// stored; the token lives in the browser's cookie.
type UserSession struct {
	ID        string
	UserID    string
	TokenHash []byte
	// MerchantID and Mode are what the dashboard shows this browser: the
	// merchant chosen among the user's memberships and live or test.
	MerchantID string
	Mode       Mode
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ReauthAt is when the user last proved the password (or a TOTP code)
	// in this session: sensitive actions want it recent (Fresh).
	ReauthAt  time.Time
	ExpiresAt time.Time // the absolute end, whatever the activity
	IP        string
	UserAgent string
	RevokedAt time.Time // zero while the session is usable
}

// HashToken hashes a session or invite token for storage and lookup. Tokens
// carry 190 random bits, so a fast hash is enough.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Invite is a single-use link that makes its holder a member of a merchant.
type Invite struct {
	ID         string
	MerchantID string
	Email      string // who it is for; the accepting account must have this email
	Role       Role
	TokenHash  []byte
	CreatedBy  string // user id
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt time.Time
	RevokedAt  time.Time
}

// Pending reports whether the invite can still be accepted at now.
func (i *Invite) Pending(now time.Time) bool {
	return i.AcceptedAt.IsZero() && i.RevokedAt.IsZero() && now.Before(i.ExpiresAt)
}

// Audit actions: the sensitive things the audit log records.
const (
	AuditSignIn          = "user.signed_in"
	AuditSignInFailed    = "user.sign_in_failed"
	AuditKeyRolled       = "api_key.rolled"
	AuditWalletChanged   = "wallet.changed"
	AuditMemberInvited   = "member.invited"
	AuditMemberAdded     = "member.added"
	AuditMemberRemoved   = "member.removed"
	AuditInviteRevoked   = "invite.revoked"
	AuditTOTPEnabled     = "totp.enabled"
	AuditTOTPDisabled    = "totp.disabled"
	AuditPasswordChanged = "password.changed"
	AuditSessionsRevoked = "sessions.revoked"
	AuditMerchantCreated = "merchant.created"
	// AuditWebhookSecretRotated: a new signing secret was shown in the
	// dashboard (the target is the endpoint's id and mode).
	AuditWebhookSecretRotated = "webhook.secret_rotated"
)

// AuditEntry is one line of the audit log: who did what, when, from where.
// MerchantID is empty for actions that concern only the user's account.
type AuditEntry struct {
	ID         string
	MerchantID string
	UserID     string
	Actor      string // the user's email at the time
	Action     string
	Target     string // what it was done to: a key type, a member's email, ...
	IP         string
	CreatedAt  time.Time
}

// NewAccount is what one sign-up stores at once: the user, its merchant with
// the four keys, and the user's owner membership. FirstUser makes the store
// refuse it (ErrConflict) when any user exists already: the first-run
// sign-up, whose user becomes the operator, happens once.
type NewAccount struct {
	User       *User
	Merchant   *Merchant
	Keys       []APIKey
	Membership Membership
	FirstUser  bool
}
