package promrules

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// The accuracy test replays a week of diurnal traffic (busy days, quiet
// nights) through the generated rules in promtool and compares the remaining
// budget each method computes with the true one, counted from the same
// synthetic counters.
//
// A 7-day window, not 30: promtool evaluates every rule at every evaluation
// interval (5m, the exact method's grid), so a 30-day window plus a day of
// history is 8,928 evaluations per method, several minutes of CPU on the
// shared test machine; a week is 2,304. The bias of averaging ratios comes
// from the shape of the traffic over a day, which a week repeats 7 times.
// The input step is 45s, which does not divide the 5m grid, so the grid's
// increase() extrapolates as it does on a real scrape interval.

const (
	accWindow = 7 * day
	accStep   = 45 * time.Second
	accEnd    = accWindow + day // the budget is checked here: window (1d, 8d]
	accTarget = 0.999
)

// An accScenario gives events and errors per minute at a time of day.
type accScenario struct {
	name, story string
	// perMinute returns events and errors per minute at minute m of day d.
	perMinute func(d, m int) (total, errors float64)
}

func diurnal(m int) float64 {
	if m >= 8*60 && m < 20*60 {
		return 1000 // busy day
	}
	return 100 // quiet night
}

var accScenarios = []accScenario{
	{"daytime-incident", "0.02% errors, and 5% for two hours at 10:00 on day 3 (peak traffic)", func(d, m int) (float64, float64) {
		t := diurnal(m)
		if d == 3 && m >= 10*60 && m < 12*60 {
			return t, 0.05 * t
		}
		return t, 0.0002 * t
	}},
	{"nightly-batch", "0.02% errors, and 30% for half an hour at 03:00 every night (quiet traffic)", func(_, m int) (float64, float64) {
		t := diurnal(m)
		if m >= 3*60 && m < 3*60+30 {
			return t, 0.3 * t
		}
		return t, 0.0002 * t
	}},
	{"constant-errors", "a steady 0.4 errors a minute, day and night", func(_, m int) (float64, float64) {
		return diurnal(m), 0.4
	}},
	{"constant-ratio", "0.05% of events fail, day and night (the control)", func(_, m int) (float64, float64) {
		t := diurnal(m)
		return t, 0.0005 * t
	}},
	{"idle-nights", "no traffic at all 00:00-06:00, 0.05% errors otherwise", func(_, m int) (float64, float64) {
		if m < 6*60 {
			return 0, 0
		}
		t := diurnal(m)
		return t, 0.0005 * t
	}},
}

// accSLO is the SLO a scenario feeds: errors and events of its own counter.
func accSLO(sc accScenario) spec.SLO {
	return spec.SLO{
		Service: "accuracy",
		// No alert tiers: the long window does not depend on them, and
		// every rule costs promtool time at each of 2,304 evaluations.
		Objective: slo.Objective{Name: sc.name, Target: accTarget, Window: accWindow, Tiers: []slo.AlertTier{}, Corrections: accCorrections[sc.name]},
		SLI: spec.SLI{
			ErrorQuery: fmt.Sprintf(`sum(rate(requests_total{scenario=%q,code="500"}[{{.window}}]))`, sc.name),
			TotalQuery: fmt.Sprintf(`sum(rate(requests_total{scenario=%q}[{{.window}}]))`, sc.name),
		},
	}
}

// accSegments turns a scenario into input steps of accStep, and returns the
// true events and errors of the window that ends at accEnd.
func accSegments(sc accScenario) (segs []segment, total, errors float64) {
	steps := int(accEnd / accStep)
	for i := 1; i <= steps; i++ {
		// Step i covers (t - accStep, t]; its rate is the one at its start.
		start := time.Duration(i-1) * accStep
		d, m := int(start/day), int(start%day/time.Minute)
		tot, errs := sc.perMinute(d, m)
		tot, errs = quantize(tot*accStep.Minutes()), quantize(errs*accStep.Minutes())
		if t := time.Duration(i) * accStep; t > accEnd-accWindow && !accCorrected(sc.name, start, t) {
			total += tot
			errors += errs
		}
		if n := len(segs); n > 0 && segs[n-1].total == tot && segs[n-1].errors == errs {
			segs[n-1].steps++
			continue
		}
		segs = append(segs, segment{steps: 1, total: tot, errors: errs})
	}
	return segs, total, errors
}

type accRow struct {
	scenario accScenario
	truth    float64
	// The remaining budget of each method, per engine of testdeps.Engines.
	exact, ratioAverage []float64
}

func TestAccuracyExactWithinOnePercentOfBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays a week in promtool twice per engine")
	}
	var slos []spec.SLO
	group := testGroup{Name: "accuracy", Interval: promDuration(accStep)}
	truth := map[string]float64{}
	for _, sc := range accScenarios {
		s := accSLO(sc)
		slos = append(slos, s)
		segs, total, errors := accSegments(sc)
		truth[sc.name] = 1 - errors/total/(1-accTarget)
		good := func(s segment) float64 { return s.total - s.errors }
		bad := func(s segment) float64 { return s.errors }
		group.InputSeries = append(group.InputSeries,
			inputSeries{Series: fmt.Sprintf(`requests_total{scenario=%q,code="200"}`, sc.name), Values: values(segs, good, false)},
			inputSeries{Series: fmt.Sprintf(`requests_total{scenario=%q,code="500"}`, sc.name), Values: values(segs, bad, false)})
		// The probe expects the true value: promtool reports what it got
		// whenever the two differ.
		sel := selector(metricBudgetRemaining, map[string]string{"slo": s.Objective.Name, "service": s.Service})
		group.ExprTests = append(group.ExprTests, exprTest{Expr: sel, EvalTime: promDuration(accEnd),
			ExpSamples: []expSample{{Labels: sel, Value: truth[sc.name]}}})
	}
	probe, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "5m", Tests: []testGroup{group}})
	if err != nil {
		t.Fatal(err)
	}
	// engine -> method -> scenario -> remaining budget
	got := map[string]map[Method]map[string]float64{}
	var mu sync.Mutex // guards got: every engine and method replays at once
	methods := []Method{MethodExact, MethodRatioAverage}
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		res := map[Method]map[string]float64{}
		testdeps.RunAtOnce(t, []string{string(methods[0]), string(methods[1])}, func(t *testing.T, i int) {
			m := methods[i]
			rules := mustGenerate(t, slos, Options{Method: m})
			start := time.Now()
			out, _ := testRules(t, e, rules.Rules, probe)
			t.Logf("%s: promtool replayed %s in %v", m, promDuration(accEnd), time.Since(start).Round(time.Millisecond))
			vals := parseProbe(t, out, truth)
			mu.Lock()
			res[m] = vals
			mu.Unlock()
		})
		if len(res) != len(methods) {
			return // a method's subtest failed
		}
		for _, sc := range accScenarios {
			if d := math.Abs(res[MethodExact][sc.name] - truth[sc.name]); d > 0.01 {
				t.Errorf("%s: exact remaining budget %.4f, true %.4f: off by %.4f, more than 0.01", sc.name, res[MethodExact][sc.name], truth[sc.name], d)
			}
		}
		mu.Lock()
		got[e.Name] = res
		mu.Unlock()
	})
	if len(got) != len(testdeps.Engines) || t.Failed() {
		return // the table needs every engine's numbers
	}
	var rows []accRow
	for _, sc := range accScenarios {
		r := accRow{scenario: sc, truth: truth[sc.name]}
		for _, e := range testdeps.Engines {
			r.exact = append(r.exact, got[e.Name][MethodExact][sc.name])
			r.ratioAverage = append(r.ratioAverage, got[e.Name][MethodRatioAverage][sc.name])
		}
		rows = append(rows, r)
	}
	table := accuracyTable(rows) + "\n" + costTable(t)
	t.Log("\n" + table)
	docSection(t, filepath.Join("..", "docs", "accuracy.md"), "accuracy", table)
}

// parseProbe reads promtool's report of a failed probe: for every
// expression whose value differed from the truth it prints the value got.
// Expressions it does not report matched the truth exactly.
func parseProbe(t *testing.T, out string, truth map[string]float64) map[string]float64 {
	t.Helper()
	exprRe := regexp.MustCompile(`^\s*expr: (".*"), time: `)
	gotRe := regexp.MustCompile(`^\s*got: \S*\{[^}]*slo="([^"]+)"[^}]*\} (\S+)$`)
	vals := map[string]float64{}
	for name, v := range truth {
		vals[name] = v
	}
	failed := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if exprRe.MatchString(line) {
			failed++
			continue
		}
		if m := gotRe.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatalf("promtool printed %q: %v", line, err)
			}
			vals[m[1]] = v
			failed--
		}
	}
	if failed != 0 || (!strings.Contains(out, "SUCCESS") && !strings.Contains(out, "FAILED")) {
		t.Fatalf("promtool output not understood (%d expressions without a value):\n%s", failed, out)
	}
	return vals
}

func accuracyTable(rows []accRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| scenario | what happens | true remaining budget |")
	for _, m := range []Method{MethodExact, MethodRatioAverage} {
		for _, e := range testdeps.Engines {
			fmt.Fprintf(&b, " `%s`, %s | error |", m, e.Name)
		}
	}
	fmt.Fprintf(&b, "\n|---|---|---:|%s\n", strings.Repeat("---:|", 4*len(testdeps.Engines)))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.5f |", r.scenario.name, r.scenario.story, r.truth)
		for _, got := range [][]float64{r.exact, r.ratioAverage} {
			for _, v := range got {
				fmt.Fprintf(&b, " %.5f | %+.5f |", v, v-r.truth)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// costTable computes the samples one evaluation of the long-window rules
// reads (longWindowSamples), from the generated rules themselves, for 30-
// and 90-day windows.
func costTable(t *testing.T) string {
	t.Helper()
	const scrape = 30 * time.Second
	perDay := func(c longWindowCost) int { return c.samples * int(day/c.every) }
	var b strings.Builder
	fmt.Fprintf(&b, "| window | long-window rules | evaluated every | samples per evaluation | vs. `ratio-average` | samples per day |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|\n")
	for _, w := range []time.Duration{30 * day, 90 * day} {
		s := availability
		s.Objective.Window = w
		avg := longWindowSamples(t, s, Options{Method: MethodRatioAverage})
		grid := defaultGrid(w)
		block := blockOf(w, grid, int(w/grid))
		for _, r := range []struct {
			what string
			cost longWindowCost
		}{
			{fmt.Sprintf("`exact`: %s blocks and the partial block of the %s grid", promDuration(block), promDuration(grid)), longWindowSamples(t, s, Options{})},
			{fmt.Sprintf("`grid`: every cell of the %s grid", promDuration(grid)), longWindowSamples(t, s, Options{Method: MethodGrid})},
			{"`ratio-average`: `avg_over_time` of the 5m ratio", avg},
			// increase(x[window]) over the raw counters, errors and events.
			{fmt.Sprintf("raw `increase(x[%s])` of errors and events, %s scrapes", promDuration(w), promDuration(scrape)), longWindowCost{samples: 2 * int(w/scrape), every: ruleEval}},
		} {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %.3f | %d |\n", promDuration(w), r.what, promDuration(r.cost.every), r.cost.samples,
				float64(r.cost.samples)/float64(avg.samples), perDay(r.cost))
		}
	}
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// docSection checks that the section between <!-- name:begin --> and
// <!-- name:end --> of a document is content, or rewrites it with -update.
func docSection(t *testing.T, path, name, content string) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s ... %s section", path, strings.TrimSpace(begin), end)
	}
	cur := string(doc)[i+len(begin) : j]
	if cur == content {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(string(doc)[:i+len(begin)]+content+string(doc)[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date (run go test -run Accuracy -update):\n%s", path, content)
}
