package promsource_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
	"github.com/slo-budget-tracker/slo/spec"
)

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// The fleet of the tests: an SLO burning three quarters of its budget, a
// grouped SLO with a spent member whose page alert fires, an SLO whose
// window group has not run yet, and an SLO without traffic.
func fleetFixture() *promtest.Fleet {
	f := promtest.NewFleet()
	pay := map[string]string{"slo": "pay", "service": "checkout"}
	f.Meta(pay, 0.99, time.Hour)
	f.Budget(pay, 0.99, 400, 3)                          // 36 of 4,800 fail: 75% of the budget spent
	f.Blocks(pay, "15m", 400, 3)                         // the same events again, in blocks: read instead of the grid
	f.Gauge("slo:sli_errors:increase_period", pay, 1000) // a calendar period's running sums: not cells
	f.Gauge("slo:sli_total:increase_period", pay, 1000)

	query := map[string]string{"slo": "query", "service": "search"}
	f.Meta(query, 0.9, time.Hour)
	f.Budget(with(query, "route", "/a"), 0.9, 100, 1) // 10% spent
	f.Budget(with(query, "route", "/b"), 0.9, 100, 15)
	f.Firing(with(query, "route", "/b"), "page")

	f.Meta(map[string]string{"slo": "fresh", "service": "search"}, 0.999, time.Hour)

	// One SLO name in one service twice, told apart by a fixed label (the
	// rules of both long-window methods, say).
	for _, method := range []string{"exact", "ratio-average"} {
		dup := map[string]string{"slo": "dup", "service": "checkout", "method": method}
		f.Meta(dup, 0.99, time.Hour)
		f.Budget(dup, 0.99, 100, 0.5)
	}

	idle := map[string]string{"slo": "idle", "service": "checkout"}
	f.Meta(idle, 0.99, time.Hour)
	f.Budget(idle, 0.99, 0, 0)
	return f
}

// countingClient counts the requests it sends.
func countingClient(n *atomic.Int64) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func summary(snaps []slo.Snapshot) string {
	var lines []string
	for _, s := range snaps {
		line := fmt.Sprintf("%s/%s %v remaining=%.2f total=%d failures=%d nodata=%v exhausted=%v", s.Service, s.Name, s.Labels, s.ErrorBudgetRemaining, s.Total, s.Failures, s.NoData, s.IsBudgetExhausted())
		for _, b := range s.BurnRates {
			line += fmt.Sprintf(" burn%v=%.2f", b.Window, b.BurnRate)
		}
		for _, t := range s.Tiers {
			line += fmt.Sprintf(" tier(%s %v/%v x%g firing=%v)", t.Severity, t.LongWindow, t.ShortWindow, t.Factor, t.Firing)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func TestSourceReadsTheFleet(t *testing.T) {
	testdeps.ForEachEngine(t, testSourceReadsTheFleet)
}

func testSourceReadsTheFleet(t *testing.T, e testdeps.Engine) {
	f := fleetFixture()
	prom := promtest.Start(t, e, f.Series)
	ctx := context.Background()

	t.Run("discovered", func(t *testing.T) {
		var queries atomic.Int64
		src, err := promsource.New(prom.URL, promsource.Options{Now: func() time.Time { return f.At }, Client: countingClient(&queries)})
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := src.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{
			"checkout/dup map[method:exact] remaining=0.50 total=1200 failures=6 nodata=false exhausted=false burn5m0s=0.50 burn1h0m0s=0.50",
			"checkout/dup map[method:ratio-average] remaining=0.50 total=1200 failures=6 nodata=false exhausted=false burn5m0s=0.50 burn1h0m0s=0.50",
			"checkout/idle map[] remaining=1.00 total=0 failures=0 nodata=true exhausted=false burn5m0s=0.00 burn1h0m0s=0.00",
			"checkout/pay map[] remaining=0.25 total=4800 failures=36 nodata=false exhausted=false burn5m0s=0.75 burn1h0m0s=0.75",
			"search/fresh map[] remaining=1.00 total=0 failures=0 nodata=true exhausted=false",
			"search/query map[route:/a] remaining=0.90 total=1200 failures=12 nodata=false exhausted=false burn5m0s=0.10 burn1h0m0s=0.10",
			"search/query map[route:/b] remaining=-0.50 total=1200 failures=180 nodata=false exhausted=true burn5m0s=1.50 burn1h0m0s=1.50 tier(page 1h0m0s/5m0s x0 firing=true)",
		}, "\n")
		if got := summary(snaps); got != want {
			t.Errorf("snapshots:\n%s\nwant:\n%s", got, want)
		}
		// 6 instant queries, the events of the one window for every SLO (of
		// pay's blocks, and of the others' grid) and the names of the slice
		// series.
		if n := queries.Load(); n != 11 {
			t.Errorf("Snapshots sent %d queries, want 11", n)
		}
		queries.Store(0)
		charts, err := src.Charts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := queries.Load(); n != 13 {
			t.Errorf("Charts sent %d queries, want 13", n)
		}
		for _, c := range charts {
			var bad uint64
			for _, b := range c.History {
				bad += b.Bad
			}
			if c.Snapshot.NoData != (bad == 0) && c.Snapshot.Name != "idle" {
				t.Errorf("%s%v: %d buckets holding %d failures", c.Snapshot.Name, c.Snapshot.Labels, len(c.History), bad)
			}
			if c.Snapshot.Name == "pay" && (len(c.History) != 12 || bad != 36) {
				t.Errorf("pay: %d buckets holding %d failures; want 12 (the 5m grid steps of 1h) holding the window's 36", len(c.History), bad)
			}
		}
	})

	t.Run("specs", func(t *testing.T) {
		file, err := spec.LoadBytes("fleet.yaml", []byte(`version: slo/v1
service: checkout
window: 1h
slos:
  - name: pay
    description: Payments succeed.
    objective: 99%
    sli:
      in_process: {}
    alerting:
      tiers:
        - {severity: page, long_window: 1h, short_window: 5m, factor: 14.4}
  - name: refund
    objective: 99%
    sli:
      in_process: {}
---
version: slo/v1
service: search
window: 1h
slos:
  - name: query
    objective: 90%
    group_by: [route]
    sli:
      in_process: {}
    alerting:
      tiers:
        - {severity: page, long_window: 1h, short_window: 5m, factor: 1.2}
        - {severity: ticket, long_window: 1h, short_window: 5m, factor: 1}
`))
		if err != nil {
			t.Fatal(err)
		}
		src, err := promsource.New(prom.URL, promsource.Options{SLOs: file.SLOs, Now: func() time.Time { return f.At }})
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := src.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{
			"checkout/pay map[] remaining=0.25 total=4800 failures=36 nodata=false exhausted=false burn5m0s=0.75 burn1h0m0s=0.75 tier(page 1h0m0s/5m0s x14.4 firing=false)",
			"checkout/refund map[] remaining=1.00 total=0 failures=0 nodata=true exhausted=false" + defaultTiers(),
			"search/query map[route:/a] remaining=0.90 total=1200 failures=12 nodata=false exhausted=false burn5m0s=0.10 burn1h0m0s=0.10 tier(page 1h0m0s/5m0s x1.2 firing=false) tier(ticket 1h0m0s/5m0s x1 firing=false)",
			"search/query map[route:/b] remaining=-0.50 total=1200 failures=180 nodata=false exhausted=true burn5m0s=1.50 burn1h0m0s=1.50 tier(page 1h0m0s/5m0s x1.2 firing=true) tier(ticket 1h0m0s/5m0s x1 firing=false)",
		}, "\n")
		if got := summary(snaps); got != want {
			t.Errorf("snapshots:\n%s\nwant:\n%s", got, want)
		}
		if snaps[0].Description != "Payments succeed." {
			t.Errorf("pay's description %q", snaps[0].Description)
		}
	})

	t.Run("down", func(t *testing.T) {
		src, err := promsource.New(prom.URL, promsource.Options{Now: func() time.Time { return f.At }, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		prom.Stop()
		if _, err := src.Snapshots(ctx); err == nil || !strings.Contains(err.Error(), prom.URL) {
			t.Errorf("Snapshots with Prometheus down: %v; want an error naming %s", err, prom.URL)
		}
		if _, err := src.Charts(ctx); err == nil {
			t.Error("Charts with Prometheus down: no error")
		}
		prom.Start()
		if snaps, err := src.Snapshots(ctx); err != nil || len(snaps) != 7 {
			t.Errorf("Snapshots with Prometheus back: %d snapshots, %v", len(snaps), err)
		}
	})
}

// defaultTiers is how summary spells the default tiers of a 1h SLO with
// no data.
func defaultTiers() string {
	o := slo.Objective{Name: "x", Target: 0.99, Window: time.Hour}.WithDefaults()
	var s string
	for _, t := range o.Tiers {
		s += fmt.Sprintf(" tier(%s %v/%v x%g firing=false)", t.Severity, t.LongWindow, t.ShortWindow, t.Factor)
	}
	return s
}

func TestNewRejectsBadInput(t *testing.T) {
	for _, u := range []string{"", "prometheus:9090", "ftp://x", "http://"} {
		if _, err := promsource.New(u, promsource.Options{}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	if _, err := promsource.New("http://p:9090", promsource.Options{Timeout: -time.Second}); err == nil {
		t.Error("a negative timeout: no error")
	}
	if _, err := promsource.New("http://p:9090", promsource.Options{SLOs: []spec.SLO{{Objective: slo.Objective{Name: "a", Target: 0.99, Window: time.Hour}}}}); err == nil || !strings.Contains(err.Error(), "service") {
		t.Errorf("an SLO without service: %v", err)
	}
}

// A server that accepts connections and never answers costs a reading the
// timeout, not forever.
func TestQueriesHaveATimeout(t *testing.T) {
	silent := promtest.Silent(t)
	src, err := promsource.New(silent, promsource.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err = src.Snapshots(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Snapshots from a silent server: %v; want the deadline exceeded", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Snapshots took %v with a timeout of 200ms", d)
	}
}
