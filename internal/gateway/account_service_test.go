package gateway_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/password"
	"github.com/satsrail/satsrail/internal/testdb"
)

func newAccounts(t *testing.T, policy gateway.SignupPolicy) *gateway.Accounts {
	t.Helper()
	svc := gateway.NewService(gateway.Config{Store: testdb.Open(t), Rates: nil})
	acc, err := gateway.NewAccounts(gateway.AccountsConfig{Service: svc, Signup: policy,
		Hasher: password.Hasher{Params: password.Params{MemoryKiB: 256, Time: 1, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func signUp(acc *gateway.Accounts, email string) (*gateway.SignUpResult, error) {
	return acc.SignUp(context.Background(), gateway.SignUpParams{Email: email, Password: "correct horse battery", BusinessName: "Shop of " + email})
}

// TestSignupPolicies: every policy lets the first user of an empty instance
// sign up (and makes it the operator); after that only open does.
func TestSignupPolicies(t *testing.T) {
	for _, tt := range []struct {
		policy     gateway.SignupPolicy
		secondOpen bool
	}{
		{gateway.SignupClosed, false},
		{gateway.SignupInvite, false},
		{gateway.SignupOpen, true},
	} {
		t.Run(string(tt.policy), func(t *testing.T) {
			acc := newAccounts(t, tt.policy)
			first, err := signUp(acc, "first@example.com")
			if err != nil || !first.User.Operator || len(first.Secrets) != 4 {
				t.Fatalf("first sign-up: %+v, %v; want an operator with four keys", first, err)
			}
			second, err := signUp(acc, "second@example.com")
			if tt.secondOpen {
				if err != nil || second.User.Operator {
					t.Errorf("second sign-up: %+v, %v; want a plain user", second, err)
				}
			} else if gateway.ErrorCode(err) != gateway.CodePermissionDenied {
				t.Errorf("second sign-up: %v; want permission_denied", err)
			}
		})
	}
}

// TestFirstRunRace: two first-run sign-ups at once make one operator; under
// the closed policy the other is refused.
func TestFirstRunRace(t *testing.T) {
	acc := newAccounts(t, gateway.SignupClosed)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = signUp(acc, []string{"a@example.com", "b@example.com"}[i]) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if gateway.ErrorCode(err) != gateway.CodePermissionDenied {
			t.Errorf("the losing sign-up: %v, want permission_denied", err)
		}
	}
	users, _ := acc.Users(t.Context())
	if ok != 1 || len(users) != 1 {
		t.Errorf("%d sign-ups succeeded, %d users; want 1 and 1", ok, len(users))
	}
}

func TestSignUpValidation(t *testing.T) {
	acc := newAccounts(t, gateway.SignupOpen)
	_, err := acc.SignUp(t.Context(), gateway.SignUpParams{Email: "x", Password: "short", BusinessName: " "})
	var e *gateway.Error
	if !errors.As(err, &e) || e.Code != gateway.CodeValidation || len(e.Fields) != 3 {
		t.Fatalf("bad sign-up: %v; want 3 field errors", err)
	}
	if _, err := signUp(acc, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = signUp(acc, "ADA@example.com")
	if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "email" {
		t.Errorf("the same email in another case: %v; want an email field error", err)
	}
}

func TestLastOwnerStays(t *testing.T) {
	acc := newAccounts(t, gateway.SignupClosed)
	res, err := signUp(acc, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	act := gateway.Actor{User: res.User}
	err = acc.RemoveMember(t.Context(), act, res.Merchant.ID, res.User.ID)
	if gateway.ErrorCode(err) != gateway.CodeValidation {
		t.Fatalf("removing the last owner: %v, want a validation error", err)
	}
	if err := acc.RemoveMember(t.Context(), act, res.Merchant.ID, "usr_nobody"); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("removing a non-member: %v, want not found", err)
	}
}

// TestInviteTwice: a second invite to someone who joined meanwhile is a
// clear refusal, and an invite is for its email only.
func TestInviteTwice(t *testing.T) {
	acc := newAccounts(t, gateway.SignupClosed)
	res, err := signUp(acc, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	owner := gateway.Actor{User: res.User}
	tok1, _, err := acc.Invite(t.Context(), owner, res.Merchant.ID, gateway.InviteParams{Email: "bob@example.com", Role: "manager"})
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, err := acc.Invite(t.Context(), owner, res.Merchant.ID, gateway.InviteParams{Email: "bob@example.com", Role: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := acc.AcceptInvite(t.Context(), tok1, &owner, "", gateway.Client{}); gateway.ErrorCode(err) != gateway.CodePermissionDenied {
		t.Errorf("accepting bob's invite as ada: %v, want permission_denied", err)
	}
	_, s, err := acc.AcceptInvite(t.Context(), tok1, nil, "correct horse battery", gateway.Client{})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := acc.Service().Store().GetUser(t.Context(), s.UserID)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = acc.AcceptInvite(t.Context(), tok2, &gateway.Actor{User: bob, Session: s}, "", gateway.Client{})
	if gateway.ErrorCode(err) != gateway.CodeValidation {
		t.Errorf("a second invite for a member: %v, want a validation error", err)
	}
}

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }
