package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// testListTotalsAcrossDays checks total_count, the page and has_more of the
// session and transaction lists under status and created filters whose ends
// fall on, just around and between UTC midnights, over rows placed on and
// just around midnights, after sessions changed status. A store may count
// whole days apart from the partial days at a range's ends; the answers must
// be the same as counting every row.
func testListTotalsAcrossDays(t *testing.T, f *fixture) {
	midnight := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return midnight.AddDate(0, 0, n) }
	µs := time.Microsecond

	type row struct {
		id      string
		status  string
		created time.Time
	}
	var sessions, txns []row
	// Four days of rows on, just after and just before each midnight, and
	// mid-day; the same in the other scopes, which no total may count.
	offsets := []time.Duration{0, µs, 6 * time.Hour, 24*time.Hour - µs}
	for d := range 4 {
		for i, off := range offsets {
			at := day(d).Add(off)
			name := fmt.Sprintf("d%d%c", d, 'a'+i)
			switch i {
			case 0, 2: // a paid session: completed, with its transaction
				for _, scope := range []gateway.Scope{f.scope, f.otherMode, f.otherMerchant} {
					suffix := scopeSuffix(f, scope)
					cs, tx := f.settle(t, scope, "cs_"+name+suffix, "txn_"+name+suffix, "hash_"+name+suffix, at)
					if scope == f.scope {
						sessions = append(sessions, row{cs.ID, string(cs.Status), cs.CreatedAt})
						txns = append(txns, row{tx.ID, string(tx.Status), tx.CreatedAt})
					}
				}
			default: // a session that stays pending, or expires, or is cancelled
				status := []gateway.SessionStatus{gateway.StatusPending, gateway.StatusExpired, gateway.StatusCancelled}[(d+i)%3]
				for _, scope := range []gateway.Scope{f.scope, f.otherMode, f.otherMerchant} {
					s := session(scope, "cs_"+name+scopeSuffix(f, scope), at)
					f.createSession(t, s)
					if status != gateway.StatusPending {
						_, err := f.store.UpdateCheckoutSession(f.ctx, scope, s.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
							return gateway.SessionChange{}, s.Transition(status, at.Add(time.Hour))
						})
						noErr(t, "UpdateCheckoutSession", err)
					}
					if scope == f.scope {
						sessions = append(sessions, row{s.ID, string(status), at})
					}
				}
			}
		}
	}

	// Every bound on, around and between midnights, and open.
	bounds := []time.Time{{}, day(-1), day(1).Add(-µs), day(1), day(1).Add(µs), day(1).Add(6 * time.Hour),
		day(2), day(3).Add(-µs), day(3), day(3).Add(12 * time.Hour), day(4).Add(-µs), day(4), day(5)}
	const perPage = 3
	want := func(rows []row, status string, r gateway.TimeRange) (ids []string, more bool, total int) {
		var match []row
		for _, x := range rows {
			if (status == "" || x.status == status) && (r.From.IsZero() || !x.created.Before(r.From)) && (r.To.IsZero() || !x.created.After(r.To)) {
				match = append(match, x)
			}
		}
		slices.SortFunc(match, func(a, b row) int {
			return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id))
		})
		for _, x := range match[:min(perPage, len(match))] {
			ids = append(ids, x.id)
		}
		return ids, len(match) > perPage, len(match)
	}
	name := func(tm time.Time) string {
		if tm.IsZero() {
			return "open"
		}
		return tm.Format("02T15:04:05.000000")
	}
	for _, from := range bounds {
		for _, to := range bounds {
			r := gateway.TimeRange{From: from, To: to}
			for _, status := range []gateway.SessionStatus{"", gateway.StatusPending, gateway.StatusCompleted, gateway.StatusExpired} {
				t.Run(fmt.Sprintf("sessions %s to %s status %q", name(from), name(to), status), func(t *testing.T) {
					got, err := f.store.ListCheckoutSessions(f.ctx, f.scope, gateway.SessionFilter{Status: status, Created: r, Page: gateway.Page{PerPage: perPage}})
					noErr(t, "ListCheckoutSessions", err)
					ids, more, total := want(sessions, string(status), r)
					checkList(t, got, sessionID, ids, more, total)
				})
			}
			for _, status := range []gateway.TransactionStatus{"", gateway.TxSettled, "refunded"} {
				t.Run(fmt.Sprintf("transactions %s to %s status %q", name(from), name(to), status), func(t *testing.T) {
					got, err := f.store.ListTransactions(f.ctx, f.scope, gateway.TransactionFilter{Status: status, Created: r, Page: gateway.Page{PerPage: perPage}})
					noErr(t, "ListTransactions", err)
					ids, more, total := want(txns, string(status), r)
					checkList(t, got, txID, ids, more, total)
				})
			}
		}
	}
}

// scopeSuffix makes the ids of rows in the fixture's other scopes distinct.
func scopeSuffix(f *fixture, scope gateway.Scope) string {
	switch scope {
	case f.otherMode:
		return "live"
	case f.otherMerchant:
		return "other"
	}
	return ""
}
