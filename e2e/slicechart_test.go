package e2e

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
)

// sliceChartSpec is an hour of minutes good at 95%, 90% of which must be
// good, over the scenario's counters.
const sliceChartSpec = `version: slo/v1
service: e2e-chart
window: 1h
slos:
  - name: e2e-minutes
    objective: 90%
    time_slices: {window: 1m, target: 95%}
    sli:
      in_process: {}
`

// TestServeChartsTimeSlicesFromTheRules reads a time-slice SLO's chart
// from the series its generated rules recorded over backfilled counters,
// with a few bad minutes in the last hour: the chart counts the
// slices the rules counted, and ends at the budget they recorded.
func TestServeChartsTimeSlicesFromTheRules(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a rule backfill")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	end := time.Now().Add(-3 * time.Hour).Truncate(time.Hour).UTC()
	start := end.Add(-24 * time.Hour)
	// Counters every 15s: a slice's rate needs two samples in it.
	slots := trafficWith(start, 1, 15*time.Second, 5, func(day int, hour float64) float64 {
		if (hour >= 23.1 && hour < 23.15) || (hour >= 23.6 && hour < 23.62) {
			return 0.5
		}
		return 0.001
	})
	counters := filepath.Join(dir, "events.om")
	if err := writeCounters(counters, openMetrics, `slo="e2e-minutes"`, start, slots); err != nil {
		t.Fatal(err)
	}
	specPath, rulesPath := filepath.Join(dir, "minutes.yaml"), filepath.Join(dir, "minutes.rules.yml")
	if err := os.WriteFile(specPath, []byte(sliceChartSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, cli, "generate", "-o", rulesPath, specPath)
	rules := readRules(t, rulesPath)
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := newPromServer(t, e)
		promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", counters, prom.dataDir)
		prom.start()
		// The rules over the window and a half hour before it: what the
		// window's slices need.
		backfillRules(t, prom, t.TempDir(), "minutes", rules, end.Add(-90*time.Minute), end)
		checkSliceChart(t, prom, end)
	})
}

// checkSliceChart reads the chart of the e2e-minutes SLO at end and
// compares it with the rules' series.
func checkSliceChart(t *testing.T, prom *promServer, end time.Time) {
	t.Helper()
	src, err := promsource.New(prom.url, promsource.Options{Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := src.Charts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 1 {
		t.Fatalf("%d charts, want the one SLO's", len(charts))
	}
	c := charts[0]
	recorded, _ := promSample(t, &prom.queryAPI, `slo:error_budget_remaining:ratio{slo="e2e-minutes"}`, end)
	bad, _ := promSample(t, &prom.queryAPI, `sum_over_time(slo:sli_slice_error:ratio1m{slo="e2e-minutes"}[1h])`, end)
	var slices int
	var spent float64
	for _, b := range c.Slices {
		slices += b.Slices
		spent += b.Spent
	}
	s := c.Snapshot
	t.Logf("the rules recorded %v bad minutes of the last hour and %.4f of the budget left; the chart %d buckets, %d slices, %v spent", bad, recorded, len(c.Slices), slices, spent)
	if bad < 2 {
		t.Fatalf("the rules recorded %v bad minutes in the last hour, want the incidents' few", bad)
	}
	if s.ErrorBudgetRemaining != recorded || s.TotalSlices != 60 || s.SliceBudget != 6 {
		t.Errorf("snapshot: %v left, %d slices, %v allowed bad; want the recorded %v, 60, 6", s.ErrorBudgetRemaining, s.TotalSlices, s.SliceBudget, recorded)
	}
	if len(c.Slices) != 60 || slices != 60 || spent != bad || math.Abs(1-spent/s.SliceBudget-recorded) > 1e-9 {
		t.Errorf("the chart: %d buckets of %d slices spending %v, ending at %v left; want 60 minutes spending the rules' %v, ending at their %v", len(c.Slices), slices, spent, 1-spent/s.SliceBudget, bad, recorded)
	}
}
