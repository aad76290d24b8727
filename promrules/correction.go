package promrules

import (
	"fmt"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

// Corrections in the rules.
//
// A correction becomes a time condition: cond(r) has one sample at the
// evaluation times t whose range (t - r, t] overlaps a correction, and none
// otherwise. For a one-off period [start, end) that is
//
//	vector(time()) > start < end + r
//
// in Unix seconds. For a weekly one, with ref the Unix time of one
// occurrence's start before 1970 (a negative number),
//
//	(vector(time()) + -ref) % 604800 < duration + r
//
// the time since the last occurrence's start, modulo a week. The modulo does
// in one comparison what day_of_week(), hour() and minute() would do in
// several, to the second; it holds for UTC only, so the rules refuse a
// weekly correction in a time zone whose offset is not zero (the tracker
// follows any zone).
//
// The conditions remove events at the grid's resolution:
//   - the grid cells (the exact method's slo:sli_errors:increase<g> and
//     slo:sli_total:increase<g>) and the grid's ratio slo:sli_error:ratio_rate<g>
//     are not recorded while their cell (t - g, t] overlaps a correction,
//     so the window's sums, the budget and the burn rate over the window
//     leave the correction out, edges widened to whole cells;
//   - an alert window's ratio slo:sli_error:ratio_rate<w> is the plain rate
//     over w while w overlaps no correction, and while it does, the ratio of
//     the sums of the grid cells recorded in w (the exact method) or the
//     average of the grid ratios recorded in w (ratio-average), which leave
//     the correction out; a window no longer than the grid is not recorded
//     while it overlaps one.
//
// So the burn-rate alerts see no event of a correction, and neither does
// SLOErrorBudgetExhausted. Changing a spec's corrections changes the
// conditions: regenerate the rules.

// week is a week in seconds.
const week = 7 * 24 * 3600

// checkCorrections refuses the corrections the rules cannot follow: weekly
// ones in a zone that is not UTC.
func (p *plan) checkCorrections() *fieldError {
	for _, w := range p.obj.WeeklyCorrections {
		if !isUTC(w.Location) {
			return bad("corrections", "the weekly correction on %v at %s in %s: the rules follow weekly corrections in UTC only (PromQL's time functions know no time zone); give the time in UTC, or a one-off period", w.Days, time.Time{}.Add(w.Start).Format("15:04:05"), w.Location)
		}
	}
	return nil
}

// isUTC reports whether loc is nil or a zone whose offset is zero all year
// (UTC, Etc/UTC, GMT and the like).
func isUTC(loc *time.Location) bool {
	if loc == nil {
		return true
	}
	for y := 2020; y <= 2040; y++ {
		for _, m := range []time.Month{time.January, time.April, time.July, time.October} {
			if _, off := time.Date(y, m, 1, 12, 0, 0, 0, loc).Zone(); off != 0 {
				return false
			}
		}
	}
	return true
}

// corrected is the condition that the range (t - r, t] ending at the
// evaluation time t overlaps a correction of the SLO; "" when it has none.
func (p *plan) corrected(r time.Duration) string {
	var conds []string
	for _, c := range p.obj.Corrections {
		conds = append(conds, fmt.Sprintf("vector(time()) > %s < %s",
			unixSeconds(c.Start), spec.FormatFloat(float64(c.End.UnixNano()+int64(r))/1e9)))
	}
	for _, w := range p.obj.WeeklyCorrections {
		length := (w.Duration + r).Seconds()
		for _, d := range w.Days {
			if length >= week {
				return "vector(1)"
			}
			since := -weeklyRef(d, w.Start).Unix()
			conds = append(conds, fmt.Sprintf("(vector(time()) + %d) %% %d < %s", since, week, spec.FormatFloat(length)))
		}
	}
	switch len(conds) {
	case 0:
		return ""
	case 1:
		return conds[0]
	}
	return "(" + strings.Join(conds, ") or (") + ")"
}

func unixSeconds(t time.Time) string { return spec.FormatFloat(float64(t.UnixNano()) / 1e9) }

// uncorrected is q (a grid cell, read over (t - r, t]) except while that
// range overlaps a correction.
func (p *plan) uncorrected(q string, r time.Duration) string {
	cond := p.corrected(r)
	if cond == "" {
		return q
	}
	return fmt.Sprintf("(%s) unless on () (%s)", q, cond)
}

// windowRatio is the error ratio over the alert window w that the sli
// group records: the rate over w, and while w overlaps a correction, the
// ratio from the grid's records in w, which leave the correction out.
func (p *plan) windowRatio(w time.Duration) string {
	raw := p.ratio(p.rangeOf(w))
	cond := p.corrected(w)
	if cond == "" {
		return raw
	}
	if w <= p.grid {
		return p.uncorrected(raw, w)
	}
	var fromGrid string
	if p.method == MethodExact {
		rng := promRange(time.Duration(w/p.grid)*p.grid - p.grid/2)
		sumOver := func(metric string) string {
			return p.agg("sum", fmt.Sprintf("sum_over_time(%s[%s])", p.series(metric), rng))
		}
		total := sumOver(totalMetric(p.grid))
		fromGrid = p.orZero(fmt.Sprintf("(%s / (%s > 0))", sumOver(errorsMetric(p.grid)), total), total)
	} else {
		fromGrid = p.agg("sum", fmt.Sprintf("avg_over_time(%s[%s])", p.series(ratioMetric(p.grid)), promWindow(w)))
		if p.by == nil {
			fromGrid += " or vector(0)"
		}
	}
	return fmt.Sprintf("((%s) unless on () (%s)) or ((%s) and on () (%s))", raw, cond, fromGrid, cond)
}

// correctedAt is cond(r) of corrected evaluated in Go at t: whether the
// range (t - r, t] overlaps a correction. The test generator uses it to
// place its tests.
func (p *plan) correctedAt(t time.Time, r time.Duration) bool {
	for _, c := range p.obj.Corrections {
		if t.After(c.Start) && t.Before(c.End.Add(r)) {
			return true
		}
	}
	for _, w := range p.obj.WeeklyCorrections {
		for _, d := range w.Days {
			if w.Duration+r >= week*time.Second {
				return true
			}
			since := t.Sub(weeklyRef(d, w.Start)) % (week * time.Second)
			if since < 0 {
				since += week * time.Second
			}
			if since < w.Duration+r {
				return true
			}
		}
	}
	return false
}

// weeklyRef is the time of a weekly correction's start on day d of the
// week of 1969-12-21, a Sunday: before 1970, so that the time since it is
// positive at any Unix time PromQL's % sees (whose result takes the sign of
// its left operand), promtool's tests starting at 0 included.
func weeklyRef(d time.Weekday, start time.Duration) time.Time {
	return time.Date(1969, time.December, 21, 0, 0, 0, 0, time.UTC).Add(time.Duration(d)*24*time.Hour + start)
}

// correctionTests keeps the SLO's generated test groups that no correction
// reaches (promtool's tests start at 1970-01-01 00:00 UTC, where weekly
// corrections recur too) and adds one that burns the budget through the
// first weekly occurrence at least an hour in: no alert fires and the whole
// budget is left. One-off corrections lie at their dates, out of the tests'
// reach: they are covered by the package's own tests.
func (g *testGen) correctionTests(groups []testGroup) []testGroup {
	p := g.p
	if len(p.obj.Corrections) == 0 && len(p.obj.WeeklyCorrections) == 0 {
		return groups
	}
	epoch := time.Unix(0, 0).UTC()
	var kept []testGroup
	for _, grp := range groups {
		var last time.Duration
		for _, e := range grp.ExprTests {
			if d, err := spec.ParseDuration(e.EvalTime); err == nil {
				last = max(last, d)
			}
		}
		// The longest range a condition of the rules covers is the
		// longest alert window's.
		reached := false
		for t := time.Duration(0); t <= last && !reached; t += g.eval {
			reached = p.correctedAt(epoch.Add(t), p.windows[len(p.windows)-1])
		}
		if reached {
			g.warnings = append(g.warnings, fmt.Sprintf("%s: test %q left out: a weekly correction falls in its time", g.id, strings.TrimPrefix(grp.Name, g.id+": ")))
			continue
		}
		kept = append(kept, grp)
	}
	if len(p.obj.WeeklyCorrections) == 0 {
		g.warnings = append(g.warnings, fmt.Sprintf("%s: its one-off corrections are not tested: promtool's tests start at 1970-01-01", g.id))
		return kept
	}
	// The first occurrence at least an hour in.
	var start, dur time.Duration = -1, 0
	for _, w := range p.obj.WeeklyCorrections {
		for _, d := range w.Days {
			s := weeklyRef(d, w.Start).Sub(epoch) % (week * time.Second)
			for s < time.Hour {
				s += week * time.Second
			}
			if start < 0 || s < start {
				start, dur = s, w.Duration
			}
		}
	}
	base := g.step
	defer func() { g.step = base }()
	g.step = g.eval
	if start%g.eval != 0 || dur%g.eval != 0 {
		g.warnings = append(g.warnings, fmt.Sprintf("%s: its weekly correction is not tested: it does not start and end on the %s grid", g.id, promDuration(g.eval)))
		return kept
	}
	after := g.eval * 2
	grp := g.group(fmt.Sprintf("every event fails during the weekly correction from %s: no alert, no budget spent", promDuration(start)),
		[]segment{{steps: g.steps(start), total: 1000}, {steps: g.steps(dur), total: 1000, errors: 1000}, {steps: g.steps(after), total: 1000}})
	for _, at := range []time.Duration{start + dur, start + dur + after} {
		grp.ExprTests = append(grp.ExprTests, g.within(metricBudgetRemaining, at, 1-1e-5, 1+1e-9))
		for _, t := range p.obj.Tiers {
			grp.ExprTests = append(grp.ExprTests, g.alert(AlertBurn, map[string]string{"severity": string(t.Severity), "long_window": promDuration(t.LongWindow), "short_window": promDuration(t.ShortWindow)}, at, false))
		}
		grp.ExprTests = append(grp.ExprTests, g.alert(AlertExhausted, nil, at, false))
	}
	return append(kept, grp)
}
