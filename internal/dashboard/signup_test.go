package dashboard

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var skRE = regexp.MustCompile(`sk_test_[0-9A-Za-z]{32}`)

// TestFirstRunSignUp: an empty instance sends its first visitor to the
// sign-up, which makes the operator, its merchant and keys (the secret ones
// shown once), and signs in.
func TestFirstRunSignUp(t *testing.T) {
	e := setup(t)
	b := e.browser()
	r := b.get("/dashboard").want(t, http.StatusSeeOther)
	if r.location != "/dashboard/signin" {
		t.Fatalf("signed-out /dashboard goes to %q", r.location)
	}
	r = b.get("/dashboard/signin").want(t, http.StatusSeeOther)
	if r.location != "/dashboard/signup" {
		t.Fatalf("first-run sign-in goes to %q, want the sign-up", r.location)
	}
	r = b.get("/dashboard/signup").want(t, http.StatusOK)
	if !strings.Contains(r.body, "operator") {
		t.Error("the first-run sign-up does not say its user becomes the operator")
	}
	// A bad form comes back with the domain's field errors, nothing made.
	r = b.post("/dashboard/signup", url.Values{"email": {"not-an-email"}, "password": {"short"}, "business_name": {"Ada's Tea"}}).
		want(t, http.StatusUnprocessableEntity)
	for _, msg := range []string{"Email must be a valid email address", "at least 10 characters"} {
		if !strings.Contains(r.body, msg) {
			t.Errorf("form errors lack %q", msg)
		}
	}
	if strings.Contains(r.body, `value="short"`) {
		t.Error("the password is echoed back into the form")
	}
	r = b.post("/dashboard/signup", url.Values{"email": {"Ada@Example.com"}, "password": {testPassword}, "business_name": {"Ada's Tea"}}).
		want(t, http.StatusCreated)
	sk := skRE.FindString(r.body)
	if sk == "" {
		t.Fatal("the sign-up page does not show the sk_test key")
	}
	if _, err := e.svc.Authenticate(t.Context(), sk); err != nil {
		t.Fatalf("the shown secret key does not authenticate: %v", err)
	}
	// Signed in: the dashboard answers, and the key is never shown again.
	r = b.get("/dashboard").want(t, http.StatusOK)
	if !strings.Contains(r.body, "Ada&#39;s Tea") || !strings.Contains(r.body, "Test mode") {
		t.Errorf("overview lacks the merchant name or the test banner")
	}
	r = b.get("/dashboard/keys").want(t, http.StatusOK)
	if strings.Contains(r.body, sk) {
		t.Error("the keys page shows the secret key again")
	}
	if !strings.Contains(r.body, "pk_test_") {
		t.Error("the keys page does not show the publishable key")
	}
	u, err := e.store.GetUserByEmail(t.Context(), "ada@example.com")
	if err != nil || !u.Operator {
		t.Fatalf("first user: %+v, %v; want an operator with a normalised email", u, err)
	}
	// The second visitor finds sign-up closed (the default policy).
	other := e.browser()
	other.get("/dashboard/signup").want(t, http.StatusForbidden)
	other.post("/dashboard/signup", url.Values{"email": {"eve@example.com"}, "password": {testPassword}, "business_name": {"Eve"}}).
		want(t, http.StatusForbidden)
	if n, _ := e.store.CountUsers(t.Context()); n != 1 {
		t.Errorf("%d users after a refused sign-up, want 1", n)
	}
}
