package storetest

import (
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// user builds a user with every field set.
func user(id, email string, created time.Time) *gateway.User {
	return &gateway.User{
		ID: id, Email: email, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt: created, UpdatedAt: created,
	}
}

func (f *fixture) createUser(t *testing.T, u *gateway.User) {
	t.Helper()
	noErr(t, "CreateUser "+u.ID, f.store.CreateUser(f.ctx, u))
}

func testUsers(t *testing.T, f *fixture) {
	n, err := f.store.CountUsers(f.ctx)
	noErr(t, "CountUsers", err)
	if n != 0 {
		t.Fatalf("CountUsers on a new store = %d, want 0", n)
	}
	ada := user("usr_ada", "ada@example.com", at(0))
	ada.Operator = true
	ada.TOTPSecret = []byte("sealed-secret")
	ada.TOTPLastStep = 12345
	ada.RecoveryCodes = []string{"aa11", "bb22"}
	f.createUser(t, ada)
	bob := user("usr_bob", "bob@example.com", at(-5))
	f.createUser(t, bob)

	t.Run("get returns every field", func(t *testing.T) {
		got, err := f.store.GetUser(f.ctx, ada.ID)
		noErr(t, "GetUser", err)
		diff(t, "user", ada, got)
		wantUTC(t, "user", got.CreatedAt, got.UpdatedAt)
		got, err = f.store.GetUserByEmail(f.ctx, "bob@example.com")
		noErr(t, "GetUserByEmail", err)
		diff(t, "user by email", bob, got)
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := f.store.GetUser(f.ctx, "usr_nobody")
		wantErr(t, "GetUser", err, gateway.ErrNotFound)
		_, err = f.store.GetUserByEmail(f.ctx, "nobody@example.com")
		wantErr(t, "GetUserByEmail", err, gateway.ErrNotFound)
	})
	t.Run("email taken is a conflict", func(t *testing.T) {
		wantErr(t, "CreateUser", f.store.CreateUser(f.ctx, user("usr_ada2", "ada@example.com", at(1))), gateway.ErrConflict)
	})
	t.Run("list oldest first and count", func(t *testing.T) {
		got, err := f.store.ListUsers(f.ctx)
		noErr(t, "ListUsers", err)
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		diff(t, "user ids", []string{"usr_bob", "usr_ada"}, ids)
		n, err := f.store.CountUsers(f.ctx)
		noErr(t, "CountUsers", err)
		if n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}
	})
	t.Run("update", func(t *testing.T) {
		got, err := f.store.UpdateUser(f.ctx, bob.ID, func(u *gateway.User) error {
			u.PasswordHash = "new-hash"
			u.TOTPSecret = []byte("s2")
			u.RecoveryCodes = []string{"cc33"}
			u.UpdatedAt = at(3)
			return nil
		})
		noErr(t, "UpdateUser", err)
		want := *bob
		want.PasswordHash, want.TOTPSecret, want.RecoveryCodes, want.UpdatedAt = "new-hash", []byte("s2"), []string{"cc33"}, at(3)
		diff(t, "updated user", &want, got)
		stored, err := f.store.GetUser(f.ctx, bob.ID)
		noErr(t, "GetUser", err)
		diff(t, "stored user", &want, stored)

		// Turning two-factor off clears the secret and the codes.
		got, err = f.store.UpdateUser(f.ctx, bob.ID, func(u *gateway.User) error {
			u.TOTPSecret, u.RecoveryCodes = nil, nil
			return nil
		})
		noErr(t, "UpdateUser", err)
		if got.TwoFactor() || len(got.RecoveryCodes) != 0 {
			t.Errorf("after clearing: TwoFactor %v, codes %v", got.TwoFactor(), got.RecoveryCodes)
		}
		stored, err = f.store.GetUser(f.ctx, bob.ID)
		noErr(t, "GetUser", err)
		if stored.TwoFactor() || len(stored.RecoveryCodes) != 0 {
			t.Errorf("stored after clearing: TwoFactor %v, codes %v", stored.TwoFactor(), stored.RecoveryCodes)
		}
	})
	t.Run("update callback error writes nothing", func(t *testing.T) {
		_, err := f.store.UpdateUser(f.ctx, ada.ID, func(u *gateway.User) error {
			u.PasswordHash = "lost"
			return gateway.ErrUnauthorized
		})
		wantErr(t, "UpdateUser", err, gateway.ErrUnauthorized)
		got, err := f.store.GetUser(f.ctx, ada.ID)
		noErr(t, "GetUser", err)
		diff(t, "user after failed update", ada, got)
		_, err = f.store.UpdateUser(f.ctx, "usr_nobody", func(*gateway.User) error { return nil })
		wantErr(t, "UpdateUser(unknown)", err, gateway.ErrNotFound)
	})
}

func testCreateAccount(t *testing.T, f *fixture) {
	newAccount := func(n string, first bool) gateway.NewAccount {
		m := &gateway.Merchant{ID: "mer_" + n, Name: "Shop " + n, Email: n + "@shop.example", Status: "active", CreatedAt: at(0), UpdatedAt: at(0)}
		u := user("usr_"+n, n+"@shop.example", at(0))
		return gateway.NewAccount{
			User: u, Merchant: m, Keys: []gateway.APIKey{apiKey(m.ID, "sk_test", "1", at(0)), apiKey(m.ID, "pk_test", "1", at(0))},
			Membership: gateway.Membership{UserID: u.ID, MerchantID: m.ID, Role: gateway.RoleOwner, CreatedAt: at(0)},
			FirstUser:  first,
		}
	}
	first := newAccount("first", true)
	first.User.Operator = true
	noErr(t, "CreateAccount(first)", f.store.CreateAccount(f.ctx, first))
	t.Run("stores user, merchant, keys and membership", func(t *testing.T) {
		u, err := f.store.GetUser(f.ctx, first.User.ID)
		noErr(t, "GetUser", err)
		diff(t, "user", first.User, u)
		m, err := f.store.GetMerchant(f.ctx, first.Merchant.ID)
		noErr(t, "GetMerchant", err)
		diff(t, "merchant", first.Merchant, m)
		p, err := f.store.PrincipalByKeyHash(f.ctx, gateway.HashKey(keySecret(first.Merchant.ID, "sk_test", "1")))
		noErr(t, "PrincipalByKeyHash", err)
		if p.Merchant.ID != first.Merchant.ID {
			t.Errorf("key belongs to %s", p.Merchant.ID)
		}
		ms, err := f.store.ListMemberships(f.ctx, first.User.ID)
		noErr(t, "ListMemberships", err)
		want := first.Membership
		want.MerchantName, want.UserEmail = first.Merchant.Name, first.User.Email
		diff(t, "memberships", []gateway.Membership{want}, ms)
	})
	t.Run("a second first-user sign-up is refused and stores nothing", func(t *testing.T) {
		again := newAccount("second", true)
		wantErr(t, "CreateAccount(second first)", f.store.CreateAccount(f.ctx, again), gateway.ErrConflict)
		_, err := f.store.GetUser(f.ctx, again.User.ID)
		wantErr(t, "GetUser", err, gateway.ErrNotFound)
		_, err = f.store.GetMerchant(f.ctx, again.Merchant.ID)
		wantErr(t, "GetMerchant", err, gateway.ErrNotFound)
	})
	t.Run("a taken email stores no merchant", func(t *testing.T) {
		dup := newAccount("dup", false)
		dup.User.Email = first.User.Email
		wantErr(t, "CreateAccount(dup email)", f.store.CreateAccount(f.ctx, dup), gateway.ErrConflict)
		_, err := f.store.GetMerchant(f.ctx, dup.Merchant.ID)
		wantErr(t, "GetMerchant", err, gateway.ErrNotFound)
	})
	t.Run("an ordinary sign-up", func(t *testing.T) {
		noErr(t, "CreateAccount", f.store.CreateAccount(f.ctx, newAccount("third", false)))
		n, err := f.store.CountUsers(f.ctx)
		noErr(t, "CountUsers", err)
		if n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}
	})
}

func testMemberships(t *testing.T, f *fixture) {
	ada, bob := user("usr_ada", "ada@example.com", at(0)), user("usr_bob", "bob@example.com", at(0))
	f.createUser(t, ada)
	f.createUser(t, bob)
	owner := gateway.Membership{UserID: ada.ID, MerchantID: f.merchant.ID, Role: gateway.RoleOwner, CreatedAt: at(1)}
	other := gateway.Membership{UserID: ada.ID, MerchantID: f.other.ID, Role: gateway.RoleAccountant, CreatedAt: at(2)}
	manager := gateway.Membership{UserID: bob.ID, MerchantID: f.merchant.ID, Role: gateway.RoleManager, CreatedAt: at(3)}
	for _, m := range []gateway.Membership{owner, other, manager} {
		noErr(t, "CreateMembership", f.store.CreateMembership(f.ctx, m))
	}
	named := func(m gateway.Membership, merchant gateway.Merchant, u *gateway.User) gateway.Membership {
		m.MerchantName, m.UserEmail = merchant.Name, u.Email
		return m
	}
	t.Run("get", func(t *testing.T) {
		got, err := f.store.GetMembership(f.ctx, bob.ID, f.merchant.ID)
		noErr(t, "GetMembership", err)
		want := named(manager, f.merchant, bob)
		diff(t, "membership", &want, got)
		_, err = f.store.GetMembership(f.ctx, bob.ID, f.other.ID)
		wantErr(t, "GetMembership(not a member)", err, gateway.ErrNotFound)
	})
	t.Run("lists", func(t *testing.T) {
		got, err := f.store.ListMemberships(f.ctx, ada.ID)
		noErr(t, "ListMemberships", err)
		diff(t, "ada's memberships", []gateway.Membership{named(owner, f.merchant, ada), named(other, f.other, ada)}, got)
		got, err = f.store.ListMembers(f.ctx, f.merchant.ID)
		noErr(t, "ListMembers", err)
		diff(t, "merchant's members", []gateway.Membership{named(owner, f.merchant, ada), named(manager, f.merchant, bob)}, got)
	})
	t.Run("duplicate is a conflict", func(t *testing.T) {
		dup := owner
		dup.Role = gateway.RoleManager
		wantErr(t, "CreateMembership(dup)", f.store.CreateMembership(f.ctx, dup), gateway.ErrConflict)
	})
	t.Run("delete", func(t *testing.T) {
		noErr(t, "DeleteMembership", f.store.DeleteMembership(f.ctx, f.merchant.ID, bob.ID))
		_, err := f.store.GetMembership(f.ctx, bob.ID, f.merchant.ID)
		wantErr(t, "GetMembership(deleted)", err, gateway.ErrNotFound)
		wantErr(t, "DeleteMembership(again)", f.store.DeleteMembership(f.ctx, f.merchant.ID, bob.ID), gateway.ErrNotFound)
		wantErr(t, "DeleteMembership(other merchant's id)", f.store.DeleteMembership(f.ctx, f.other.ID, bob.ID), gateway.ErrNotFound)
	})
}

func userSession(id string, u *gateway.User, merchantID string, created time.Time) *gateway.UserSession {
	return &gateway.UserSession{
		ID: id, UserID: u.ID, TokenHash: gateway.HashToken("token-" + id), MerchantID: merchantID, Mode: gateway.ModeTest,
		CreatedAt: created, LastSeenAt: created, ReauthAt: created, ExpiresAt: created.Add(24 * time.Hour),
		IP: "192.0.2.7", UserAgent: "Mozilla/5.0 <script>",
	}
}

func testUserSessions(t *testing.T, f *fixture) {
	ada, bob := user("usr_ada", "ada@example.com", at(0)), user("usr_bob", "bob@example.com", at(0))
	f.createUser(t, ada)
	f.createUser(t, bob)
	s1 := userSession("uss_1", ada, f.merchant.ID, at(0))
	s2 := userSession("uss_2", ada, f.merchant.ID, at(1))
	s3 := userSession("uss_3", bob, "", at(2))
	s3.ReauthAt = time.Time{}
	old := userSession("uss_old", ada, "", at(-2000))
	old.ExpiresAt = at(-1)
	for _, s := range []*gateway.UserSession{s1, s2, s3, old} {
		noErr(t, "CreateUserSession", f.store.CreateUserSession(f.ctx, s))
	}
	t.Run("get by token hash", func(t *testing.T) {
		got, err := f.store.GetUserSession(f.ctx, gateway.HashToken("token-uss_3"))
		noErr(t, "GetUserSession", err)
		diff(t, "session", s3, got)
		wantUTC(t, "session", got.CreatedAt, got.LastSeenAt, got.ExpiresAt)
		_, err = f.store.GetUserSession(f.ctx, gateway.HashToken("nope"))
		wantErr(t, "GetUserSession(unknown)", err, gateway.ErrNotFound)
	})
	t.Run("touch and update", func(t *testing.T) {
		noErr(t, "TouchUserSession", f.store.TouchUserSession(f.ctx, s1.ID, at(10)))
		got, err := f.store.UpdateUserSession(f.ctx, ada.ID, s1.ID, func(s *gateway.UserSession) error {
			s.Mode, s.MerchantID, s.ReauthAt = gateway.ModeLive, f.other.ID, at(11)
			return nil
		})
		noErr(t, "UpdateUserSession", err)
		want := *s1
		want.LastSeenAt, want.Mode, want.MerchantID, want.ReauthAt = at(10), gateway.ModeLive, f.other.ID, at(11)
		diff(t, "updated session", &want, got)
		stored, err := f.store.GetUserSession(f.ctx, s1.TokenHash)
		noErr(t, "GetUserSession", err)
		diff(t, "stored session", &want, stored)
		_, err = f.store.UpdateUserSession(f.ctx, bob.ID, s1.ID, func(*gateway.UserSession) error { return nil })
		wantErr(t, "UpdateUserSession(another user's)", err, gateway.ErrNotFound)
		wantErr(t, "TouchUserSession(unknown)", f.store.TouchUserSession(f.ctx, "uss_nope", at(1)), gateway.ErrNotFound)
	})
	t.Run("list is live sessions, most recently seen first", func(t *testing.T) {
		got, err := f.store.ListUserSessions(f.ctx, ada.ID, at(20))
		noErr(t, "ListUserSessions", err)
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		diff(t, "session ids", []string{"uss_1", "uss_2"}, ids)
	})
	t.Run("revoke one, then everywhere", func(t *testing.T) {
		_, err := f.store.RevokeUserSessions(f.ctx, bob.ID, s2.ID, at(21))
		wantErr(t, "RevokeUserSessions(another user's)", err, gateway.ErrNotFound)
		n, err := f.store.RevokeUserSessions(f.ctx, ada.ID, s2.ID, at(21))
		noErr(t, "RevokeUserSessions(one)", err)
		if n != 1 {
			t.Errorf("revoked %d, want 1", n)
		}
		got, err := f.store.GetUserSession(f.ctx, s2.TokenHash)
		noErr(t, "GetUserSession", err)
		if !got.RevokedAt.Equal(at(21)) {
			t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at(21))
		}
		_, err = f.store.RevokeUserSessions(f.ctx, ada.ID, s2.ID, at(22))
		wantErr(t, "RevokeUserSessions(revoked)", err, gateway.ErrNotFound)
		n, err = f.store.RevokeUserSessions(f.ctx, ada.ID, "", at(23))
		noErr(t, "RevokeUserSessions(all)", err)
		if n != 2 { // s1 and the expired one
			t.Errorf("revoked %d, want 2", n)
		}
		live, err := f.store.ListUserSessions(f.ctx, ada.ID, at(23))
		noErr(t, "ListUserSessions", err)
		diff(t, "ada's live sessions", []gateway.UserSession(nil), live)
		live, err = f.store.ListUserSessions(f.ctx, bob.ID, at(23))
		noErr(t, "ListUserSessions", err)
		if len(live) != 1 {
			t.Errorf("bob has %d live sessions, want 1 (untouched)", len(live))
		}
	})
}

func testInvites(t *testing.T, f *fixture) {
	ada := user("usr_ada", "ada@example.com", at(0))
	f.createUser(t, ada)
	noErr(t, "CreateMembership", f.store.CreateMembership(f.ctx, gateway.Membership{UserID: ada.ID, MerchantID: f.merchant.ID, Role: gateway.RoleOwner, CreatedAt: at(0)}))
	invite := func(id, email string, role gateway.Role, created time.Time) *gateway.Invite {
		inv := &gateway.Invite{ID: id, MerchantID: f.merchant.ID, Email: email, Role: role, TokenHash: gateway.HashToken("tok-" + id),
			CreatedBy: ada.ID, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		noErr(t, "CreateInvite", f.store.CreateInvite(f.ctx, inv))
		return inv
	}
	i1 := invite("inv_1", "carol@example.com", gateway.RoleManager, at(0))
	i2 := invite("inv_2", "dave@example.com", gateway.RoleAccountant, at(1))
	i3 := invite("inv_3", "ada@example.com", gateway.RoleManager, at(2))
	invite("inv_old", "old@example.com", gateway.RoleManager, at(-120))
	otherInv := &gateway.Invite{ID: "inv_other", MerchantID: f.other.ID, Email: "x@example.com", Role: gateway.RoleOwner,
		TokenHash: gateway.HashToken("tok-other"), CreatedBy: "usr_x", CreatedAt: at(0), ExpiresAt: at(60)}
	noErr(t, "CreateInvite", f.store.CreateInvite(f.ctx, otherInv))

	t.Run("get and list pending, newest first", func(t *testing.T) {
		got, err := f.store.GetInvite(f.ctx, i1.TokenHash)
		noErr(t, "GetInvite", err)
		diff(t, "invite", i1, got)
		list, err := f.store.ListInvites(f.ctx, f.merchant.ID, at(5))
		noErr(t, "ListInvites", err)
		var ids []string
		for _, i := range list {
			ids = append(ids, i.ID)
		}
		diff(t, "invite ids", []string{"inv_3", "inv_2", "inv_1"}, ids)
	})
	t.Run("revoke is scoped and once", func(t *testing.T) {
		wantErr(t, "RevokeInvite(other merchant's)", f.store.RevokeInvite(f.ctx, f.merchant.ID, otherInv.ID, at(5)), gateway.ErrNotFound)
		noErr(t, "RevokeInvite", f.store.RevokeInvite(f.ctx, f.merchant.ID, i2.ID, at(5)))
		wantErr(t, "RevokeInvite(again)", f.store.RevokeInvite(f.ctx, f.merchant.ID, i2.ID, at(6)), gateway.ErrNotFound)
		_, err := f.store.AcceptInvite(f.ctx, i2.TokenHash, at(7), user("usr_dave", "dave@example.com", at(7)), "usr_dave")
		wantErr(t, "AcceptInvite(revoked)", err, gateway.ErrNotFound)
		_, err = f.store.GetUser(f.ctx, "usr_dave")
		wantErr(t, "GetUser(refused invitee)", err, gateway.ErrNotFound)
	})
	t.Run("accept once, with a new user", func(t *testing.T) {
		carol := user("usr_carol", "carol@example.com", at(8))
		got, err := f.store.AcceptInvite(f.ctx, i1.TokenHash, at(8), carol, carol.ID)
		noErr(t, "AcceptInvite", err)
		if got.ID != i1.ID || !got.AcceptedAt.Equal(at(8)) {
			t.Errorf("accepted invite %s at %v", got.ID, got.AcceptedAt)
		}
		m, err := f.store.GetMembership(f.ctx, carol.ID, f.merchant.ID)
		noErr(t, "GetMembership", err)
		if m.Role != gateway.RoleManager {
			t.Errorf("role = %s, want manager", m.Role)
		}
		_, err = f.store.AcceptInvite(f.ctx, i1.TokenHash, at(9), user("usr_eve", "eve@example.com", at(9)), "usr_eve")
		wantErr(t, "AcceptInvite(second use)", err, gateway.ErrNotFound)
	})
	t.Run("expired", func(t *testing.T) {
		_, err := f.store.AcceptInvite(f.ctx, gateway.HashToken("tok-inv_old"), at(10), nil, ada.ID)
		wantErr(t, "AcceptInvite(expired)", err, gateway.ErrNotFound)
	})
	t.Run("already a member: conflict, invite stays pending", func(t *testing.T) {
		_, err := f.store.AcceptInvite(f.ctx, i3.TokenHash, at(10), nil, ada.ID)
		wantErr(t, "AcceptInvite(member already)", err, gateway.ErrConflict)
		got, err := f.store.GetInvite(f.ctx, i3.TokenHash)
		noErr(t, "GetInvite", err)
		if !got.Pending(at(10)) {
			t.Error("a refused acceptance used the invite")
		}
	})
}

func testAuditLog(t *testing.T, f *fixture) {
	entry := func(id, merchant string, created time.Time) *gateway.AuditEntry {
		e := &gateway.AuditEntry{ID: id, MerchantID: merchant, UserID: "usr_ada", Actor: "ada@example.com",
			Action: gateway.AuditKeyRolled, Target: "sk_live", IP: "2001:db8::1", CreatedAt: created}
		noErr(t, "InsertAudit", f.store.InsertAudit(f.ctx, e))
		return e
	}
	a := entry("aud_a", f.merchant.ID, at(0))
	b := entry("aud_b", f.merchant.ID, at(1))
	c := entry("aud_c", f.merchant.ID, at(1))
	entry("aud_other", f.other.ID, at(2))
	got, err := f.store.ListAudit(f.ctx, f.merchant.ID, time.Time{}, 10)
	noErr(t, "ListAudit", err)
	diff(t, "audit log", []gateway.AuditEntry{*c, *b, *a}, got)
	got, err = f.store.ListAudit(f.ctx, f.merchant.ID, time.Time{}, 1)
	noErr(t, "ListAudit(limit)", err)
	diff(t, "audit log limited", []gateway.AuditEntry{*c}, got)
	got, err = f.store.ListAudit(f.ctx, f.merchant.ID, at(1), 10)
	noErr(t, "ListAudit(before)", err)
	diff(t, "audit log before", []gateway.AuditEntry{*a}, got)
}

func testListAPIKeys(t *testing.T, f *fixture) {
	got, err := f.store.ListAPIKeys(f.ctx, f.merchant.ID)
	noErr(t, "ListAPIKeys", err)
	var types []gateway.KeyType
	for _, k := range got {
		types = append(types, k.Type())
	}
	diff(t, "key types", []gateway.KeyType{"pk_live", "sk_live", "pk_test", "sk_test"}, types)

	// A rolled publishable key keeps its sealed value; the old one leaves
	// the list.
	k, _ := gateway.NewAPIKey(f.merchant.ID, gateway.KeyPublishable, gateway.ModeTest, at(5))
	k.PublishableSealed = []byte("sealed pk_test")
	noErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k))
	got, err = f.store.ListAPIKeys(f.ctx, f.merchant.ID)
	noErr(t, "ListAPIKeys", err)
	if len(got) != 4 || got[2].ID != k.ID || string(got[2].PublishableSealed) != "sealed pk_test" {
		t.Errorf("after roll: %+v, want pk_test %s with its sealed value", got, k.ID)
	}
	other, err := f.store.ListAPIKeys(f.ctx, f.other.ID)
	noErr(t, "ListAPIKeys(other)", err)
	if len(other) != 1 {
		t.Errorf("other merchant has %d keys listed, want 1", len(other))
	}
}
