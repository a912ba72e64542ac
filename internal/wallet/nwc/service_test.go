package nwc_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip04"
	"github.com/nbd-wtf/go-nostr/nip44"

	"github.com/satsrail/satsrail/internal/nostrrelay"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
)

// service is a NIP-47 wallet service for the tests, following the NIP as
// Alby Hub does: it publishes its info event (kind 13194, with the
// encryption tag when it speaks NIP-44), answers kind 23194 requests from
// the one client it knows with kind 23195 responses (p = client, e =
// request) in the request's encryption, and notifies payments as kind 23197
// (NIP-44) and 23196 (NIP-04). Its invoices are real BOLT11 strings on
// regtest, signed by a node key of its own; setLie makes it hand out
// lying ones.
type service struct {
	t       *testing.T
	relay   *nostrrelay.Relay
	secret  string // the wallet service's key
	pub     string
	client  string // the connection's secret
	clientP string
	// methods is what get_info reports for the connection.
	methods []string
	// nip44 says whether the service speaks NIP-44 (else NIP-04 only,
	// with no encryption tag in its info event).
	nip44   bool
	network string
	node    *btcec.PrivateKey

	mu       sync.Mutex
	invoices map[string]*svcInvoice // by payment hash
	requests []*nostr.Event         // every request received, in order
	conn     *nostr.Relay
	lie      lndsource.Lie // how make_invoice bends its invoices
}

type svcInvoice struct {
	bolt11    string
	preimage  string
	amount    int64
	createdAt int64
	expiresAt int64
	settledAt int64
}

type serviceOpts struct {
	methods []string
	nip44   bool
}

var receiveOnly = []string{"get_info", "make_invoice", "lookup_invoice"}

func newService(t *testing.T, relay *nostrrelay.Relay, o serviceOpts) *service {
	t.Helper()
	s := &service{
		t: t, relay: relay, methods: o.methods, nip44: o.nip44, network: "regtest",
		secret: nostr.GeneratePrivateKey(), client: nostr.GeneratePrivateKey(),
		invoices: map[string]*svcInvoice{},
	}
	s.pub, _ = nostr.GetPublicKey(s.secret)
	s.clientP, _ = nostr.GetPublicKey(s.client)
	var err error
	if s.node, err = btcec.NewPrivateKey(); err != nil {
		t.Fatal(err)
	}
	s.publishInfo()
	s.start()
	t.Cleanup(s.stop)
	return s
}

// connection is the NIP-47 URI a merchant would paste.
func (s *service) connection() nwc.Connection {
	return nwc.Connection{WalletPubKey: s.pub, Relays: []string{s.relay.URL}, Secret: s.client}
}

func (s *service) publishInfo() {
	ev := &nostr.Event{Kind: nwc.KindInfo, CreatedAt: nostr.Now(),
		Content: strings.Join(append(s.methods, "notifications"), " "),
		Tags:    nostr.Tags{{"notifications", "payment_received payment_sent"}}}
	if s.nip44 {
		ev.Tags = append(ev.Tags, nostr.Tag{"encryption", "nip44_v2 nip04"})
	}
	if err := ev.Sign(s.secret); err != nil {
		s.t.Fatal(err)
	}
	if err := s.relay.Publish(context.Background(), ev); err != nil {
		s.t.Fatal(err)
	}
}

// start connects to the relay and serves requests until stop.
func (s *service) start() {
	conn, err := nostr.RelayConnect(context.Background(), s.relay.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	sub, err := conn.Subscribe(context.Background(), nostr.Filters{{
		Kinds: []int{nwc.KindRequest}, Tags: nostr.TagMap{"p": {s.pub}}, LimitZero: true}})
	if err != nil {
		s.t.Fatal(err)
	}
	<-sub.EndOfStoredEvents
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	go func() {
		for ev := range sub.Events {
			s.handle(conn, ev)
		}
	}()
}

func (s *service) stop() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	s.waitGone()
}

// waitGone returns once the relay knows the service is gone: a request
// addressed to it is refused with NIP-01's "mute" (nobody listening). The
// relay learns of a closed websocket on its own time; without this a test
// could publish while the relay still counts the dead subscription.
func (s *service) waitGone() {
	s.t.Helper()
	conn, err := nostr.RelayConnect(context.Background(), s.relay.URL)
	if err != nil {
		return // the relay itself is down: nobody listens there
	}
	defer conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		probe := nostr.Event{Kind: nwc.KindRequest, CreatedAt: nostr.Now(), Tags: nostr.Tags{{"p", s.pub}}, Content: "probe"}
		if err := probe.Sign(nostr.GeneratePrivateKey()); err != nil {
			s.t.Fatal(err)
		}
		err := conn.Publish(context.Background(), probe)
		if err != nil && strings.Contains(err.Error(), "mute") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatal("the relay still counts the stopped wallet service as listening")
}

func (s *service) received() []*nostr.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*nostr.Event(nil), s.requests...)
}

func (s *service) handle(conn *nostr.Relay, ev *nostr.Event) {
	if ok, _ := ev.CheckSignature(); !ok || ev.PubKey != s.clientP {
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, ev)
	s.mu.Unlock()
	enc := "nip04"
	if t := ev.Tags.Find("encryption"); t != nil {
		enc = t.Value()
	}
	if enc == "nip44_v2" && !s.nip44 {
		s.respond(conn, ev, "nip04", map[string]any{"result_type": "", "error": map[string]string{
			"code": "UNSUPPORTED_ENCRYPTION", "message": "nip04 only"}})
		return
	}
	plain, err := s.decrypt(enc, ev.Content)
	if err != nil {
		s.t.Errorf("service: request does not decrypt with %s: %v", enc, err)
		return
	}
	var req struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal([]byte(plain), &req); err != nil {
		s.t.Errorf("service: request %q: %v", plain, err)
		return
	}
	result, code := s.serve(req.Method, req.Params)
	resp := map[string]any{"result_type": req.Method}
	if code != "" {
		resp["error"] = map[string]string{"code": code, "message": "refused by the test service"}
	} else {
		resp["result"] = result
	}
	s.respond(conn, ev, enc, resp)
}

func (s *service) serve(method string, params json.RawMessage) (any, string) {
	switch {
	case method != "get_info" && !contains(s.methods, method):
		return nil, "RESTRICTED"
	case method == "get_info":
		return map[string]any{"alias": "test", "network": s.network, "methods": s.methods,
			"notifications": []string{"payment_received", "payment_sent"}}, ""
	case method == "make_invoice":
		var p struct {
			Amount      int64  `json:"amount"`
			Description string `json:"description"`
			Expiry      int64  `json:"expiry"`
		}
		if err := json.Unmarshal(params, &p); err != nil || p.Amount <= 0 {
			return nil, "OTHER"
		}
		return s.makeInvoice(p.Amount, p.Description, p.Expiry), ""
	case method == "lookup_invoice":
		var p struct {
			PaymentHash string `json:"payment_hash"`
		}
		json.Unmarshal(params, &p)
		s.mu.Lock()
		inv := s.invoices[p.PaymentHash]
		s.mu.Unlock()
		if inv == nil {
			return nil, "NOT_FOUND"
		}
		return s.tx(inv), ""
	}
	return nil, "NOT_IMPLEMENTED"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// setLie makes make_invoice tell lie from now on (lndsource.Truth: none).
func (s *service) setLie(lie lndsource.Lie) {
	s.mu.Lock()
	s.lie = lie
	s.mu.Unlock()
}

// makeInvoice answers make_invoice with a new invoice, bent by the lie set
// as lndsource bends lnd's: 1 sat more than asked, another invoice than
// the payment_hash reported, a mainnet invoice, an expiry an hour later.
// The service signs its own invoices, so each lying one is minted as it is.
func (s *service) makeInvoice(msat int64, description string, expiry int64) map[string]any {
	s.mu.Lock()
	lie := s.lie
	s.mu.Unlock()
	params := &chaincfg.RegressionNetParams
	switch lie {
	case lndsource.LieAmount:
		msat += 1000
	case lndsource.LieExpiry:
		expiry += int64(time.Hour / time.Second)
	case lndsource.LieNetwork:
		params = &chaincfg.MainNetParams
	case lndsource.Truth, lndsource.LieHash:
	default:
		s.t.Errorf("service: unknown lie %q", lie)
	}
	tx := s.tx(s.mint(params, msat, description, expiry))
	if lie == lndsource.LieHash {
		tx["invoice"] = s.mint(params, msat, description, expiry).bolt11
	}
	return tx
}

func (s *service) mint(params *chaincfg.Params, msat int64, description string, expiry int64) *svcInvoice {
	pre := make([]byte, 32)
	rand.Read(pre)
	hash := sha256.Sum256(pre)
	addr := [32]byte{}
	rand.Read(addr[:])
	now := time.Now().Truncate(time.Second)
	features := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(
		lnwire.TLVOnionPayloadRequired, lnwire.PaymentAddrRequired), lnwire.Features)
	inv, err := zpay32.NewInvoice(params, hash, now,
		zpay32.Amount(lnwire.MilliSatoshi(msat)), zpay32.Description(description),
		zpay32.Expiry(time.Duration(expiry)*time.Second), zpay32.CLTVExpiry(80),
		zpay32.PaymentAddr(addr), zpay32.Features(features))
	if err != nil {
		s.t.Fatal(err)
	}
	pr, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(msg []byte) ([]byte, error) {
		return ecdsa.SignCompact(s.node, chainhash.HashB(msg), true), nil
	}})
	if err != nil {
		s.t.Fatal(err)
	}
	si := &svcInvoice{bolt11: pr, preimage: hex.EncodeToString(pre), amount: msat,
		createdAt: now.Unix(), expiresAt: now.Unix() + expiry}
	s.mu.Lock()
	s.invoices[hex.EncodeToString(hash[:])] = si
	s.mu.Unlock()
	return si
}

// tx renders an invoice as a NIP-47 transaction.
func (s *service) tx(inv *svcInvoice) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	pre, _ := hex.DecodeString(inv.preimage)
	hash := sha256.Sum256(pre)
	out := map[string]any{"type": "incoming", "state": "pending", "invoice": inv.bolt11,
		"payment_hash": hex.EncodeToString(hash[:]), "amount": inv.amount, "fees_paid": 0,
		"created_at": inv.createdAt, "expires_at": inv.expiresAt, "preimage": ""}
	if inv.settledAt != 0 {
		out["state"], out["settled_at"], out["preimage"] = "settled", inv.settledAt, inv.preimage
	}
	return out
}

// pay settles an invoice and notifies it, like a payment arriving.
func (s *service) pay(hash string) {
	s.mu.Lock()
	inv := s.invoices[hash]
	inv.settledAt = time.Now().Unix()
	s.mu.Unlock()
	s.notify(map[string]any{"notification_type": "payment_received", "notification": s.tx(inv)})
}

// notify publishes a notification as Alby Hub does: NIP-04 (23196) and,
// when it speaks NIP-44, NIP-44 (23197).
func (s *service) notify(n any) {
	b, _ := json.Marshal(n)
	encs := []string{"nip04"}
	if s.nip44 {
		encs = append(encs, "nip44_v2")
	}
	for _, enc := range encs {
		kind := nwc.KindNotificationNIP04
		if enc == "nip44_v2" {
			kind = nwc.KindNotificationNIP44
		}
		content, err := s.encrypt(enc, string(b))
		if err != nil {
			s.t.Fatal(err)
		}
		ev := &nostr.Event{Kind: kind, CreatedAt: nostr.Now(), Tags: nostr.Tags{{"p", s.clientP}}, Content: content}
		if err := ev.Sign(s.secret); err != nil {
			s.t.Fatal(err)
		}
		if err := s.relay.Publish(context.Background(), ev); err != nil && !strings.Contains(err.Error(), "mute") {
			s.t.Errorf("service: publish notification: %v", err)
		}
	}
}

func (s *service) respond(conn *nostr.Relay, req *nostr.Event, enc string, resp any) {
	b, _ := json.Marshal(resp)
	content, err := s.encrypt(enc, string(b))
	if err != nil {
		s.t.Error(err)
		return
	}
	ev := nostr.Event{Kind: nwc.KindResponse, CreatedAt: nostr.Now(),
		Tags: nostr.Tags{{"p", req.PubKey}, {"e", req.ID}}, Content: content}
	if err := ev.Sign(s.secret); err != nil {
		s.t.Error(err)
		return
	}
	if err := conn.Publish(context.Background(), ev); err != nil {
		s.t.Logf("service: publish response: %v", err)
	}
}

func (s *service) encrypt(enc, plain string) (string, error) {
	if enc == "nip44_v2" {
		key, err := nip44.GenerateConversationKey(s.clientP, s.secret)
		if err != nil {
			return "", err
		}
		return nip44.Encrypt(plain, key)
	}
	shared, err := nip04.ComputeSharedSecret(s.clientP, s.secret)
	if err != nil {
		return "", err
	}
	return nip04.Encrypt(plain, shared)
}

func (s *service) decrypt(enc, content string) (string, error) {
	if enc == "nip44_v2" {
		key, err := nip44.GenerateConversationKey(s.clientP, s.secret)
		if err != nil {
			return "", err
		}
		return nip44.Decrypt(content, key)
	}
	shared, err := nip04.ComputeSharedSecret(s.clientP, s.secret)
	if err != nil {
		return "", err
	}
	return nip04.Decrypt(content, shared)
}
