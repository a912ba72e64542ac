package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const userColumns = "id, email, password_hash, operator, totp_secret, totp_last_step, recovery_codes, created_at, updated_at"

func userArgs(u *gateway.User) []any {
	return []any{u.ID, u.Email, u.PasswordHash, u.Operator, u.TOTPSecret, u.TOTPLastStep, codesCol(u.RecoveryCodes),
		timeCol(u.CreatedAt), timeCol(u.UpdatedAt)}
}

func userDests(u *gateway.User) []any {
	return []any{&u.ID, &u.Email, &u.PasswordHash, &u.Operator, &u.TOTPSecret, &u.TOTPLastStep, (*codesCol)(&u.RecoveryCodes),
		(*timeCol)(&u.CreatedAt), (*timeCol)(&u.UpdatedAt)}
}

// codesCol stores hashed recovery codes comma-separated; none is ”.
type codesCol []string

func (c codesCol) Value() (driver.Value, error) { return strings.Join(c, ","), nil }

func (c *codesCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("codes column holds %T, want TEXT", src)
	}
	*c = nil
	if s != "" {
		*c = strings.Split(s, ",")
	}
	return nil
}

const membershipColumns = "user_id, merchant_id, role, created_at"

func membershipArgs(m *gateway.Membership) []any {
	return []any{m.UserID, m.MerchantID, m.Role, timeCol(m.CreatedAt)}
}

func membershipDests(m *gateway.Membership) []any {
	return []any{&m.UserID, &m.MerchantID, &m.Role, (*timeCol)(&m.CreatedAt)}
}

const userSessionColumns = "id, user_id, token_hash, merchant_id, mode, created_at, last_seen_at, reauth_at, expires_at, " +
	"ip, user_agent, revoked_at"

func userSessionArgs(s *gateway.UserSession) []any {
	return []any{s.ID, s.UserID, s.TokenHash, s.MerchantID, s.Mode, timeCol(s.CreatedAt), timeCol(s.LastSeenAt),
		timeCol(s.ReauthAt), timeCol(s.ExpiresAt), s.IP, s.UserAgent, timeCol(s.RevokedAt)}
}

func userSessionDests(s *gateway.UserSession) []any {
	return []any{&s.ID, &s.UserID, &s.TokenHash, &s.MerchantID, &s.Mode, (*timeCol)(&s.CreatedAt), (*timeCol)(&s.LastSeenAt),
		(*timeCol)(&s.ReauthAt), (*timeCol)(&s.ExpiresAt), &s.IP, &s.UserAgent, (*timeCol)(&s.RevokedAt)}
}

const inviteColumns = "id, merchant_id, email, role, token_hash, created_by, created_at, expires_at, accepted_at, revoked_at"

func inviteArgs(i *gateway.Invite) []any {
	return []any{i.ID, i.MerchantID, i.Email, i.Role, i.TokenHash, i.CreatedBy, timeCol(i.CreatedAt), timeCol(i.ExpiresAt),
		timeCol(i.AcceptedAt), timeCol(i.RevokedAt)}
}

func inviteDests(i *gateway.Invite) []any {
	return []any{&i.ID, &i.MerchantID, &i.Email, &i.Role, &i.TokenHash, &i.CreatedBy, (*timeCol)(&i.CreatedAt),
		(*timeCol)(&i.ExpiresAt), (*timeCol)(&i.AcceptedAt), (*timeCol)(&i.RevokedAt)}
}

const auditColumns = "id, merchant_id, user_id, actor, action, target, ip, created_at"

func auditArgs(e *gateway.AuditEntry) []any {
	return []any{e.ID, e.MerchantID, e.UserID, e.Actor, e.Action, e.Target, e.IP, timeCol(e.CreatedAt)}
}

func auditDests(e *gateway.AuditEntry) []any {
	return []any{&e.ID, &e.MerchantID, &e.UserID, &e.Actor, &e.Action, &e.Target, &e.IP, (*timeCol)(&e.CreatedAt)}
}

var (
	scanUser          = scanner(userDests)
	insertUser        = insertSQL("users", userColumns)
	updateUser        = updateSQL("users", userColumns)
	insertMembership  = insertSQL("memberships", membershipColumns)
	scanUserSession   = scanner(userSessionDests)
	insertUserSession = insertSQL("user_sessions", userSessionColumns)
	updateUserSession = updateSQL("user_sessions", userSessionColumns)
	scanInvite        = scanner(inviteDests)
	insertInvite      = insertSQL("invites", inviteColumns)
	scanAudit         = scanner(auditDests)
	insertAudit       = insertSQL("audit_log", auditColumns)
)

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, mapErr(err, "count users")
}

// CreateUser stores a user; a taken email is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *gateway.User) error {
	_, err := s.writer.ExecContext(ctx, insertUser, userArgs(u)...)
	return mapErr(err, "create user %s", u.ID)
}

// GetUser returns user id.
func (s *Store) GetUser(ctx context.Context, id string) (*gateway.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if err != nil {
		return nil, mapErr(err, "get user %s", id)
	}
	return &u, nil
}

// GetUserByEmail returns the user with this (normalised) email.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*gateway.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", email))
	if err != nil {
		return nil, mapErr(err, "get user by email")
	}
	return &u, nil
}

// ListUsers returns every user, oldest first.
func (s *Store) ListUsers(ctx context.Context) ([]gateway.User, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY created_at, id")
	us, err := scanAll(rows, err, scanUser)
	return us, mapErr(err, "list users")
}

// UpdateUser applies fn to user id in a transaction and saves it.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*gateway.User) error) (*gateway.User, error) {
	var u gateway.User
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = scanUser(tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id)); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return passThrough{err}
		}
		if u.ID != id {
			return fmt.Errorf("the update changed the user's id")
		}
		_, err = tx.ExecContext(ctx, updateUser, append(userArgs(&u), id)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update user %s", id)
	}
	return &u, nil
}

// errNotFirstUser refuses a first-run sign-up once a user exists.
var errNotFirstUser = fmt.Errorf("a user exists already: %w", gateway.ErrConflict)

// CreateAccount stores a sign-up's user, merchant, keys and membership in
// one transaction. The single writer connection serialises it with every
// other write, so the first-user check cannot race.
func (s *Store) CreateAccount(ctx context.Context, a gateway.NewAccount) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if a.FirstUser {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return passThrough{errNotFirstUser}
			}
		}
		if _, err := tx.ExecContext(ctx, insertUser, userArgs(a.User)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertMerchant, merchantArgs(a.Merchant)...); err != nil {
			return err
		}
		for _, k := range a.Keys {
			if _, err := tx.ExecContext(ctx, insertAPIKey, apiKeyArgs(&k)...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, insertMembership, membershipArgs(&a.Membership)...)
		return err
	})
	return unwrapCallback(err, "create account %s", a.User.ID)
}

// CreateMembership adds a member.
func (s *Store) CreateMembership(ctx context.Context, m gateway.Membership) error {
	_, err := s.writer.ExecContext(ctx, insertMembership, membershipArgs(&m)...)
	return mapErr(err, "create membership %s/%s", m.MerchantID, m.UserID)
}

// GetMembership returns the user's membership of the merchant.
func (s *Store) GetMembership(ctx context.Context, userID, merchantID string) (*gateway.Membership, error) {
	var m gateway.Membership
	err := s.reader.QueryRowContext(ctx, "SELECT "+qualify("ms", membershipColumns)+`, mr.name, u.email
		FROM memberships ms JOIN merchants mr ON mr.id = ms.merchant_id JOIN users u ON u.id = ms.user_id
		WHERE ms.user_id = ? AND ms.merchant_id = ?`, userID, merchantID).
		Scan(append(membershipDests(&m), &m.MerchantName, &m.UserEmail)...)
	if err != nil {
		return nil, mapErr(err, "get membership %s/%s", merchantID, userID)
	}
	return &m, nil
}

// ListMemberships lists the user's memberships, oldest first.
func (s *Store) ListMemberships(ctx context.Context, userID string) ([]gateway.Membership, error) {
	return s.listMemberships(ctx, "ms.user_id = ?", userID)
}

// ListMembers lists the merchant's members, oldest first.
func (s *Store) ListMembers(ctx context.Context, merchantID string) ([]gateway.Membership, error) {
	return s.listMemberships(ctx, "ms.merchant_id = ?", merchantID)
}

func (s *Store) listMemberships(ctx context.Context, where string, arg string) ([]gateway.Membership, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+qualify("ms", membershipColumns)+`, mr.name, u.email
		FROM memberships ms JOIN merchants mr ON mr.id = ms.merchant_id JOIN users u ON u.id = ms.user_id
		WHERE `+where+" ORDER BY ms.created_at, ms.merchant_id, ms.user_id", arg)
	ms, err := scanAll(rows, err, func(r rowScanner) (gateway.Membership, error) {
		var m gateway.Membership
		err := r.Scan(append(membershipDests(&m), &m.MerchantName, &m.UserEmail)...)
		return m, err
	})
	return ms, mapErr(err, "list memberships")
}

// DeleteMembership removes a member.
func (s *Store) DeleteMembership(ctx context.Context, merchantID, userID string) error {
	res, err := s.writer.ExecContext(ctx, "DELETE FROM memberships WHERE merchant_id = ? AND user_id = ?", merchantID, userID)
	return mapErr(touched(res, err), "delete membership %s/%s", merchantID, userID)
}

// touched is oneRow for an ExecContext's result and error together.
func touched(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	return oneRow(res)
}

// CreateUserSession stores a session.
func (s *Store) CreateUserSession(ctx context.Context, us *gateway.UserSession) error {
	_, err := s.writer.ExecContext(ctx, insertUserSession, userSessionArgs(us)...)
	return mapErr(err, "create user session %s", us.ID)
}

// GetUserSession finds a session by its token hash.
func (s *Store) GetUserSession(ctx context.Context, tokenHash []byte) (*gateway.UserSession, error) {
	us, err := scanUserSession(s.reader.QueryRowContext(ctx, "SELECT "+userSessionColumns+" FROM user_sessions WHERE token_hash = ?", tokenHash))
	if err != nil {
		return nil, mapErr(err, "get user session")
	}
	return &us, nil
}

// TouchUserSession sets a session's last_seen_at.
func (s *Store) TouchUserSession(ctx context.Context, id string, seen time.Time) error {
	res, err := s.writer.ExecContext(ctx, "UPDATE user_sessions SET last_seen_at = ? WHERE id = ?", timeCol(seen), id)
	return mapErr(touched(res, err), "touch user session %s", id)
}

// UpdateUserSession applies fn to the user's session id and saves it.
func (s *Store) UpdateUserSession(ctx context.Context, userID, id string, fn func(*gateway.UserSession) error) (*gateway.UserSession, error) {
	var us gateway.UserSession
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		us, err = scanUserSession(tx.QueryRowContext(ctx, "SELECT "+userSessionColumns+" FROM user_sessions WHERE id = ? AND user_id = ?", id, userID))
		if err != nil {
			return err
		}
		if err := fn(&us); err != nil {
			return passThrough{err}
		}
		if us.ID != id || us.UserID != userID {
			return fmt.Errorf("the update changed the session's id or user")
		}
		_, err = tx.ExecContext(ctx, updateUserSession, append(userSessionArgs(&us), id)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update user session %s", id)
	}
	return &us, nil
}

// ListUserSessions lists the user's live sessions, most recently seen first.
func (s *Store) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]gateway.UserSession, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+userSessionColumns+` FROM user_sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY last_seen_at DESC, id DESC`, userID, timeCol(now))
	ss, err := scanAll(rows, err, scanUserSession)
	return ss, mapErr(err, "list user sessions")
}

// RevokeUserSessions revokes one of the user's sessions, or all of them.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, id string, now time.Time) (int, error) {
	q := "UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
	args := []any{timeCol(now), userID}
	if id != "" {
		q += " AND id = ?"
		args = append(args, id)
	}
	res, err := s.writer.ExecContext(ctx, q, args...)
	if id != "" {
		err = touched(res, err)
	}
	if err != nil {
		return 0, mapErr(err, "revoke sessions of user %s", userID)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err, "revoke sessions of user %s", userID)
}

// CreateInvite stores an invite.
func (s *Store) CreateInvite(ctx context.Context, inv *gateway.Invite) error {
	_, err := s.writer.ExecContext(ctx, insertInvite, inviteArgs(inv)...)
	return mapErr(err, "create invite %s", inv.ID)
}

// GetInvite finds an invite by its token hash.
func (s *Store) GetInvite(ctx context.Context, tokenHash []byte) (*gateway.Invite, error) {
	inv, err := getInvite(ctx, s.reader, tokenHash)
	if err != nil {
		return nil, mapErr(err, "get invite")
	}
	return &inv, nil
}

func getInvite(ctx context.Context, q querier, tokenHash []byte) (gateway.Invite, error) {
	return scanInvite(q.QueryRowContext(ctx, "SELECT "+inviteColumns+" FROM invites WHERE token_hash = ?", tokenHash))
}

// ListInvites lists the merchant's pending invites, newest first.
func (s *Store) ListInvites(ctx context.Context, merchantID string, now time.Time) ([]gateway.Invite, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+inviteColumns+` FROM invites
		WHERE merchant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, merchantID, timeCol(now))
	is, err := scanAll(rows, err, scanInvite)
	return is, mapErr(err, "list invites")
}

// RevokeInvite revokes the merchant's pending invite id.
func (s *Store) RevokeInvite(ctx context.Context, merchantID, id string, now time.Time) error {
	res, err := s.writer.ExecContext(ctx, `UPDATE invites SET revoked_at = ?
		WHERE id = ? AND merchant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
		timeCol(now), id, merchantID, timeCol(now))
	return mapErr(touched(res, err), "revoke invite %s", id)
}

// AcceptInvite uses a pending invite once: see gateway.AccountStore.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash []byte, now time.Time, newUser *gateway.User, userID string) (*gateway.Invite, error) {
	var inv gateway.Invite
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if inv, err = getInvite(ctx, tx, tokenHash); err != nil {
			return err
		}
		if !inv.Pending(now) {
			return sql.ErrNoRows
		}
		if _, err := tx.ExecContext(ctx, "UPDATE invites SET accepted_at = ? WHERE id = ?", timeCol(now), inv.ID); err != nil {
			return err
		}
		inv.AcceptedAt = now
		if newUser != nil {
			if _, err := tx.ExecContext(ctx, insertUser, userArgs(newUser)...); err != nil {
				return err
			}
		}
		m := gateway.Membership{UserID: userID, MerchantID: inv.MerchantID, Role: inv.Role, CreatedAt: now}
		_, err = tx.ExecContext(ctx, insertMembership, membershipArgs(&m)...)
		return err
	})
	if err != nil {
		return nil, mapErr(err, "accept invite")
	}
	return &inv, nil
}

// InsertAudit appends an audit entry.
func (s *Store) InsertAudit(ctx context.Context, e *gateway.AuditEntry) error {
	_, err := s.writer.ExecContext(ctx, insertAudit, auditArgs(e)...)
	return mapErr(err, "insert audit entry %s", e.ID)
}

// ListAudit lists the merchant's audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, merchantID string, before time.Time, limit int) ([]gateway.AuditEntry, error) {
	q := "SELECT " + auditColumns + " FROM audit_log WHERE merchant_id = ?"
	args := []any{merchantID}
	if !before.IsZero() {
		q += " AND created_at < ?"
		args = append(args, timeCol(before))
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.reader.QueryContext(ctx, q, args...)
	es, err := scanAll(rows, err, scanAudit)
	return es, mapErr(err, "list audit log")
}

// ListAPIKeys lists the merchant's active keys: live before test, pk before
// sk, with when each was last used.
func (s *Store) ListAPIKeys(ctx context.Context, merchantID string) ([]gateway.APIKey, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+qualify("k", apiKeyColumns)+`, u.last_used_at
		FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id
		WHERE k.merchant_id = ? AND k.revoked_at IS NULL ORDER BY k.mode, k.kind, k.id`, merchantID)
	ks, err := scanAll(rows, err, func(r rowScanner) (gateway.APIKey, error) {
		var k gateway.APIKey
		err := r.Scan(append(apiKeyDests(&k), (*timeCol)(&k.LastUsedAt))...)
		return k, err
	})
	return ks, mapErr(err, "list api keys of %s", merchantID)
}

// TouchAPIKeyUse records a key's use; the latest time wins. It need not
// survive a power failure (a later request records it again), so it
// commits without waiting for fsync.
func (s *Store) TouchAPIKeyUse(ctx context.Context, keyID string, at time.Time) error {
	err := s.writeUnsynced(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_key_usage (key_id, last_used_at) VALUES (?, ?)
			ON CONFLICT (key_id) DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)`, keyID, timeCol(at))
		return err
	})
	return mapErr(err, "touch api key %s", keyID)
}
