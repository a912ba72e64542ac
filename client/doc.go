// Package client is the Go SDK of the satsrail merchant API (SPEC §2–§4).
//
// It imports only the standard library and satsrail's apitype package, so a
// merchant's backend can depend on it without pulling in the gateway.
//
//	c := client.New("https://pay.example.com", os.Getenv("SATSRAIL_SECRET_KEY"))
//	sess, err := c.CreateCheckoutSession(ctx, &apitype.CheckoutSessionParams{
//		AmountCents: client.Int64(5000),
//		SuccessURL:  client.String("https://store.example/success"),
//		CancelURL:   client.String("https://store.example/cart"),
//	})
//	// redirect the customer to sess.CheckoutURL
//
// Every call takes a context.Context. Every POST carries an Idempotency-Key:
// the caller's (WithIdempotencyKey) or one generated for the call, and every
// retry of that call sends the same key, so a retried create never makes a
// second session.
//
// Calls are retried with exponential backoff and jitter (WithMaxRetries,
// WithBackoff) when the connection fails, on 5xx, on 409
// idempotency_in_progress and on 429 rate_limited (waiting at least the
// Retry-After the server sent, up to WithMaxRetryAfter); never on another
// 4xx, which the same request would only get again, nor when the base URL
// cannot be sent to at all (a scheme other than http or https, no host, a
// URL that does not parse: a *url.Error at once). A GET, PUT, PATCH or
// DELETE may safely run twice; a DELETE retried after a dropped connection
// may answer 404 when its first attempt did delete.
//
// An answer other than 2xx is a *Error carrying the HTTP status, the API's
// code, message and field details, and its request id:
//
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Code == client.CodeValidation { ... }
//
// Lists come one page at a time (ListProducts, ...) or as an iter.Seq2 that
// follows the pages with starting_after (AllProducts, ...).
//
// The key decides the mode: a test key (sk_test_...) sees only test data. A
// merchant who runs a separate test gateway gives its address with
// WithTestBaseURL, and test keys are sent there.
package client
