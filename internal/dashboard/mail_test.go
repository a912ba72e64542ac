package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// outbox records what the dashboard asked to mail (internal/mail's own
// tests send through a real SMTP exchange).
type outbox struct {
	mu   sync.Mutex
	sent []string // "to|link"
}

func (o *outbox) Invite(_ context.Context, to, merchant, role, link string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, to+"|"+link)
	return nil
}

func (o *outbox) PasswordReset(_ context.Context, to, link string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, to+"|"+link)
	return nil
}

func (o *outbox) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		return ""
	}
	return o.sent[len(o.sent)-1]
}

func TestPasswordResetByMail(t *testing.T) {
	box := &outbox{}
	e := setup(t, func(_ *gateway.AccountsConfig, d *Config) { d.Mail = box })
	m := e.merchant("Alpha Shop")
	signedIn, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)

	b := e.browser()
	unknown := b.post("/dashboard/reset", url.Values{"email": {"nobody@example.com"}}).want(t, http.StatusOK)
	if box.last() != "" {
		t.Fatal("mail sent for an unknown email")
	}
	known := b.post("/dashboard/reset", url.Values{"email": {"Ada@example.com"}}).want(t, http.StatusOK)
	if normalise(unknown.body, "x") != normalise(known.body, "x") {
		t.Error("the answer differs for a known and an unknown email")
	}
	sent := box.last()
	link := regexp.MustCompile(`\|` + regexp.QuoteMeta(e.url) + `(/dashboard/reset/[A-Za-z0-9_-]+)$`).FindStringSubmatch(sent)
	if !strings.HasPrefix(sent, "ada@example.com|") || link == nil {
		t.Fatalf("sent %q", sent)
	}
	b.get(link[1]).want(t, http.StatusOK)
	b.post(link[1], url.Values{"password": {"short"}}).want(t, http.StatusUnprocessableEntity)
	r := b.post(link[1], url.Values{"password": {"a brand new password"}}).want(t, http.StatusSeeOther)
	if r.location != "/dashboard/signin?notice=password_reset" {
		t.Errorf("after reset: %q", r.location)
	}
	signedIn.get("/dashboard").want(t, http.StatusSeeOther) // signed out everywhere
	b.get(link[1]).want(t, http.StatusNotFound)             // used
	b.signIn("ada@example.com", testPassword).want(t, http.StatusUnauthorized)
	b.signIn("ada@example.com", "a brand new password").want(t, http.StatusSeeOther)
	e.browser().get("/dashboard/reset/"+strings.Repeat("A", 60)).want(t, http.StatusNotFound)
}

func TestResetWithoutMail(t *testing.T) {
	e := setup(t)
	b := e.browser()
	r := b.get("/dashboard/reset").want(t, http.StatusOK)
	if !strings.Contains(r.body, "satsrail user reset-password") {
		t.Error("without mail the page does not point to the CLI")
	}
	b.post("/dashboard/reset", url.Values{"email": {"ada@example.com"}}).want(t, http.StatusNotFound)
}

func TestInviteByMail(t *testing.T) {
	box := &outbox{}
	e := setup(t, func(_ *gateway.AccountsConfig, d *Config) { d.Mail = box })
	m := e.merchant("Alpha Shop")
	owner, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	r := owner.post("/dashboard/team/invites", url.Values{"email": {"bob@example.com"}, "role": {"accountant"}}).want(t, http.StatusOK)
	if !strings.Contains(r.body, "it was emailed too") {
		t.Error("the page does not say the link was emailed")
	}
	link := linkRE.FindString(r.body)
	if box.last() != "bob@example.com|"+e.url+link {
		t.Errorf("mailed %q, want bob and the shown link %s", box.last(), link)
	}
}
