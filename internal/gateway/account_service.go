package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PasswordHasher hashes and checks passwords (argon2id in production). It
// is a port so the gateway stays std-only.
type PasswordHasher interface {
	// Hash returns a self-describing encoding of password's hash (salt and
	// parameters included).
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded. It takes the same
	// time for a match and a mismatch.
	Verify(encoded, password string) (bool, error)
}

// SignupPolicy is who may sign up on an instance (--signup).
type SignupPolicy string

// The policies. Under every one, the first user of an empty instance may
// sign up (and becomes its operator).
const (
	// SignupClosed: only the first-run sign-up; operators add users by CLI.
	SignupClosed SignupPolicy = "closed"
	// SignupInvite: people join merchants by invite links only.
	SignupInvite SignupPolicy = "invite"
	// SignupOpen: anyone may sign up and create a merchant.
	SignupOpen SignupPolicy = "open"
)

// ParseSignupPolicy reads --signup.
func ParseSignupPolicy(s string) (SignupPolicy, error) {
	switch p := SignupPolicy(s); p {
	case SignupClosed, SignupInvite, SignupOpen:
		return p, nil
	}
	return "", fmt.Errorf("must be open, invite or closed, got %q", s)
}

// AccountsConfig configures Accounts; zero durations mean the defaults.
type AccountsConfig struct {
	Service *Service
	Hasher  PasswordHasher
	// Sealer seals TOTP secrets at rest.
	Sealer Sealer
	Signup SignupPolicy // default SignupClosed
	// IdleTimeout ends a session nobody used for this long (default 2 h);
	// MaxAge ends every session this long after sign-in (default 7 days).
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// FreshFor is how long a password or TOTP proof lets a session do
	// sensitive things (default 5 minutes).
	FreshFor time.Duration
	// InviteTTL is how long an invite link works (default 7 days).
	InviteTTL time.Duration
	// Issuer names the instance in authenticator apps (default "satsrail").
	Issuer string
}

// Default lifetimes.
const (
	DefaultSessionIdle   = 2 * time.Hour
	DefaultSessionMaxAge = 7 * 24 * time.Hour
	DefaultFreshFor      = 5 * time.Minute
	DefaultInviteTTL     = 7 * 24 * time.Hour
	// touchEvery bounds how often a session's last-seen time is written:
	// once a minute, not on every page.
	touchEvery = time.Minute
	// recoveryCodeCount recovery codes are made when TOTP is turned on.
	recoveryCodeCount = 10
)

// Accounts applies the rules of dashboard users: sign-up, sign-in,
// sessions, fresh credentials, two-factor, teams and the audit log. Like the
// Service it starts no goroutines; the dashboard is one client of it and the
// CLI another.
type Accounts struct {
	svc   *Service
	store Store
	cfg   AccountsConfig
	// dummyHash is checked when an email is unknown, so a sign-in takes the
	// same time whether or not the account exists.
	dummyHash string
}

// NewAccounts returns Accounts for cfg. It hashes one random password (the
// dummy for unknown emails), so it costs one hash.
func NewAccounts(cfg AccountsConfig) (*Accounts, error) {
	cfg.Signup = cmp.Or(cfg.Signup, SignupClosed)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, DefaultSessionIdle)
	cfg.MaxAge = cmp.Or(cfg.MaxAge, DefaultSessionMaxAge)
	cfg.FreshFor = cmp.Or(cfg.FreshFor, DefaultFreshFor)
	cfg.InviteTTL = cmp.Or(cfg.InviteTTL, DefaultInviteTTL)
	cfg.Issuer = cmp.Or(cfg.Issuer, "satsrail")
	dummy, err := cfg.Hasher.Hash(RandomString(24))
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return &Accounts{svc: cfg.Service, store: cfg.Service.Store(), cfg: cfg, dummyHash: dummy}, nil
}

// Service returns the payment service the accounts act on.
func (a *Accounts) Service() *Service { return a.svc }

// Policy is the instance's sign-up policy.
func (a *Accounts) Policy() SignupPolicy { return a.cfg.Signup }

// Client is where a request comes from, for sessions and the audit log.
type Client struct {
	IP        string
	UserAgent string
}

// Actor is a signed-in user acting through one session.
type Actor struct {
	User    *User
	Session *UserSession
	Client  Client
}

// errBadCredentials is the one answer to every failed sign-in: unknown
// email, wrong password, missing or wrong code.
func errBadCredentials() error {
	return &Error{Code: CodeUnauthorized, Message: "Incorrect email, password or authentication code."}
}

func errSignupClosed() error {
	return &Error{Code: CodePermissionDenied, Message: "Sign-up is closed on this instance. Ask its operator for an account or an invite."}
}

// FirstRun reports whether the instance has no user yet.
func (a *Accounts) FirstRun(ctx context.Context) (bool, error) {
	n, err := a.store.CountUsers(ctx)
	return n == 0, err
}

// CanSignUp reports whether a stranger may sign up now, and whether that
// sign-up is the first run (its user becomes the operator).
func (a *Accounts) CanSignUp(ctx context.Context) (allowed, firstRun bool, err error) {
	firstRun, err = a.FirstRun(ctx)
	if err != nil {
		return false, false, err
	}
	return firstRun || a.cfg.Signup == SignupOpen, firstRun, nil
}

// SignUpParams is a sign-up form.
type SignUpParams struct {
	Email        string
	Password     string
	BusinessName string
	Client       Client
}

// SignUpResult is a new account: its user, its merchant, the merchant's key
// secrets (shown once, never stored) and a signed-in session.
type SignUpResult struct {
	User     *User
	Merchant *Merchant
	Secrets  map[KeyType]string
	Token    string
	Session  *UserSession
}

// SignUp creates a user, its merchant with the four keys (the same rule as
// the CLI's merchant create) and its owner membership, and signs the user in.
// The first user of an instance becomes its operator.
func (a *Accounts) SignUp(ctx context.Context, p SignUpParams) (*SignUpResult, error) {
	allowed, firstRun, err := a.CanSignUp(ctx)
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, errSignupClosed()
	}
	email := NormalizeEmail(p.Email)
	var fe fieldErrors
	checkUserEmail(&fe, "email", email)
	checkPassword(&fe, "password", p.Password)
	if strings.TrimSpace(p.BusinessName) == "" {
		fe.add("business_name", "is required")
	} else if len(p.BusinessName) > 200 {
		fe.add("business_name", "must be at most 200 characters")
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	m, keys, secrets, err := a.svc.newMerchant(MerchantParams{Name: p.BusinessName, Email: email})
	if err != nil {
		return nil, err
	}
	u, err := a.newUser(email, p.Password, firstRun)
	if err != nil {
		return nil, err
	}
	err = a.store.CreateAccount(ctx, NewAccount{User: u, Merchant: m, Keys: keys, FirstUser: firstRun,
		Membership: Membership{UserID: u.ID, MerchantID: m.ID, Role: RoleOwner, CreatedAt: u.CreatedAt}})
	switch {
	case errors.Is(err, ErrConflict) && firstRun:
		// Another first-run sign-up won the race; this one is a stranger's
		// sign-up now, refused unless sign-up is open.
		if a.cfg.Signup != SignupOpen {
			return nil, errSignupClosed()
		}
		return a.SignUp(ctx, p)
	case errors.Is(err, ErrConflict):
		return nil, emailTaken()
	case err != nil:
		return nil, fmt.Errorf("sign up: %w", err)
	}
	a.record(ctx, Actor{User: u, Client: p.Client}, m.ID, AuditMerchantCreated, m.Name)
	token, sess, err := a.startSession(ctx, u, m.ID, p.Client)
	if err != nil {
		return nil, err
	}
	return &SignUpResult{User: u, Merchant: m, Secrets: secrets, Token: token, Session: sess}, nil
}

func emailTaken() error {
	return &Error{Code: CodeValidation, Message: "The request has invalid fields.",
		Fields: []FieldError{{Field: "email", Message: "is already registered; sign in instead"}}}
}

func (a *Accounts) newUser(email, password string, operator bool) (*User, error) {
	hash, err := a.cfg.Hasher.Hash(password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := a.svc.Now()
	return &User{ID: NewID(PrefixUser), Email: email, PasswordHash: hash, Operator: operator, CreatedAt: now, UpdatedAt: now}, nil
}

// startSession signs u in: a new random token, of which only the hash is
// stored, showing merchantID (or the user's first merchant) in test mode.
func (a *Accounts) startSession(ctx context.Context, u *User, merchantID string, c Client) (string, *UserSession, error) {
	if merchantID == "" {
		ms, err := a.store.ListMemberships(ctx, u.ID)
		if err != nil {
			return "", nil, err
		}
		if len(ms) > 0 {
			merchantID = ms[0].MerchantID
		}
	}
	now := a.svc.Now()
	token := RandomString(32)
	s := &UserSession{
		ID: NewID(PrefixUserSession), UserID: u.ID, TokenHash: HashToken(token), MerchantID: merchantID, Mode: ModeTest,
		CreatedAt: now, LastSeenAt: now, ReauthAt: now, ExpiresAt: now.Add(a.cfg.MaxAge),
		IP: clip(c.IP, 64), UserAgent: clip(c.UserAgent, 300),
	}
	if err := a.store.CreateUserSession(ctx, s); err != nil {
		return "", nil, fmt.Errorf("start session: %w", err)
	}
	return token, s, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SignInParams is a sign-in form. Code is a TOTP code or a recovery code,
// needed only by users with two-factor sign-in on.
type SignInParams struct {
	Email    string
	Password string
	Code     string
	Client   Client
}

// SignIn checks the credentials and starts a session. Every failure is the
// same error, after the same work: an unknown email is checked against a
// dummy hash, so neither the answer nor its time says whether it exists.
func (a *Accounts) SignIn(ctx context.Context, p SignInParams) (string, *UserSession, error) {
	email := NormalizeEmail(p.Email)
	pw := clip(p.Password, MaxPasswordLen+1)
	u, err := a.store.GetUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		a.cfg.Hasher.Verify(a.dummyHash, pw)
		return "", nil, errBadCredentials()
	}
	if err != nil {
		return "", nil, fmt.Errorf("sign in: %w", err)
	}
	ok, err := a.cfg.Hasher.Verify(u.PasswordHash, pw)
	if err != nil {
		return "", nil, fmt.Errorf("sign in: %w", err)
	}
	if !ok {
		return "", nil, errBadCredentials()
	}
	if u.TwoFactor() {
		if u, err = a.checkSecondFactor(ctx, u, p.Code); err != nil {
			return "", nil, err
		}
	}
	return a.startSession(ctx, u, "", p.Client)
}

// checkSecondFactor accepts a current TOTP code (once) or an unused
// recovery code (which it uses up), and returns the updated user.
func (a *Accounts) checkSecondFactor(ctx context.Context, u *User, code string) (*User, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return nil, errBadCredentials()
	}
	secret, err := a.cfg.Sealer.Open(u.TOTPSecret)
	if err != nil {
		return nil, fmt.Errorf("open totp secret: %w", err)
	}
	now := a.svc.Now()
	updated, err := a.store.UpdateUser(ctx, u.ID, func(u *User) error {
		if step, ok := VerifyTOTP(secret, code, now, u.TOTPLastStep); ok {
			u.TOTPLastStep = step
			return nil
		}
		h := recoveryHash(code)
		i := slices.IndexFunc(u.RecoveryCodes, func(c string) bool { return subtle.ConstantTimeCompare([]byte(c), []byte(h)) == 1 })
		if i < 0 {
			return errBadCredentials()
		}
		u.RecoveryCodes = slices.Delete(u.RecoveryCodes, i, i+1)
		return nil
	})
	return updated, err
}

// recoveryHash is how a recovery code is stored: SHA-256 hex of its
// canonical form (upper case, no dashes or spaces).
func recoveryHash(code string) string {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	h := sha256.Sum256([]byte(c))
	return hex.EncodeToString(h[:])
}

// Authenticate returns the live session of token and its user. A revoked,
// expired or idle session is ErrUnauthorized. The last-seen time is written
// at most once a minute.
func (a *Accounts) Authenticate(ctx context.Context, token string) (*UserSession, *User, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, ErrUnauthorized
	}
	s, err := a.store.GetUserSession(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrUnauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.svc.Now()
	if !a.Live(s, now) {
		return nil, nil, ErrUnauthorized
	}
	u, err := a.store.GetUser(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := a.store.TouchUserSession(ctx, s.ID, now); err != nil {
			return nil, nil, err
		}
		s.LastSeenAt = now
	}
	return s, u, nil
}

// Live reports whether s may still be used at now: not revoked, not past its
// absolute end, not idle for longer than the idle timeout.
func (a *Accounts) Live(s *UserSession, now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) && now.Sub(s.LastSeenAt) < a.cfg.IdleTimeout
}

// Fresh reports whether the session proved its password (or a TOTP code)
// recently enough for a sensitive action.
func (a *Accounts) Fresh(s *UserSession) bool {
	return !s.ReauthAt.IsZero() && a.svc.Now().Sub(s.ReauthAt) < a.cfg.FreshFor
}

// Reauthenticate checks the actor's password, or a TOTP code when the user
// has two-factor on, and marks the session fresh.
func (a *Accounts) Reauthenticate(ctx context.Context, act Actor, password, code string) (*UserSession, error) {
	u := act.User
	if code != "" && u.TwoFactor() {
		secret, err := a.cfg.Sealer.Open(u.TOTPSecret)
		if err != nil {
			return nil, fmt.Errorf("open totp secret: %w", err)
		}
		now := a.svc.Now()
		if _, err := a.store.UpdateUser(ctx, u.ID, func(u *User) error {
			step, ok := VerifyTOTP(secret, code, now, u.TOTPLastStep)
			if !ok {
				return errBadPassword()
			}
			u.TOTPLastStep = step
			return nil
		}); err != nil {
			return nil, err
		}
	} else {
		ok, err := a.cfg.Hasher.Verify(u.PasswordHash, clip(password, MaxPasswordLen+1))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadPassword()
		}
	}
	now := a.svc.Now()
	return a.store.UpdateUserSession(ctx, u.ID, act.Session.ID, func(s *UserSession) error {
		s.ReauthAt = now
		return nil
	})
}

func errBadPassword() error {
	return &Error{Code: CodeValidation, Message: "That password or code is not right.",
		Fields: []FieldError{{Field: "password", Message: "is not right"}}}
}

// SignOut revokes the actor's session.
func (a *Accounts) SignOut(ctx context.Context, act Actor) error {
	_, err := a.store.RevokeUserSessions(ctx, act.User.ID, act.Session.ID, a.svc.Now())
	if errors.Is(err, ErrNotFound) {
		return nil // revoked already
	}
	return err
}

// Sessions lists the user's live sessions.
func (a *Accounts) Sessions(ctx context.Context, userID string) ([]UserSession, error) {
	now := a.svc.Now()
	ss, err := a.store.ListUserSessions(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ss, func(s UserSession) bool { return !a.Live(&s, now) }), nil
}

// RevokeSession revokes one of the actor's own sessions; another user's
// session id is ErrNotFound.
func (a *Accounts) RevokeSession(ctx context.Context, act Actor, id string) error {
	_, err := a.store.RevokeUserSessions(ctx, act.User.ID, id, a.svc.Now())
	if err == nil {
		a.record(ctx, act, "", AuditSessionsRevoked, id)
	}
	return err
}

// SignOutEverywhere revokes every session of the actor, this one included.
func (a *Accounts) SignOutEverywhere(ctx context.Context, act Actor) (int, error) {
	n, err := a.store.RevokeUserSessions(ctx, act.User.ID, "", a.svc.Now())
	if err == nil {
		a.record(ctx, act, "", AuditSessionsRevoked, "all")
	}
	return n, err
}

// Memberships lists the merchants the user belongs to.
func (a *Accounts) Memberships(ctx context.Context, userID string) ([]Membership, error) {
	return a.store.ListMemberships(ctx, userID)
}

// SwitchView makes the actor's session show merchantID in mode. The user
// must be a member of the merchant (ErrNotFound otherwise).
func (a *Accounts) SwitchView(ctx context.Context, act Actor, merchantID string, mode Mode) (*UserSession, error) {
	if mode != ModeLive && mode != ModeTest {
		return nil, &Error{Code: CodeValidation, Message: "The request has invalid fields.",
			Fields: []FieldError{{Field: "mode", Message: "must be live or test"}}}
	}
	if _, err := a.store.GetMembership(ctx, act.User.ID, merchantID); err != nil {
		return nil, err
	}
	return a.store.UpdateUserSession(ctx, act.User.ID, act.Session.ID, func(s *UserSession) error {
		s.MerchantID, s.Mode = merchantID, mode
		return nil
	})
}

// Membership returns the user's membership of merchantID, or ErrNotFound.
func (a *Accounts) Membership(ctx context.Context, userID, merchantID string) (*Membership, error) {
	return a.store.GetMembership(ctx, userID, merchantID)
}

// Members lists a merchant's members.
func (a *Accounts) Members(ctx context.Context, merchantID string) ([]Membership, error) {
	return a.store.ListMembers(ctx, merchantID)
}

// InviteParams is the invite form.
type InviteParams struct {
	Email string
	Role  string
}

// Invite makes a single-use invite link token for email to join merchantID
// with a role. The token is returned once; only its hash is stored.
func (a *Accounts) Invite(ctx context.Context, act Actor, merchantID string, p InviteParams) (string, *Invite, error) {
	email := NormalizeEmail(p.Email)
	var fe fieldErrors
	checkUserEmail(&fe, "email", email)
	role, ok := ParseRole(p.Role)
	if !ok {
		fe.add("role", "must be owner, manager or accountant")
	}
	if err := fe.err(); err != nil {
		return "", nil, err
	}
	members, err := a.store.ListMembers(ctx, merchantID)
	if err != nil {
		return "", nil, err
	}
	if slices.ContainsFunc(members, func(m Membership) bool { return m.UserEmail == email }) {
		return "", nil, &Error{Code: CodeValidation, Message: "The request has invalid fields.",
			Fields: []FieldError{{Field: "email", Message: "is a member already"}}}
	}
	now := a.svc.Now()
	token := RandomString(32)
	inv := &Invite{ID: NewID(PrefixInvite), MerchantID: merchantID, Email: email, Role: role, TokenHash: HashToken(token),
		CreatedBy: act.User.ID, CreatedAt: now, ExpiresAt: now.Add(a.cfg.InviteTTL)}
	if err := a.store.CreateInvite(ctx, inv); err != nil {
		return "", nil, fmt.Errorf("create invite: %w", err)
	}
	a.record(ctx, act, merchantID, AuditMemberInvited, email+" as "+string(role))
	return token, inv, nil
}

// Invites lists a merchant's pending invites.
func (a *Accounts) Invites(ctx context.Context, merchantID string) ([]Invite, error) {
	return a.store.ListInvites(ctx, merchantID, a.svc.Now())
}

// RevokeInvite cancels a merchant's pending invite.
func (a *Accounts) RevokeInvite(ctx context.Context, act Actor, merchantID, id string) error {
	err := a.store.RevokeInvite(ctx, merchantID, id, a.svc.Now())
	if err == nil {
		a.record(ctx, act, merchantID, AuditInviteRevoked, id)
	}
	return err
}

// PendingInvite returns the pending invite of token and its merchant, or
// ErrNotFound whatever is wrong with it.
func (a *Accounts) PendingInvite(ctx context.Context, token string) (*Invite, *Merchant, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, ErrNotFound
	}
	inv, err := a.store.GetInvite(ctx, HashToken(token))
	if err != nil {
		return nil, nil, err
	}
	if !inv.Pending(a.svc.Now()) {
		return nil, nil, ErrNotFound
	}
	m, err := a.store.GetMerchant(ctx, inv.MerchantID)
	if err != nil {
		return nil, nil, err
	}
	return inv, m, nil
}

// AcceptInvite uses an invite. A signed-in user (act.User not nil) whose
// email is the invite's joins the merchant; otherwise a new user with the
// invite's email and password is created and signed in (token returned).
func (a *Accounts) AcceptInvite(ctx context.Context, token string, act *Actor, password string, c Client) (string, *UserSession, error) {
	inv, _, err := a.PendingInvite(ctx, token)
	if err != nil {
		return "", nil, err
	}
	now := a.svc.Now()
	if act != nil {
		if act.User.Email != inv.Email {
			return "", nil, &Error{Code: CodePermissionDenied,
				Message: "This invite is for another email address. Sign out and open the link again."}
		}
		if _, err := a.store.AcceptInvite(ctx, HashToken(token), now, nil, act.User.ID); errors.Is(err, ErrConflict) {
			return "", nil, &Error{Code: CodeValidation, Message: "You are a member of this merchant already."}
		} else if err != nil {
			return "", nil, err
		}
		a.record(ctx, *act, inv.MerchantID, AuditMemberAdded, inv.Email+" as "+string(inv.Role))
		s, err := a.SwitchView(ctx, *act, inv.MerchantID, ModeTest)
		return "", s, err
	}
	var fe fieldErrors
	checkPassword(&fe, "password", password)
	if err := fe.err(); err != nil {
		return "", nil, err
	}
	if _, err := a.store.GetUserByEmail(ctx, inv.Email); err == nil {
		return "", nil, &Error{Code: CodePermissionDenied,
			Message: "An account with this email exists: sign in first, then open the invite link again."}
	}
	u, err := a.newUser(inv.Email, password, false)
	if err != nil {
		return "", nil, err
	}
	if _, err := a.store.AcceptInvite(ctx, HashToken(token), now, u, u.ID); err != nil {
		return "", nil, err
	}
	a.record(ctx, Actor{User: u, Client: c}, inv.MerchantID, AuditMemberAdded, inv.Email+" as "+string(inv.Role))
	return a.startSession(ctx, u, inv.MerchantID, c)
}

// RemoveMember removes userID from merchantID. The last owner stays: a
// merchant without one could never be managed again.
func (a *Accounts) RemoveMember(ctx context.Context, act Actor, merchantID, userID string) error {
	members, err := a.store.ListMembers(ctx, merchantID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(members, func(m Membership) bool { return m.UserID == userID })
	if i < 0 {
		return ErrNotFound
	}
	owners := 0
	for _, m := range members {
		if m.Role == RoleOwner {
			owners++
		}
	}
	if members[i].Role == RoleOwner && owners == 1 {
		return &Error{Code: CodeValidation, Message: "A merchant keeps at least one owner: make someone else owner first.",
			Fields: []FieldError{{Field: "user_id", Message: "is the last owner"}}}
	}
	if err := a.store.DeleteMembership(ctx, merchantID, userID); err != nil {
		return err
	}
	a.record(ctx, act, merchantID, AuditMemberRemoved, members[i].UserEmail)
	return nil
}

// APIKeys lists the merchant's active keys.
func (a *Accounts) APIKeys(ctx context.Context, merchantID string) ([]APIKey, error) {
	return a.store.ListAPIKeys(ctx, merchantID)
}

// PublishableKey returns a publishable key's whole value, or "" when it
// was stored without it (made without a master key; rolling it keeps it).
func (a *Accounts) PublishableKey(k APIKey) string {
	if len(k.PublishableSealed) == 0 || a.cfg.Sealer == nil {
		return ""
	}
	b, err := a.cfg.Sealer.Open(k.PublishableSealed)
	if err != nil {
		return ""
	}
	return string(b)
}

// RollKey replaces one of the merchant's keys and returns its secret, shown
// once, and records who did it.
func (a *Accounts) RollKey(ctx context.Context, act Actor, merchantID string, kt KeyType) (string, error) {
	secret, err := a.svc.RollKey(ctx, merchantID, kt)
	if err == nil {
		a.record(ctx, act, merchantID, AuditKeyRolled, string(kt))
	}
	return secret, err
}

// Record appends an entry to the audit log, for sensitive actions done
// elsewhere (a wallet changed): who, what, when, from which IP. A failure
// to write it is returned.
func (a *Accounts) Record(ctx context.Context, act Actor, merchantID, action, target string) error {
	e := &AuditEntry{ID: NewID(PrefixAudit), MerchantID: merchantID, Action: action, Target: clip(target, 200),
		IP: clip(act.Client.IP, 64), CreatedAt: a.svc.Now()}
	if act.User != nil {
		e.UserID, e.Actor = act.User.ID, act.User.Email
	}
	return a.store.InsertAudit(ctx, e)
}

// record is Record for actions that already happened: the audit line is
// best effort there, as the action cannot be undone for want of it.
func (a *Accounts) record(ctx context.Context, act Actor, merchantID, action, target string) {
	_ = a.Record(ctx, act, merchantID, action, target)
}

// AuditLog lists a merchant's audit entries, newest first.
func (a *Accounts) AuditLog(ctx context.Context, merchantID string, before time.Time, limit int) ([]AuditEntry, error) {
	return a.store.ListAudit(ctx, merchantID, before, min(max(limit, 1), 200))
}

// TOTPEnrolment is a secret offered to the user, not yet turned on: Sealed
// travels in the enrol form (sealed with the master key), URI goes in the QR
// code, Text is for typing into an app.
type TOTPEnrolment struct {
	Sealed string
	URI    string
	Text   string
}

// BeginTOTP makes a new TOTP secret for the user to enrol.
func (a *Accounts) BeginTOTP(u *User) (*TOTPEnrolment, error) {
	secret := make([]byte, 20)
	rand.Read(secret)
	sealed, err := a.cfg.Sealer.Seal(secret)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Sealed: base64.RawURLEncoding.EncodeToString(sealed),
		URI: TOTPURI(a.cfg.Issuer, u.Email, secret), Text: TOTPSecretText(secret)}, nil
}

// EnableTOTP turns two-factor sign-in on once the user shows a code of the
// enrolled secret, and returns the recovery codes, shown once.
func (a *Accounts) EnableTOTP(ctx context.Context, act Actor, sealed, code string) ([]string, error) {
	raw, secret, err := a.openEnrolment(sealed)
	if err != nil {
		return nil, err
	}
	step, ok := VerifyTOTP(secret, code, a.svc.Now(), 0)
	if !ok {
		return nil, badCode()
	}
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		c := strings.ToUpper(RandomString(10))
		codes[i] = c[:5] + "-" + c[5:]
		hashes[i] = recoveryHash(codes[i])
	}
	_, err = a.store.UpdateUser(ctx, act.User.ID, func(u *User) error {
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes, u.UpdatedAt = raw, step, hashes, a.svc.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.record(ctx, act, "", AuditTOTPEnabled, act.User.Email)
	return codes, nil
}

func badCode() error {
	return &Error{Code: CodeValidation, Message: "The request has invalid fields.",
		Fields: []FieldError{{Field: "code", Message: "is not the current code of this secret; check the app's clock and try again"}}}
}

// DisableTOTP turns two-factor sign-in off.
func (a *Accounts) DisableTOTP(ctx context.Context, act Actor) error {
	_, err := a.store.UpdateUser(ctx, act.User.ID, func(u *User) error {
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes, u.UpdatedAt = nil, 0, nil, a.svc.Now()
		return nil
	})
	if err == nil {
		a.record(ctx, act, "", AuditTOTPDisabled, act.User.Email)
	}
	return err
}

// ChangePassword sets a new password after checking the current one, and
// signs out every other session.
func (a *Accounts) ChangePassword(ctx context.Context, act Actor, current, next string) error {
	ok, err := a.cfg.Hasher.Verify(act.User.PasswordHash, clip(current, MaxPasswordLen+1))
	if err != nil {
		return err
	}
	var fe fieldErrors
	if !ok {
		fe.add("current_password", "is not right")
	}
	checkPassword(&fe, "new_password", next)
	if err := fe.err(); err != nil {
		return err
	}
	if err := a.setPassword(ctx, act.User.ID, next); err != nil {
		return err
	}
	sessions, err := a.store.ListUserSessions(ctx, act.User.ID, a.svc.Now())
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.ID != act.Session.ID {
			a.store.RevokeUserSessions(ctx, act.User.ID, s.ID, a.svc.Now())
		}
	}
	a.record(ctx, act, "", AuditPasswordChanged, act.User.Email)
	return nil
}

func (a *Accounts) setPassword(ctx context.Context, userID, password string) error {
	hash, err := a.cfg.Hasher.Hash(password)
	if err != nil {
		return err
	}
	_, err = a.store.UpdateUser(ctx, userID, func(u *User) error {
		u.PasswordHash, u.UpdatedAt = hash, a.svc.Now()
		return nil
	})
	return err
}

// CreateUserParams is the CLI's user create.
type CreateUserParams struct {
	Email    string
	Password string
	Operator bool
	// MerchantID, when set, makes the user a member with Role.
	MerchantID string
	Role       string
}

// CreateUser adds a user without a sign-up (the operator's CLI).
func (a *Accounts) CreateUser(ctx context.Context, p CreateUserParams) (*User, error) {
	email := NormalizeEmail(p.Email)
	var fe fieldErrors
	checkUserEmail(&fe, "email", email)
	checkPassword(&fe, "password", p.Password)
	role, ok := ParseRole(cmp.Or(p.Role, string(RoleOwner)))
	if !ok {
		fe.add("role", "must be owner, manager or accountant")
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if p.MerchantID != "" {
		if _, err := a.store.GetMerchant(ctx, p.MerchantID); err != nil {
			return nil, err
		}
	}
	u, err := a.newUser(email, p.Password, p.Operator)
	if err != nil {
		return nil, err
	}
	if err := a.store.CreateUser(ctx, u); errors.Is(err, ErrConflict) {
		return nil, emailTaken()
	} else if err != nil {
		return nil, err
	}
	if p.MerchantID != "" {
		if err := a.store.CreateMembership(ctx, Membership{UserID: u.ID, MerchantID: p.MerchantID, Role: role, CreatedAt: u.CreatedAt}); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// ResetPassword sets a user's password (the operator's CLI) and signs out
// every session of the user.
func (a *Accounts) ResetPassword(ctx context.Context, email, password string) error {
	var fe fieldErrors
	checkPassword(&fe, "password", password)
	if err := fe.err(); err != nil {
		return err
	}
	u, err := a.store.GetUserByEmail(ctx, NormalizeEmail(email))
	if err != nil {
		return err
	}
	if err := a.setPassword(ctx, u.ID, password); err != nil {
		return err
	}
	_, err = a.store.RevokeUserSessions(ctx, u.ID, "", a.svc.Now())
	return err
}

// Users lists every user.
func (a *Accounts) Users(ctx context.Context) ([]User, error) { return a.store.ListUsers(ctx) }

// ReopenTOTP shows again an enrolment whose sealed secret the form carried
// back (the code typed was wrong: the app holds this secret already).
func (a *Accounts) ReopenTOTP(u *User, sealed string) (*TOTPEnrolment, error) {
	_, secret, err := a.openEnrolment(sealed)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Sealed: sealed, URI: TOTPURI(a.cfg.Issuer, u.Email, secret), Text: TOTPSecretText(secret)}, nil
}

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// resetClaim is what a reset token carries, sealed with the master key: no
// table holds reset tokens. The fingerprint of the password hash makes the
// link single-use: once the password changes, the link no longer matches.
type resetClaim struct {
	UserID      string `json:"u"`
	Expires     int64  `json:"e"`
	Fingerprint string `json:"f"`
}

func hashFingerprint(passwordHash string) string {
	h := sha256.Sum256([]byte(passwordHash))
	return hex.EncodeToString(h[:8])
}

func errResetLink() error {
	return &Error{Code: CodeNotFound, Message: "This password reset link is expired or was used. Ask for a new one."}
}

// PasswordResetToken makes the token of a password reset link for email's
// user, or ErrNotFound when there is none (the caller answers the same
// either way, so the form tells nobody which emails exist).
func (a *Accounts) PasswordResetToken(ctx context.Context, email string) (string, *User, error) {
	u, err := a.store.GetUserByEmail(ctx, NormalizeEmail(email))
	if err != nil {
		return "", nil, err
	}
	b, _ := json.Marshal(resetClaim{UserID: u.ID, Expires: a.svc.Now().Add(ResetTTL).Unix(), Fingerprint: hashFingerprint(u.PasswordHash)})
	sealed, err := a.cfg.Sealer.Seal(b)
	if err != nil {
		return "", nil, err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), u, nil
}

// CheckResetToken returns the user a reset token is good for.
func (a *Accounts) CheckResetToken(ctx context.Context, token string) (*User, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(token) > 1000 {
		return nil, errResetLink()
	}
	b, err := a.cfg.Sealer.Open(raw)
	if err != nil {
		return nil, errResetLink()
	}
	var c resetClaim
	if json.Unmarshal(b, &c) != nil || a.svc.Now().Unix() >= c.Expires {
		return nil, errResetLink()
	}
	u, err := a.store.GetUser(ctx, c.UserID)
	if err != nil || subtle.ConstantTimeCompare([]byte(hashFingerprint(u.PasswordHash)), []byte(c.Fingerprint)) != 1 {
		return nil, errResetLink()
	}
	return u, nil
}

// ResetPasswordWithToken sets a new password through a reset link and
// signs the user out everywhere.
func (a *Accounts) ResetPasswordWithToken(ctx context.Context, token, password string, c Client) error {
	u, err := a.CheckResetToken(ctx, token)
	if err != nil {
		return err
	}
	var fe fieldErrors
	checkPassword(&fe, "password", password)
	if err := fe.err(); err != nil {
		return err
	}
	if err := a.setPassword(ctx, u.ID, password); err != nil {
		return err
	}
	if _, err := a.store.RevokeUserSessions(ctx, u.ID, "", a.svc.Now()); err != nil {
		return err
	}
	a.record(ctx, Actor{User: u, Client: c}, "", AuditPasswordChanged, "reset link")
	return nil
}

// openEnrolment opens the sealed secret an enrolment form carried back and
// returns it sealed (raw) and open.
func (a *Accounts) openEnrolment(sealed string) (raw, secret []byte, err error) {
	raw, err = base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, nil, badCode()
	}
	secret, err = a.cfg.Sealer.Open(raw)
	if err != nil {
		return nil, nil, badCode()
	}
	return raw, secret, nil
}
