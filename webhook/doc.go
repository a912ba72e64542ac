// Package webhook signs and verifies satsrail webhook deliveries (SPEC §8).
//
// The server signs every delivery with this package and merchants verify with
// the same code, so the two sides cannot disagree about the scheme. It
// imports only the standard library.
//
// Every delivery carries two signatures over the raw request body. The seed
// scheme, kept for receivers written against the original SatsRail service:
//
//	X-SatsRail-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//
// and the replay-safe scheme, modelled on Stripe's:
//
//	X-SatsRail-Timestamp: <unix seconds>
//	X-SatsRail-Signature-V2: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// The second puts the timestamp inside the signed bytes, so a captured
// delivery cannot be replayed once the tolerance (DefaultTolerance, five
// minutes) has passed. While an endpoint's secret is being rotated the server
// signs with both the new and the old secret and the header carries several
// v1 values; a receiver accepts a delivery if any of them matches any of its
// secrets, so it may hold both secrets during the switch.
//
// Receivers call ConstructEvent with the body exactly as it arrived: a body
// that has been decoded and re-encoded no longer matches its signature.
// Deliveries are at-least-once, so receivers also deduplicate on Event.ID.
package webhook
