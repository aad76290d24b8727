package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// The methods and windows whose cost TestLongWindowSamples measures.
var (
	sampleMethods = []string{"exact", "grid", "ratio-average"}
	sampleWindows = []time.Duration{30 * 24 * time.Hour, 90 * 24 * time.Hour}
)

const samplesSpecText = `version: slo/v1
service: e2e
window: %s
labels:
  case: %s
slos:
  - name: e2e-api
    objective: 99%%
    sli:
      in_process: {}
`

// increaseStep matches a series recorded once per the step it is named
// after: the grid's cells and the exact method's blocks.
var increaseStep = regexp.MustCompile(`:increase([0-9]+[a-z]+)$`)

// TestLongWindowSamples measures on real Prometheus servers (stats=all)
// how many samples one evaluation of each long-window method reads for 30-
// and 90-day windows, and prints one SAMPLES line per method and window.
// The series the long-window rules read are backfilled synthetic ones, at
// the steps their rules record them (a grid cell every grid step, a block
// once per block, the 5m ratio every minute): the measured expressions are
// the generated rules themselves.
func TestLongWindowSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: real Prometheus servers")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	// An instant where every block (an hour for 30 days, 3h for 90) starts.
	now := time.Now().Add(-3 * time.Hour).Unix()
	at := time.Unix(now-now%int64(24*time.Hour/time.Second), 0).UTC()

	type ruleSet struct {
		method string
		window time.Duration
		rules  ruleFile
	}
	var sets []ruleSet
	for _, w := range sampleWindows {
		for _, m := range sampleMethods {
			name := fmt.Sprintf("%s-%s", m, sloprom.FormatDuration(w))
			specPath := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(specPath, fmt.Appendf(nil, samplesSpecText, sloprom.FormatDuration(w), name), 0o644); err != nil {
				t.Fatal(err)
			}
			rulesPath := filepath.Join(dir, name+".rules.yml")
			runCLI(t, cli, "generate", "-method", m, "-o", rulesPath, specPath)
			sets = append(sets, ruleSet{m, w, readRules(t, rulesPath)})
		}
	}
	series := filepath.Join(dir, "recorded.om")
	var all []ruleFile
	for _, s := range sets {
		all = append(all, s.rules)
	}
	if err := writeRecorded(series, at, all); err != nil {
		t.Fatal(err)
	}

	results := map[string][]string{} // engine -> table rows
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := newPromServer(t, e)
		promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", series, prom.dataDir)
		prom.start()
		samples := map[string]map[time.Duration]int64{}
		for _, s := range sets {
			n := longWindowSamples(t, &prom.queryAPI, s.rules, at)
			if samples[s.method] == nil {
				samples[s.method] = map[time.Duration]int64{}
			}
			samples[s.method][s.window] = n
			printSamples(s.method, s.window, n, e.Name)
		}
		for _, s := range sets {
			n, avg := samples[s.method][s.window], samples["ratio-average"][s.window]
			results[e.Name] = append(results[e.Name], fmt.Sprintf("| %s | %s | `%s` | %d | %.3f |", e.Name, sloprom.FormatDuration(s.window), s.method, n, float64(n)/float64(avg)))
			most := map[time.Duration]float64{30 * 24 * time.Hour: 0.05, 90 * 24 * time.Hour: 0.02}[s.window]
			if share := float64(n) / float64(avg); s.method == "exact" && share > most {
				t.Errorf("exact reads %d samples per evaluation of a %s window, %.3fx ratio-average's %d; want at most %.2fx",
					n, sloprom.FormatDuration(s.window), share, avg, most)
			}
		}
	})
	if len(results) != len(testdeps.Engines) || t.Failed() {
		return
	}
	var b strings.Builder
	b.WriteString("| engine | window | method | samples per evaluation | vs. `ratio-average` |\n|---|---|---|---:|---:|\n")
	for _, e := range testdeps.Engines {
		for _, row := range results[e.Name] {
			b.WriteString(row + "\n")
		}
	}
	t.Logf("samples per evaluation of the long window:\n%s", b.String())
	if os.Getenv("SLO_E2E_UPDATE_DOC") != "" {
		updateDocSection(t, "../docs/accuracy.md", "samples", b.String())
	}
}

// printSamples prints the SAMPLES line of a method and window measured
// on an engine.
func printSamples(method string, window time.Duration, samples int64, engine string) {
	fmt.Printf("SAMPLES method=%s window=%s samples=%d engine=%s\n", method, sloprom.FormatDuration(window), samples, engine)
}

// longWindowRules are the rules one evaluation of a method's long window
// runs: the rule recording slo:sli_error:ratio_window and, in its group
// when the group has an interval of its own (the grid's), every rule but
// the grid's cells (the alerts read them too) and the two rules reading the
// ratio's one sample.
func longWindowRules(t *testing.T, f ruleFile) []string {
	t.Helper()
	for _, g := range f.Groups {
		var exprs []string
		found := false
		for _, r := range g.Rules {
			rec, _ := r["record"].(string)
			switch {
			case rec == "slo:sli_error:ratio_window":
				found = true
			case rec == "" || g.Interval == "" || rec == "slo:error_budget_remaining:ratio" || rec == "slo:burn_rate:ratio_window":
				continue
			case increaseStep.MatchString(rec) && increaseStep.FindStringSubmatch(rec)[1] == g.Interval:
				continue
			}
			exprs = append(exprs, fmt.Sprint(r["expr"]))
		}
		if found {
			return exprs
		}
	}
	t.Fatal("no rule records slo:sli_error:ratio_window")
	return nil
}

// longWindowSamples is the sum of the samples the long-window rules of f
// read (stats=all) evaluated at at.
func longWindowSamples(t *testing.T, api *queryAPI, f ruleFile, at time.Time) int64 {
	t.Helper()
	var n int64
	for _, expr := range longWindowRules(t, f) {
		n += api.query(expr, at).SamplesRead
	}
	return n
}

// writeRecorded writes, as OpenMetrics, synthetic samples up to at of every
// series the long-window rules of fs read: one per step of the group that
// records it, or of the step a series named :increase<step> is named
// after, aligned to absolute time, over the longest range that reads it.
func writeRecorded(path string, at time.Time, fs []ruleFile) error {
	type recorded struct {
		labels labels.Labels
		step   time.Duration
		span   time.Duration
	}
	steps := map[string]time.Duration{}
	for _, f := range fs {
		for _, g := range f.Groups {
			step := time.Minute
			if g.Interval != "" {
				d, err := model.ParseDuration(g.Interval)
				if err != nil {
					return err
				}
				step = time.Duration(d)
			}
			for _, r := range g.Rules {
				rec, _ := r["record"].(string)
				steps[rec] = step
				if m := increaseStep.FindStringSubmatch(rec); m != nil {
					d, err := model.ParseDuration(m[1])
					if err != nil {
						return err
					}
					steps[rec] = time.Duration(d)
				}
			}
		}
	}
	series := map[string]*recorded{}
	for _, f := range fs {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				expr, err := parser.NewParser(parser.Options{}).ParseExpr(fmt.Sprint(r["expr"]))
				if err != nil {
					return err
				}
				parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
					vs, ok := n.(*parser.VectorSelector)
					if !ok || steps[vs.Name] == 0 {
						return nil
					}
					span := time.Duration(0)
					if len(path) > 0 {
						if ms, ok := path[len(path)-1].(*parser.MatrixSelector); ok {
							span = ms.Range
						}
					}
					b := labels.NewScratchBuilder(len(vs.LabelMatchers))
					for _, m := range vs.LabelMatchers {
						b.Add(m.Name, m.Value)
					}
					b.Sort()
					ls := b.Labels()
					key := ls.String()
					if s, ok := series[key]; ok {
						s.span = max(s.span, span)
						return nil
					}
					series[key] = &recorded{ls, steps[vs.Name], span}
					return nil
				})
			}
		}
	}
	keys := make([]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a metric family's series together
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	for _, k := range keys {
		s := series[k]
		name := s.labels.Get(model.MetricNameLabel)
		var ls []string
		s.labels.Range(func(l labels.Label) {
			if l.Name != model.MetricNameLabel {
				ls = append(ls, fmt.Sprintf("%s=%q", l.Name, l.Value))
			}
		})
		first := at.Add(-s.span - s.step).Truncate(s.step)
		for ts := first; !ts.After(at); ts = ts.Add(s.step) {
			fmt.Fprintf(w, "%s{%s} 1 %d\n", name, strings.Join(ls, ","), ts.Unix())
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
