package gateway

import (
	"context"
	"time"
)

// AccountStore keeps dashboard users, their memberships, sessions, invites
// and the audit log. Lookups of another merchant's or another user's object
// are ErrNotFound, as everywhere in the Store.
type AccountStore interface {
	// CountUsers returns how many users exist (the first-run check).
	CountUsers(ctx context.Context) (int, error)
	// CreateUser stores a user; an email already taken is ErrConflict.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail finds a user by its normalised email.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers lists every user, oldest first.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser applies fn to the user inside a transaction and saves it;
	// fn's error is returned unchanged and nothing is written.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (*User, error)
	// CreateAccount stores a sign-up's user, merchant, keys and membership
	// atomically (see NewAccount for FirstUser).
	CreateAccount(ctx context.Context, a NewAccount) error

	// CreateMembership adds a member; an existing membership is ErrConflict.
	CreateMembership(ctx context.Context, m Membership) error
	GetMembership(ctx context.Context, userID, merchantID string) (*Membership, error)
	// ListMemberships lists the user's memberships with MerchantName, in the
	// order they were made.
	ListMemberships(ctx context.Context, userID string) ([]Membership, error)
	// ListMembers lists the merchant's members with UserEmail, oldest first.
	ListMembers(ctx context.Context, merchantID string) ([]Membership, error)
	// DeleteMembership removes a member, or is ErrNotFound.
	DeleteMembership(ctx context.Context, merchantID, userID string) error

	// CreateUserSession stores a signed-in session.
	CreateUserSession(ctx context.Context, s *UserSession) error
	// GetUserSession finds a session by its token's hash, revoked or not.
	GetUserSession(ctx context.Context, tokenHash []byte) (*UserSession, error)
	// TouchUserSession sets a session's LastSeenAt.
	TouchUserSession(ctx context.Context, id string, seen time.Time) error
	// UpdateUserSession applies fn to the user's session id inside a
	// transaction and saves it; fn's error is returned unchanged.
	UpdateUserSession(ctx context.Context, userID, id string, fn func(*UserSession) error) (*UserSession, error)
	// ListUserSessions lists the user's unrevoked sessions that expire
	// after now, most recently seen first.
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]UserSession, error)
	// RevokeUserSessions revokes, at now, the user's session id, or every
	// unrevoked session of the user when id is "", and returns how many it
	// revoked. A session id of another user revokes nothing (ErrNotFound).
	RevokeUserSessions(ctx context.Context, userID, id string, now time.Time) (int, error)

	// CreateInvite stores an invite.
	CreateInvite(ctx context.Context, inv *Invite) error
	// GetInvite finds an invite by its token's hash, in any state.
	GetInvite(ctx context.Context, tokenHash []byte) (*Invite, error)
	// ListInvites lists the merchant's invites pending at now, newest first.
	ListInvites(ctx context.Context, merchantID string, now time.Time) ([]Invite, error)
	// RevokeInvite revokes the merchant's pending invite id at now.
	RevokeInvite(ctx context.Context, merchantID, id string, now time.Time) error
	// AcceptInvite, in one transaction, marks the invite with this token
	// hash accepted at now if it is pending (else ErrNotFound: used,
	// revoked, expired or unknown are one answer), stores newUser if it is
	// not nil, and makes userID a member with the invite's role (ErrConflict
	// if it is one already, and then nothing is written).
	AcceptInvite(ctx context.Context, tokenHash []byte, now time.Time, newUser *User, userID string) (*Invite, error)

	// ListAPIKeys lists the merchant's active keys, in KeyTypes order, with
	// LastUsedAt.
	ListAPIKeys(ctx context.Context, merchantID string) ([]APIKey, error)

	// InsertAudit appends an entry to the audit log.
	InsertAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit lists the merchant's audit entries newest first, at most
	// limit, created before `before` when it is not zero.
	ListAudit(ctx context.Context, merchantID string, before time.Time, limit int) ([]AuditEntry, error)
}
