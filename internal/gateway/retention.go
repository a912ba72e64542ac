package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
)

// DefaultWebhookAttemptRetention is how long the log of webhook delivery
// attempts (request outcome, latency, the receiver's first 4 KiB) is kept
// unless the operator says otherwise: long enough to debug a month-old
// complaint, short enough that the log does not outgrow the payments.
const DefaultWebhookAttemptRetention = 30 * 24 * time.Hour

// DefaultRetentionBatch is how many rows one pruning statement deletes: a
// transaction short enough that the writers beside it (SQLite's one writer,
// PostgreSQL's row locks) wait for it no longer than for a create.
const DefaultRetentionBatch = 500

// PurgeIdempotencyBatch deletes at most limit Idempotency-Key records older
// than the TTL (IdempotencyTTL), oldest first.
func (s *Service) PurgeIdempotencyBatch(ctx context.Context, limit int) (int, error) {
	return s.store.PurgeIdempotent(ctx, s.Now().Add(-s.cfg.IdempotencyTTL), limit)
}

// PruneDeliveryAttempts deletes at most limit webhook attempt log entries
// older than keep, oldest first.
func (s *Service) PruneDeliveryAttempts(ctx context.Context, keep time.Duration, limit int) (int, error) {
	return s.store.PruneDeliveryAttempts(ctx, s.Now().Add(-keep), limit)
}

// CustomerForgotten counts what ForgetCustomer changed.
type CustomerForgotten struct {
	Sessions          int // checkout sessions whose email and name were erased
	Events            int // event bodies rewritten
	IdempotentReplies int // stored replies of idempotent requests rewritten
}

// Total is every record changed.
func (c CustomerForgotten) Total() int { return c.Sessions + c.Events + c.IdempotentReplies }

// ForgetCustomer erases a customer's email and name from every merchant's
// sessions and their stored copies (Store.ForgetCustomer), for a privacy
// request; the payments stay.
func (s *Service) ForgetCustomer(ctx context.Context, email string) (CustomerForgotten, error) {
	email = strings.TrimSpace(email)
	if err := validateForgetEmail(email); err != nil {
		return CustomerForgotten{}, err
	}
	return s.store.ForgetCustomer(ctx, email)
}

func validateForgetEmail(email string) error {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || len(email) > 254 || strings.ContainsAny(email, " \t\r\n\x00") {
		return &Error{Code: CodeValidation, Message: "email must be an email address.",
			Fields: []FieldError{{Field: "email", Message: "must be an email address"}}}
	}
	return nil
}

// ForgetCustomerJSON rewrites a stored JSON document (an event body, a
// stored API reply) so that no object in it holds email: every
// "customer_email" whose string value equals email without regard to ASCII
// case becomes null, and so does the "customer_name" beside it — what the
// API now shows for the erased session. Keys keep their order and every
// other value its exact bytes. It reports whether anything changed; a body
// that is not JSON (a sealed one) is returned unchanged.
func ForgetCustomerJSON(body []byte, email string) ([]byte, bool) {
	if !bytes.Contains(bytes.ToLower(body), bytes.ToLower([]byte(`"customer_email"`))) {
		return body, false
	}
	out, changed, err := forgetIn(json.RawMessage(bytes.TrimSpace(body)), email)
	if err != nil || !changed {
		return body, false
	}
	return out, true
}

// forgetIn walks one JSON value.
func forgetIn(v json.RawMessage, email string) ([]byte, bool, error) {
	if len(v) == 0 || (v[0] != '{' && v[0] != '[') {
		return v, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	tok, err := dec.Token()
	if err != nil {
		return nil, false, err
	}
	var out bytes.Buffer
	changed := false
	if tok == json.Delim('[') {
		out.WriteByte('[')
		for i := 0; dec.More(); i++ {
			var elem json.RawMessage
			if err := dec.Decode(&elem); err != nil {
				return nil, false, err
			}
			b, c, err := forgetIn(elem, email)
			if err != nil {
				return nil, false, err
			}
			if i > 0 {
				out.WriteByte(',')
			}
			out.Write(b)
			changed = changed || c
		}
		out.WriteByte(']')
		return out.Bytes(), changed, nil
	}
	type member struct {
		key string
		val []byte
	}
	var members []member
	match := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, false, err
		}
		key, _ := kt.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, false, err
		}
		if key == "customer_email" {
			var got string
			if json.Unmarshal(val, &got) == nil && strings.EqualFold(got, email) {
				match = true
			}
		}
		b, c, err := forgetIn(val, email)
		if err != nil {
			return nil, false, err
		}
		members = append(members, member{key, b})
		changed = changed || c
	}
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		out.Write(k)
		out.WriteByte(':')
		if match && (m.key == "customer_email" || m.key == "customer_name") && string(m.val) != "null" {
			out.WriteString("null")
			changed = true
			continue
		}
		out.Write(m.val)
	}
	out.WriteByte('}')
	return out.Bytes(), changed, nil
}
