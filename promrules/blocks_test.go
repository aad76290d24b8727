package promrules

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo/spec"
)

// longWindowCost is what the rules of one long-window method read per
// evaluation of the SLO window's error ratio.
type longWindowCost struct {
	samples int           // samples per evaluation
	every   time.Duration // how often it is evaluated
}

// ruleEval is the evaluation interval of a group without its own, as in
// the usual global configuration.
const ruleEval = time.Minute

// increaseName is the name of a series recorded once per the step it is
// named after: the grid's cells and MethodExact's blocks.
var increaseName = regexp.MustCompile(`:increase([0-9]+[a-z]+)$`)

// longWindowSamples counts the samples the long-window rules of the
// generated rules of s read per evaluation of slo:sli_error:ratio_window:
// that rule, and for the grid methods every rule of its group but the grid
// cells themselves (which the alerts read too). A selector reads one
// sample; a range reads the samples of its series it spans, where a series
// named :increase<step> has one sample per step and any other one per
// evaluation of the group that records it.
func longWindowSamples(t *testing.T, s spec.SLO, opts Options) longWindowCost {
	t.Helper()
	res := mustGenerate(t, []spec.SLO{s}, opts)
	var f ruleFile
	if err := yaml.Unmarshal(res.Rules, &f); err != nil {
		t.Fatal(err)
	}
	interval := func(g ruleGroup) time.Duration {
		if g.Interval == "" {
			return ruleEval
		}
		d, err := model.ParseDuration(g.Interval)
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(d)
	}
	step := map[string]time.Duration{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			step[r.Record] = interval(g)
			if m := increaseName.FindStringSubmatch(r.Record); m != nil {
				d, err := model.ParseDuration(m[1])
				if err != nil {
					t.Fatal(err)
				}
				step[r.Record] = time.Duration(d)
			}
		}
	}
	for _, g := range f.Groups {
		var cost longWindowCost
		for _, r := range g.Rules {
			if r.Record == metricRatioWindow {
				cost.every = interval(g)
			}
		}
		if cost.every == 0 {
			continue
		}
		for _, r := range g.Rules {
			switch {
			case r.Record == "", r.Record == metricBudgetRemaining, r.Record == metricBurnRateWindow:
				continue // not a recording rule, or one reading the ratio's one sample
			case g.Interval == "" && r.Record != metricRatioWindow:
				continue // ratio-average: the ratios are recorded for the alerts too
			case increaseName.MatchString(r.Record) && step[r.Record] == cost.every:
				continue // the grid's cells: the alerts read them too
			}
			expr, err := spec.ParseQuery(r.Expr)
			if err != nil {
				t.Fatal(err)
			}
			parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				st, ok := step[vs.Name]
				if !ok {
					t.Fatalf("%s reads %s, which no rule records", r.Record, vs.Name)
				}
				if len(path) > 0 {
					if ms, ok := path[len(path)-1].(*parser.MatrixSelector); ok {
						cost.samples += int(ms.Range/st) + boolInt(ms.Range%st != 0)
						return nil
					}
				}
				cost.samples++
				return nil
			})
		}
		return cost
	}
	t.Fatalf("no rule records %s", metricRatioWindow)
	return longWindowCost{}
}

func TestExactLongWindowReadsAFewPercentOfRatioAverage(t *testing.T) {
	for _, c := range []struct {
		window time.Duration
		most   float64 // exact's samples per evaluation, in ratio-average's
	}{{30 * day, 0.05}, {90 * day, 0.02}} {
		t.Run(promDuration(c.window), func(t *testing.T) {
			s := availability
			s.Objective.Window = c.window
			exact := longWindowSamples(t, s, Options{})
			avg := longWindowSamples(t, s, Options{Method: MethodRatioAverage})
			share := float64(exact.samples) / float64(avg.samples)
			t.Logf("exact reads %d samples per evaluation, ratio-average %d: %.4fx", exact.samples, avg.samples, share)
			if share > c.most {
				t.Errorf("exact reads %d samples per evaluation of a %s window, %.3fx ratio-average's %d; want at most %.2fx",
					exact.samples, promDuration(c.window), share, avg.samples, c.most)
			}
		})
	}
}

func TestBlockIsAtMostTheTrackersBucketAndDividesTheWindow(t *testing.T) {
	for _, c := range []struct {
		window, grid, want time.Duration
	}{
		{30 * day, 5 * time.Minute, time.Hour},
		{90 * day, 15 * time.Minute, 3 * time.Hour},
		{7 * day, 5 * time.Minute, 10 * time.Minute},  // 1/720 is 14m: 10m divides the week
		{28 * day, 5 * time.Minute, 45 * time.Minute}, // 55m and 50m do not divide it
		{day, 5 * time.Minute, 5 * time.Minute},       // 2m: no block, the grid
		{day, 30 * time.Second, 2 * time.Minute},
	} {
		t.Run(fmt.Sprintf("%s on %s", promDuration(c.window), promDuration(c.grid)), func(t *testing.T) {
			got := blockOf(c.window, c.grid, int(c.window/c.grid))
			if got != c.want {
				t.Errorf("block %s, want %s", promDuration(got), promDuration(c.want))
			}
		})
	}
}
