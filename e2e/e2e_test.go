package e2e

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// The scenario: an in-process SLO of 99% over 7 days, ten days of traffic
// sampled every 15 seconds, compared over the last three days, when the
// window is full.
const (
	sloName = "e2e-api"
	target  = 0.99
	window  = 7 * 24 * time.Hour
	days    = 10
	step    = 15 * time.Second
	// align is the least common multiple of the widths of the tracker's
	// buckets (14m for the 7d window, 504s for its 1008m alert window, ...)
	// and of the rules' 5m grid: at these instants the tracker's windows
	// span exactly their length.
	align = 210 * time.Minute
)

const specText = `version: slo/v1
service: e2e
window: 7d
labels:
  method: %s
slos:
  - name: e2e-api
    description: Requests of the e2e service, counted in process.
    objective: 99%%
    sli:
      in_process: {}
`

// ruleFile is the subset of a Prometheus rule file the test reads.
type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string           `yaml:"name"`
	Interval string           `yaml:"interval,omitempty"`
	Rules    []map[string]any `yaml:"rules"`
}

// TestPrometheusAgreesWithTracker is the end-to-end proof: days of traffic
// in a real Prometheus (backfilled with promtool), the rules `slo generate`
// writes evaluated over them, the same events replayed through a tracker,
// and all of them compared with the truth counted from the raw events.
func TestPrometheusAgreesWithTracker(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: minutes of work")
	}
	dir := t.TempDir()
	prom := newPromServer(t) // fails under CI when prometheus is missing
	cli := buildCLI(t, dir)

	now := time.Now().Add(-3 * time.Hour).Unix()
	end := time.Unix(now-now%int64(align/time.Second), 0).UTC()
	start := end.Add(-days * 24 * time.Hour)
	slots := traffic(start, days, step)

	// 1. The raw counters, as sloprom exports them, into a TSDB.
	om := filepath.Join(dir, "events.om")
	if err := writeOpenMetrics(om, sloName, start, slots); err != nil {
		t.Fatal(err)
	}
	promtool(t, "tsdb", "create-blocks-from", "openmetrics", om, prom.dataDir)
	prom.start()

	// 2. The rules of both methods, from the same spec, backfilled level by
	// level (a rule reading another rule's series needs them in the TSDB).
	rules := map[string]ruleFile{}
	for _, method := range []string{"exact", "ratio-average"} {
		specPath := filepath.Join(dir, method+".yaml")
		if err := os.WriteFile(specPath, fmt.Appendf(nil, specText, method), 0o644); err != nil {
			t.Fatal(err)
		}
		rulesPath := filepath.Join(dir, method+".rules.yml")
		runCLI(t, cli, "generate", "-method", method, "-o", rulesPath, specPath)
		promtool(t, "check", "rules", rulesPath)
		rules[method] = readRules(t, rulesPath)
		backfillRules(t, prom, dir, method, rules[method], start, end)
	}

	// 3. The same events through a tracker, on an injected clock.
	var clock time.Time
	tracker, err := slo.NewTracker(slo.Objective{Name: sloName, Target: target, Window: window},
		slo.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	from := start.Add(window + 2*time.Hour) // the window is full
	snaps := map[time.Time]slo.Snapshot{}
	next := 0
	replayTo := func(at time.Time) slo.Snapshot {
		for ; next < len(slots) && !slots[next].at.After(at); next++ {
			clock = slots[next].at.Add(-time.Nanosecond) // inside (at - step, at]
			tracker.RecordN(slots[next].good, slots[next].bad)
		}
		clock = at
		return tracker.Snapshot()
	}
	for at := start; !at.After(end); at = at.Add(time.Minute) {
		s := replayTo(at)
		if !at.Before(from) {
			snaps[at] = s
		}
	}

	// 4. Compare the remaining budget. The tracker is read at instants on
	// the grid of its buckets and midway between; each rule's value is
	// compared with the truth at the instant Prometheus evaluated it (the
	// sample's own timestamp: rule groups run at an offset of their own).
	remaining := func(at time.Time) float64 {
		total, bad := truth(slots, at, window)
		return 1 - float64(bad)/(float64(total)*(1-target))
	}
	report := &strings.Builder{}
	fmt.Fprintf(report, "| instant (since the traffic began) | true remaining | tracker | exact rules | ratio-average rules | tracker error | exact error | ratio-average error |\n|---|---|---|---|---|---|---|---|\n")
	worst := map[string]float64{}
	compare := func(at time.Time, aligned bool) {
		want := remaining(at)
		got := map[string]float64{"tracker": snaps[at].ErrorBudgetRemaining}
		errs := map[string]float64{"tracker": got["tracker"] - want}
		for _, m := range []string{"exact", "ratio-average"} {
			v, evaluated := promSample(t, prom, fmt.Sprintf(`slo:error_budget_remaining:ratio{method=%q}`, m), at)
			got[m], errs[m] = v, v-remaining(evaluated)
		}
		mark := ""
		if !aligned {
			mark = " (between tracker buckets)"
		}
		for m, e := range errs {
			worst[m+mark] = math.Max(worst[m+mark], math.Abs(e))
		}
		fmt.Fprintf(report, "| %s%s | %.4f | %.4f | %.4f | %.4f | %+.4f | %+.4f | %+.4f |\n", at.Sub(start).Round(time.Minute), mark, want,
			got["tracker"], got["exact"], got["ratio-average"], errs["tracker"], errs["exact"], errs["ratio-average"])
	}
	for at := alignUp(from); !at.After(end); at = at.Add(align) {
		compare(at, true)
		if mid := at.Add(align / 2); !mid.After(end) {
			compare(mid, false)
		}
	}
	t.Logf("remaining budget:\n%s", report)
	for m, w := range worst {
		if !strings.HasPrefix(m, "ratio-average") && w > 0.005 {
			t.Errorf("%s is %.4f of the budget away from the truth at worst; want at most 0.005", m, w)
		}
	}
	t.Logf("worst errors, in shares of the budget: %v", worst)

	// Burn rates over the alert windows, at the aligned instants.
	checkBurnRates(t, prom, slots, snaps, alignUp(from), end)

	// 5. The alerts fire at the same instants.
	checkAlerts(t, prom, rules["exact"], snaps, from, end)

	// 6. What the long-window budget costs Prometheus per evaluation.
	querySamples(t, prom, rules, end)

	if os.Getenv("SLO_E2E_UPDATE_DOC") != "" {
		updateDoc(t, "../docs/accuracy.md", report.String())
	}
}

// updateDoc replaces the table between the e2e markers of the document.
func updateDoc(t *testing.T, path, table string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- e2e:begin -->\n", "<!-- e2e:end -->"
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no e2e markers", path)
	}
	doc = doc[:i+len(begin)] + table + doc[j:]
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// alignUp returns the first instant at or after t that is a whole multiple
// of align since the Unix epoch, where the tracker's buckets are aligned.
func alignUp(t time.Time) time.Time {
	a := int64(align / time.Second)
	sec := (t.Unix() + a - 1) / a * a
	return time.Unix(sec, 0).UTC()
}

// buildCLI builds the slo command.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "slo")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/slo").CombinedOutput()
	if err != nil {
		t.Fatalf("building slo: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("slo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func readRules(t *testing.T, path string) ruleFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// backfillRules evaluates the recording rules of f over [start, end] with
// promtool and loads the blocks into prom, one dependency level at a time:
// a rule is backfilled after every rule whose series it reads.
func backfillRules(t *testing.T, prom *promServer, dir, name string, f ruleFile, start, end time.Time) {
	t.Helper()
	level := map[string]int{} // recorded name -> level
	recorded := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if rec, ok := r["record"].(string); ok {
				recorded[rec] = true
			}
		}
	}
	deps := map[string][]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			rec, ok := r["record"].(string)
			if !ok {
				continue
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(fmt.Sprint(r["expr"]))
			if err != nil {
				t.Fatalf("%s: %v", rec, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && recorded[vs.Name] && vs.Name != rec {
					deps[rec] = append(deps[rec], vs.Name)
				}
				return nil
			})
		}
	}
	var levelOf func(string, int) int
	levelOf = func(rec string, depth int) int {
		if depth > 100 {
			t.Fatalf("rule %s depends on itself", rec)
		}
		l := 0
		for _, d := range deps[rec] {
			l = max(l, levelOf(d, depth+1)+1)
		}
		level[rec] = l
		return l
	}
	maxLevel := 0
	for rec := range recorded {
		maxLevel = max(maxLevel, levelOf(rec, 0))
	}
	for l := 0; l <= maxLevel; l++ {
		var part ruleFile
		for _, g := range f.Groups {
			pg := ruleGroup{Name: g.Name, Interval: g.Interval}
			for _, r := range g.Rules {
				if rec, ok := r["record"].(string); ok && level[rec] == l {
					pg.Rules = append(pg.Rules, r)
				}
			}
			if len(pg.Rules) > 0 {
				part.Groups = append(part.Groups, pg)
			}
		}
		b, err := yaml.Marshal(part)
		if err != nil {
			t.Fatal(err)
		}
		// Every level is written to the same file: a group's evaluation
		// offset comes from its file and name, so a rule backfilled at a
		// later level is evaluated at the instants of the rules it reads,
		// as it would be live, in one group.
		path := filepath.Join(dir, name+".backfill.yml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("%s.level%d.blocks", name, l))
		began := time.Now()
		promtool(t, "tsdb", "create-blocks-from", "rules", "--quiet",
			"--url="+prom.url, "--eval-interval=1m",
			"--start="+strconv.FormatInt(start.Unix(), 10), "--end="+strconv.FormatInt(end.Unix(), 10),
			"--output-dir="+out, path)
		t.Logf("%s: backfilled level %d (%d groups) in %v", name, l, len(part.Groups), time.Since(began).Round(time.Millisecond))
		prom.stop()
		blocks, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if err := os.Rename(filepath.Join(out, b.Name()), filepath.Join(prom.dataDir, b.Name())); err != nil {
				t.Fatal(err)
			}
		}
		prom.start()
	}
}

// promSample returns the single value the series selector holds at the
// instant at, and when it was evaluated.
func promSample(t *testing.T, prom *promServer, selector string, at time.Time) (float64, time.Time) {
	t.Helper()
	one := func(expr string) float64 {
		r := prom.query(expr, at)
		if len(r.Samples) != 1 {
			t.Fatalf("%s at %v: %d series, want 1", expr, at, len(r.Samples))
		}
		return r.Samples[0].Value
	}
	v, ts := one(selector), one("timestamp("+selector+")")
	return v, time.Unix(0, int64(ts*1e9)).UTC()
}

// checkBurnRates compares the burn rate over every alert window of the
// objective: the exact rules' recorded ratio, the tracker's tier state and
// the truth.
func checkBurnRates(t *testing.T, prom *promServer, slots []slot, snaps map[time.Time]slo.Snapshot, from, end time.Time) {
	t.Helper()
	worst := map[time.Duration]float64{}
	for at := from; !at.After(end); at = at.Add(align) {
		s := snaps[at]
		windows := map[time.Duration]float64{} // window -> tracker burn rate
		for _, tier := range s.Tiers {
			windows[tier.LongWindow] = tier.LongBurnRate
			windows[tier.ShortWindow] = tier.ShortBurnRate
		}
		for w, tracked := range windows {
			total, bad := truth(slots, at, w)
			want := 0.0
			if total > 0 {
				want = float64(bad) / float64(total) / (1 - target)
			}
			// The tracker's window is exact at these instants.
			if d := math.Abs(tracked - want); d > 1e-9*math.Max(1, want) {
				t.Errorf("burn rate over %v at %v: tracker %.6f, truth %.6f", w, at, tracked, want)
			}
			// Prometheus evaluated its rule a little earlier, and rate()
			// extrapolates where a window does not start on a sample.
			name := fmt.Sprintf(`slo:sli_error:ratio_rate%s{method="exact"}`, sloprom.FormatDuration(w))
			got, evaluated := promSample(t, prom, name, at)
			got /= 1 - target
			// rate() sees the window through samples 15s apart: the truth
			// it can be held to is any window within a sample of it.
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, shift := range []time.Duration{-step, 0, step} {
				for _, stretch := range []time.Duration{-step, 0, step} {
					etotal, ebad := truth(slots, evaluated.Add(shift), w+stretch)
					r := 0.0
					if etotal > 0 {
						r = float64(ebad) / float64(etotal) / (1 - target)
					}
					lo, hi = math.Min(lo, r), math.Max(hi, r)
				}
			}
			d := math.Max(0, math.Max(lo-got, got-hi)) / math.Max(1, hi)
			worst[w] = math.Max(worst[w], d)
			// Windows of a few samples (the 70s page window holds 4 or 5
			// of them) are rough in any Prometheus rule: reported only.
			if w >= 20*step && d > 0.05 {
				t.Errorf("burn rate over %v evaluated at %v: exact rules %.4f, truth %.4f to %.4f", w, evaluated, got, lo, hi)
			}
		}
	}
	t.Logf("burn rates: the tracker is exact; worst error of the rules beyond a sample's give, relative to max(1, truth), per window: %v", worst)
}

// checkAlerts evaluates each SLOErrorBudgetBurn rule's expression in
// Prometheus every minute and compares when it holds with when the
// tracker's tier fires: every time one starts or stops firing, the other
// must do the same within one evaluation interval of the recording rules
// the alert reads plus one of the alert itself (2 minutes).
func checkAlerts(t *testing.T, prom *promServer, f ruleFile, snaps map[time.Time]slo.Snapshot, from, end time.Time) {
	t.Helper()
	const slack = 2 * time.Minute
	tiers := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r["alert"] != "SLOErrorBudgetBurn" {
				continue
			}
			tiers++
			labels, _ := r["labels"].(map[string]any)
			name := fmt.Sprintf("%v/%v", labels["long_window"], labels["short_window"])
			firing := prom.queryRangeTimes(fmt.Sprint(r["expr"]), from, end, time.Minute)
			tracked := map[time.Time]bool{}
			for at := from; !at.After(end); at = at.Add(time.Minute) {
				for _, ts := range snaps[at].Tiers {
					if sloprom.FormatDuration(ts.LongWindow) == labels["long_window"] && sloprom.FormatDuration(ts.ShortWindow) == labels["short_window"] {
						tracked[at] = ts.Firing
					}
				}
			}
			promEdges, trackerEdges := edges(firing, from, end), edges(tracked, from, end)
			for _, who := range []struct {
				name          string
				edges, others map[time.Time]bool
			}{{"Prometheus", promEdges, trackerEdges}, {"the tracker", trackerEdges, promEdges}} {
				for at, on := range who.edges {
					matched := false
					for d := -slack; d <= slack; d += time.Minute {
						if o, ok := who.others[at.Add(d)]; ok && o == on {
							matched = true
						}
					}
					if !matched {
						t.Errorf("tier %s: %s starts (%v) or stops firing at %v with no such change in the other within %v", name, who.name, on, at, slack)
					}
				}
			}
			t.Logf("tier %s: Prometheus fires %d minutes in %d spells, the tracker %d minutes in %d spells",
				name, count(firing), len(promEdges)/2+len(promEdges)%2, count(tracked), len(trackerEdges)/2+len(trackerEdges)%2)
		}
	}
	if tiers == 0 {
		t.Error("no SLOErrorBudgetBurn rule in the exact rules")
	}
}

// edges returns the minutes at which a minute-by-minute state changes:
// true where it starts, false where it stops.
func edges(state map[time.Time]bool, from, end time.Time) map[time.Time]bool {
	out := map[time.Time]bool{}
	for at := from.Add(time.Minute); !at.After(end); at = at.Add(time.Minute) {
		if state[at] != state[at.Add(-time.Minute)] {
			out[at] = state[at]
		}
	}
	return out
}

func count(state map[time.Time]bool) int {
	n := 0
	for _, v := range state {
		if v {
			n++
		}
	}
	return n
}

// queryRangeTimes returns the instants at which expr has a result.
func (p *promServer) queryRangeTimes(expr string, from, to time.Time, step time.Duration) map[time.Time]bool {
	p.t.Helper()
	var data struct {
		Result []struct {
			Values [][2]any `json:"values"`
		} `json:"result"`
	}
	p.api("/api/v1/query_range", url.Values{"query": {expr}, "start": {strconv.FormatInt(from.Unix(), 10)},
		"end": {strconv.FormatInt(to.Unix(), 10)}, "step": {strconv.Itoa(int(step / time.Second))}}, &data)
	times := map[time.Time]bool{}
	for _, r := range data.Result {
		for _, v := range r.Values {
			sec, _ := v[0].(float64)
			times[time.Unix(int64(sec), 0).UTC()] = true
		}
	}
	return times
}

// querySamples records how many samples the long-window budget reads per
// evaluation under each method, and a raw increase over the window.
func querySamples(t *testing.T, prom *promServer, rules map[string]ruleFile, at time.Time) {
	t.Helper()
	exprOf := func(f ruleFile, record string) (string, string) {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r["record"] == record {
					return fmt.Sprint(r["expr"]), g.Interval
				}
			}
		}
		t.Fatalf("no rule records %s", record)
		return "", ""
	}
	type cost struct {
		name, expr, interval string
		samples              int64
	}
	var costs []cost
	for _, method := range []string{"exact", "ratio-average"} {
		expr, interval := exprOf(rules[method], "slo:sli_error:ratio_window")
		costs = append(costs, cost{name: method, expr: expr, interval: interval})
	}
	costs = append(costs, cost{name: "raw increase over the window", expr: `sum(increase(slo_events_total{slo="e2e-api",outcome="bad"}[7d])) / sum(increase(slo_events_total{slo="e2e-api"}[7d]))`})
	for i := range costs {
		costs[i].samples = prom.query(costs[i].expr, at).SamplesRead
		if costs[i].interval == "" {
			costs[i].interval = "1m"
		}
		t.Logf("long-window error ratio, %s (evaluated every %s): %d samples per evaluation\n    %s", costs[i].name, costs[i].interval, costs[i].samples, costs[i].expr)
	}
	if costs[0].samples > costs[1].samples {
		t.Errorf("exact reads %d samples per evaluation, more than ratio-average's %d", costs[0].samples, costs[1].samples)
	}
	sort.Slice(costs, func(i, j int) bool { return costs[i].samples < costs[j].samples })
}
