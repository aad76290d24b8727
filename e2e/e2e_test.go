package e2e

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
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

// methods are the long-window methods whose rules every engine evaluates.
var methods = []string{"exact", "ratio-average"}

// vmName names VictoriaMetrics (with vmalert) among the engines.
const vmName = "victoriametrics"

// scenario is what every engine is checked against: the traffic, the rules
// `slo generate` writes for it, and the tracker's view of it.
type scenario struct {
	dir         string
	start, end  time.Time
	from        time.Time // the first instant compared: the window is full
	slots       []slot
	openMetrics string // the counters, for promtool tsdb create-blocks-from
	promText    string // the counters, for VictoriaMetrics' import
	rulesPath   map[string]string
	rules       map[string]ruleFile
	vmRules     map[string]ruleFile // the same, for VictoriaMetrics (-target victoriametrics)
	snaps       map[time.Time]slo.Snapshot
}

// instant is one compared instant: aligned with the tracker's buckets, or
// midway between.
type instant struct {
	at      time.Time
	aligned bool
}

// engineErrors holds, per method and instant, how far an engine's remaining
// budget is from the truth at the instant the engine evaluated its rule.
type engineErrors map[string]map[time.Time]float64

// TestEnginesAgreeWithTracker is the end-to-end proof: days of traffic in a
// real Prometheus 2 and 3 (backfilled with promtool) and VictoriaMetrics
// (imported, the rules replayed by vmalert), the rules `slo generate` writes
// (for VictoriaMetrics with -target victoriametrics) evaluated over them,
// the same events replayed through a tracker, and all of them compared
// with the truth counted from the raw events.
func TestEnginesAgreeWithTracker(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: minutes of work per engine")
	}
	sc := newScenario(t)
	sc.checkTracker(t)
	results := map[string]engineErrors{}
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := newPromServer(t, e) // fails under CI when the engine is missing
		promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", sc.openMetrics, prom.dataDir)
		prom.start()
		// The rules of both methods, backfilled level by level (a rule
		// reading another rule's series needs them in the TSDB).
		dir := t.TempDir()
		for _, m := range methods {
			promtool(t, e, "check", "rules", sc.rulesPath[m])
			backfillRules(t, prom, dir, m, sc.rules[m], sc.start, sc.end)
		}
		results[e.Name] = sc.check(t, &prom.queryAPI)
		// What the long-window budget costs per evaluation.
		querySamples(t, &prom.queryAPI, e.Name, sc.rules, sc.end)
	})
	t.Run(vmName, func(t *testing.T) {
		vm := newVMServer(t) // fails under CI when VictoriaMetrics is missing
		vm.importText(sc.promText)
		// vmalert writes what a rule records through remote write, and
		// VictoriaMetrics makes it searchable a moment later: the rules are
		// replayed one dependency level at a time, flushed in between.
		dir := t.TempDir()
		for _, m := range methods {
			for l, part := range ruleLevels(t, sc.vmRules[m]) {
				vm.replay(writeRuleFile(t, filepath.Join(dir, fmt.Sprintf("%s.level%d.yml", m, l)), part), sc.start, sc.end)
			}
		}
		results[vmName] = sc.check(t, &vm.queryAPI)
		// VictoriaMetrics has no counterpart of stats=all: no samples read.
	})

	engines := engineNames()
	table := sc.table(engines, results)
	t.Logf("remaining budget, errors in shares of the budget:\n%s", table)
	if len(results) == len(engines) && !t.Failed() && os.Getenv("SLO_E2E_UPDATE_DOC") != "" {
		updateDocSection(t, "../docs/accuracy.md", "e2e", table)
	}
}

// engineNames names every engine the e2e runs on, in the order of their
// columns and rows.
func engineNames() []string {
	var names []string
	for _, e := range testdeps.Engines {
		names = append(names, e.Name)
	}
	return append(names, vmName)
}

// newScenario generates the traffic, writes it for the engines, generates
// the rules of both methods and replays the events through a tracker.
func newScenario(t *testing.T) *scenario {
	t.Helper()
	sc := &scenario{dir: t.TempDir(), rulesPath: map[string]string{}, rules: map[string]ruleFile{}, vmRules: map[string]ruleFile{}}
	cli := buildCLI(t, sc.dir)

	now := time.Now().Add(-3 * time.Hour).Unix()
	sc.end = time.Unix(now-now%int64(align/time.Second), 0).UTC()
	sc.start = sc.end.Add(-days * 24 * time.Hour)
	sc.slots = traffic(sc.start, days, step)
	sc.from = sc.start.Add(window + 2*time.Hour) // the window is full

	// The raw counters, as sloprom exports them.
	sc.openMetrics = filepath.Join(sc.dir, "events.om")
	sc.promText = filepath.Join(sc.dir, "events.prom")
	for path, format := range map[string]counterFormat{sc.openMetrics: openMetrics, sc.promText: promText} {
		if err := writeCounters(path, format, fmt.Sprintf("slo=%q", sloName), sc.start, sc.slots); err != nil {
			t.Fatal(err)
		}
	}

	// The rules of both methods, from the same spec, for Prometheus and for
	// VictoriaMetrics.
	for _, method := range methods {
		specPath := filepath.Join(sc.dir, method+".yaml")
		if err := os.WriteFile(specPath, fmt.Appendf(nil, specText, method), 0o644); err != nil {
			t.Fatal(err)
		}
		sc.rulesPath[method] = filepath.Join(sc.dir, method+".rules.yml")
		sc.rules[method], sc.vmRules[method] = generateRules(t, cli, specPath, sc.rulesPath[method], "-method", method)
	}

	// The same events through a tracker, on an injected clock.
	var clock time.Time
	tracker, err := slo.NewTracker(slo.Objective{Name: sloName, Target: target, Window: window},
		slo.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	sc.snaps = replay(tracker, &clock, sc.slots, sc.start, sc.from, sc.end)
	return sc
}

// replay records the events of slots in tr, which reads the time from
// *clock, minute by minute from start to end (each slot's events just
// before its end), and returns tr's snapshot of every minute from from on.
func replay(tr *slo.Tracker, clock *time.Time, slots []slot, start, from, end time.Time) map[time.Time]slo.Snapshot {
	snaps := map[time.Time]slo.Snapshot{}
	next := 0
	for at := start; !at.After(end); at = at.Add(time.Minute) {
		for ; next < len(slots) && !slots[next].at.After(at); next++ {
			*clock = slots[next].at.Add(-time.Nanosecond) // inside (at - step, at]
			tr.RecordN(slots[next].good, slots[next].bad)
		}
		*clock = at
		if !at.Before(from) {
			snaps[at] = tr.Snapshot()
		}
	}
	return snaps
}

// instants are the compared instants: every align from the first aligned
// instant after from, and midway between.
func (sc *scenario) instants() []instant {
	var out []instant
	for at := alignUp(sc.from); !at.After(sc.end); at = at.Add(align) {
		out = append(out, instant{at, true})
		if mid := at.Add(align / 2); !mid.After(sc.end) {
			out = append(out, instant{mid, false})
		}
	}
	return out
}

// remaining is the true remaining budget of the window that ends at at.
func (sc *scenario) remaining(at time.Time) float64 {
	return trueRemaining(sc.slots, at, window, target)
}

// trueRemaining is the remaining budget of an objective of target over
// window, counted from the events of slots in the window that ends at at.
func trueRemaining(slots []slot, at time.Time, window time.Duration, target float64) float64 {
	total, bad := truth(slots, at, window)
	return 1 - float64(bad)/(float64(total)*(1-target))
}

// checkTracker compares the tracker's remaining budget with the truth at
// every compared instant: it must be within 0.005 of the budget.
func (sc *scenario) checkTracker(t *testing.T) {
	t.Helper()
	worst := map[bool]float64{} // aligned -> worst error
	for _, in := range sc.instants() {
		worst[in.aligned] = math.Max(worst[in.aligned], math.Abs(sc.snaps[in.at].ErrorBudgetRemaining-sc.remaining(in.at)))
	}
	if w := math.Max(worst[true], worst[false]); w > 0.005 {
		t.Errorf("the tracker is %.4f of the budget away from the truth at worst; want at most 0.005", w)
	}
	t.Logf("worst errors of the tracker, in shares of the budget: %.4f aligned with its buckets, %.4f between", worst[true], worst[false])
}

// writeRuleFile writes f to path and returns path.
func writeRuleFile(t *testing.T, path string, f ruleFile) string {
	t.Helper()
	b, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// check compares an engine's rules with the truth: the remaining budget of
// both methods at every compared instant (each rule's value against the
// truth at the instant the engine evaluated it: the sample's own timestamp,
// as rule groups run at an offset of their own), the burn rate of every
// alert window, and the instants at which each alert tier fires.
func (sc *scenario) check(t *testing.T, api *queryAPI) engineErrors {
	t.Helper()
	errs := engineErrors{}
	worst := map[string]float64{}
	for _, m := range methods {
		errs[m] = map[time.Time]float64{}
		for _, in := range sc.instants() {
			v, evaluated := promSample(t, api, fmt.Sprintf(`slo:error_budget_remaining:ratio{method=%q}`, m), in.at)
			errs[m][in.at] = v - sc.remaining(evaluated)
			worst[m] = math.Max(worst[m], math.Abs(errs[m][in.at]))
		}
	}
	if worst["exact"] > 0.005 {
		t.Errorf("exact is %.4f of the budget away from the truth at worst; want at most 0.005", worst["exact"])
	}
	t.Logf("worst errors of the remaining budget, in shares of the budget: %v", worst)
	checkBurnRates(t, api, `method="exact"`, target, sc.slots, sc.snaps, alignUp(sc.from), sc.end)
	checkAlerts(t, api, sc.rules["exact"], nil, sc.snaps, sc.from, sc.end)
	return errs
}

// table writes the remaining budget of the tracker and each engine's error
// per method at every compared instant; an engine that did not run is left
// out.
func (sc *scenario) table(engines []string, results map[string]engineErrors) string {
	var ran []string
	for _, e := range engines {
		if results[e] != nil {
			ran = append(ran, e)
		}
	}
	var b strings.Builder
	b.WriteString("| instant (since the traffic began) | true remaining | tracker | tracker error |")
	for _, m := range methods {
		for _, e := range ran {
			fmt.Fprintf(&b, " %s error, %s |", m, e)
		}
	}
	fmt.Fprintf(&b, "\n|---|---|---|---|%s\n", strings.Repeat("---|", len(methods)*len(ran)))
	for _, in := range sc.instants() {
		want := sc.remaining(in.at)
		tracked := sc.snaps[in.at].ErrorBudgetRemaining
		mark := ""
		if !in.aligned {
			mark = " (between tracker buckets)"
		}
		fmt.Fprintf(&b, "| %s%s | %.4f | %.4f | %+.4f |", in.at.Sub(sc.start).Round(time.Minute), mark, want, tracked, tracked-want)
		for _, m := range methods {
			for _, e := range ran {
				fmt.Fprintf(&b, " %+.4f |", results[e][m][in.at])
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// updateDocSection replaces the table between the markers name:begin and
// name:end of the document.
func updateDocSection(t *testing.T, path, name, table string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s markers", path, name)
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

// ruleLevels splits the recording rules of f by dependency level: a rule
// is in a later level than every rule whose series it reads. Each level
// keeps the groups (names and intervals) of f.
func ruleLevels(t *testing.T, f ruleFile) []ruleFile {
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
	levels := make([]ruleFile, maxLevel+1)
	for l := range levels {
		for _, g := range f.Groups {
			pg := ruleGroup{Name: g.Name, Interval: g.Interval}
			for _, r := range g.Rules {
				if rec, ok := r["record"].(string); ok && level[rec] == l {
					pg.Rules = append(pg.Rules, r)
				}
			}
			if len(pg.Rules) > 0 {
				levels[l].Groups = append(levels[l].Groups, pg)
			}
		}
	}
	return levels
}

// backfillRules evaluates the recording rules of f over [start, end] with
// promtool and loads the blocks into prom, one dependency level at a time:
// a rule is backfilled after every rule whose series it reads.
func backfillRules(t *testing.T, prom *promServer, dir, name string, f ruleFile, start, end time.Time) {
	t.Helper()
	for l, part := range ruleLevels(t, f) {
		// Every level is written to the same file: a group's evaluation
		// offset comes from its file and name, so a rule backfilled at a
		// later level is evaluated at the instants of the rules it reads,
		// as it would be live, in one group.
		path := writeRuleFile(t, filepath.Join(dir, name+".backfill.yml"), part)
		out := filepath.Join(dir, fmt.Sprintf("%s.level%d.blocks", name, l))
		began := time.Now()
		promtool(t, prom.engine, "tsdb", "create-blocks-from", "rules", "--quiet",
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
func promSample(t *testing.T, prom *queryAPI, selector string, at time.Time) (float64, time.Time) {
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
// objective of target: the rules' recorded ratio (the series the label
// matchers sel pick), the tracker's tier state and the truth.
func checkBurnRates(t *testing.T, prom *queryAPI, sel string, target float64, slots []slot, snaps map[time.Time]slo.Snapshot, from, end time.Time) {
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
			name := fmt.Sprintf(`slo:sli_error:ratio_rate%s{%s}`, sloprom.FormatDuration(w), sel)
			got, evaluated := promSample(t, prom, name, at)
			if math.IsNaN(got) || math.IsInf(got, 0) {
				t.Errorf("%s at %v is %v", name, at, got)
			}
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
// the alert reads plus one of the alert itself (2 minutes). Only the
// engine's series that carry the labels match count (all with nil match).
// It returns the minutes each tier fires in the engine, by long window.
func checkAlerts(t *testing.T, prom *queryAPI, f ruleFile, match map[string]string, snaps map[time.Time]slo.Snapshot, from, end time.Time) map[string]int {
	t.Helper()
	const slack = 2 * time.Minute
	tiers := 0
	minutes := map[string]int{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r["alert"] != "SLOErrorBudgetBurn" {
				continue
			}
			tiers++
			labels, _ := r["labels"].(map[string]any)
			name := fmt.Sprintf("%v/%v", labels["long_window"], labels["short_window"])
			firing := prom.queryRangeTimes(fmt.Sprint(r["expr"]), match, from, end, time.Minute)
			minutes[fmt.Sprint(labels["long_window"])] = count(firing)
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
			}{{"the engine", promEdges, trackerEdges}, {"the tracker", trackerEdges, promEdges}} {
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
			t.Logf("tier %s: the engine fires %d minutes in %d spells, the tracker %d minutes in %d spells",
				name, count(firing), len(promEdges)/2+len(promEdges)%2, count(tracked), len(trackerEdges)/2+len(trackerEdges)%2)
		}
	}
	if tiers == 0 {
		t.Error("no SLOErrorBudgetBurn rule in the exact rules")
	}
	return minutes
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

// queryRangeTimes returns the instants at which expr has a result among
// the series that carry the labels match (any series with nil match).
func (p *queryAPI) queryRangeTimes(expr string, match map[string]string, from, to time.Time, step time.Duration) map[time.Time]bool {
	p.t.Helper()
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	p.api("/api/v1/query_range", url.Values{"query": {expr}, "start": {strconv.FormatInt(from.Unix(), 10)},
		"end": {strconv.FormatInt(to.Unix(), 10)}, "step": {strconv.Itoa(int(step / time.Second))}}, &data)
	times := map[time.Time]bool{}
	for _, r := range data.Result {
		if !hasLabels(r.Metric, match) {
			continue
		}
		for _, v := range r.Values {
			sec, _ := v[0].(float64)
			times[time.Unix(int64(sec), 0).UTC()] = true
		}
	}
	return times
}

// hasLabels reports whether labels hold every label of match.
func hasLabels(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// querySamples records how many samples the long-window budget reads per
// evaluation under each method, and a raw increase over the window.
func querySamples(t *testing.T, prom *queryAPI, engine string, rules map[string]ruleFile, at time.Time) {
	t.Helper()
	samples := map[string]int64{}
	for _, method := range methods {
		samples[method] = longWindowSamples(t, prom, rules[method], at)
		printSamples(method, window, samples[method], engine)
	}
	raw := `sum(increase(slo_events_total{slo="e2e-api",outcome="bad"}[7d])) / sum(increase(slo_events_total{slo="e2e-api"}[7d]))`
	t.Logf("long-window error ratio, raw increase over the window: %d samples per evaluation\n    %s", prom.query(raw, at).SamplesRead, raw)
	if samples["exact"] > samples["ratio-average"] {
		t.Errorf("exact reads %d samples per evaluation, more than ratio-average's %d", samples["exact"], samples["ratio-average"])
	}
}
