package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// endpoint builds an active endpoint in scope that subscribes to events
// (none: every event), with a sealed secret that is not valid UTF-8.
func endpoint(scope gateway.Scope, id string, created time.Time, events ...gateway.EventType) *gateway.WebhookEndpoint {
	return &gateway.WebhookEndpoint{
		ID:          id,
		MerchantID:  scope.MerchantID,
		Mode:        scope.Mode,
		URL:         "https://hooks.example/satsrail/" + id,
		Description: "Orders to fulfilment (" + id + ")",
		Events:      events,
		Active:      true,
		Secret:      []byte("sealed\x00\xff-" + id),
		CreatedAt:   created,
		UpdatedAt:   created,
	}
}

func (f *fixture) createEndpoint(t *testing.T, e *gateway.WebhookEndpoint) {
	t.Helper()
	noErr(t, "CreateWebhookEndpoint("+e.ID+")", f.store.CreateWebhookEndpoint(f.ctx, e))
}

// setActive enables or disables endpoint id of scope at time at.
func (f *fixture) setActive(t *testing.T, scope gateway.Scope, id string, active bool, at time.Time) {
	t.Helper()
	_, err := f.store.UpdateWebhookEndpoint(f.ctx, scope, id, func(e *gateway.WebhookEndpoint) error {
		e.Active, e.UpdatedAt = active, at
		return nil
	})
	noErr(t, "UpdateWebhookEndpoint("+id+")", err)
}

func (f *fixture) insertEvent(t *testing.T, ev gateway.Event, onlyEndpoint string) {
	t.Helper()
	noErr(t, "InsertEvent("+ev.ID+")", f.store.InsertEvent(f.ctx, ev, onlyEndpoint))
}

// deliveries returns every delivery to endpoint id of scope, newest first.
func (f *fixture) deliveries(t *testing.T, scope gateway.Scope, id string) []gateway.Delivery {
	t.Helper()
	l, err := f.store.ListDeliveries(f.ctx, scope, id, gateway.Page{PerPage: 100})
	noErr(t, "ListDeliveries("+id+")", err)
	if l.HasMore {
		t.Fatalf("endpoint %s has more than 100 deliveries", id)
	}
	return l.Items
}

// delivery returns the one delivery of event eventID to endpoint endpointID of scope.
func (f *fixture) delivery(t *testing.T, scope gateway.Scope, eventID, endpointID string) gateway.Delivery {
	t.Helper()
	var found []gateway.Delivery
	for _, d := range f.deliveries(t, scope, endpointID) {
		if d.EventID == eventID {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d deliveries of %s to %s, want 1", len(found), eventID, endpointID)
	}
	return found[0]
}

// getDelivery reads delivery id of scope back.
func (f *fixture) getDelivery(t *testing.T, scope gateway.Scope, id string) gateway.Delivery {
	t.Helper()
	d, err := f.store.GetDelivery(f.ctx, scope, id)
	noErr(t, "GetDelivery("+id+")", err)
	return *d
}

// wantFanOut checks which events have deliveries to which endpoints: want
// maps each endpoint id of scope to its events' ids, in any order.
func (f *fixture) wantFanOut(t *testing.T, scope gateway.Scope, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for id := range want {
		got[id] = nil
		for _, d := range f.deliveries(t, scope, id) {
			got[id] = append(got[id], d.EventID)
		}
		slices.Sort(got[id])
	}
	sorted := map[string][]string{}
	for id, evs := range want {
		sorted[id] = slices.Sorted(slices.Values(evs))
	}
	diff(t, "events delivered to each endpoint", sorted, got)
}

// newDelivery is a delivery as fan-out makes it: pending, due when the
// event happened. The id is the one the store chose.
func newDelivery(id string, ev gateway.Event, endpointID string) gateway.Delivery {
	return gateway.Delivery{
		ID:            id,
		EventID:       ev.ID,
		EndpointID:    endpointID,
		MerchantID:    ev.MerchantID,
		Mode:          ev.Mode,
		Status:        gateway.DeliveryPending,
		NextAttemptAt: ev.CreatedAt,
		CreatedAt:     ev.CreatedAt,
		UpdatedAt:     ev.CreatedAt,
	}
}

// base62Chars are the characters of a random id.
const base62Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// wantID fails the test unless id is prefix and at least 20 random base62
// characters (SPEC §1).
func wantID(t *testing.T, what, id, prefix string) {
	t.Helper()
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) < 20 || strings.Trim(rest, base62Chars) != "" {
		t.Errorf("%s id %q is not %s and 20 or more base62 characters", what, id, prefix)
	}
}

// deliver claims every delivery due at now, leased until now, and records for
// each the next outcome plan holds for it under "<event id>><endpoint id>":
// an HTTP status, or 0 for a connection error. A delivery plan has nothing
// more for stays claimed; the lease lapses after now.
func (f *fixture) deliver(t *testing.T, now time.Time, plan map[string][]int) {
	t.Helper()
	jobs, err := f.store.ClaimDueDeliveries(f.ctx, now, now, 1000, 0)
	noErr(t, "ClaimDueDeliveries", err)
	for _, j := range jobs {
		key := j.Event.ID + ">" + j.Endpoint.ID
		if len(plan[key]) == 0 {
			continue
		}
		code := plan[key][0]
		plan[key] = plan[key][1:]
		o := gateway.AttemptOutcome{StatusCode: code}
		if code == 0 {
			o.Err = errors.New("dial tcp 203.0.113.9:443: connect: connection refused")
		}
		next := gateway.NextDelivery(j.Delivery, o, gateway.DefaultRetrySchedule, now)
		a := gateway.DeliveryAttempt{
			ID:           gateway.NewID(gateway.PrefixAttempt),
			DeliveryID:   j.Delivery.ID,
			Attempt:      next.Attempts,
			At:           now,
			StatusCode:   code,
			Latency:      250 * time.Millisecond,
			Error:        next.LastError,
			ResponseBody: fmt.Sprintf(`{"answer":%d}`, code),
		}
		noErr(t, "RecordDeliveryAttempt("+key+")", f.store.RecordDeliveryAttempt(f.ctx, j.Delivery.LeaseToken, a, next))
	}
}

func endpointID(e gateway.WebhookEndpoint) string { return e.ID }
func deliveryEventID(d gateway.Delivery) string   { return d.EventID }

func testWebhookEndpoints(t *testing.T, f *fixture) {
	full := endpoint(f.scope, "we_full", at(0), gateway.EventCheckoutCompleted, gateway.EventCheckoutExpired)
	full.PrevSecret, full.PrevSecretExpiresAt, full.UpdatedAt = []byte("sealed-previous\x00"), at(24*60), at(1)
	minimal := &gateway.WebhookEndpoint{ID: "we_minimal", MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
		URL: "http://localhost:3000/hooks", Secret: []byte{0}, CreatedAt: at(1), UpdatedAt: at(1)}
	every := endpoint(f.scope, "we_every", at(2), gateway.EventTypes...)
	// Times given in another zone come back as the same instants in UTC.
	zone := time.FixedZone("UTC-7", -7*3600)
	zoned := endpoint(f.scope, "we_zoned", at(3).In(zone), gateway.EventWebhookTest)
	zoned.PrevSecret, zoned.PrevSecretExpiresAt = []byte("old"), at(90).In(zone)
	all := []*gateway.WebhookEndpoint{full, minimal, every, zoned}
	for _, e := range all {
		f.createEndpoint(t, e)
	}

	for _, want := range all {
		t.Run("round trip "+want.ID, func(t *testing.T) {
			got, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, want.ID)
			noErr(t, "GetWebhookEndpoint", err)
			diff(t, "endpoint", want, got)
			wantUTC(t, "endpoint", got.PrevSecretExpiresAt, got.CreatedAt, got.UpdatedAt)
		})
	}

	t.Run("minimal has no previous secret, no filter and is inactive", func(t *testing.T) {
		got, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, minimal.ID)
		noErr(t, "GetWebhookEndpoint", err)
		if len(got.PrevSecret) != 0 || !got.PrevSecretExpiresAt.IsZero() || len(got.Events) != 0 || got.Active {
			t.Errorf("got PrevSecret %q, PrevSecretExpiresAt %v, Events %v, Active %v; want none, zero, none, false",
				got.PrevSecret, got.PrevSecretExpiresAt, got.Events, got.Active)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, "we_nothing")
		wantErr(t, "GetWebhookEndpoint", err, gateway.ErrNotFound)
	})

	t.Run("duplicate id is a conflict", func(t *testing.T) {
		dup := endpoint(f.otherMerchant, full.ID, at(5))
		wantErr(t, "CreateWebhookEndpoint", f.store.CreateWebhookEndpoint(f.ctx, dup), gateway.ErrConflict)
		got, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, full.ID)
		noErr(t, "GetWebhookEndpoint", err)
		diff(t, "endpoint after refused create", full, got)
	})

	t.Run("update saves every field", func(t *testing.T) {
		// A rotation: the old secret still signs for a day.
		want := *full
		want.URL, want.Description, want.Events, want.Active = "https://hooks.example/v2", "", nil, false
		want.Secret, want.PrevSecret, want.PrevSecretExpiresAt, want.UpdatedAt = []byte("sealed-new"), full.Secret, at(10+24*60), at(10)
		got, err := f.store.UpdateWebhookEndpoint(f.ctx, f.scope, full.ID, func(e *gateway.WebhookEndpoint) error {
			id, merchant, mode, created := e.ID, e.MerchantID, e.Mode, e.CreatedAt
			*e = want
			e.ID, e.MerchantID, e.Mode, e.CreatedAt = id, merchant, mode, created
			return nil
		})
		noErr(t, "UpdateWebhookEndpoint", err)
		diff(t, "returned endpoint", &want, got)
		stored, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, full.ID)
		noErr(t, "GetWebhookEndpoint", err)
		diff(t, "stored endpoint", &want, stored)

		// The rotation ends: the previous secret is cleared.
		want.PrevSecret, want.PrevSecretExpiresAt, want.Events, want.Active = nil, time.Time{}, []gateway.EventType{gateway.EventCheckoutCancelled}, true
		_, err = f.store.UpdateWebhookEndpoint(f.ctx, f.scope, full.ID, func(e *gateway.WebhookEndpoint) error {
			e.PrevSecret, e.PrevSecretExpiresAt, e.Events, e.Active = nil, time.Time{}, want.Events, true
			return nil
		})
		noErr(t, "UpdateWebhookEndpoint", err)
		stored, err = f.store.GetWebhookEndpoint(f.ctx, f.scope, full.ID)
		noErr(t, "GetWebhookEndpoint", err)
		diff(t, "stored endpoint after the rotation", &want, stored)
		if len(stored.PrevSecret) != 0 || !stored.PrevSecretExpiresAt.IsZero() {
			t.Errorf("PrevSecret %q, PrevSecretExpiresAt %v; want none", stored.PrevSecret, stored.PrevSecretExpiresAt)
		}
	})

	t.Run("fn's error comes back unchanged and nothing is saved", func(t *testing.T) {
		errNo := errors.New("no")
		_, err := f.store.UpdateWebhookEndpoint(f.ctx, f.scope, every.ID, func(e *gateway.WebhookEndpoint) error {
			e.URL, e.Active = "https://evil.example", false
			return errNo
		})
		if !errors.Is(err, errNo) || err.Error() != errNo.Error() {
			t.Errorf("err = %v, want fn's error unchanged", err)
		}
		got, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, every.ID)
		noErr(t, "GetWebhookEndpoint", err)
		diff(t, "endpoint after refused update", every, got)
	})

	t.Run("update of an unknown endpoint", func(t *testing.T) {
		_, err := f.store.UpdateWebhookEndpoint(f.ctx, f.scope, "we_nothing", func(*gateway.WebhookEndpoint) error {
			t.Error("fn called for an unknown endpoint")
			return nil
		})
		wantErr(t, "UpdateWebhookEndpoint", err, gateway.ErrNotFound)
	})

	t.Run("delete", func(t *testing.T) {
		noErr(t, "DeleteWebhookEndpoint", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, minimal.ID, at(20)))
		_, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, minimal.ID)
		wantErr(t, "GetWebhookEndpoint(deleted)", err, gateway.ErrNotFound)
		wantErr(t, "DeleteWebhookEndpoint(again)", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, minimal.ID, at(21)), gateway.ErrNotFound)
		wantErr(t, "DeleteWebhookEndpoint(unknown)", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, "we_nothing", at(21)), gateway.ErrNotFound)
		l, err := f.store.ListWebhookEndpoints(f.ctx, f.scope, gateway.Page{})
		noErr(t, "ListWebhookEndpoints", err)
		checkList(t, l, endpointID, []string{zoned.ID, every.ID, full.ID}, false, 3)
	})
}

func testListWebhookEndpoints(t *testing.T, f *fixture) {
	all := map[string]*gateway.WebhookEndpoint{}
	for _, e := range []struct {
		id      string
		created int
	}{{"we_a", 1}, {"we_b", 2}, {"we_c", 3}, {"we_d", 3}, {"we_e", 4}} {
		all[e.id] = endpoint(f.scope, e.id, at(e.created))
		f.createEndpoint(t, all[e.id])
	}
	// Newer endpoints of other scopes that must never show.
	f.createEndpoint(t, endpoint(f.otherMode, "we_x", at(5)))
	f.createEndpoint(t, endpoint(f.otherMerchant, "we_y", at(6)))

	tests := []struct {
		name      string
		page      gateway.Page
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything, newest first", gateway.Page{}, []string{"we_e", "we_d", "we_c", "we_b", "we_a"}, false, 5},
		{"first page", gateway.Page{PerPage: 2}, []string{"we_e", "we_d"}, true, 5},
		{"second page", gateway.Page{Page: 2, PerPage: 2}, []string{"we_c", "we_b"}, true, 5},
		{"last page", gateway.Page{Page: 3, PerPage: 2}, []string{"we_a"}, false, 5},
		{"starting after", gateway.Page{PerPage: 2, StartingAfter: "we_e"}, []string{"we_d", "we_c"}, true, 5},
		{"starting after one of a tie", gateway.Page{StartingAfter: "we_d"}, []string{"we_c", "we_b", "we_a"}, false, 5},
		{"starting after the last", gateway.Page{StartingAfter: "we_a"}, nil, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListWebhookEndpoints(f.ctx, f.scope, tt.page)
			noErr(t, "ListWebhookEndpoints", err)
			checkList(t, got, endpointID, tt.wantIDs, tt.wantMore, tt.wantTotal)
		})
	}

	t.Run("items are whole endpoints", func(t *testing.T) {
		got, err := f.store.ListWebhookEndpoints(f.ctx, f.scope, gateway.Page{PerPage: 2})
		noErr(t, "ListWebhookEndpoints", err)
		diff(t, "endpoints", []gateway.WebhookEndpoint{*all["we_e"], *all["we_d"]}, got.Items)
	})

	for _, cursor := range []string{"we_nothing", "we_x", "we_y"} {
		t.Run("starting after "+cursor+" outside the list", func(t *testing.T) {
			_, err := f.store.ListWebhookEndpoints(f.ctx, f.scope, gateway.Page{StartingAfter: cursor})
			wantCursorError(t, "ListWebhookEndpoints", err)
		})
	}
}

func testWebhookFanOut(t *testing.T, f *fixture) {
	for _, e := range []*gateway.WebhookEndpoint{
		endpoint(f.scope, "we_all", at(-10)),
		endpoint(f.scope, "we_completed", at(-10), gateway.EventCheckoutCompleted),
		endpoint(f.scope, "we_ends", at(-10), gateway.EventCheckoutExpired, gateway.EventCheckoutCancelled),
		endpoint(f.scope, "we_tests", at(-10), gateway.EventWebhookTest),
		endpoint(f.otherMode, "we_live", at(-10)),
		endpoint(f.otherMerchant, "we_other", at(-10)),
	} {
		f.createEndpoint(t, e)
	}
	off := endpoint(f.scope, "we_off", at(-10))
	off.Active = false
	f.createEndpoint(t, off)

	// want is every delivery there should be, by endpoint; each subtest adds
	// its own and checks them all, so none may appear anywhere else.
	want := map[string][]string{"we_all": nil, "we_completed": nil, "we_ends": nil, "we_tests": nil, "we_off": nil}
	wantLive := map[string][]string{"we_live": nil}
	wantOther := map[string][]string{"we_other": nil}
	check := func(t *testing.T) {
		t.Helper()
		f.wantFanOut(t, f.scope, want)
		f.wantFanOut(t, f.otherMode, wantLive)
		f.wantFanOut(t, f.otherMerchant, wantOther)
	}
	// change records events through a no-op session update.
	change := func(t *testing.T, scope gateway.Scope, sessionID string, evs ...gateway.Event) {
		t.Helper()
		_, err := f.store.UpdateCheckoutSession(f.ctx, scope, sessionID, func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
			return gateway.SessionChange{Events: evs}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
	}

	t.Run("a settlement goes to the active endpoints of its scope that want it", func(t *testing.T) {
		f.settle(t, f.scope, "cs_fan", "txn_fan", "hash_fan", at(1))
		want["we_all"] = append(want["we_all"], "evt_cs_fan")
		want["we_completed"] = append(want["we_completed"], "evt_cs_fan")
		check(t)

		ev, err := f.store.GetEvent(f.ctx, f.scope, "evt_cs_fan")
		noErr(t, "GetEvent", err)
		var ids []string
		for _, endpointID := range []string{"we_all", "we_completed"} {
			got := f.delivery(t, f.scope, ev.ID, endpointID)
			wantID(t, "delivery", got.ID, gateway.PrefixDelivery)
			ids = append(ids, got.ID)
			diff(t, "delivery to "+endpointID, newDelivery(got.ID, *ev, endpointID), got)
			diff(t, "GetDelivery", got, f.getDelivery(t, f.scope, got.ID))
			wantUTC(t, "delivery", got.NextAttemptAt, got.CreatedAt, got.UpdatedAt)
		}
		if ids[0] == ids[1] {
			t.Errorf("both deliveries have id %s", ids[0])
		}
	})

	t.Run("each event of a change gets its own deliveries", func(t *testing.T) {
		s := session(f.scope, "cs_fan_many", at(2))
		f.createSession(t, s)
		change(t, f.scope, s.ID,
			event(f.scope, "evt_fan_expired", gateway.EventCheckoutExpired, s.ID, at(3)),
			event(f.scope, "evt_fan_test", gateway.EventWebhookTest, s.ID, at(3)),
			event(f.scope, "evt_fan_cancelled", gateway.EventCheckoutCancelled, s.ID, at(3)))
		want["we_all"] = append(want["we_all"], "evt_fan_expired", "evt_fan_test", "evt_fan_cancelled")
		want["we_ends"] = append(want["we_ends"], "evt_fan_expired", "evt_fan_cancelled")
		want["we_tests"] = append(want["we_tests"], "evt_fan_test")
		check(t)
	})

	t.Run("another mode's and another merchant's events go to their own endpoints only", func(t *testing.T) {
		f.settle(t, f.otherMode, "cs_fan_live", "txn_fan_live", "hash_fan_live", at(4))
		f.settle(t, f.otherMerchant, "cs_fan_other", "txn_fan_other", "hash_fan_other", at(4))
		wantLive["we_live"] = append(wantLive["we_live"], "evt_cs_fan_live")
		wantOther["we_other"] = append(wantOther["we_other"], "evt_cs_fan_other")
		check(t)
	})

	t.Run("an event goes by its own scope, not its session's", func(t *testing.T) {
		s := session(f.scope, "cs_fan_cross", at(5))
		f.createSession(t, s)
		change(t, f.scope, s.ID, event(f.otherMode, "evt_fan_cross", gateway.EventCheckoutExpired, s.ID, at(5)))
		wantLive["we_live"] = append(wantLive["we_live"], "evt_fan_cross")
		check(t)
	})

	t.Run("a refused change records no event and no delivery", func(t *testing.T) {
		s := session(f.scope, "cs_fan_refused", at(6))
		f.createSession(t, s)
		errBoom := errors.New("boom")
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
			return gateway.SessionChange{Events: []gateway.Event{event(f.scope, "evt_fan_refused", gateway.EventCheckoutExpired, s.ID, at(6))}}, errBoom
		})
		wantErr(t, "UpdateCheckoutSession", err, errBoom)
		_, err = f.store.GetEvent(f.ctx, f.scope, "evt_fan_refused")
		wantErr(t, "GetEvent", err, gateway.ErrNotFound)
		check(t)
	})

	t.Run("a change that fails to write records no event and no delivery", func(t *testing.T) {
		f.settle(t, f.scope, "cs_fan_first", "txn_fan_first", "hash_fan_shared", at(7))
		want["we_all"] = append(want["we_all"], "evt_cs_fan_first")
		want["we_completed"] = append(want["we_completed"], "evt_cs_fan_first")

		s := session(f.scope, "cs_fan_second", at(7))
		s.PaymentHash = "hash_fan_second"
		f.createSession(t, s)
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			if err := sess.Transition(gateway.StatusCompleted, at(8)); err != nil {
				return gateway.SessionChange{}, err
			}
			tx := transaction(sess, "txn_fan_second", "hash_fan_shared", at(8))
			sess.TransactionID = tx.ID
			// The payment hash is taken: the whole change must fail, the
			// events and their deliveries with it.
			return gateway.SessionChange{Events: []gateway.Event{
				event(f.scope, "evt_fan_second", gateway.EventCheckoutCompleted, sess.ID, at(8)),
				event(f.otherMode, "evt_fan_second_live", gateway.EventCheckoutCompleted, sess.ID, at(8)),
			}, Transaction: tx}, nil
		})
		wantErr(t, "UpdateCheckoutSession", err, gateway.ErrConflict)
		_, err = f.store.GetEvent(f.ctx, f.scope, "evt_fan_second")
		wantErr(t, "GetEvent", err, gateway.ErrNotFound)
		_, err = f.store.GetEvent(f.ctx, f.otherMode, "evt_fan_second_live")
		wantErr(t, "GetEvent", err, gateway.ErrNotFound)
		check(t)
	})

	t.Run("endpoint changes apply to later events only", func(t *testing.T) {
		f.setActive(t, f.scope, "we_off", true, at(9))
		f.setActive(t, f.scope, "we_ends", false, at(9))
		_, err := f.store.UpdateWebhookEndpoint(f.ctx, f.scope, "we_completed", func(e *gateway.WebhookEndpoint) error {
			e.Events = []gateway.EventType{gateway.EventCheckoutExpired}
			return nil
		})
		noErr(t, "UpdateWebhookEndpoint", err)
		f.createEndpoint(t, endpoint(f.scope, "we_new", at(9), gateway.EventCheckoutCompleted))
		want["we_new"] = nil
		check(t) // nothing sent to the new or re-enabled endpoints for older events

		s := session(f.scope, "cs_fan_later", at(10))
		f.createSession(t, s)
		change(t, f.scope, s.ID,
			event(f.scope, "evt_fan_later_completed", gateway.EventCheckoutCompleted, s.ID, at(10)),
			event(f.scope, "evt_fan_later_expired", gateway.EventCheckoutExpired, s.ID, at(10)))
		want["we_all"] = append(want["we_all"], "evt_fan_later_completed", "evt_fan_later_expired")
		want["we_off"] = append(want["we_off"], "evt_fan_later_completed", "evt_fan_later_expired")
		want["we_completed"] = append(want["we_completed"], "evt_fan_later_expired")
		want["we_new"] = append(want["we_new"], "evt_fan_later_completed")
		check(t)
	})

	t.Run("a deleted endpoint gets nothing more", func(t *testing.T) {
		noErr(t, "DeleteWebhookEndpoint", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, "we_all", at(11)))
		delete(want, "we_all")
		f.settle(t, f.scope, "cs_fan_last", "txn_fan_last", "hash_fan_last", at(12))
		want["we_off"] = append(want["we_off"], "evt_cs_fan_last")
		want["we_new"] = append(want["we_new"], "evt_cs_fan_last")
		check(t)
	})
}

func testInsertEvent(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_all", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_completed", at(-10), gateway.EventCheckoutCompleted))
	off := endpoint(f.scope, "we_off", at(-10))
	off.Active = false
	f.createEndpoint(t, off)
	f.createEndpoint(t, endpoint(f.otherMode, "we_live", at(-10)))
	f.createEndpoint(t, endpoint(f.otherMerchant, "we_other", at(-10)))

	want := map[string][]string{"we_all": nil, "we_completed": nil, "we_off": nil}
	check := func(t *testing.T) {
		t.Helper()
		f.wantFanOut(t, f.scope, want)
		f.wantFanOut(t, f.otherMode, map[string][]string{"we_live": nil})
		f.wantFanOut(t, f.otherMerchant, map[string][]string{"we_other": nil})
	}

	t.Run("to every active endpoint that wants it", func(t *testing.T) {
		ping := event(f.scope, "evt_ping", gateway.EventWebhookTest, "we_all", at(1))
		f.insertEvent(t, ping, "")
		paid := event(f.scope, "evt_paid", gateway.EventCheckoutCompleted, "cs_x", at(2))
		f.insertEvent(t, paid, "")
		want["we_all"] = append(want["we_all"], "evt_ping", "evt_paid")
		want["we_completed"] = append(want["we_completed"], "evt_paid")
		check(t)

		got, err := f.store.GetEvent(f.ctx, f.scope, ping.ID)
		noErr(t, "GetEvent", err)
		diff(t, "event", &ping, got)
		wantUTC(t, "event", got.CreatedAt)
		d := f.delivery(t, f.scope, ping.ID, "we_all")
		wantID(t, "delivery", d.ID, gateway.PrefixDelivery)
		diff(t, "delivery", newDelivery(d.ID, ping, "we_all"), d)
	})

	t.Run("to the one endpoint named, whatever it subscribes to", func(t *testing.T) {
		ping := event(f.scope, "evt_ping_one", gateway.EventWebhookTest, "we_completed", at(3))
		f.insertEvent(t, ping, "we_completed")
		want["we_completed"] = append(want["we_completed"], ping.ID)
		check(t)
		d := f.delivery(t, f.scope, ping.ID, "we_completed")
		diff(t, "delivery", newDelivery(d.ID, ping, "we_completed"), d)
	})

	t.Run("to a disabled endpoint named, nothing is sent but the event is kept", func(t *testing.T) {
		ping := event(f.scope, "evt_ping_off", gateway.EventWebhookTest, "we_off", at(4))
		f.insertEvent(t, ping, "we_off")
		got, err := f.store.GetEvent(f.ctx, f.scope, ping.ID)
		noErr(t, "GetEvent", err)
		diff(t, "event", &ping, got)
		check(t)
	})

	for _, named := range []string{"we_live", "we_other", "we_nothing"} {
		t.Run("naming "+named+", not of the event's scope, stores nothing", func(t *testing.T) {
			ping := event(f.scope, "evt_ping_"+named, gateway.EventWebhookTest, named, at(5))
			wantErr(t, "InsertEvent", f.store.InsertEvent(f.ctx, ping, named), gateway.ErrNotFound)
			_, err := f.store.GetEvent(f.ctx, f.scope, ping.ID)
			wantErr(t, "GetEvent", err, gateway.ErrNotFound)
			check(t)
		})
	}

	t.Run("a duplicate id is a conflict and sends nothing more", func(t *testing.T) {
		dup := event(f.scope, "evt_paid", gateway.EventWebhookTest, "cs_y", at(6))
		wantErr(t, "InsertEvent", f.store.InsertEvent(f.ctx, dup, ""), gateway.ErrConflict)
		wantErr(t, "InsertEvent(one endpoint)", f.store.InsertEvent(f.ctx, dup, "we_off"), gateway.ErrConflict)
		got, err := f.store.GetEvent(f.ctx, f.scope, dup.ID)
		noErr(t, "GetEvent", err)
		if got.Type != gateway.EventCheckoutCompleted {
			t.Errorf("event type = %s, want the first event's %s", got.Type, gateway.EventCheckoutCompleted)
		}
		check(t)
	})
}

func testListEvents(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_all", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_completed", at(-10), gateway.EventCheckoutCompleted))
	f.createEndpoint(t, endpoint(f.otherMode, "we_live", at(-10)))
	all := map[string]gateway.Event{}
	for _, e := range []struct {
		scope   gateway.Scope
		id      string
		typ     gateway.EventType
		created int
	}{
		{f.scope, "evt_a", gateway.EventCheckoutCompleted, 1},
		{f.scope, "evt_b", gateway.EventCheckoutExpired, 2},
		{f.scope, "evt_c", gateway.EventCheckoutCompleted, 3},
		{f.scope, "evt_d", gateway.EventWebhookTest, 3},
		{f.scope, "evt_e", gateway.EventCheckoutCancelled, 4},
		{f.scope, "evt_f", gateway.EventCheckoutCompleted, 5},
		{f.otherMode, "evt_x", gateway.EventCheckoutCompleted, 6},
		{f.otherMerchant, "evt_y", gateway.EventCheckoutCompleted, 7},
	} {
		ev := event(e.scope, e.id, e.typ, "cs_"+e.id, at(e.created))
		f.insertEvent(t, ev, "")
		all[e.id] = ev
	}
	// What happens to each delivery: evt_a and evt_e (after a retry) were
	// delivered; evt_b waits for a retry and evt_c failed for good; evt_d
	// was not tried yet; evt_f reached one endpoint and failed at the other.
	plan := map[string][]int{
		"evt_a>we_all": {200}, "evt_a>we_completed": {204},
		"evt_b>we_all": {500},
		"evt_c>we_all": {410}, "evt_c>we_completed": {200},
		"evt_e>we_all": {0, 200},
		"evt_f>we_all": {200}, "evt_f>we_completed": {410},
		"evt_x>we_live": {410},
	}
	f.deliver(t, at(10), plan)
	f.deliver(t, at(12), plan)

	t.Run("get returns every field", func(t *testing.T) {
		for _, id := range []string{"evt_a", "evt_d"} {
			got, err := f.store.GetEvent(f.ctx, f.scope, id)
			noErr(t, "GetEvent", err)
			want := all[id]
			diff(t, "event", &want, got)
		}
		_, err := f.store.GetEvent(f.ctx, f.scope, "evt_nothing")
		wantErr(t, "GetEvent(unknown)", err, gateway.ErrNotFound)
	})

	tests := []struct {
		name      string
		filter    gateway.EventFilter
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything, newest first", gateway.EventFilter{}, []string{"evt_f", "evt_e", "evt_d", "evt_c", "evt_b", "evt_a"}, false, 6},
		{"first page", gateway.EventFilter{Page: gateway.Page{PerPage: 2}}, []string{"evt_f", "evt_e"}, true, 6},
		{"second page", gateway.EventFilter{Page: gateway.Page{Page: 2, PerPage: 2}}, []string{"evt_d", "evt_c"}, true, 6},
		{"starting after", gateway.EventFilter{Page: gateway.Page{PerPage: 2, StartingAfter: "evt_e"}}, []string{"evt_d", "evt_c"}, true, 6},
		{"starting after one of a tie", gateway.EventFilter{Page: gateway.Page{StartingAfter: "evt_d"}}, []string{"evt_c", "evt_b", "evt_a"}, false, 6},
		{"type", gateway.EventFilter{Type: gateway.EventCheckoutCompleted}, []string{"evt_f", "evt_c", "evt_a"}, false, 3},
		{"type with one", gateway.EventFilter{Type: gateway.EventWebhookTest}, []string{"evt_d"}, false, 1},
		{"type with no match", gateway.EventFilter{Type: "checkout.refunded"}, nil, false, 0},
		{"created from is inclusive", gateway.EventFilter{Created: gateway.TimeRange{From: at(3)}}, []string{"evt_f", "evt_e", "evt_d", "evt_c"}, false, 4},
		{"created to is inclusive", gateway.EventFilter{Created: gateway.TimeRange{To: at(3)}}, []string{"evt_d", "evt_c", "evt_b", "evt_a"}, false, 4},
		{"created bounds a microsecond off", gateway.EventFilter{Created: gateway.TimeRange{
			From: at(2).Add(time.Microsecond), To: at(4).Add(-time.Microsecond)}}, []string{"evt_d", "evt_c"}, false, 2},
		{"delivery failed", gateway.EventFilter{DeliveryFailed: true}, []string{"evt_f", "evt_c", "evt_b"}, false, 3},
		{"delivery failed, paged", gateway.EventFilter{DeliveryFailed: true, Page: gateway.Page{PerPage: 2}}, []string{"evt_f", "evt_c"}, true, 3},
		{"delivery failed after a cursor outside the filter", gateway.EventFilter{DeliveryFailed: true,
			Page: gateway.Page{StartingAfter: "evt_d"}}, []string{"evt_c", "evt_b"}, false, 3},
		{"filters combine", gateway.EventFilter{DeliveryFailed: true, Type: gateway.EventCheckoutCompleted,
			Created: gateway.TimeRange{To: at(4)}}, []string{"evt_c"}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListEvents(f.ctx, f.scope, tt.filter)
			noErr(t, "ListEvents", err)
			checkList(t, got, eventID, tt.wantIDs, tt.wantMore, tt.wantTotal)
		})
	}

	t.Run("items are whole events", func(t *testing.T) {
		got, err := f.store.ListEvents(f.ctx, f.scope, gateway.EventFilter{Page: gateway.Page{PerPage: 2}})
		noErr(t, "ListEvents", err)
		diff(t, "events", []gateway.Event{all["evt_f"], all["evt_e"]}, got.Items)
	})

	for _, cursor := range []string{"evt_nothing", "evt_x", "evt_y"} {
		t.Run("starting after "+cursor+" outside the list", func(t *testing.T) {
			_, err := f.store.ListEvents(f.ctx, f.scope, gateway.EventFilter{Page: gateway.Page{StartingAfter: cursor}})
			wantCursorError(t, "ListEvents", err)
		})
	}

	t.Run("a redelivered failure stays failed until it succeeds", func(t *testing.T) {
		failed := func(t *testing.T, want ...string) {
			t.Helper()
			got, err := f.store.ListEvents(f.ctx, f.scope, gateway.EventFilter{DeliveryFailed: true})
			noErr(t, "ListEvents", err)
			checkList(t, got, eventID, want, false, len(want))
		}
		d := f.delivery(t, f.scope, "evt_c", "we_all")
		_, err := f.store.Redeliver(f.ctx, f.scope, d.ID, at(20))
		noErr(t, "Redeliver", err)
		failed(t, "evt_f", "evt_c", "evt_b")
		f.deliver(t, at(20), map[string][]int{"evt_c>we_all": {200}})
		failed(t, "evt_f", "evt_b")

		// A success redelivered and failing joins the list.
		d = f.delivery(t, f.scope, "evt_a", "we_all")
		_, err = f.store.Redeliver(f.ctx, f.scope, d.ID, at(21))
		noErr(t, "Redeliver", err)
		failed(t, "evt_f", "evt_b")
		f.deliver(t, at(21), map[string][]int{"evt_a>we_all": {503}})
		failed(t, "evt_f", "evt_b", "evt_a")
	})
}

// testWebhookScopeIsolation checks every scoped webhook method against an
// endpoint, event and delivery of f.scope from the same merchant's other
// mode and from another merchant.
func testWebhookScopeIsolation(t *testing.T, f *fixture) {
	mine := endpoint(f.scope, "we_mine", at(0))
	f.createEndpoint(t, mine)
	ev := event(f.scope, "evt_mine", gateway.EventCheckoutCompleted, "cs_mine", at(1))
	f.insertEvent(t, ev, "")
	f.deliver(t, at(2), map[string][]int{"evt_mine>we_mine": {500}})
	f.deliver(t, at(3), map[string][]int{"evt_mine>we_mine": {410}}) // failed: may be redelivered
	d := f.delivery(t, f.scope, ev.ID, mine.ID)

	for _, tt := range []struct {
		name  string
		scope gateway.Scope
	}{
		{"same merchant, other mode", f.otherMode},
		{"other merchant, same mode", f.otherMerchant},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scope := tt.scope
			_, err := f.store.GetWebhookEndpoint(f.ctx, scope, mine.ID)
			wantErr(t, "GetWebhookEndpoint", err, gateway.ErrNotFound)
			_, err = f.store.UpdateWebhookEndpoint(f.ctx, scope, mine.ID, func(*gateway.WebhookEndpoint) error {
				t.Error("UpdateWebhookEndpoint called fn for another scope's endpoint")
				return nil
			})
			wantErr(t, "UpdateWebhookEndpoint", err, gateway.ErrNotFound)
			wantErr(t, "DeleteWebhookEndpoint", f.store.DeleteWebhookEndpoint(f.ctx, scope, mine.ID, at(4)), gateway.ErrNotFound)
			endpoints, err := f.store.ListWebhookEndpoints(f.ctx, scope, gateway.Page{})
			noErr(t, "ListWebhookEndpoints", err)
			checkList(t, endpoints, endpointID, nil, false, 0)

			_, err = f.store.GetEvent(f.ctx, scope, ev.ID)
			wantErr(t, "GetEvent", err, gateway.ErrNotFound)
			for _, filter := range []gateway.EventFilter{{}, {DeliveryFailed: true}} {
				evs, err := f.store.ListEvents(f.ctx, scope, filter)
				noErr(t, "ListEvents", err)
				checkList(t, evs, eventID, nil, false, 0)
			}
			ping := event(scope, "evt_ping", gateway.EventWebhookTest, mine.ID, at(4))
			wantErr(t, "InsertEvent", f.store.InsertEvent(f.ctx, ping, mine.ID), gateway.ErrNotFound)

			_, err = f.store.GetDelivery(f.ctx, scope, d.ID)
			wantErr(t, "GetDelivery", err, gateway.ErrNotFound)
			_, err = f.store.ListDeliveries(f.ctx, scope, mine.ID, gateway.Page{})
			wantErr(t, "ListDeliveries", err, gateway.ErrNotFound)
			_, err = f.store.Redeliver(f.ctx, scope, d.ID, at(4))
			wantErr(t, "Redeliver", err, gateway.ErrNotFound)
		})
	}

	t.Run("the owner still sees everything, unchanged", func(t *testing.T) {
		got, err := f.store.GetWebhookEndpoint(f.ctx, f.scope, mine.ID)
		noErr(t, "GetWebhookEndpoint", err)
		diff(t, "endpoint", mine, got)
		gotEv, err := f.store.GetEvent(f.ctx, f.scope, ev.ID)
		noErr(t, "GetEvent", err)
		diff(t, "event", &ev, gotEv)
		diff(t, "delivery", d, f.getDelivery(t, f.scope, d.ID))
		if d.Status != gateway.DeliveryFailed {
			t.Errorf("delivery status = %s, want failed", d.Status)
		}
	})
}
