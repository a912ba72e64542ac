package gateway

import (
	"testing"
	"time"
)

// TestTOTPVectors checks the SHA-1 test vectors of RFC 6238, appendix B.
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := TOTPCode(secret, TOTPStepAt(time.Unix(tt.unix, 0)), 8); got != tt.want {
			t.Errorf("TOTP at %d = %s, want %s", tt.unix, got, tt.want)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	step := TOTPStepAt(now)
	code := TOTPCode(secret, step, TOTPDigits)
	if got, ok := VerifyTOTP(secret, code, now, 0); !ok || got != step {
		t.Fatalf("VerifyTOTP(current code) = %d, %v; want %d, true", got, ok, step)
	}
	if _, ok := VerifyTOTP(secret, code, now.Add(TOTPStep), 0); !ok {
		t.Error("a code one step old is refused; want accepted (clock skew)")
	}
	if _, ok := VerifyTOTP(secret, code, now.Add(3*TOTPStep), 0); ok {
		t.Error("a code three steps old is accepted")
	}
	if _, ok := VerifyTOTP(secret, code, now, step); ok {
		t.Error("a code is accepted twice")
	}
	if _, ok := VerifyTOTP(secret, "12345", now, 0); ok {
		t.Error("a 5-digit code is accepted")
	}
	wrong := TOTPCode([]byte("another secret 12345"), step, TOTPDigits)
	if wrong != code {
		if _, ok := VerifyTOTP(secret, wrong, now, 0); ok {
			t.Error("another secret's code is accepted")
		}
	}
}

func TestRolePermissions(t *testing.T) {
	all := []Permission{PermViewPayments, PermExport, PermManagePayments, PermManageProducts, PermManageWebhooks,
		PermManageWallet, PermManageKeys, PermManageSettings, PermManageTeam, PermViewAudit}
	want := map[Role][]Permission{
		RoleOwner:      all,
		RoleManager:    {PermViewPayments, PermManagePayments, PermManageProducts, PermManageWebhooks, PermManageWallet},
		RoleAccountant: {PermViewPayments, PermExport},
	}
	for _, r := range Roles {
		has := map[Permission]bool{}
		for _, p := range want[r] {
			has[p] = true
		}
		for _, p := range all {
			if got := r.Can(p); got != has[p] {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, has[p])
			}
		}
	}
	if Role("admin").Can(PermViewPayments) {
		t.Error("an unknown role has a permission")
	}
}
