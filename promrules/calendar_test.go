package promrules

import (
	"bufio"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// gmtMinus12 is a zone 12 hours behind UTC: promtool's time 0 is noon on
// 31 December 1969 there, so a month starts 12 hours into a test.
func gmtMinus12(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Etc/GMT+12")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func calendarSLO(s spec.SLO, c slo.Calendar) spec.SLO {
	s.Objective.Calendar = c
	s.Objective.Window = 0
	return s
}

func TestCalendarGeneratedTestsPass(t *testing.T) {
	grouped := selectors
	grouped.GroupBy = []string{"queue"}
	grouped.SLI.ErrorQuery = `sum by (queue) (rate(jobs_failed_total[{{.window}}]))`
	grouped.SLI.TotalQuery = `sum by (queue) (rate(jobs_total[{{.window}}]))`
	slos := []spec.SLO{
		calendarSLO(availability, slo.Calendar{Period: slo.Month}),
		calendarSLO(latency, slo.Calendar{Period: slo.Week}),
		calendarSLO(selectors, slo.Calendar{Period: slo.Quarter, Location: gmtMinus12(t)}),
		calendarSLO(grouped, slo.Calendar{Period: slo.Month, Location: gmtMinus12(t)}),
	}
	for _, s := range slos {
		// The tiers' rules do not depend on the window's kind; short ones
		// keep promtool's replay short.
		s.Objective.Tiers = selectors.Objective.Tiers
		t.Run(s.Objective.Name+" "+s.Objective.Calendar.String(), func(t *testing.T) {
			rules := mustGenerate(t, []spec.SLO{s}, Options{})
			tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
			if err != nil {
				t.Fatal(err)
			}
			passRules(t, rules.Rules, tests.Tests)
		})
	}
}

func TestCalendarRulesRefuseWhatTheyCannotFollow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		slo   spec.SLO
		opts  Options
		field string
		want  string
	}{
		{"daylight saving", calendarSLO(availability, slo.Calendar{Period: slo.Month, Location: berlin}), Options{}, "calendar.time_zone", "Europe/Berlin changes its UTC offset (daylight saving)"},
		{"error ratio SLI", calendarSLO(slothRatio, slo.Calendar{Period: slo.Month}), Options{}, "calendar", "an SLI given as an error ratio alone cannot"},
		{"grid across period starts", calendarSLO(availability, slo.Calendar{Period: slo.Month}), Options{Grid: 7 * time.Minute}, "calendar", "does not divide 15 minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate([]spec.SLO{tc.slo}, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Generate: %v; want %s: %s", err, tc.field, tc.want)
			}
		})
	}
	// ratio-average is not for calendar windows: they get exact, and a
	// warning says so.
	res := mustGenerate(t, []spec.SLO{calendarSLO(availability, slo.Calendar{Period: slo.Month})}, Options{Method: MethodRatioAverage})
	if !hasWarning(res.Warnings, "the SLO uses method exact, not ratio-average") || !strings.Contains(string(res.Rules), metricErrorsPeriod) {
		t.Errorf("ratio-average for a calendar SLO: warnings %q", res.Warnings)
	}
	// A zone with a fixed offset other than UTC is followed.
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	rules := mustGenerate(t, []spec.SLO{calendarSLO(availability, slo.Calendar{Period: slo.Month, Location: kolkata})}, Options{})
	if !strings.Contains(string(rules.Rules), "vector(time() + 19650)") {
		t.Errorf("Asia/Kolkata's +05:30 (less half the grid) is not in the rules:\n%s", rules.Rules)
	}
}

// TestCalendarPeriodSeriesAtEveryPeriod checks slo:calendar_period:id and
// slo:window:seconds in promtool at instants that promtool can reach only
// through the zone's offset: the expressions themselves are checked
// against Go's calendar for dates across years, leap years and quarters
// by evaluating them with a shifted time().
func TestCalendarPeriodSeriesAtEveryPeriod(t *testing.T) {
	loc := gmtMinus12(t)
	s := calendarSLO(availability, slo.Calendar{Period: slo.Quarter, Location: loc})
	opts, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := planAll([]spec.SLO{s}, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	var group testGroup
	group.Name = "period series"
	group.Interval = "5m"
	group.InputSeries = []inputSeries{{Series: "unrelated", Values: "0+0x2"}}
	// time() is promtool's eval time, 0 or 5m: shift it by a constant
	// to any date, in the expressions only.
	dates := []time.Time{
		time.Date(2024, 2, 29, 23, 0, 0, 0, loc), time.Date(2023, 2, 14, 0, 0, 0, 0, loc),
		time.Date(2100, 3, 31, 23, 59, 0, 0, loc), time.Date(2000, 1, 1, 0, 0, 0, 0, loc),
		time.Date(2026, 4, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 31, 23, 0, 0, 0, loc),
	}
	for _, d := range dates {
		// The rules name the period of the middle of the grid cell that
		// ends at the evaluation time: the one before at a period start.
		shift := fmt.Sprintf("time() + %d", d.Unix())
		start, end := p.obj.Calendar.Bounds(d.Add(-p.grid / 2))
		group.ExprTests = append(group.ExprTests, exprTest{
			Expr: strings.ReplaceAll(p.windowSeconds(), "time()", shift), EvalTime: "0s",
			ExpSamples: []expSample{{Value: end.Sub(start).Seconds()}},
		})
		y, m, _ := start.In(loc).Date()
		group.ExprTests = append(group.ExprTests, exprTest{
			Expr: strings.ReplaceAll(p.periodID(), "time()", shift), EvalTime: "0s",
			ExpSamples: []expSample{{Value: float64(y*4 + (int(m)-1)/3)}},
		})
	}
	probe, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "5m", Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, []byte("groups: []\n"), probe)
}

// The calendar accuracy scenario: a month in Etc/GMT+12 starts 12 hours
// into the replay. December's last hours carry an incident that overspends
// its budget; January must start untouched and count only its own events.
const (
	calStep   = time.Minute
	calEnd    = 36 * time.Hour
	calTarget = 0.999
	calReset  = 12 * time.Hour
)

var calProbes = []time.Duration{11*time.Hour + 55*time.Minute, 12*time.Hour + 15*time.Minute, 14 * time.Hour, 24 * time.Hour, 36 * time.Hour}

// calPerMinute gives events and errors per minute at minute m since time
// 0 (noon of 31 December in the zone), whole numbers so that the tracker
// records exactly the input's events: diurnal traffic with an error every
// 10 minutes by day and every hour by night, 5% errors 09:00-11:00 after
// time 0 (21:00-23:00 local, in December), and 1% for half an hour at 20:00
// (08:00 local, in January).
func calPerMinute(m int) (float64, float64) {
	t := diurnal(m % (24 * 60))
	switch {
	case m >= 9*60 && m < 11*60:
		return t, 0.05 * t
	case m >= 20*60 && m < 20*60+30:
		return t, 0.01 * t
	case t > 100 && m%10 == 0, m%60 == 0:
		return t, 1
	}
	return t, 0
}

// calSteps returns the events and errors of each input step: step i
// covers (i-1, i] steps of calStep.
func calSteps() (total, errs []float64) {
	for i := 1; i <= int(calEnd/calStep); i++ {
		tot, e := calPerMinute(int(time.Duration(i-1) * calStep / time.Minute))
		total = append(total, quantize(tot*calStep.Minutes()))
		errs = append(errs, quantize(e*calStep.Minutes()))
	}
	return total, errs
}

// calTruth is the remaining budget of the period holding at, counted from
// the steps that end in it.
func calTruth(c slo.Calendar, total, errs []float64, at time.Duration) float64 {
	start, _ := c.Bounds(time.Unix(0, int64(at)))
	var n, bad float64
	for i := range total {
		end := time.Duration(i+1) * calStep
		if end <= at && time.Unix(0, int64(end)).After(start) {
			n += total[i]
			bad += errs[i]
		}
	}
	if n == 0 {
		return 1
	}
	return 1 - bad/n/(1-calTarget)
}

// calTracker replays the steps through an in-process tracker, each step's
// events just before its end, and returns its remaining budget at each
// probe.
func calTracker(t *testing.T, c slo.Calendar, total, errs []float64) map[time.Duration]float64 {
	clock := slotest.NewClock(time.Unix(0, 0))
	tr, err := slo.NewTracker(slo.Objective{Name: "calendar", Target: calTarget, Calendar: c, Tiers: []slo.AlertTier{}}, slo.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	got := map[time.Duration]float64{}
	probe := 0
	for i := range total {
		end := time.Duration(i+1) * calStep
		clock.Set(time.Unix(0, int64(end-time.Millisecond)))
		tr.RecordN(uint64(total[i]-errs[i]), uint64(errs[i]))
		for probe < len(calProbes) && calProbes[probe] <= end {
			if calProbes[probe] == end || probe < len(calProbes) {
				clock.Set(time.Unix(0, int64(calProbes[probe])))
				got[calProbes[probe]] = tr.Snapshot().ErrorBudgetRemaining
			}
			probe++
		}
	}
	return got
}

func TestCalendarMonthBoundaryAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays 36 hours in promtool per engine")
	}
	c := slo.Calendar{Period: slo.Month, Location: gmtMinus12(t)}
	if start, _ := c.Bounds(time.Unix(0, int64(calReset))); start.Unix() != int64(calReset/time.Second) {
		t.Fatalf("January starts at %v, not 12h into the replay", start)
	}
	s := spec.SLO{
		Service:   "accuracy",
		Objective: slo.Objective{Name: "calendar", Target: calTarget, Calendar: c, Tiers: []slo.AlertTier{}},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total[{{.window}}]))`,
		},
	}
	total, errs := calSteps()
	var segs []segment
	for i := range total {
		if n := len(segs); n > 0 && segs[n-1].total == total[i] && segs[n-1].errors == errs[i] {
			segs[n-1].steps++
			continue
		}
		segs = append(segs, segment{steps: 1, total: total[i], errors: errs[i]})
	}
	group := testGroup{Name: "calendar accuracy", Interval: promDuration(calStep), InputSeries: []inputSeries{
		{Series: `requests_total{code="200"}`, Values: values(segs, func(s segment) float64 { return s.total - s.errors }, false)},
		{Series: `requests_total{code="500"}`, Values: values(segs, func(s segment) float64 { return s.errors }, false)},
	}}
	truth := map[time.Duration]float64{}
	sel := selector(metricBudgetRemaining, map[string]string{"slo": "calendar", "service": "accuracy"})
	for _, at := range calProbes {
		truth[at] = calTruth(c, total, errs, at)
		group.ExprTests = append(group.ExprTests, exprTest{Expr: sel, EvalTime: promDuration(at), ExpSamples: []expSample{{Labels: sel, Value: truth[at]}}})
	}
	if truth[calProbes[0]] > 0 || truth[calProbes[1]] < 0.75 {
		t.Fatalf("the scenario lost its story: December's budget %v at 11:55 (want overspent), January's %v at 12:15 (want 0.8, its errors' steady 20%%)", truth[calProbes[0]], truth[calProbes[1]])
	}
	probe, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "5m", Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	tracker := calTracker(t, c, total, errs)
	got := map[string]map[time.Duration]float64{}
	var mu sync.Mutex // guards got: the engines replay at once
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		out, _ := testRules(t, e, rules.Rules, probe)
		vals := parseTimedProbe(t, out, truth)
		mu.Lock()
		got[e.Name] = vals
		mu.Unlock()
	})
	for _, at := range calProbes {
		if d := math.Abs(tracker[at] - truth[at]); d > 0.01 {
			t.Errorf("at %s the tracker's remaining budget is %.5f, true %.5f: off by more than 1%% of budget", promDuration(at), tracker[at], truth[at])
		}
		for name, vals := range got {
			if d := math.Abs(vals[at] - truth[at]); d > 0.01 {
				t.Errorf("at %s %s's rules give %.5f, true %.5f: off by more than 1%% of budget", promDuration(at), name, vals[at], truth[at])
			}
		}
	}
	if len(got) != len(testdeps.Engines) || t.Failed() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| time since the replay's start (local time) | true remaining budget | tracker | error |")
	for _, e := range testdeps.Engines {
		fmt.Fprintf(&b, " rules, %s | error |", e.Name)
	}
	fmt.Fprintf(&b, "\n|---|---:|---:|---:|%s\n", strings.Repeat("---:|---:|", len(testdeps.Engines)))
	for _, at := range calProbes {
		local := time.Unix(0, int64(at)).In(c.Location)
		fmt.Fprintf(&b, "| %s (%s) | %.5f | %.5f | %+.5f |", promRange(at), local.Format("Jan 2 15:04"), truth[at], tracker[at], tracker[at]-truth[at])
		for _, e := range testdeps.Engines {
			fmt.Fprintf(&b, " %.5f | %+.5f |", got[e.Name][at], got[e.Name][at]-truth[at])
		}
		b.WriteString("\n")
	}
	// What the window's rules read per evaluation, counted as for the
	// rolling window (longWindowSamples): the cells of the longest period
	// and one more, of errors and of events.
	var costs []string
	for _, period := range []slo.Period{slo.Week, slo.Month, slo.Quarter} {
		c := slo.Calendar{Period: period}
		samples := longWindowSamples(t, calendarSLO(s, c), Options{}).samples
		// Of errors and of events: the blocks of the longest period, the
		// cells of the block recorded, the partial sums' cells (1 + 2 +
		// ... + k-1 for blocks of k cells) and the partial sum; and two
		// instant reads, what the window's ratio divides.
		longest := c.Longest() - 24*time.Hour
		block := calendarBlock(calendarGrid, longest)
		k := int(block / calendarGrid)
		if want := 2*(int(longest/block)+k+k*(k-1)/2+1) + 2; samples != want {
			t.Errorf("a %s's rules read %d samples per evaluation; want %d, its longest period's %s blocks, a block's cells, the partial sums' cells and the partial sum, twice, and two instant reads", period, samples, want, promDuration(block))
		}
		costs = append(costs, fmt.Sprintf("%d for a %s", samples, period))
	}
	rolling := longWindowSamples(t, availability, Options{}).samples
	fmt.Fprintf(&b, "\nThe calendar window's rules read, per evaluation (every %s), %s; the 30-day rolling window's read %d.\n",
		promDuration(calendarGrid), strings.Join(costs, ", "), rolling)
	t.Log("\n" + b.String())
	docSection(t, filepath.Join("..", "docs", "accuracy.md"), "calendar", b.String())
}

// parseTimedProbe reads promtool's report of failed probes of one series
// at several times: the value got at each time whose probe failed; the
// others matched the truth.
func parseTimedProbe(t *testing.T, out string, truth map[time.Duration]float64) map[time.Duration]float64 {
	t.Helper()
	exprRe := regexp.MustCompile(`^\s*expr: ".*", time: ([^,\s]+)`)
	gotRe := regexp.MustCompile(`^\s*got: .*\} (\S+)$`)
	vals := map[time.Duration]float64{}
	for k, v := range truth {
		vals[k] = v
	}
	var at time.Duration
	pending := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := exprRe.FindStringSubmatch(line); m != nil {
			d, err := spec.ParseDuration(m[1])
			if err != nil {
				t.Fatalf("promtool printed %q: %v", line, err)
			}
			at, pending = d, true
			continue
		}
		if m := gotRe.FindStringSubmatch(line); m != nil && pending {
			v, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Fatalf("promtool printed %q: %v", line, err)
			}
			vals[at], pending = v, false
		}
	}
	if pending || (!strings.Contains(out, "SUCCESS") && !strings.Contains(out, "FAILED")) {
		t.Fatalf("promtool output not understood:\n%s", out)
	}
	return vals
}

// monthlyGapsSLO is the monthly SLO, without alerts, whose rules the
// evaluation-gap tests run over requests_total.
func monthlyGapsSLO() spec.SLO {
	return spec.SLO{
		Service:   "gaps",
		Objective: slo.Objective{Name: "calendar", Target: 0.99, Calendar: slo.Calendar{Period: slo.Month}, Tiers: []slo.AlertTier{}},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total[{{.window}}]))`,
		},
	}
}

// TestCalendarSumsSurviveEvaluationGaps evaluates a monthly SLO's rules
// only every 2 hours, as after Prometheus restarts longer than any lookback:
// the period's sums must hold every cell evaluated in the period (the cells
// not evaluated are lost, as for a rolling window), never restart from the
// last one.
func TestCalendarSumsSurviveEvaluationGaps(t *testing.T) {
	s := monthlyGapsSLO()
	// 60 events a minute, 3 of them errors: a 5-minute cell holds 300
	// events and 15 errors. Cells are evaluated at 2h, 4h, ..., 10h (the
	// one at 0 has no range yet).
	group := testGroup{Name: "evaluation gaps", Interval: "1m", InputSeries: []inputSeries{
		{Series: `requests_total{code="200"}`, Values: "0+57x600"},
		{Series: `requests_total{code="500"}`, Values: "0+3x600"},
	}}
	for _, c := range []struct {
		metric string
		want   float64
	}{{metricTotalPeriod, 5 * 300}, {metricErrorsPeriod, 5 * 15}, {metricRatioWindow, 0.05}} {
		group.ExprTests = append(group.ExprTests, exprTest{Expr: "sum(" + c.metric + ")", EvalTime: "10h", ExpSamples: []expSample{{Labels: "{}", Value: c.want}}})
	}
	tests, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "2h", Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, mustGenerate(t, []spec.SLO{s}, Options{}).Rules, tests)
}

// TestCalendarBlockMissedAtItsFirstEvaluationIsLost evaluates a monthly
// SLO's rules every 25 minutes, so that most hourly blocks miss the
// evaluation that records them (the first one of the next block): the
// period's sums hold the blocks recorded and the cells since the last one,
// and lose the cells of the blocks not recorded, though they were
// evaluated.
func TestCalendarBlockMissedAtItsFirstEvaluationIsLost(t *testing.T) {
	s := monthlyGapsSLO()
	if b := calendarBlock(calendarGrid, 31*day); b != time.Hour {
		t.Fatalf("a month's block is %s; this test wants 1h", promDuration(b))
	}
	// 60 events a minute, 3 of them errors: a cell holds 300 events and 15
	// errors. Cells are evaluated at 25m, 50m, ..., 5h; the blocks ending
	// at 1h, 2h, 3h and 4h are never recorded, the one ending at 5h holds
	// the cells of 4h10m, 4h35m and 5h.
	group := testGroup{Name: "missed blocks", Interval: "1m", InputSeries: []inputSeries{
		{Series: `requests_total{code="200"}`, Values: "0+57x400"},
		{Series: `requests_total{code="500"}`, Values: "0+3x400"},
	}}
	for _, c := range []struct {
		metric string
		at     string
		want   float64
	}{
		{metricTotalPeriod, "4h35m", 2 * 300}, // the partial sum: 4h10m and 4h35m
		{metricTotalPeriod, "5h", 3 * 300},    // the block ending at 5h
		{metricErrorsPeriod, "5h", 3 * 15},
		{metricTotalPeriod, "6h15m", 4 * 300}, // and the partial sum, 6h15m: the block ending at 6h is lost
	} {
		group.ExprTests = append(group.ExprTests, exprTest{Expr: "sum(" + c.metric + ")", EvalTime: c.at, ExpSamples: []expSample{{Labels: "{}", Value: c.want}}})
	}
	tests, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "25m", Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, mustGenerate(t, []spec.SLO{s}, Options{}).Rules, tests)
}

func TestCalendarBlockDividesAnHourAndReadsTheFewestSamples(t *testing.T) {
	for _, c := range []struct {
		grid, longest, want time.Duration
	}{
		{5 * time.Minute, 7 * day, time.Hour},
		{5 * time.Minute, 31 * day, time.Hour},
		{5 * time.Minute, 92 * day, time.Hour},
		{time.Minute, 7 * day, 20 * time.Minute},
		{time.Minute, 31 * day, 30 * time.Minute},
		{time.Minute, 92 * day, time.Hour},
		{15 * time.Minute, 31 * day, time.Hour},
	} {
		if got := calendarBlock(c.grid, c.longest); got != c.want {
			t.Errorf("the block of %s on a %s grid is %s; want %s", promDuration(c.longest), promDuration(c.grid), promDuration(got), promDuration(c.want))
		}
	}
}
