package mail

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"testing"
)

// message is one mail the test server received.
type message struct {
	auth     string // the AUTH PLAIN credentials, decoded
	from, to string
	data     string
}

// smtpServer is a minimal SMTP server (RFC 5321's happy path plus AUTH
// PLAIN) started inside the test, on loopback.
func smtpServer(t *testing.T) (addr string, got chan message) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan message, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(conn, got)
		}
	}()
	return ln.Addr().String(), got
}

func serveSMTP(conn net.Conn, got chan message) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { conn.Write([]byte(s + "\r\n")) }
	say("220 test ESMTP")
	var m message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-test")
			say("250 AUTH PLAIN")
		case "AUTH":
			parts := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			m.auth = strings.ReplaceAll(string(b), "\x00", "|")
			say("235 ok")
		case "MAIL":
			m.from = line
			say("250 ok")
		case "RCPT":
			m.to = line
			say("250 ok")
		case "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			m.data = data.String()
			got <- m
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 no")
		}
	}
}

func TestInvite(t *testing.T) {
	addr, got := smtpServer(t)
	m, err := New(Config{URL: "smtp://pay%40shop.example:s3cret@" + addr, From: "satsrail <pay@shop.example>"})
	if err != nil {
		t.Fatal(err)
	}
	link := "https://pay.example.com/dashboard/invite/abc123"
	if err := m.Invite(context.Background(), "bob@example.com", "Ada's\r\nTea", "manager", link); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	if msg.auth != "|pay@shop.example|s3cret" {
		t.Errorf("auth %q", msg.auth)
	}
	if msg.from != "MAIL FROM:<pay@shop.example>" || !strings.HasPrefix(msg.to, "RCPT TO:<bob@example.com>") {
		t.Errorf("envelope %q %q", msg.from, msg.to)
	}
	for _, want := range []string{"To: <bob@example.com>\r\n", "Subject: You are invited to Ada's Tea on satsrail\r\n", link + "\r\n", "as manager"} {
		if !strings.Contains(msg.data, want) {
			t.Errorf("message lacks %q:\n%s", want, msg.data)
		}
	}
}

func TestWebhookFailingAndReset(t *testing.T) {
	addr, got := smtpServer(t)
	m, err := New(Config{URL: "smtp://" + addr, From: "pay@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WebhookFailing(context.Background(), "ada@example.com", "Ada", "https://shop.example/hook", 4, "HTTP 500\nSubject: x"); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	if !strings.Contains(msg.data, "https://shop.example/hook") || !strings.Contains(msg.data, "4 deliveries in a row failed. The last error: HTTP 500 Subject: x") {
		t.Errorf("alert:\n%s", msg.data)
	}
	if msg.auth != "" {
		t.Error("authenticated without credentials")
	}
	if err := m.PasswordReset(context.Background(), "ada@example.com", "https://pay.example.com/dashboard/reset/tok"); err != nil {
		t.Fatal(err)
	}
	if msg := <-got; !strings.Contains(msg.data, "/dashboard/reset/tok") {
		t.Errorf("reset:\n%s", msg.data)
	}
}

func TestRefusals(t *testing.T) {
	_, err := New(Config{URL: "http://user:hunter2@mail.example", From: "a@b.example"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: %v (must fail without echoing the password)", err)
	}
	if _, err := New(Config{URL: "smtp://mail.example", From: "not an address"}); err == nil {
		t.Error("a bad From is accepted")
	}
	m, _ := New(Config{URL: "smtp://127.0.0.1:9", From: "a@b.example"})
	if err := m.Send(context.Background(), "bob@example.com\r\nBcc: eve@example.com", "hi", "x"); err == nil {
		t.Error("a recipient with a line break is accepted")
	}
	if err := m.Send(context.Background(), "bob@example.com", "hi\r\nBcc: eve@example.com", "x"); err == nil {
		t.Error("a subject with a line break is accepted")
	}
}
