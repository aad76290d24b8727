package promrules

import (
	"fmt"
	"math"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// maxReplayedSlices is the most slices a generated test replays: promtool
// evaluates every rule once a slice.
const maxReplayedSlices = 3000

// sliceGroups returns the test groups of a time-slice SLO. The input step
// is the slice, so each slice's error ratio is the increase between two
// samples, and every check is on a slice's end. They check that no traffic
// spends nothing; that bad slices spend one slice of budget each whatever
// their traffic, and a slice exactly on its target none; that an overspent
// budget fires SLOErrorBudgetExhausted and recovers once the bad slices
// leave the window (for windows of up to maxReplayedSlices slices); and,
// per alert tier, that the fewest consecutive bad slices that burn at the
// tier's factor fire it and one fewer does not.
func (g *testGen) sliceGroups() []testGroup {
	p := g.p
	ts := p.obj.Slices
	slice := ts.Window
	g.step = slice
	n := p.sliceCount(p.obj.Window)
	b := p.budget
	var out []testGroup

	// No traffic.
	quiet := max(6*slice, 15*time.Minute)
	grp := g.group("no traffic, error counter never created: every slice good", []segment{{steps: g.steps(quiet + slice)}})
	for _, at := range []time.Duration{slice, g.roundUp(quiet)} {
		grp.ExprTests = append(grp.ExprTests, g.value(sliceMetric(slice), at, 0))
		for _, t := range p.obj.Tiers {
			grp.ExprTests = append(grp.ExprTests, g.value(ratioMetric(t.LongWindow), at, 0), g.value(ratioMetric(t.ShortWindow), at, 0))
		}
		grp.ExprTests = append(grp.ExprTests,
			g.value(metricRatioWindow, at, 0), g.value(metricBudgetRemaining, at, 1), g.value(metricBurnRateWindow, at, 0),
			g.value(metricObjective, at, p.obj.Target), g.value(metricWindowSeconds, at, p.obj.Window.Seconds()))
	}
	grp.ExprTests = append(grp.ExprTests, g.noAlerts(g.roundUp(quiet)))
	out = append(out, grp)

	// Bad slices spend one slice each, busy or quiet, and a slice exactly
	// on its target (or, averaged, its error ratio) spends nothing more.
	const busy, quietSlice = 10000, 10
	bad := max(1, int(float64(n)*b/2))
	onTarget := segment{steps: 1, total: busy}
	spent := float64(bad)
	if ts.Average {
		onTarget.errors = busy / 4
		spent += 0.25
	} else {
		onTarget.errors = math.Floor(busy * (1 - ts.Target))
	}
	segs := []segment{{steps: 2, total: busy}, {steps: bad - bad/2, total: busy, errors: busy}}
	if bad > 1 {
		segs = append(segs, segment{steps: bad / 2, total: quietSlice, errors: quietSlice})
	}
	segs = append(segs, onTarget, segment{steps: 2, total: busy})
	end := time.Duration(2+bad+1+2) * slice
	want := 1 - spent/float64(n)/b
	grp = g.group(fmt.Sprintf("%d bad slices, busy and quiet, and one %s: remaining budget %s", bad, map[bool]string{false: "exactly on its target", true: "with 25% errors"}[ts.Average], spec.FormatFloat(want)), segs)
	grp.ExprTests = append(grp.ExprTests,
		g.within(metricBudgetRemaining, end, want-1e-9, want+1e-9),
		g.sliceValue(sliceMetric(slice), time.Duration(2+bad+1)*slice, onTarget.errors/busy*boolFloat(ts.Average)),
		g.alert(AlertAbsent, nil, end, false))
	grp.ExprTests = append(grp.ExprTests, g.healthy(end, true)...)
	out = append(out, grp)

	// Overspent, then recovered once the bad slices leave the window.
	over := int(math.Ceil(float64(n)*b)) + 1
	if over > n {
		over = n
	}
	overAt := time.Duration(1+over) * slice
	segs = []segment{{steps: 1, total: busy}, {steps: over, total: busy, errors: busy}}
	name := "budget overspent: SLOErrorBudgetExhausted fires"
	if 1+over+n <= maxReplayedSlices {
		segs = append(segs, segment{steps: n + 1, total: busy})
		name += ", and stops once the bad slices leave the window"
	} else {
		g.warnings = append(g.warnings, fmt.Sprintf("%s: bad slices leaving the %s window not tested: replaying %d slices takes too long",
			g.id, promDuration(p.obj.Window), n))
	}
	grp = g.group(name, segs)
	grp.ExprTests = append(grp.ExprTests, g.within(metricBudgetRemaining, overAt, math.Inf(-1), 0), g.alert(AlertExhausted, nil, overAt, true))
	grp.ExprTests = append(grp.ExprTests, g.healthy(overAt, true)...)
	if len(segs) == 3 {
		gone := time.Duration(1+over+n) * slice
		grp.ExprTests = append(grp.ExprTests, g.within(metricBudgetRemaining, gone-slice, math.Inf(-1), 1),
			g.value(metricBudgetRemaining, gone, 1), g.alert(AlertExhausted, nil, gone, false))
	}
	out = append(out, grp)

	for _, t := range p.obj.Tiers {
		out = append(out, g.sliceTier(t)...)
	}
	return out
}

// sliceTier tests one alert tier of a time-slice SLO: after two clean
// slices, every slice fails. The tier fires once the long and the short
// window both spend at its factor, which takes the fewest bad slices j with
// j/long >= factor * budget (and the same of the short window, up to all of
// it); a burst of j-1 bad slices never fires it.
func (g *testGen) sliceTier(t slo.AlertTier) []testGroup {
	p := g.p
	slice := p.obj.Slices.Window
	long, short := p.sliceCount(t.LongWindow), p.sliceCount(t.ShortWindow)
	labels := map[string]string{"severity": string(t.Severity), "long_window": promDuration(t.LongWindow), "short_window": promDuration(t.ShortWindow)}
	name := fmt.Sprintf("%s %s/%s x%s", t.Severity, promDuration(t.LongWindow), promDuration(t.ShortWindow), spec.FormatFloat(t.Factor))
	burns := func(bad, of int) bool { return float64(bad)/float64(of)/p.budget >= slo.AlertThreshold(t.Factor) }
	j := 1
	for ; j <= long && !(burns(j, long) && burns(min(j, short), short)); j++ {
	}
	const clean = 2
	perStep := math.Max(1000, float64(p.obj.MinEvents))
	forSlices := int((p.alertFor + slice - 1) / slice)
	if j > long {
		if clean+long+forSlices+1 > maxReplayedSlices {
			g.warnings = append(g.warnings, fmt.Sprintf("%s: tier %s not tested: it can never fire, and showing it takes %d slices", g.id, name, long))
			return nil
		}
		grp := g.group(name+": can never fire, not even when every slice fails", []segment{{steps: clean, total: perStep}, {steps: long + forSlices + 1, total: perStep, errors: perStep}})
		grp.ExprTests = append(grp.ExprTests, g.alert(AlertBurn, labels, time.Duration(clean+long+forSlices+1)*slice, false))
		return []testGroup{grp}
	}
	if clean+j+forSlices+1 > maxReplayedSlices {
		g.warnings = append(g.warnings, fmt.Sprintf("%s: tier %s not tested: it needs %d bad slices", g.id, name, j))
		return nil
	}
	fire := time.Duration(clean+j+forSlices) * slice
	above := g.group(fmt.Sprintf("%s: %d bad slices in a row fire it", name, j),
		[]segment{{steps: clean, total: perStep}, {steps: j + forSlices + 1, total: perStep, errors: perStep}})
	above.ExprTests = append(above.ExprTests, g.alert(AlertBurn, labels, fire-slice, false), g.alert(AlertBurn, labels, fire, true))
	out := []testGroup{above}
	if j > 1 {
		below := g.group(fmt.Sprintf("%s: %d bad slices in a row never fire it", name, j-1),
			[]segment{{steps: clean, total: perStep}, {steps: j - 1, total: perStep, errors: perStep}, {steps: forSlices + 2, total: perStep}})
		below.ExprTests = append(below.ExprTests, g.alert(AlertBurn, labels, fire, false), g.alert(AlertBurn, labels, fire+slice, false))
		out = append(out, below)
	}
	return out
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sliceValue expects a slice's recorded verdict or error ratio v at at:
// exactly 0 or 1, and a ratio to a billionth, as an SLI of good events
// divides rates that need not give v to the last bit (0.25 as
// 0.24999999999999994).
func (g *testGen) sliceValue(metric string, at time.Duration, v float64) exprTest {
	if v == 0 || v == 1 {
		return g.value(metric, at, v)
	}
	return g.within(metric, at, v-1e-9, v+1e-9)
}
