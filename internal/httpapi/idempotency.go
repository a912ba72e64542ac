package httpapi

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted (SPEC §2).
const MaxIdempotencyKeyLen = 255

// staleInProgress is how long an unfinished request may hold its key. A
// request that has not finished by then died with its node (the server's
// write timeout is far shorter), so a retry may run it again.
const staleInProgress = time.Minute

// idempotent runs a POST under an Idempotency-Key (SPEC §2): the first request
// runs and its 2xx response is stored; a repeat with the same body gets that
// response again with status 200 and Idempotent-Replayed: true; the same key
// with another body is 422 idempotency_error; a repeat while the first still
// runs is 409 idempotency_in_progress. Keys are scoped to the API key. A
// request that fails is forgotten, so it can be corrected and retried.
func (s *Server) idempotent(c *call, key string, now time.Time) {
	w, r := c.w, c.r
	if len(key) > MaxIdempotencyKeyLen {
		s.writeError(w, r, &gateway.Error{Code: gateway.CodeIdempotency, Message: "Idempotency-Key must be at most 255 characters.",
			Fields: []gateway.FieldError{{Field: "Idempotency-Key", Message: "must be at most 255 characters"}}})
		return
	}
	if msg := cleanText(key); msg != "" {
		s.writeError(w, r, &gateway.Error{Code: gateway.CodeIdempotency, Message: "Idempotency-Key " + msg + ".",
			Fields: []gateway.FieldError{{Field: "Idempotency-Key", Message: msg}}})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, bodyError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := gateway.IdempotencyRecord{APIKeyID: c.p.Key.ID, Key: key, RequestHash: requestHash(c.route, r, body), CreatedAt: now}
	if c.route.storesWithObject() {
		s.idempotentCreate(c, rec)
		return
	}
	store := s.svc.Store()
	ctx := r.Context()
	existing, err := store.BeginIdempotent(ctx, rec, now.Add(-s.svc.IdempotencyTTL()))
	if err == nil && existing != nil && !existing.Done && now.Sub(existing.CreatedAt) > staleInProgress &&
		bytes.Equal(existing.RequestHash, rec.RequestHash) {
		if err = store.AbortIdempotent(ctx, rec.APIKeyID, key); err == nil {
			existing, err = store.BeginIdempotent(ctx, rec, now.Add(-s.svc.IdempotencyTTL()))
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if existing != nil {
		s.answerExisting(c, rec, existing)
		return
	}

	// This request runs.
	status, resp, herr := c.route.handle(c)
	var b []byte
	if herr == nil && status < 300 {
		b, herr = marshal(resp)
	}
	if herr != nil || status >= 300 {
		if err := store.AbortIdempotent(ctx, rec.APIKeyID, key); err != nil {
			s.log.ErrorContext(ctx, "forget idempotency key", "request_id", requestID(ctx), "err", err)
		}
		s.respond(w, r, status, resp, herr)
		return
	}
	stored := b
	if c.route.returnsSecret() {
		if stored, err = s.svc.SealStored(b); err != nil {
			stored = nil
			s.log.ErrorContext(ctx, "seal idempotent response", "request_id", requestID(ctx), "err", err)
		}
	}
	if err := store.CompleteIdempotent(ctx, rec.APIKeyID, key, status, stored); err != nil {
		// The object exists; answer with it. A retry will see 409 until the
		// record goes stale.
		s.log.ErrorContext(ctx, "store idempotent response", "request_id", requestID(ctx), "err", err)
	}
	writeRaw(w, status, b)
}

// idempotentCreate runs a create whose key record the store writes with the
// object (route.storesWithObject). It does not look first: a new key — the
// common case — costs no read, and a create has no effect outside its
// transaction, so a repeat may run it as far as the store, whose unique key
// then refuses it (ErrIdempotencyKeyTaken) with nothing written. Only a
// request that did not create looks the key up, and is answered from the
// record holding it if there is one. A failed create writes no record, so it
// can be corrected and retried.
func (s *Server) idempotentCreate(c *call, rec gateway.IdempotencyRecord) {
	w, r := c.w, c.r
	ctx := r.Context()
	store := s.svc.Store()
	notBefore := rec.CreatedAt.Add(-s.svc.IdempotencyTTL())
	var err error
	var b []byte
	c.r = r.WithContext(gateway.WithIdempotentResponse(ctx, func(obj any) (*gateway.IdempotencyCompletion, error) {
		status, v, ok := s.renderCreated(obj)
		if !ok {
			return nil, fmt.Errorf("idempotent create of %T: no stored response", obj)
		}
		if b, err = marshal(v); err != nil {
			return nil, err
		}
		return &gateway.IdempotencyCompletion{APIKeyID: rec.APIKeyID, Key: rec.Key, RequestHash: rec.RequestHash,
			CreatedAt: rec.CreatedAt, ExpiredBefore: notBefore, StaleBefore: rec.CreatedAt.Add(-staleInProgress),
			Status: status, Body: b}, nil
	}))
	status, resp, herr := c.route.handle(c)
	if herr == nil && status < 300 && b != nil {
		writeRaw(w, status, b)
		return
	}
	// Refused or failed. If the key has a record, that decides the answer —
	// a repeat gets its stored response even if it could not run now (no
	// price, say). A key the store found taken but nobody can read yet is
	// being committed: in progress.
	existing, err := store.LookupIdempotent(ctx, rec.APIKeyID, rec.Key, notBefore)
	switch {
	case err == nil:
		s.answerExisting(c, rec, existing)
	case errors.Is(err, gateway.ErrNotFound) && errors.Is(herr, gateway.ErrIdempotencyKeyTaken):
		s.answerExisting(c, rec, &gateway.IdempotencyRecord{RequestHash: rec.RequestHash})
	case errors.Is(err, gateway.ErrNotFound):
		s.respond(w, r, status, resp, herr)
	default:
		s.writeError(w, r, err)
	}
}

// answerExisting answers a request whose key already has a record: the
// stored response (200, Idempotent-Replayed), 422 for another request under
// the same key, or 409 while the first still runs.
func (s *Server) answerExisting(c *call, rec gateway.IdempotencyRecord, existing *gateway.IdempotencyRecord) {
	w, r := c.w, c.r
	switch {
	case !bytes.Equal(existing.RequestHash, rec.RequestHash):
		s.writeError(w, r, gateway.Errorf(gateway.CodeIdempotency,
			"This Idempotency-Key was already used with a different request; use a new key for a new request."))
	case !existing.Done:
		s.writeError(w, r, gateway.Errorf(gateway.CodeIdempotencyInProgress,
			"A request with this Idempotency-Key is still being processed; retry in a moment."))
	default:
		body := existing.Body
		if c.route.returnsSecret() {
			var err error
			if body, err = s.svc.OpenStored(body); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, http.StatusOK, body)
	}
}

// writeRaw answers with a JSON body already encoded.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// requestHash identifies "the same request": the route and the body's JSON
// value, so key order and whitespace don't matter. A body that is not JSON is
// hashed as bytes.
func requestHash(rt route, r *http.Request, body []byte) []byte {
	h := sha256.New()
	io.WriteString(h, rt.method+" "+rt.path+" "+r.PathValue("id")+"\n")
	if canon, ok := canonicalJSON(make([]byte, 0, len(body)), body); ok {
		body = canon
	}
	h.Write(body)
	return h.Sum(nil)
}

// renderCreated is the response of a create whose object the store saves
// with its Idempotency-Key response; ok is false for other objects.
func (s *Server) renderCreated(obj any) (status int, body any, ok bool) {
	switch o := obj.(type) {
	case *gateway.CheckoutSession:
		return http.StatusCreated, s.toSession(o), true
	}
	return 0, nil, false
}
