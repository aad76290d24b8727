package promsource_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
	"github.com/slo-budget-tracker/slo/spec"
)

// statsClient asks Prometheus for the statistics of every query it sends,
// adds up the samples the queries read in samples and records the
// queries in queries (when not nil).
func statsClient(samples *atomic.Int64, queries *[]string) *http.Client {
	var mu sync.Mutex
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		if queries != nil {
			mu.Lock()
			*queries = append(*queries, q.Get("query"))
			mu.Unlock()
		}
		q.Set("stats", "all")
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
		res, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		var stats struct {
			Data struct {
				Stats struct {
					Samples struct {
						TotalQueryableSamples int64 `json:"totalQueryableSamples"`
					} `json:"samples"`
				} `json:"stats"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &stats) == nil {
			samples.Add(stats.Data.Stats.Samples.TotalQueryableSamples)
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		return res, nil
	})}
}

// snapshotOf returns the snapshot of the SLO named name.
func snapshotOf(t *testing.T, snaps []slo.Snapshot, name string) slo.Snapshot {
	t.Helper()
	for _, s := range snaps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no snapshot of %q in %v", name, snaps)
	return slo.Snapshot{}
}

// TestCalendarEventsAreThePeriods reads a monthly SLO whose grid holds more
// events than its period so far (the month started an hour ago): its
// events are those of the period, which its rules sum, whether the SLO
// comes from a spec or is discovered (by the period number its rules
// record).
func TestCalendarEventsAreThePeriods(t *testing.T) {
	f := promtest.NewFleet()
	monthly := map[string]string{"slo": "monthly", "service": "billing"}
	f.Meta(monthly, 0.99, 31*24*time.Hour)
	f.Gauge("slo:calendar_period:id", monthly, 2026*12+12)
	f.Budget(monthly, 0.99, 1000, 5) // 25 cells of 1,000 events over two hours
	f.Gauge("slo:sli_total:increase_period", monthly, 12000)
	f.Gauge("slo:sli_errors:increase_period", monthly, 60)
	prom := promtest.Start(t, testdeps.Prometheus2, f.Series)
	s := spec.SLO{Service: "billing", Objective: slo.Objective{Name: "monthly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Month}}}
	for _, c := range []struct {
		name string
		slos []spec.SLO
	}{{"from a spec", []spec.SLO{s}}, {"discovered", nil}} {
		t.Run(c.name, func(t *testing.T) {
			src, err := promsource.New(prom.URL, promsource.Options{SLOs: c.slos, Now: func() time.Time { return f.At }})
			if err != nil {
				t.Fatal(err)
			}
			snaps, err := src.Snapshots(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshotOf(t, snaps, "monthly"); got.Total != 12000 || got.Failures != 60 {
				t.Errorf("the month's events: %d of which %d failed; want the period's 12000 and 60", got.Total, got.Failures)
			}
		})
	}
}

// TestExactEventsReadTheBlocks reads an SLO whose rules record blocks (the
// exact method) beside one whose rules record the grid alone (method
// grid), with another window: the first's events come from its blocks and
// partial block, and its window's grid cells are never read.
func TestExactEventsReadTheBlocks(t *testing.T) {
	f := promtest.NewFleet()
	exact := map[string]string{"slo": "exact", "service": "checkout"}
	f.Meta(exact, 0.99, time.Hour)
	f.Budget(exact, 0.99, 400, 3)
	f.Blocks(exact, "15m", 400, 3)
	grid := map[string]string{"slo": "grid", "service": "checkout"}
	f.Meta(grid, 0.99, 2*time.Hour)
	f.Budget(grid, 0.99, 100, 1)
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := promtest.Start(t, e, f.Series)
		var samples atomic.Int64
		var queries []string
		src, err := promsource.New(prom.URL, promsource.Options{Now: func() time.Time { return f.At }, Client: statsClient(&samples, &queries)})
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := src.Snapshots(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 12 grid steps of an hour for exact, 24 of two hours for grid.
		if got := snapshotOf(t, snaps, "exact"); got.Total != 4800 || got.Failures != 36 {
			t.Errorf("exact: %d events of which %d failed; want 4800 and 36", got.Total, got.Failures)
		}
		if got := snapshotOf(t, snaps, "grid"); got.Total != 2400 || got.Failures != 24 {
			t.Errorf("grid: %d events of which %d failed; want 2400 and 24", got.Total, got.Failures)
		}
		for _, q := range queries {
			if strings.Contains(q, "increase5m") && strings.Contains(q, "[59m59s999ms]") {
				t.Errorf("the hour window's events read the grid: %s", q)
			}
		}
		t.Logf("%d queries read %d samples", len(queries), samples.Load())
	})
}
