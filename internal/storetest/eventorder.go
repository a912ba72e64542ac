package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// testEventCommitOrder checks the event list is in the order events were
// committed, newest first, whatever their created_at says: an event stamped
// before it was committed (its transaction took its time before another's
// committed) must list above every event already listed, so a consumer that
// pages from the top down to the last event it saw never passes over one.
// Paging by cursor and by page number give every event exactly once.
func testEventCommitOrder(t *testing.T, f *fixture) {
	list := func(t *testing.T, filter gateway.EventFilter) gateway.List[gateway.Event] {
		t.Helper()
		l, err := f.store.ListEvents(f.ctx, f.scope, filter)
		noErr(t, "ListEvents", err)
		return l
	}
	// catchUp pages newest first, per page at a time, down to seen (or the
	// end), and returns what it passed, newest first.
	catchUp := func(t *testing.T, typ gateway.EventType, seen string, per int) []string {
		t.Helper()
		var got []string
		after := ""
		for range 1000 {
			l := list(t, gateway.EventFilter{Type: typ, Page: gateway.Page{PerPage: per, StartingAfter: after}})
			for _, e := range l.Items {
				if e.ID == seen {
					return got
				}
				got = append(got, e.ID)
			}
			if !l.HasMore {
				return got
			}
			after = l.Items[len(l.Items)-1].ID
		}
		t.Fatal("paging did not end")
		return nil
	}

	// Committed in this order; the created_at of each goes back and forth
	// and ties, as concurrent settlements stamp them.
	var committed []string
	stamps := []int{5, 5, 3, 7, 7, 7, 1, 6, 5, 2, 8, 8, 4, 9, 0, 9}
	for i, n := range stamps {
		typ := gateway.EventCheckoutCompleted
		if i%3 == 2 {
			typ = gateway.EventCheckoutExpired
		}
		// Ids that sort against the commit order too.
		id := fmt.Sprintf("evt_%c%02d", 'z'-i, i)
		f.insertEvent(t, event(f.scope, id, typ, "cs_"+id, at(n)), "")
		committed = append(committed, id)
	}
	newestFirst := slices.Clone(committed)
	slices.Reverse(newestFirst)

	t.Run("newest committed first", func(t *testing.T) {
		checkList(t, list(t, gateway.EventFilter{Page: gateway.Page{PerPage: 100}}), eventID, newestFirst, false, len(stamps))
	})
	for _, per := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("cursor and page numbers agree, %d a page", per), func(t *testing.T) {
			byCursor := catchUp(t, "", "", per)
			diff(t, "by cursor", newestFirst, byCursor)
			var byPage []string
			for p := 1; ; p++ {
				l := list(t, gateway.EventFilter{Page: gateway.Page{Page: p, PerPage: per}})
				for _, e := range l.Items {
					byPage = append(byPage, e.ID)
				}
				if !l.HasMore {
					break
				}
			}
			diff(t, "by page", newestFirst, byPage)
		})
	}
	t.Run("a type filter pages through its events once each", func(t *testing.T) {
		var want []string
		for i, id := range newestFirst {
			if (len(stamps)-1-i)%3 != 2 {
				want = append(want, id)
			}
		}
		diff(t, "by cursor", want, catchUp(t, gateway.EventCheckoutCompleted, "", 2))
	})

	t.Run("an event stamped earlier but committed later is not passed over", func(t *testing.T) {
		top := newestFirst[0]
		// A settlement whose transaction stamped its event before the
		// newest one listed, and committed after it was listed.
		late := event(f.scope, "evt_late", gateway.EventCheckoutCompleted, "cs_late", at(-5))
		f.insertEvent(t, late, "")
		diff(t, "caught up since "+top, []string{"evt_late"}, catchUp(t, "", top, 2))
		diff(t, "caught up by type since "+top, []string{"evt_late"}, catchUp(t, gateway.EventCheckoutCompleted, top, 1))
	})
}

// testEventCatchUpUnderConcurrency runs writers that stamp an event, take a
// moment (as a settlement's transaction does), then insert it, beside a
// consumer that keeps catching up: paging from the top down to the newest
// event it has seen. When the writers are done and it has caught up once
// more, it has seen every event exactly once.
func testEventCatchUpUnderConcurrency(t *testing.T, f *fixture) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("evt_w%d_%02d", w, i)
				ev := event(f.scope, id, gateway.EventCheckoutCompleted, "cs_"+id, time.Now().UTC().Truncate(time.Microsecond))
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				if err := f.store.InsertEvent(f.ctx, ev, ""); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]int{}
	newest := ""
	catchUp := func() error {
		var got []string
		after := ""
		for {
			l, err := f.store.ListEvents(f.ctx, f.scope, gateway.EventFilter{Type: gateway.EventCheckoutCompleted,
				Page: gateway.Page{PerPage: 7, StartingAfter: after}})
			if err != nil {
				return err
			}
			for _, e := range l.Items {
				if e.ID == newest {
					l.HasMore = false
					break
				}
				got = append(got, e.ID)
			}
			if !l.HasMore || len(l.Items) == 0 {
				break
			}
			after = l.Items[len(l.Items)-1].ID
		}
		for _, id := range got {
			seen[id]++
		}
		if len(got) > 0 {
			newest = got[0]
		}
		return nil
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		noErr(t, "catch up", catchUp())
	}
	close(errs)
	for err := range errs {
		t.Fatalf("InsertEvent: %v", err)
	}
	noErr(t, "catch up", catchUp())
	var missed, twice []string
	for w := range writers {
		for i := range each {
			id := fmt.Sprintf("evt_w%d_%02d", w, i)
			switch seen[id] {
			case 0:
				missed = append(missed, id)
			case 1:
			default:
				twice = append(twice, id)
			}
		}
	}
	if len(missed) > 0 || len(twice) > 0 {
		t.Errorf("the consumer missed %d events %v and saw %d twice %v, of %d", len(missed), missed, len(twice), twice, writers*each)
	}
}
