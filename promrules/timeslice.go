package promrules

import (
	"fmt"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// sliceMetric is what each slice of a time-slice SLO spends: 1 for a bad
// slice and 0 for a good one, or the slice's error ratio when slices are
// averaged.
func sliceMetric(slice time.Duration) string {
	return "slo:sli_slice_error:ratio" + promDuration(slice)
}

// planSlices makes the slices the grid of a time-slice SLO: its rules are
// evaluated once a slice, and its window and tier windows are counted in
// slices rather than from event ratios (see sliceGroup).
func (p *plan) planSlices() *fieldError {
	ts := p.obj.Slices
	if !ts.Enabled() {
		return nil
	}
	if ts.Window%time.Second != 0 {
		return bad("time_slices.window", "%v: want a whole number of seconds", ts.Window)
	}
	p.grid = ts.Window
	p.gridSteps = int(p.obj.Window / ts.Window)
	p.windows = nil
	return nil
}

// sliceCount is the number of slices a window w measures.
func (p *plan) sliceCount(w time.Duration) int { return p.obj.Slices.Count(w) }

// sliceGroup returns the rule group of a time-slice SLO, evaluated once a
// slice: the slice that just ended (its error ratio over the slice, judged
// against the slice target unless slices are averaged; a slice without
// traffic spends nothing), then, for the SLO window and every tier window,
// the share of the last n slices spent: their sum over a range of n slices
// less half a slice, which holds exactly n points of this group (see the
// exact method's grid), divided by n. A slice with no point (before the
// rules ran, or a missed evaluation) counts as good, as one without
// traffic does. budgetRules follow, reading the window's share.
func (p *plan) sliceGroup(b *builder, prefix string, budgetRules []rule) ruleGroup {
	ts := p.obj.Slices
	g := ts.Window
	spend := p.ratio(p.rangeOf(g))
	if !ts.Average {
		spend = fmt.Sprintf("(%s) > bool %s", spend, spec.FormatFloat(slo.SliceErrorThreshold(ts.Target)))
	}
	rules := []rule{b.record(sliceMetric(g), spend)}
	share := func(w time.Duration) string {
		n := p.sliceCount(w)
		rng := promRange(time.Duration(n)*g - g/2)
		return fmt.Sprintf("%s / %d", p.agg("sum", fmt.Sprintf("sum_over_time(%s[%s])", p.series(sliceMetric(g)), rng)), n)
	}
	seen := map[time.Duration]bool{}
	for _, t := range p.obj.Tiers {
		for _, w := range []time.Duration{t.LongWindow, t.ShortWindow} {
			if !seen[w] {
				seen[w] = true
				rules = append(rules, b.record(ratioMetric(w), share(w)))
			}
		}
	}
	rules = append(rules, b.record(metricRatioWindow, share(p.obj.Window)))
	return ruleGroup{Name: prefix + ":slices", Interval: promDuration(g), Rules: append(rules, budgetRules...)}
}

// tierRatio reads the error ratio of a tier window as the alerts do: for
// a time-slice SLO, recorded once a slice, its last sample within a slice
// and the lookback (see lastGrid).
func (p *plan) tierRatio(w time.Duration) string {
	sel := p.series(ratioMetric(w))
	if p.obj.Slices.Enabled() {
		sel = p.lastGrid(sel)
	}
	return p.agg("sum", sel)
}
