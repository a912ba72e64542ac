package nwc_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip44"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/nostrrelay"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// setup is one test's relay, wallet service and client.
type setup struct {
	relay  *nostrrelay.Relay
	svc    *service
	client *nwc.Client
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSetup(t *testing.T, o serviceOpts, cfg nwc.Config) *setup {
	t.Helper()
	relay := nostrrelay.Start(t)
	svc := newService(t, relay, o)
	logs := &syncBuffer{}
	cfg.Connection = svc.connection()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Timeout = cmpOr(cfg.Timeout, 5*time.Second)
	cfg.MaxBackoff = cmpOr(cfg.MaxBackoff, 100*time.Millisecond)
	c, err := nwc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &setup{relay: relay, svc: svc, client: c, logs: logs}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), svc.client) {
			t.Error("the connection secret reached the log")
		}
	})
	return s
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func newInvoice(t *testing.T, c *nwc.Client) gateway.Invoice {
	t.Helper()
	inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{
		AmountMsat: 21_000, Memo: t.Name(), ExpiresAt: time.Now().Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// subscribe runs SubscribeSettled until the test ends and delivers its
// hashes and its end.
func subscribe(t *testing.T, c *nwc.Client) (<-chan string, <-chan error) {
	t.Helper()
	hashes := make(chan string, 16)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go func() {
		done <- c.SubscribeSettled(ctx, 7, nil, func(hash string, idx uint64) error {
			if idx != 0 {
				t.Errorf("settle index %d, want 0 (NWC has no cursor)", idx)
			}
			hashes <- hash
			return nil
		})
	}()
	return hashes, done
}

// waitSubscribed waits until the relay has seen the notification REQ.
func waitSubscribed(t *testing.T, r *nostrrelay.Relay, after int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		seen := r.Seen()
		for _, s := range seen[min(after, len(seen)):] {
			if s.Filter != nil && slices.Contains(s.Filter.Kinds, nwc.KindNotificationNIP44) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the client never subscribed to notifications")
}

func TestConformanceAgainstTestService(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{})
	network, err := s.client.Test(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if network != "regtest" || s.client.Encryption() != "nip44_v2" {
		t.Fatalf("Test() = %q, encryption %q; want regtest over nip44_v2", network, s.client.Encryption())
	}
	wallettest.Run(t, wallettest.Harness{
		Wallet: s.client,
		Pay: func(t *testing.T, pr string, _ gateway.MilliSat) {
			d, err := bolt11.Decode(pr)
			if err != nil {
				t.Fatal(err)
			}
			s.svc.pay(d.PaymentHash)
		},
		Decode: bolt11.Decode,
	})
}

func TestSpendCapableRefused(t *testing.T) {
	for _, method := range []string{"pay_invoice", "pay_keysend", "multi_pay_invoice", "multi_pay_keysend", "create_connection"} {
		t.Run(method, func(t *testing.T) {
			s := newSetup(t, serviceOpts{methods: append(slices.Clone(receiveOnly), method), nip44: true}, nwc.Config{})
			_, err := s.client.Test(t.Context())
			if !errors.Is(err, nwc.ErrNotReceiveOnly) {
				t.Fatalf("Test() = %v, want ErrNotReceiveOnly", err)
			}
			if !strings.Contains(err.Error(), method) || !strings.Contains(err.Error(), `"Read Only"`) {
				t.Errorf("error %q does not name %s and say how to make a receive-only connection", err, method)
			}
			// Nor is it used later.
			_, err = s.client.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
			if !errors.Is(err, nwc.ErrNotReceiveOnly) {
				t.Errorf("CreateInvoice = %v, want ErrNotReceiveOnly", err)
			}
			for _, ev := range s.svc.received() {
				if m := s.svc.method(t, ev); m != "get_info" {
					t.Errorf("the client sent %s to a spend-capable connection", m)
				}
			}
		})
	}
	t.Run("without make_invoice", func(t *testing.T) {
		s := newSetup(t, serviceOpts{methods: []string{"get_info", "lookup_invoice"}, nip44: true}, nwc.Config{})
		if _, err := s.client.Test(t.Context()); err == nil || !strings.Contains(err.Error(), "make_invoice") {
			t.Fatalf("Test() = %v, want an error naming make_invoice", err)
		}
	})
}

// method decrypts a request the service received and returns its method.
func (s *service) method(t *testing.T, ev *nostr.Event) string {
	t.Helper()
	enc := "nip04"
	if tag := ev.Tags.Find("encryption"); tag != nil {
		enc = tag.Value()
	}
	plain, err := s.decrypt(enc, ev.Content)
	if err != nil {
		t.Fatalf("request %s does not decrypt with %s: %v", ev.ID, enc, err)
	}
	var req struct {
		Method string `json:"method"`
	}
	json.Unmarshal([]byte(plain), &req)
	return req.Method
}

func TestRequestsCarryExpirationAndEncryption(t *testing.T) {
	timeout := 7 * time.Second
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{Timeout: timeout})
	before := time.Now()
	newInvoice(t, s.client)
	after := time.Now()
	reqs := s.svc.received()
	if len(reqs) != 2 { // get_info, make_invoice
		t.Fatalf("the service received %d requests, want 2", len(reqs))
	}
	for _, ev := range reqs {
		exp := ev.Tags.Find("expiration")
		if exp == nil {
			t.Fatalf("request %s has no expiration tag: %v", ev.ID, ev.Tags)
		}
		at, err := strconv.ParseInt(exp.Value(), 10, 64)
		if err != nil || at < before.Unix() || at > after.Add(timeout+2*time.Second).Unix() {
			t.Errorf("expiration %q, want a time within the request timeout (%s) from now", exp.Value(), timeout)
		}
		if ev.Kind != nwc.KindRequest || ev.Tags.FindWithValue("p", s.svc.pub) == nil {
			t.Errorf("request kind %d tags %v, want kind 23194 to the wallet", ev.Kind, ev.Tags)
		}
		if enc := ev.Tags.Find("encryption"); enc == nil || enc.Value() != "nip44_v2" {
			t.Errorf("request tags %v, want encryption nip44_v2", ev.Tags)
		}
		key, _ := nip44.GenerateConversationKey(s.svc.clientP, s.svc.secret)
		if _, err := nip44.Decrypt(ev.Content, key); err != nil {
			t.Errorf("request content is not NIP-44: %v", err)
		}
	}
}

func TestSubscribesToTheResponseBeforePublishing(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{})
	inv := newInvoice(t, s.client)
	if _, err := s.client.LookupInvoice(t.Context(), inv.PaymentHash); err != nil {
		t.Fatal(err)
	}
	seen := s.relay.Seen()
	requests := 0
	for i, msg := range seen {
		if msg.Event == nil || msg.Event.Kind != nwc.KindRequest {
			continue
		}
		requests++
		subscribed := false
		for _, prev := range seen[:i] {
			f := prev.Filter
			if f != nil && slices.Contains(f.Kinds, nwc.KindResponse) && slices.Contains(f.Tags["e"], msg.Event.ID) &&
				slices.Contains(f.Tags["p"], s.client.PubKey()) && slices.Contains(f.Authors, s.svc.pub) {
				subscribed = true
			}
		}
		if !subscribed {
			t.Errorf("request %s reached the relay before a subscription to its response", msg.Event.ID)
		}
	}
	if requests != 3 {
		t.Fatalf("the relay saw %d requests, want 3 (get_info, make_invoice, lookup_invoice)", requests)
	}
}

func TestNIP04Fallback(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: false}, nwc.Config{})
	if _, err := s.client.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.client.Encryption(); got != "nip04" {
		t.Fatalf("Encryption() = %q for a wallet whose info event offers no nip44_v2, want nip04", got)
	}
	for _, ev := range s.svc.received() {
		if ev.Tags.Find("encryption") != nil || !strings.Contains(ev.Content, "?iv=") {
			t.Errorf("request %s: tags %v, want NIP-04 content and no encryption tag", ev.ID, ev.Tags)
		}
	}
	// Notifications come as kind 23196 only, and settle.
	after := len(s.relay.Seen())
	hashes, _ := subscribe(t, s.client)
	waitSubscribed(t, s.relay, after)
	inv := newInvoice(t, s.client)
	s.svc.pay(inv.PaymentHash)
	select {
	case h := <-hashes:
		if h != inv.PaymentHash {
			t.Fatalf("notified %s, want %s", h, inv.PaymentHash)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no settlement from a NIP-04 notification")
	}
	got, err := s.client.LookupInvoice(t.Context(), inv.PaymentHash)
	if err != nil || got.State != gateway.InvoiceSettled {
		t.Fatalf("lookup after payment: %+v, %v", got, err)
	}
}

func TestForgedNotificationsSettleNothing(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{})
	after := len(s.relay.Seen())
	hashes, _ := subscribe(t, s.client)
	waitSubscribed(t, s.relay, after)
	victim := newInvoice(t, s.client)
	tx := func(hash, preimage string) map[string]any {
		return map[string]any{"notification_type": "payment_received", "notification": map[string]any{
			"type": "incoming", "state": "settled", "payment_hash": hash, "preimage": preimage, "amount": 21000}}
	}
	// Signed by the wallet service, but the preimage is not the hash's.
	s.svc.notify(tx(victim.PaymentHash, strings.Repeat("ab", 32)))
	// No preimage at all.
	s.svc.notify(tx(victim.PaymentHash, ""))
	// Malformed.
	s.svc.notify("not a notification")
	// A relay (khatru.AddEvent skips the signature check a client's EVENT
	// gets) hands out a wallet-authored event with another key's signature.
	pre := make([]byte, 32)
	b, _ := json.Marshal(tx(victim.PaymentHash, hex.EncodeToString(pre)))
	key, _ := nip44.GenerateConversationKey(s.svc.clientP, s.svc.secret)
	content, _ := nip44.Encrypt(string(b), key)
	forged := &nostr.Event{Kind: nwc.KindNotificationNIP44, CreatedAt: nostr.Now(),
		Tags: nostr.Tags{{"p", s.svc.clientP}}, Content: content}
	forged.Sign(nostr.GeneratePrivateKey())
	forged.PubKey = s.svc.pub
	forged.ID = forged.GetID()
	if err := s.relay.Publish(t.Context(), forged); err != nil {
		t.Fatal(err)
	}
	// Then a genuine payment: the only settlement seen.
	genuine := newInvoice(t, s.client)
	s.svc.pay(genuine.PaymentHash)
	select {
	case h := <-hashes:
		if h != genuine.PaymentHash {
			t.Fatalf("a forged notification settled %s", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the genuine payment was not notified")
	}
	select {
	case h := <-hashes:
		t.Fatalf("a second settlement %s (repeats must be dropped, forgeries ignored)", h)
	default:
	}
	if got, err := s.client.LookupInvoice(t.Context(), victim.PaymentHash); err != nil || got.State != gateway.InvoiceOpen {
		t.Errorf("victim invoice reads %+v, %v; want open", got, err)
	}
	if !strings.Contains(s.logs.String(), "preimage does not match") {
		t.Error("the forged notification was not logged")
	}
}

func TestLookupRefusesSettledWithoutPreimage(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{})
	inv := newInvoice(t, s.client)
	s.svc.mu.Lock()
	si := s.svc.invoices[inv.PaymentHash]
	si.settledAt, si.preimage = time.Now().Unix(), strings.Repeat("00", 32) // a lie
	s.svc.mu.Unlock()
	got, err := s.client.LookupInvoice(t.Context(), inv.PaymentHash)
	if err == nil || got.State == gateway.InvoiceSettled {
		t.Fatalf("LookupInvoice = %+v, %v; want an error, never settled", got, err)
	}
}

func TestRelayDownThenBack(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{Timeout: 2 * time.Second})
	if _, err := s.client.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := len(s.relay.Seen())
	_, done := subscribe(t, s.client)
	waitSubscribed(t, s.relay, after)

	s.relay.Stop()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "relay connection lost") {
			t.Fatalf("SubscribeSettled ended with %v, want the loss", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SubscribeSettled did not notice the relay going down")
	}
	if _, err := s.client.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)}); err == nil {
		t.Fatal("an invoice was made with the relay down")
	}

	s.svc.stop()
	if err := s.relay.Restart(); err != nil {
		t.Fatal(err)
	}
	s.svc.start()
	// The client redials by itself (backoff capped at 100ms here).
	inv := newInvoice(t, s.client)
	after = len(s.relay.Seen())
	hashes, _ := subscribe(t, s.client)
	waitSubscribed(t, s.relay, after)
	s.svc.pay(inv.PaymentHash)
	select {
	case h := <-hashes:
		if h != inv.PaymentHash {
			t.Fatalf("notified %s, want %s", h, inv.PaymentHash)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after the relay came back")
	}
}

func TestWalletAsleep(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{Timeout: 3 * time.Second})
	if _, err := s.client.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.svc.stop() // Alby Hub offline: nobody answers on the relay
	start := time.Now()
	_, err := s.client.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
	if err == nil {
		t.Fatal("an invoice was made with the wallet service asleep")
	}
	if !strings.Contains(err.Error(), "no wallet service is listening") {
		t.Errorf("error %q does not say the wallet service is offline", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("CreateInvoice took %s with the wallet asleep, want at most the 3s timeout", took)
	}
	s.svc.start()
	newInvoice(t, s.client)
}

func TestParseURI(t *testing.T) {
	pub := "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
	secret := "8d4a7b23f5c1e9d60b2f47a3c8e15d9b6f0a2c4e7d1b3f5a9c8e6d4b2a0f1e3d"
	c, err := nwc.ParseURI("nostr+walletconnect://" + pub + "?relay=wss%3A%2F%2Frelay.getalby.com%2Fv1&relay=wss://Relay2.example.com/&secret=" + secret + "&lud16=shop%40getalby.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.WalletPubKey != pub || c.Secret != secret || !slices.Equal(c.Relays, []string{"wss://relay.getalby.com/v1", "wss://relay2.example.com"}) {
		t.Fatalf("parsed %+v", c)
	}
	if back, err := nwc.ParseURI(c.String()); err != nil || !slices.Equal(back.Relays, c.Relays) || back.Secret != secret {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	bad := map[string]string{
		"scheme":               "nostrwalletconnect://" + pub + "?relay=wss://r.example&secret=" + secret,
		"pubkey":               "nostr+walletconnect://abc?relay=wss://r.example&secret=" + secret,
		"pubkey off the curve": "nostr+walletconnect://" + strings.Repeat("ff", 32) + "?relay=wss://r.example&secret=" + secret,
		"no secret":            "nostr+walletconnect://" + pub + "?relay=wss://r.example",
		"short secret":         "nostr+walletconnect://" + pub + "?relay=wss://r.example&secret=" + secret[:60],
		"zero secret":          "nostr+walletconnect://" + pub + "?relay=wss://r.example&secret=" + strings.Repeat("0", 64),
		"no relay":             "nostr+walletconnect://" + pub + "?secret=" + secret,
		"http relay":           "nostr+walletconnect://" + pub + "?relay=https://r.example&secret=" + secret,
		"relay no host":        "nostr+walletconnect://" + pub + "?relay=wss://&secret=" + secret,
	}
	for name, uri := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := nwc.ParseURI(uri)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), secret[:20]) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestLiveMeansSubscribed(t *testing.T) {
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{})
	inv := newInvoice(t, s.client)
	hashes := make(chan string, 4)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	lives := 0
	go s.client.SubscribeLive(ctx, func() {
		lives++
		s.svc.pay(inv.PaymentHash) // paid the moment the client says it listens
	}, func(hash string) error {
		hashes <- hash
		return nil
	})
	select {
	case h := <-hashes:
		if h != inv.PaymentHash || lives != 1 {
			t.Fatalf("notified %s after %d live calls, want %s after 1", h, lives, inv.PaymentHash)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a payment made right after live was not delivered")
	}
}

func TestDialsThroughTheGivenDialer(t *testing.T) {
	var mu sync.Mutex
	var dialed []string
	guard := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	s := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{DialContext: guard})
	if _, err := s.client.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := slices.Clone(dialed)
	mu.Unlock()
	if len(got) == 0 || got[0] != strings.TrimPrefix(s.relay.URL, "ws://") {
		t.Fatalf("dialled %v through the guard, want the relay %s", got, s.relay.URL)
	}

	refusing := func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("blocked by the guard")
	}
	s2 := newSetup(t, serviceOpts{methods: receiveOnly, nip44: true}, nwc.Config{DialContext: refusing, Timeout: time.Second})
	if _, err := s2.client.Test(t.Context()); err == nil || !strings.Contains(err.Error(), "blocked by the guard") {
		t.Fatalf("Test() through a refusing guard = %v, want its refusal", err)
	}
}
