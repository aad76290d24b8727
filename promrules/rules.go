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
func (p *plan) series(metric string) string { return selector(metric, p.labels) }

// errorRate is the SLI's errors per second over w, never empty.
func (p *plan) errorRate(w time.Duration) string {
	if p.kind == kindGood {
		return fmt.Sprintf("clamp_min((%s or vector(0)) - (%s or vector(0)), 0)", p.sumOf(p.totalQ, w), p.sumOf(p.goodQ, w))
	}
	return fmt.Sprintf("(%s or vector(0))", p.sumOf(p.errQ, w))
}

// totalRate is the SLI's events per second over w; empty without traffic.
func (p *plan) totalRate(w time.Duration) string {
	return p.sumOf(p.totalQ, w)
}

// sumOf aggregates the query template t over w into one series without
// labels, unless it is already a sum without grouping.
func (p *plan) sumOf(t string, w time.Duration) string {
	q := query(t, w)
	if p.plainSum[t] {
		return q
	}
	return "sum(" + q + ")"
}

// ratio is the error ratio over w: 0 without traffic, never NaN or Inf.
func (p *plan) ratio(w time.Duration) string {
	if p.kind == kindRatio {
		return fmt.Sprintf("clamp_max(max(%s) >= 0, 1) or vector(0)", query(p.rQ, w))
	}
	return fmt.Sprintf("(%s / (%s > 0)) or vector(0)", p.errorRate(w), p.totalRate(w))
}

// events is the number of events over w, for the minimum event count.
func (p *plan) events(w time.Duration) string {
	if p.totalSel != "" {
		return fmt.Sprintf("sum(increase(%s[%s]))", p.totalSel, promDuration(w))
	}
	return fmt.Sprintf("%s * %s", p.totalRate(w), spec.FormatFloat(w.Seconds()))
}

// groups returns the rule groups of the SLO.
func (p *plan) groups() ([]ruleGroup, error) {
	b := builder{labels: p.labels}
	prefix := fmt.Sprintf("slo:%s:%s", p.service, p.name)

	sli := ruleGroup{Name: prefix + ":sli"}
	for _, w := range p.windows {
		sli.Rules = append(sli.Rules, b.record(ratioMetric(w), p.ratio(w)))
	}
	budget := spec.FormatFloat(p.budget)
	windowRules := func() []rule {
		return []rule{
			b.record(metricBudgetRemaining, fmt.Sprintf("1 - (sum(%s) or vector(0)) / %s", p.series(metricRatioWindow), budget)),
			b.record(metricBurnRateWindow, fmt.Sprintf("(sum(%s) or vector(0)) / %s", p.series(metricRatioWindow), budget)),
		}
	}
	groups := []ruleGroup{sli}
	if p.method == MethodExact {
		g := p.grid
		var errs, total string
		increase := func(sel string) string {
			return fmt.Sprintf("sum(increase(%s[%s])) or vector(0)", sel, promDuration(g))
		}
		switch {
		case p.errSel != "":
			errs, total = increase(p.errSel), increase(p.totalSel)
		case p.goodSel != "":
			total = increase(p.totalSel)
			errs = fmt.Sprintf("clamp_min((%s) - (%s), 0)", total, increase(p.goodSel))
		default:
			secs := spec.FormatFloat(g.Seconds())
			errs = fmt.Sprintf("%s * %s", p.errorRate(g), secs)
			total = fmt.Sprintf("(%s * %s) or vector(0)", p.totalRate(g), secs)
		}
		// The window holds gridSteps grid samples: the range stops half a
		// step short of the next older one, so that it never counts one
		// step twice, whether ranges include their start (Prometheus 2)
		// or not (Prometheus 3).
		rng := promRange(time.Duration(p.gridSteps)*g - g/2)
		window := ruleGroup{
			Name:     prefix + ":window",
			Interval: promDuration(g),
			Rules: []rule{
				b.record(errorsMetric(g), errs),
				b.record(totalMetric(g), total),
				b.record(metricRatioWindow, fmt.Sprintf("(sum(sum_over_time(%s[%s])) / (sum(sum_over_time(%s[%s])) > 0)) or vector(0)",
					p.series(errorsMetric(g)), rng, p.series(totalMetric(g)), rng)),
			},
		}
		window.Rules = append(window.Rules, windowRules()...)
		groups = append(groups, window)
	} else {
		sli.Rules = append(sli.Rules, b.record(metricRatioWindow, fmt.Sprintf("sum(avg_over_time(%s[%s])) or vector(0)",
			p.series(ratioMetric(p.grid)), promDuration(p.obj.Window))))
		sli.Rules = append(sli.Rules, windowRules()...)
	}
	meta := []rule{
		b.record(metricObjective, "vector("+spec.FormatFloat(p.obj.Target)+")"),
		b.record(metricBudget, "vector("+budget+")"),
		b.record(metricWindowSeconds, "vector("+spec.FormatFloat(p.obj.Window.Seconds())+")"),
	}
	groups[0].Rules = append(sli.Rules, meta...)

	alerts := ruleGroup{Name: prefix + ":alerts"}
	// The alert expressions aggregate away every label, so annotations
	// name the SLO themselves instead of reading $labels.
	who := templateLiteral(p.name) + " of " + templateLiteral(p.service)
	for _, t := range p.obj.Tiers {
		long, short := promDuration(t.LongWindow), promDuration(t.ShortWindow)
		factor := spec.FormatFloat(t.Factor)
		threshold := spec.FormatFloat(slo.AlertThreshold(t.Factor)) // what the tracker compares with
		expr := fmt.Sprintf("(sum(%s) / %s >= %s) and (sum(%s) / %s >= %s)",
			p.series(ratioMetric(t.LongWindow)), budget, threshold, p.series(ratioMetric(t.ShortWindow)), budget, threshold)
		if p.obj.MinEvents > 0 && p.kind != kindRatio {
			expr += fmt.Sprintf(" and (%s >= %d)", p.events(t.LongWindow), p.obj.MinEvents)
		}
		tte := fmt.Sprintf("clamp_min(sum(%s), 0) * %s / (sum(%s) / %s)",
			p.series(metricBudgetRemaining), spec.FormatFloat(p.obj.Window.Seconds()), p.series(ratioMetric(t.LongWindow)), budget)
		b.check("time to exhaustion", tte)
		share := spec.FormatFloat(100*t.BudgetShare(p.obj.Window)) + "%"
		r := b.alert(p.alertName(AlertBurn), expr, p.alertFor, p.alertLabels(AlertBurn, map[string]string{
			"severity": string(t.Severity), "long_window": long, "short_window": short,
		}), p.alertAnnotations(AlertBurn, t.Severity, map[string]string{
			"summary": "SLO " + who + " burns its error budget {{ $value | printf \"%.1f\" }}x too fast",
			"description": fmt.Sprintf("The error budget of the %s window burns {{ $value | printf \"%%.2f\" }} times as fast as it can be sustained over the last %s, "+
				"and at least %s times over the last %s. Burning at %s, this alert fires once %s of the budget is spent.",
				promDuration(p.obj.Window), long, factor, short, factor, share),
			"burn_rate":          "{{ $value | printf \"%.2f\" }}",
			"budget_share":       share,
			"time_to_exhaustion": "{{ with query " + strconv.Quote(tte) + " }}{{ . | first | value | humanizeDuration }}{{ end }}",
		}))
		alerts.Rules = append(alerts.Rules, r)
	}
	alerts.Rules = append(alerts.Rules, b.alert(AlertExhausted, fmt.Sprintf("sum(%s) <= 0", p.series(metricBudgetRemaining)), 0,
		p.alertLabels(AlertExhausted, nil), p.alertAnnotations(AlertExhausted, "", map[string]string{
			"summary":     "SLO " + who + " has spent its error budget",
			"description": fmt.Sprintf("{{ $value | humanizePercentage }} of the error budget of the %s window is left.", promDuration(p.obj.Window)),
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

// absentExpr is what SLOMetricsAbsent watches: the events of the SLI. The
// alert sums absent() of it, because absent() copies the selector's
// equality matchers into its result and the alert's labels must not depend
// on how the SLI was written.
func (p *plan) absentExpr() string {
	switch {
	case p.totalSel != "":
		return p.totalSel
	case p.kind == kindRatio:
		return fmt.Sprintf("max(%s)", query(p.rQ, p.grid))
	default:
		return p.totalRate(p.grid)
	}
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
