package promsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/spec"
)

// sliceFleet holds what the rules record for two time-slice SLOs of a 1h
// window: uptime, minutes good at 95% of which 90% must be good (6 bad
// allowed), with bad minutes 10, 30, 50 and 70 minutes before At (the last
// out of the window); and latency, the average of 5m slices against 50%
// (6 slices' worth of error allowed), 0.5 spent 20 minutes before At and
// 0.25 5 minutes before.
func sliceFleet() *promtest.Fleet {
	f := promtest.NewFleet()
	slices := func(labels map[string]string, width time.Duration, spent map[int]float64) {
		s := promtest.Series{Name: "slo:sli_slice_error:ratio" + fmt.Sprint(int(width.Minutes())) + "m", Labels: labels}
		for k := 120; k >= 0; k -= int(width.Minutes()) {
			s.Samples = append(s.Samples, promtest.Sample{At: f.At.Add(-time.Duration(k) * time.Minute), Value: spent[k]})
		}
		f.Series = append(f.Series, s)
	}
	budget := func(labels map[string]string, target, spentShare float64) {
		f.Gauge("slo:objective:ratio", labels, target)
		f.Gauge("slo:error_budget:ratio", labels, math.Round((1-target)*1e9)/1e9)
		f.Gauge("slo:window:seconds", labels, 3600)
		burn := spentShare / math.Round((1-target)*1e9) * 1e9
		f.Gauge("slo:error_budget_remaining:ratio", labels, 1-burn)
		f.Gauge("slo:burn_rate:ratio_window", labels, burn)
		f.Gauge("slo:sli_error:ratio_window", labels, spentShare)
	}
	uptime := map[string]string{"slo": "uptime", "service": "status"}
	slices(uptime, time.Minute, map[int]float64{10: 1, 30: 1, 50: 1, 70: 1})
	budget(uptime, 0.9, 3.0/60)
	latency := map[string]string{"slo": "latency", "service": "status"}
	slices(latency, 5*time.Minute, map[int]float64{20: 0.5, 5: 0.25})
	budget(latency, 0.5, 0.75/12)
	return f
}

func TestChartsCountTimeSlicesInSlices(t *testing.T) {
	testdeps.ForEachEngine(t, testChartsCountTimeSlicesInSlices)
}

func testChartsCountTimeSlicesInSlices(t *testing.T, e testdeps.Engine) {
	f := sliceFleet()
	prom := promtest.Start(t, e, f.Series)
	file, err := spec.LoadBytes("slices.yaml", []byte(`version: slo/v1
service: status
window: 1h
slos:
  - name: uptime
    objective: 90%
    time_slices: {window: 1m, target: 95%}
    sli:
      in_process: {}
  - name: latency
    objective: 50%
    time_slices: {window: 5m, average: true}
    sli:
      in_process: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		buckets, slicesPerBucket int
		spent                    map[int]float64 // by bucket
		total                    int
		good, budget, remaining  float64
	}
	wants := map[string]want{
		"uptime":  {60, 1, map[int]float64{9: 1, 29: 1, 49: 1}, 60, 57, 6, 0.5},
		"latency": {12, 1, map[int]float64{7: 0.5, 10: 0.25}, 12, 11.25, 6, 0.875},
	}
	for _, mode := range []string{"specs", "discovered"} {
		t.Run(mode, func(t *testing.T) {
			var queries atomic.Int64
			opts := promsource.Options{Now: func() time.Time { return f.At }, Client: countingClient(&queries)}
			if mode == "specs" {
				opts.SLOs = file.SLOs
			}
			src, err := promsource.New(prom.URL, opts)
			if err != nil {
				t.Fatal(err)
			}
			charts, err := src.Charts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// The reading's instant queries, the series of the discovered
			// SLOs' slices, and a range query per slice width and window.
			wantQueries := int64(6 + 2)
			if mode == "discovered" {
				wantQueries++
			}
			if n := queries.Load(); n != wantQueries {
				t.Errorf("Charts sent %d queries, want %d", n, wantQueries)
			}
			if len(charts) != 2 {
				t.Fatalf("%d charts, want 2", len(charts))
			}
			snaps, err := src.Snapshots(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range charts {
				s, w := c.Snapshot, wants[c.Snapshot.Name]
				if s.TotalSlices != w.total || math.Abs(s.GoodSlices-w.good) > 1e-9 || math.Abs(s.SliceBudget-w.budget) > 1e-9 || math.Abs(s.ErrorBudgetRemaining-w.remaining) > 1e-9 {
					t.Errorf("%s: %d slices, %v good, budget %v, %v left; want %d, %v, %v, %v", s.Name, s.TotalSlices, s.GoodSlices, s.SliceBudget, s.ErrorBudgetRemaining, w.total, w.good, w.budget, w.remaining)
				}
				if snaps[i].TotalSlices != s.TotalSlices || snaps[i].GoodSlices != s.GoodSlices {
					t.Errorf("%s: Snapshots counts %d slices, %v good; Charts %d, %v", s.Name, snaps[i].TotalSlices, snaps[i].GoodSlices, s.TotalSlices, s.GoodSlices)
				}
				if len(c.Slices) != w.buckets {
					t.Fatalf("%s: %d slice buckets, want %d", s.Name, len(c.Slices), w.buckets)
				}
				// The chart ends where the budget stands.
				var slices int
				var spent float64
				for j, b := range c.Slices {
					slices += b.Slices
					spent += b.Spent
					if math.Abs(b.Spent-w.spent[j]) > 1e-9 {
						t.Errorf("%s: bucket %d (ending %v before At) spent %v, want %v", s.Name, j, f.At.Sub(b.Start)-s.Window/time.Duration(w.buckets), b.Spent, w.spent[j])
					}
				}
				if slices != s.TotalSlices || math.Abs(1-spent/s.SliceBudget-s.ErrorBudgetRemaining) > 1e-9 {
					t.Errorf("%s: the chart holds %d slices spending %v of %v: %v left; the snapshot %d slices, %v left", s.Name, slices, spent, s.SliceBudget, 1-spent/s.SliceBudget, s.TotalSlices, s.ErrorBudgetRemaining)
				}
				if end := c.Slices[len(c.Slices)-1]; !end.Start.Add(s.Window / time.Duration(w.buckets)).Equal(f.At) {
					t.Errorf("%s: the last bucket starts at %v, want it to end at %v", s.Name, end.Start, f.At)
				}
			}

			// The dashboard over the source draws the charts in slices, each
			// ending where its budget stands.
			w := httptest.NewRecorder()
			slohttp.DashboardHandler(src).ServeHTTP(w, httptest.NewRequest("GET", "/data.json", nil))
			var data struct {
				SLOs []struct {
					Name      string  `json:"name"`
					Remaining float64 `json:"error_budget_remaining"`
					History   struct {
						Unit      string    `json:"unit"`
						Remaining []float64 `json:"remaining"`
					} `json:"history"`
				} `json:"slos"`
			}
			if err := json.NewDecoder(w.Body).Decode(&data); err != nil {
				t.Fatalf("data.json: %v", err)
			}
			for _, d := range data.SLOs {
				h := d.History
				if h.Unit != "slices" || len(h.Remaining) != wants[d.Name].buckets || math.Abs(h.Remaining[len(h.Remaining)-1]-d.Remaining) > 1e-9 {
					t.Errorf("dashboard: %s's chart in %q, %d points, ending at %v; want slices, %d points, ending at the budget left, %v", d.Name, h.Unit, len(h.Remaining), h.Remaining, wants[d.Name].buckets, d.Remaining)
				}
			}
		})
	}
}
