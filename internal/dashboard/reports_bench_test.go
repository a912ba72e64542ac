package dashboard

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/password"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/sqlite/sqlitebench"
	"github.com/satsrail/satsrail/internal/storetest"
)

// benchPages is the dashboard on a seeded store, with an owner of the
// seeded merchant signed in: its handler and the session cookie.
type benchPages struct {
	rows   int
	h      *Handler
	cookie string
	db     *storetest.ReportDB
}

func newBenchPages(b *testing.B, db *storetest.ReportDB) *benchPages {
	b.Helper()
	key, err := secretbox.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	acc, err := gateway.NewAccounts(gateway.AccountsConfig{Service: db.Svc, Sealer: sealer(key),
		Hasher: password.Hasher{Params: password.Params{MemoryKiB: 256, Time: 1, Threads: 1}}})
	if err != nil {
		b.Fatal(err)
	}
	// A new user each run: a kept database (SATSRAIL_BENCH_DIR) has the
	// last run's.
	email := "bench-" + strings.ToLower(gateway.RandomString(8)) + "@example.com"
	if _, err := acc.CreateUser(b.Context(), gateway.CreateUserParams{Email: email, Password: testPassword,
		MerchantID: storetest.ReportScope.MerchantID, Role: string(gateway.RoleOwner)}); err != nil {
		b.Fatal(err)
	}
	token, _, err := acc.SignIn(b.Context(), gateway.SignInParams{Email: email, Password: testPassword})
	if err != nil {
		b.Fatal(err)
	}
	h := New(Config{Accounts: acc, PublicURL: "http://dashboard.test"})
	rec := httptest.NewRecorder()
	h.cookies.SetToken(rec, token, time.Now().Add(time.Hour))
	return &benchPages{rows: db.Rows, h: h, cookie: rec.Header().Get("Set-Cookie"), db: db}
}

// BenchmarkDashboardPages measures each page's server time — the handler
// from request to the last byte, the session's authentication, the
// queries and the template included, no network — on 100k and 1M paid
// sessions and transactions in the merchant's mode (the history of
// storetest.ReportHistory; sqlitebench seeds it, SATSRAIL_BENCH_DIR keeps
// it), each page on both sizes one after the other: p50 and p99 in ms.
//
//	SATSRAIL_BENCH_DIR=/tmp/satsrail-bench go test ./internal/dashboard -run '^$' -bench DashboardPages -benchtime 400x
func BenchmarkDashboardPages(b *testing.B) {
	var sites []*benchPages
	for _, n := range storetest.ReportSizes() {
		sites = append(sites, newBenchPages(b, sqlitebench.Reports(b, n)))
	}
	weekAgo := storetest.ReportNow.AddDate(0, 0, -7).Format(dateLayout)
	for _, p := range []struct {
		name string
		path func(s *benchPages) string
	}{
		{"overview", func(*benchPages) string { return "/dashboard" }},
		{"overview_months_fiat", func(*benchPages) string { return "/dashboard?g=month&unit=fiat&currency=usd" }},
		{"sessions", func(*benchPages) string { return "/dashboard/sessions" }},
		{"sessions_expired", func(*benchPages) string { return "/dashboard/sessions?status=expired" }},
		{"sessions_last_week", func(*benchPages) string { return "/dashboard/sessions?from=" + weekAgo }},
		{"sessions_search_email", func(s *benchPages) string {
			return "/dashboard/sessions?q=" + url.QueryEscape(s.db.Sample.CustomerEmail)
		}},
		{"sessions_search_order", func(s *benchPages) string {
			return "/dashboard/sessions?q=" + url.QueryEscape(s.db.Sample.Metadata["order_id"])
		}},
		{"session_detail", func(s *benchPages) string { return "/dashboard/sessions/" + s.db.Sample.ID }},
		{"transactions", func(*benchPages) string { return "/dashboard/transactions" }},
		{"transactions_last_week", func(*benchPages) string { return "/dashboard/transactions?from=" + weekAgo }},
	} {
		b.Run(p.name, func(b *testing.B) {
			for _, s := range sites {
				b.Run(fmt.Sprintf("rows=%d", s.rows), func(b *testing.B) {
					path := p.path(s)
					var took []time.Duration
					for b.Loop() {
						req := httptest.NewRequest("GET", "http://dashboard.test"+path, nil)
						req.Header.Set("Cookie", s.cookie)
						rec := httptest.NewRecorder()
						start := time.Now()
						s.h.ServeHTTP(rec, req)
						took = append(took, time.Since(start))
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s: %d\n%.1000s", path, rec.Code, rec.Body.String())
						}
					}
					storetest.ReportPercentiles(b, took)
				})
			}
		})
	}
}
