package promrules

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// The time-slice accuracy test replays 31h37m of traffic through the
// generated rules of a time-slice SLO in promtool, and through an
// in-process tracker, and compares the remaining budget of the 1-day window
// at the end with the truth counted from the raw per-step events. Slices
// are 1 minute and must reach 98%; the objective is 97% of good slices, so
// the budget is 43.2 bad slices a day.
const (
	sliceAccWindow = day
	sliceAccStep   = 15 * time.Second
	sliceAccEnd    = day + 7*time.Hour + 37*time.Minute
	sliceAccTarget = 0.97
	sliceAccSlice  = time.Minute
	sliceAccGood   = 0.98
)

const sliceAccStory = "1,000 events a minute 08:00-20:00, 200 at night, none 02:00-04:00; " +
	"every hour a minute at 20% errors, one exactly on the 2% slice target and one at 1.6%; " +
	"a minute at 2.1% every busy hour"

// sliceAccEvents returns the events and errors of input step i, which covers
// (i-1, i] steps of 15s: whole numbers, so the tracker records them as they
// are.
func sliceAccEvents(i int) (total, errors uint64) {
	start := time.Duration(i-1) * sliceAccStep
	m := int(start % day / time.Minute)
	q := int(start % time.Minute / sliceAccStep)
	h, minute := m/60, m%60
	busy := h >= 8 && h < 20
	switch {
	case h >= 2 && h < 4:
		return 0, 0
	case busy:
		total = 250
	default:
		total = 50
	}
	switch {
	case minute == 17:
		return total, total / 5
	case minute == 41:
		return total, total / 50 // exactly 2%: good
	case minute == 53 && busy:
		return total, 5 + boolUint(q == 0) // 21 of 1,000: bad
	case minute == 29 && busy:
		return total, 4 // 1.6%
	case minute == 29:
		return total, 3 * boolUint(q == 0) // 3 of 200: 1.5%
	case busy && q == 0:
		return total, 1
	}
	return total, 0
}

func boolUint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func TestAccuracyTimeSlicesWithinOnePercentOfBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays 31 hours of 1-minute slices in promtool per engine")
	}
	methods := []struct {
		name   string
		slices slo.TimeSlices
	}{
		{"Timeslices", slo.TimeSlices{Window: sliceAccSlice, Target: sliceAccGood}},
		{"RatioTimeslices", slo.TimeSlices{Window: sliceAccSlice, Average: true}},
	}
	steps := int(sliceAccEnd / sliceAccStep)
	// The truth: slices by the start of their steps, the window's last
	// 1,440 completed ones at the end.
	perSlice := map[int64][2]uint64{}
	var segs []segment
	for i := 1; i <= steps; i++ {
		tot, errs := sliceAccEvents(i)
		k := int64(time.Duration(i-1) * sliceAccStep / sliceAccSlice)
		c := perSlice[k]
		perSlice[k] = [2]uint64{c[0] + tot, c[1] + errs}
		if n := len(segs); n > 0 && segs[n-1].total == float64(tot) && segs[n-1].errors == float64(errs) {
			segs[n-1].steps++
			continue
		}
		segs = append(segs, segment{steps: 1, total: float64(tot), errors: float64(errs)})
	}
	n := int64(sliceAccWindow / sliceAccSlice)
	last := int64(sliceAccEnd/sliceAccSlice) - 1
	truth := map[string]float64{}
	var slos []spec.SLO
	group := testGroup{Name: "time-slice accuracy", Interval: promDuration(sliceAccStep)}
	good := func(s segment) float64 { return s.total - s.errors }
	bad := func(s segment) float64 { return s.errors }
	group.InputSeries = []inputSeries{
		{Series: `requests_total{scenario="slices",code="200"}`, Values: values(segs, good, false)},
		{Series: `requests_total{scenario="slices",code="500"}`, Values: values(segs, bad, false)},
	}
	tracked := map[string]float64{}
	for _, m := range methods {
		var spent float64
		for k := last - n + 1; k <= last; k++ {
			c := perSlice[k]
			switch {
			case c[0] == 0:
			case m.slices.Average:
				spent += float64(c[1]) / float64(c[0])
			case float64(c[0]-c[1])/float64(c[0]) < m.slices.Target:
				spent++
			}
		}
		truth[m.name] = 1 - spent/float64(n)/(1-sliceAccTarget)

		o := slo.Objective{Name: m.name, Target: sliceAccTarget, Window: sliceAccWindow, Tiers: []slo.AlertTier{}, Slices: m.slices}
		slos = append(slos, spec.SLO{Service: "accuracy", Objective: o, SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{scenario="slices",code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total{scenario="slices"}[{{.window}}]))`,
		}})
		tracked[m.name] = trackSlices(t, o, steps)
		sel := selector(metricBudgetRemaining, map[string]string{"slo": m.name, "service": "accuracy"})
		group.ExprTests = append(group.ExprTests, exprTest{Expr: sel, EvalTime: promDuration(sliceAccEnd),
			ExpSamples: []expSample{{Labels: sel, Value: truth[m.name]}}})
	}
	for _, m := range methods {
		if d := math.Abs(tracked[m.name] - truth[m.name]); d > 0.01 {
			t.Errorf("%s: tracker remaining budget %.5f, true %.5f: off by %.5f, more than 0.01", m.name, tracked[m.name], truth[m.name], d)
		}
	}
	rules := mustGenerate(t, slos, Options{})
	probe, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: promDuration(sliceAccSlice), Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]float64{} // engine -> method -> remaining
	var mu sync.Mutex                      // guards got: the engines replay at once
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		start := time.Now()
		out, _ := testRules(t, e, rules.Rules, probe)
		t.Logf("promtool replayed %s in %v", promDuration(sliceAccEnd), time.Since(start).Round(time.Millisecond))
		res := parseProbe(t, out, truth)
		for _, m := range methods {
			if d := math.Abs(res[m.name] - truth[m.name]); d > 0.01 {
				t.Errorf("%s: rules' remaining budget %.5f, true %.5f: off by %.5f, more than 0.01", m.name, res[m.name], truth[m.name], d)
			}
		}
		mu.Lock()
		got[e.Name] = res
		mu.Unlock()
	})
	if len(got) != len(testdeps.Engines) || t.Failed() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| budgeting method | traffic | true remaining budget | tracker | error |")
	for _, e := range testdeps.Engines {
		fmt.Fprintf(&b, " rules, %s | error |", e.Name)
	}
	fmt.Fprintf(&b, "\n|---|---|---:|---:|---:|%s\n", strings.Repeat("---:|", 2*len(testdeps.Engines)))
	for _, m := range methods {
		fmt.Fprintf(&b, "| %s | %s | %.5f | %.5f | %+.5f |", m.name, sliceAccStory, truth[m.name], tracked[m.name], tracked[m.name]-truth[m.name])
		for _, e := range testdeps.Engines {
			v := got[e.Name][m.name]
			fmt.Fprintf(&b, " %.5f | %+.5f |", v, v-truth[m.name])
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
	docSection(t, filepath.Join("..", "docs", "accuracy.md"), "timeslices", b.String())
}

// trackSlices records the steps in a tracker for o, each at the start of
// its step on promtool's clock (which starts at the Unix epoch), and
// returns its remaining budget at the end.
func trackSlices(t *testing.T, o slo.Objective, steps int) float64 {
	t.Helper()
	var now time.Time
	tr, err := slo.NewTracker(o, slo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= steps; i++ {
		now = time.Unix(0, 0).Add(time.Duration(i-1) * sliceAccStep)
		tot, errs := sliceAccEvents(i)
		tr.RecordN(tot-errs, errs)
	}
	now = time.Unix(0, 0).Add(sliceAccEnd)
	return tr.Snapshot().ErrorBudgetRemaining
}
