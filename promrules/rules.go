package promrules

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// Names of the recorded series.
const (
	metricRatioWindow     = "slo:sli_error:ratio_window"
	metricBudgetRemaining = "slo:error_budget_remaining:ratio"
	metricBurnRateWindow  = "slo:burn_rate:ratio_window"
	metricObjective       = "slo:objective:ratio"
	metricBudget          = "slo:error_budget:ratio"
	metricWindowSeconds   = "slo:window:seconds"
)

// Names of the alerts.
const (
	AlertBurn      = "SLOErrorBudgetBurn"
	AlertExhausted = "SLOErrorBudgetExhausted"
	AlertAbsent    = "SLOMetricsAbsent"
)

func ratioMetric(w time.Duration) string  { return "slo:sli_error:ratio_rate" + promDuration(w) }
func errorsMetric(g time.Duration) string { return "slo:sli_errors:increase" + promDuration(g) }
func totalMetric(g time.Duration) string  { return "slo:sli_total:increase" + promDuration(g) }

// series selects the SLO's own recorded series of a metric.
func (p *plan) series(metric string) string { return metric + p.selector }

// errorRate is the SLI's errors per second over w. It is never empty for
// an SLO with one budget; a grouped SLO has it for every group with events.
func (p *plan) errorRate(w time.Duration) string {
	total := p.totalRate(w)
	switch {
	case p.kind == kindGood && p.by == nil:
		return fmt.Sprintf("clamp_min((%s or vector(0)) - (%s or vector(0)), 0)", total, p.sumOf(p.goodQ, w))
	case p.kind == kindGood:
		return fmt.Sprintf("clamp_min(%s - (%s), 0)", total, p.orZero(p.sumOf(p.goodQ, w), total))
	}
	return "(" + p.orZero(p.sumOf(p.errQ, w), total) + ")"
}

// totalRate is the SLI's events per second over w; empty without traffic.
func (p *plan) totalRate(w time.Duration) string {
	return p.sumOf(p.totalQ, w)
}

// agg applies the aggregation op to q, by the group labels of a grouped
// SLO: sum(q), or sum by (route) (q).
func (p *plan) agg(op, q string) string {
	if p.by == nil {
		return op + "(" + q + ")"
	}
	return op + " by (" + strings.Join(p.by, ", ") + ") (" + q + ")"
}

// sumOf aggregates the query template t over w into one series per group
// (one series without labels for an SLO with one budget), unless it is
// already such a sum.
func (p *plan) sumOf(t string, w time.Duration) string {
	q := query(t, w)
	if p.plainSum[t] {
		return q
	}
	return p.agg("sum", q)
}

// orZero is q, or 0 where q has no series: vector(0) for an SLO with one
// budget, and for a grouped SLO 0 for every group of like, whose series
// carry the group labels.
func (p *plan) orZero(q, like string) string {
	if p.by == nil {
		return q + " or vector(0)"
	}
	return q + " or 0 * " + like
}

// ratio is the error ratio over w: 0 without traffic (for every group with
// series), never NaN or Inf.
func (p *plan) ratio(w time.Duration) string {
	switch {
	case p.kind == kindRatio && p.by == nil:
		return fmt.Sprintf("clamp_max(max(%s) >= 0, 1) or vector(0)", query(p.rQ, w))
	case p.kind == kindRatio:
		return fmt.Sprintf("clamp_max(%s >= 0, 1)", p.agg("max", query(p.rQ, w)))
	}
	total := p.totalRate(w)
	return p.orZero(fmt.Sprintf("(%s / (%s > 0))", p.errorRate(w), total), total)
}

// events is the number of events over w, for the minimum event count.
func (p *plan) events(w time.Duration) string {
	if p.totalSel != "" {
		return p.agg("sum", fmt.Sprintf("increase(%s[%s])", p.totalSel, promDuration(w)))
	}
	return fmt.Sprintf("%s * %s", p.totalRate(w), spec.FormatFloat(w.Seconds()))
}

// groups returns the rule groups of the SLO.
func (p *plan) groups() ([]ruleGroup, error) {
	b := builder{labels: p.labels}
	prefix := fmt.Sprintf("slo:%s:%s", p.service, p.name)

	sli := ruleGroup{Name: prefix + ":sli"}
	for _, w := range p.windows {
		sli.Rules = append(sli.Rules, b.record(ratioMetric(w), p.windowRatio(w)))
	}
	budget := spec.FormatFloat(p.budget)
	windowRules := func() []rule {
		window := p.agg("sum", p.series(metricRatioWindow))
		if p.by == nil {
			window = "(" + window + " or vector(0))"
		}
		return []rule{
			b.record(metricBudgetRemaining, fmt.Sprintf("1 - %s / %s", window, budget)),
			b.record(metricBurnRateWindow, fmt.Sprintf("%s / %s", window, budget)),
		}
	}
	groups := []ruleGroup{sli}
	if p.obj.Slices.Enabled() {
		groups = append(groups, p.sliceGroup(&b, prefix, windowRules()))
	} else if p.gridded() {
		g := p.grid
		// A cell is the rate over its range (see rangeOf) times the step:
		// the increase over exactly the step.
		cell := p.rangeOf(g)
		secs := spec.FormatFloat(g.Seconds())
		var errs, total string
		increase := func(sel string) string {
			return p.agg("sum", fmt.Sprintf("rate(%s[%s])", sel, promWindow(cell))) + " * " + secs
		}
		switch {
		case p.by == nil && p.errSel != "":
			errs, total = increase(p.errSel)+" or vector(0)", increase(p.totalSel)+" or vector(0)"
		case p.by == nil && p.goodSel != "":
			total = increase(p.totalSel) + " or vector(0)"
			errs = fmt.Sprintf("clamp_min((%s) - (%s), 0)", total, increase(p.goodSel)+" or vector(0)")
		case p.errSel != "":
			// A grouped SLO records every group with events, errors or not.
			total = increase(p.totalSel)
			errs = p.orZero(increase(p.errSel), total)
		case p.goodSel != "":
			total = increase(p.totalSel)
			errs = fmt.Sprintf("clamp_min(%s - (%s), 0)", total, p.orZero(increase(p.goodSel), total))
		default:
			errs = fmt.Sprintf("%s * %s", p.errorRate(cell), secs)
			total = fmt.Sprintf("%s * %s", p.totalRate(cell), secs)
			if p.by == nil {
				total = "(" + total + ") or vector(0)"
			}
		}
		// The window holds gridSteps grid samples: the range stops half a
		// step short of the next older one, so that it never counts one
		// step twice, whether ranges include their start (Prometheus 2)
		// or not (Prometheus 3).
		rng := promRange(time.Duration(p.gridSteps)*g - g/2)
		sumOver := func(metric string) string {
			return p.agg("sum", fmt.Sprintf("sum_over_time(%s[%s])", p.series(metric), rng))
		}
		window := ruleGroup{
			Name:     prefix + ":window",
			Interval: promDuration(g),
			Rules: []rule{
				b.record(errorsMetric(g), p.uncorrected(errs, g)),
				b.record(totalMetric(g), p.uncorrected(total, g)),
			},
		}
		if !p.obj.Calendar.IsZero() {
			window.Rules = append(window.Rules, p.calendarRules(&b)...)
		} else {
			windowErrs, windowTotal := sumOver(errorsMetric(g)), sumOver(totalMetric(g))
			if p.block != g {
				window.Rules = append(window.Rules, p.blockRules(&b, errorsMetric(g), errorsMetric(p.block))...)
				window.Rules = append(window.Rules, p.blockRules(&b, totalMetric(g), totalMetric(p.block))...)
				windowErrs, windowTotal = p.blockWindow(errorsMetric(p.block), rng), p.blockWindow(totalMetric(p.block), rng)
			}
			window.Rules = append(window.Rules, b.record(metricRatioWindow, p.orZero(fmt.Sprintf("(%s / (%s > 0))", windowErrs, windowTotal), windowTotal)))
		}
		window.Rules = append(window.Rules, windowRules()...)
		groups = append(groups, window)
	} else {
		avg := p.agg("sum", fmt.Sprintf("avg_over_time(%s[%s])", p.series(ratioMetric(p.grid)), promDuration(p.obj.Window)))
		if p.by == nil {
			avg += " or vector(0)"
		}
		sli.Rules = append(sli.Rules, b.record(metricRatioWindow, avg))
		sli.Rules = append(sli.Rules, windowRules()...)
	}
	meta := []rule{
		b.record(metricObjective, "vector("+spec.FormatFloat(p.obj.Target)+")"),
		b.record(metricBudget, "vector("+budget+")"),
		b.record(metricWindowSeconds, p.windowSeconds()),
	}
	groups[0].Rules = append(sli.Rules, meta...)

	alerts := ruleGroup{Name: prefix + ":alerts"}
	// The alert expressions aggregate away every label but the group
	// labels, so annotations name the SLO themselves and read only the
	// group labels from $labels.
	who := templateLiteral(p.name) + " of " + templateLiteral(p.service)
	if p.by != nil {
		var parts []string
		for _, l := range p.by {
			parts = append(parts, l+"={{ $labels."+l+" }}")
		}
		who += " (" + strings.Join(parts, ", ") + ")"
	}
	for _, t := range p.obj.Tiers {
		long, short := promDuration(t.LongWindow), promDuration(t.ShortWindow)
		factor := spec.FormatFloat(t.Factor)
		threshold := spec.FormatFloat(slo.AlertThreshold(t.Factor)) // what the tracker compares with
		expr := fmt.Sprintf("(%s / %s >= %s) and (%s / %s >= %s)",
			p.tierRatio(t.LongWindow), budget, threshold, p.tierRatio(t.ShortWindow), budget, threshold)
		if p.obj.MinEvents > 0 && p.kind != kindRatio {
			expr += fmt.Sprintf(" and (%s >= %d)", p.events(t.LongWindow), p.obj.MinEvents)
		}
		tte := func(series func(string) string) string {
			return fmt.Sprintf("clamp_min(sum(%s), 0) * %s / (sum(%s) / %s)",
				p.lastGrid(series(metricBudgetRemaining)), spec.FormatFloat(p.budgetWindow().Seconds()), series(ratioMetric(t.LongWindow)), budget)
		}
		b.check("time to exhaustion", tte(p.series))
		share := spec.FormatFloat(100*t.BudgetShare(p.budgetWindow())) + "%"
		r := b.alert(p.alertName(AlertBurn), expr, p.alertFor, p.alertLabels(AlertBurn, map[string]string{
			"severity": string(t.Severity), "long_window": long, "short_window": short,
		}), p.alertAnnotations(AlertBurn, t.Severity, map[string]string{
			"summary": "SLO " + who + " burns its error budget {{ $value | printf \"%.1f\" }}x too fast",
			"description": fmt.Sprintf("The error budget of the %s window burns {{ $value | printf \"%%.2f\" }} times as fast as it can be sustained over the last %s, "+
				"and at least %s times over the last %s. Burning at %s, this alert fires once %s of the budget is spent.",
				p.windowName(), long, factor, short, factor, share),
			"burn_rate":          "{{ $value | printf \"%.2f\" }}",
			"budget_share":       share,
			"time_to_exhaustion": "{{ with " + p.groupQuery(tte) + " }}{{ . | first | value | humanizeDuration }}{{ end }}",
		}))
		alerts.Rules = append(alerts.Rules, r)
	}
	alerts.Rules = append(alerts.Rules, b.alert(AlertExhausted, p.agg("sum", p.lastGrid(p.series(metricBudgetRemaining)))+" <= 0", 0,
		p.alertLabels(AlertExhausted, nil), p.alertAnnotations(AlertExhausted, "", map[string]string{
			"summary":     "SLO " + who + " has spent its error budget",
			"description": fmt.Sprintf("{{ $value | humanizePercentage }} of the error budget of the %s window is left.", p.windowName()),
		})))
	alerts.Rules = append(alerts.Rules, b.alert(AlertAbsent, "sum(absent("+p.absentExpr()+"))", absentFor,
		p.alertLabels(AlertAbsent, nil), p.alertAnnotations(AlertAbsent, "", map[string]string{
			"summary":     "SLO " + who + " has no SLI data",
			"description": "The query counting the SLI's events returns nothing, so the SLO is not measured. Was a metric renamed or a target lost?",
		})))
	groups = append(groups, alerts)
	if b.err != nil {
		return nil, b.err
	}
	return groups, nil
}

// groupQuery is a template pipeline that runs the query made by q in an
// alert's annotation: q selecting the SLO's series for an SLO with one
// budget, and the series of the alert's group (read from $labels) for a
// grouped SLO. The group's values are printed as quoted PromQL strings.
func (p *plan) groupQuery(q func(series func(string) string) string) string {
	if p.by == nil {
		return "query " + strconv.Quote(q(p.series))
	}
	args := ""
	format := q(func(metric string) string {
		s := strings.TrimSuffix(strings.ReplaceAll(p.series(metric), "%", "%%"), "}")
		for _, l := range p.by {
			s += "," + l + "=%q"
			args += " $labels." + l
		}
		return s + "}"
	})
	return "printf " + strconv.Quote(format) + args + " | query"
}

// absentExpr is what SLOMetricsAbsent watches: the events of the SLI, of
// every group together. absent() sees only whether any series is left, not
// which groups vanished, so the alert is one per SLO. The alert sums
// absent() of it, because absent() copies the selector's
// equality matchers into its result and the alert's labels must not depend
// on how the SLI was written.
func (p *plan) absentExpr() string {
	switch {
	case p.totalSel != "":
		return p.totalSel
	case p.kind == kindRatio:
		return fmt.Sprintf("max(%s)", query(p.rQ, p.grid))
	default:
		return p.totalRate(p.rangeOf(p.grid))
	}
}

// lastGrid reads sel, a series the window group records, as the alerts
// group does: for the exact method, its last sample within a grid step and
// the lookback, as an alerts group evaluated at a grid instant (or before
// the window group, in the same instant) would find none on Prometheus 3,
// whose lookback leaves out a sample exactly 5m old.
func (p *plan) lastGrid(sel string) string {
	if !p.gridded() && !p.obj.Slices.Enabled() {
		return sel
	}
	return fmt.Sprintf("last_over_time(%s[%s])", sel, promWindow(p.grid+lookback))
}

// lookback is Prometheus's default lookback of instant selectors.
const lookback = 5 * time.Minute

// rangeOf is the range the rules read the SLI's counters over for window
// w: the grid step and one millisecond for the grid (its cells, its ratio),
// w itself otherwise. Ranges include their start on Prometheus 2 and not on
// Prometheus 3; the extra millisecond makes both include the sample at the
// start of a grid cell (the previous cell's last one), so a counter sampled
// once a step still has two samples per range on Prometheus 3, and rate()
// over the range times the step is the increase over exactly the step on
// both. VictoriaMetrics' rate() reads (t - w, t] and adds the last sample
// at or before t - w itself: over the step alone, evaluations a step apart
// share their boundary samples and split a counter's increase exactly,
// whatever the scrape interval, where the extra millisecond would reach one
// scrape into the cell before.
func (p *plan) rangeOf(w time.Duration) time.Duration {
	if w == p.grid && p.target != VictoriaMetrics {
		return w + time.Millisecond
	}
	return w
}

// builder makes rules, parsing every expression; it keeps the first error.
type builder struct {
	labels map[string]string
	err    error
}

func (b *builder) check(name, expr string) {
	if b.err != nil {
		return
	}
	if _, err := spec.ParseQuery(expr); err != nil {
		b.err = fmt.Errorf("%s: generated expression does not parse: %w\n%s", name, err, expr)
	}
}

func (b *builder) record(name, expr string) rule {
	b.check(name, expr)
	return rule{Record: name, Expr: expr, Labels: b.labels} // shared: no one writes to rule labels
}

func (b *builder) alert(name, expr string, forDur time.Duration, labels, annotations map[string]string) rule {
	b.check(name, expr)
	all := maps.Clone(b.labels)
	maps.Copy(all, labels)
	for k, v := range all {
		all[k] = templateLiteral(v)
	}
	r := rule{Alert: name, Expr: expr, Labels: all, Annotations: annotations}
	if forDur > 0 {
		r.For = promDuration(forDur)
	}
	return r
}

// templateLiteral protects a value from Prometheus's template expansion of
// alert labels: a value that could start a template action is written as a
// template that prints it.
func templateLiteral(v string) string {
	if !strings.Contains(v, "{{") {
		return v
	}
	return "{{ " + strconv.Quote(v) + " }}"
}
