// Package mail sends the gateway's few emails — invite links, password
// reset links, a "webhook endpoint failing" alert — over SMTP with net/smtp.
// It is optional: without --smtp-url the dashboard shows invite links
// instead and the CLI resets passwords.
package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Config says where to send mail from.
type Config struct {
	// URL is smtp://user:pass@host:port (STARTTLS when the server offers
	// it, and required before a password is sent anywhere but loopback) or
	// smtps://user:pass@host:port (TLS from the first byte).
	URL string
	// From is the sender address, e.g. "satsrail <pay@example.com>".
	From string
	// Timeout bounds one whole send (default 20s).
	Timeout time.Duration
	// TLS, if set, configures the TLS client (tests trust their own CA).
	TLS *tls.Config
}

// Mailer sends mail through one SMTP server.
type Mailer struct {
	addr     string
	host     string
	implicit bool // smtps
	user     string
	pass     string
	from     *mail.Address
	timeout  time.Duration
	tls      *tls.Config
}

// New checks cfg and returns a Mailer. It connects to nothing.
func New(cfg Config) (*Mailer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		// Never echo the URL: it may hold a password.
		return nil, errors.New("mail: --smtp-url must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: --mail-from %q is not an address: %w", cfg.From, err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	m := &Mailer{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), implicit: u.Scheme == "smtps",
		from: from, timeout: cmp.Or(cfg.Timeout, 20*time.Second), tls: cfg.TLS}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	if m.tls == nil {
		m.tls = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	}
	return m, nil
}

// Send sends one plain-text message. Header values with line breaks are
// refused, so no caller can inject headers.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil || strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("mail: refusing recipient or subject with line breaks or no address")
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", m.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tls); err != nil {
				return fmt.Errorf("mail: starttls: %w", err)
			}
		}
	}
	if m.user != "" {
		// PlainAuth itself refuses to send the password over a connection
		// that is neither TLS nor to loopback.
		if err := c.Auth(smtp.PlainAuth("", m.user, m.pass, m.host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	msg := "From: " + m.from.String() + "\r\n" +
		"To: " + rcpt.String() + "\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" + strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return c.Quit()
}

func (m *Mailer) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if m.implicit {
		return (&tls.Dialer{NetDialer: d, Config: m.tls}).DialContext(ctx, "tcp", m.addr)
	}
	return d.DialContext(ctx, "tcp", m.addr)
}

// Invite emails an invite link.
func (m *Mailer) Invite(ctx context.Context, to, merchantName, role, link string) error {
	return m.Send(ctx, to, "You are invited to "+oneLine(merchantName)+" on satsrail",
		"You are invited to join "+oneLine(merchantName)+" as "+role+".\n\n"+
			"Open this link to accept (it works once, for 7 days):\n\n"+link+"\n\n"+
			"If you did not expect this, ignore this email.\n")
}

// PasswordReset emails a password reset link.
func (m *Mailer) PasswordReset(ctx context.Context, to, link string) error {
	return m.Send(ctx, to, "Reset your satsrail password",
		"Someone asked to reset the password of this account.\n\n"+
			"Open this link to choose a new one (it works once, for one hour):\n\n"+link+"\n\n"+
			"If it was not you, ignore this email: your password stays as it is.\n")
}

// WebhookFailing tells a merchant that one of its webhook endpoints keeps
// failing: its URL, how many deliveries failed in a row and the last error.
func (m *Mailer) WebhookFailing(ctx context.Context, to, merchantName, endpointURL string, failures int, lastError string) error {
	return m.Send(ctx, to, "Webhook endpoint failing for "+oneLine(merchantName),
		fmt.Sprintf("satsrail could not deliver events to your webhook endpoint\n\n  %s\n\n"+
			"%d deliveries in a row failed. The last error: %s\n\n"+
			"Deliveries are retried on a schedule; fix the endpoint, then redeliver from the dashboard's Webhooks page.\n",
			endpointURL, failures, oneLine(lastError)))
}

// oneLine keeps a value that goes into a subject or a sentence on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
