package promrules

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/spec"
)

// sliKind is the shape of an SLI.
type sliKind int

const (
	kindErrors sliKind = iota // ErrorQuery / TotalQuery
	kindGood                  // GoodQuery / TotalQuery
	kindRatio                 // ErrorRatioQuery
)

// plan is everything needed to write the rules of one SLO, validated.
type plan struct {
	name, service string
	labels        map[string]string // every label of every series: spec labels, slo, service
	by            []string          // the group labels; nil for an SLO with one budget
	selector      string            // {slo="...",service="...",...}: the SLO's recorded series
	obj           slo.Objective     // defaults applied
	budget        float64           // 1 - target
	method        Method            // effective method
	grid          time.Duration     // the grid step of MethodExact and MethodGrid
	gridSteps     int               // grid steps in the long window
	block         time.Duration     // MethodExact's block: a multiple of the grid
	windows       []time.Duration   // ratio windows: the grid step and every tier window
	alertFor      time.Duration
	target        Target

	kind                    sliKind
	errQ, goodQ, totalQ, rQ string          // normalized query templates
	plainSum                map[string]bool // templates that are a sum without grouping
	errSel, goodSel         string          // canonical counter selectors, or ""
	totalSel                string
	alerting                spec.Alerting
}

// A fieldError is a problem with one field of an SLO; planAll adds the
// file, line and SLO.
type fieldError struct{ field, problem string }

func bad(field, format string, args ...any) *fieldError {
	return &fieldError{field, fmt.Sprintf(format, args...)}
}

// newPlan validates s and returns its plan and warnings.
func newPlan(s spec.SLO, opts Options) (*plan, []string, *fieldError) {
	p := &plan{name: s.Objective.Name, service: s.Service, method: opts.Method, alertFor: opts.For, target: opts.Target}
	var warnings []string
	if p.name == "" {
		return nil, nil, bad("name", "must not be empty")
	}
	if !utf8.ValidString(p.name) {
		return nil, nil, bad("name", "is not valid UTF-8")
	}
	if p.service == "" {
		return nil, nil, bad("service", "must not be empty")
	}
	if !utf8.ValidString(p.service) {
		return nil, nil, bad("service", "%q is not valid UTF-8", p.service)
	}
	p.labels = map[string]string{}
	if err := checkLabels("labels", s.Labels, false); err != nil {
		return nil, nil, err
	}
	maps.Copy(p.labels, s.Labels)
	if s.GroupBy != nil {
		if i, err := spec.CheckGroupBy(s.GroupBy); err != nil {
			if i < 0 {
				return nil, nil, bad("group_by", "%v", err)
			}
			return nil, nil, bad(fmt.Sprintf("group_by[%d]", i), "%v", err)
		}
		for i, l := range s.GroupBy {
			if _, fixed := s.Labels[l]; fixed {
				return nil, nil, bad(fmt.Sprintf("group_by[%d]", i), "%q is also a fixed label of the SLO (labels); a label either has one value or is grouped by", l)
			}
		}
		p.by = slices.Clone(s.GroupBy)
	}
	p.labels["slo"] = p.name
	p.labels["service"] = p.service
	p.selector = selector("", p.labels)
	if err := checkAlerting(s.Alerting); err != nil {
		return nil, nil, err
	}
	p.alerting = s.Alerting

	o := s.Objective.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, nil, bad("objective", "%v", err)
	}
	p.obj = o
	p.budget = 1 - o.Target
	if err := p.checkCorrections(); err != nil {
		return nil, nil, err
	}
	if err := wholeMillis("window", o.Window); err != nil {
		return nil, nil, err
	}
	for i, t := range o.Tiers {
		if err := wholeMillis(fmt.Sprintf("tiers[%d].long_window", i), t.LongWindow); err != nil {
			return nil, nil, err
		}
		if err := wholeMillis(fmt.Sprintf("tiers[%d].short_window", i), t.ShortWindow); err != nil {
			return nil, nil, err
		}
		if t.Severity == "" || !utf8.ValidString(string(t.Severity)) {
			return nil, nil, bad(fmt.Sprintf("tiers[%d].severity", i), "%q: want a non-empty UTF-8 string such as page or ticket", t.Severity)
		}
		if t.Factor*p.budget > 1 {
			warnings = append(warnings, fmt.Sprintf("alert tier %s %s/%s x%s can never fire: a burn rate of %s needs an error ratio of %s, more than every event failing",
				t.Severity, promDuration(t.LongWindow), promDuration(t.ShortWindow), spec.FormatFloat(t.Factor), spec.FormatFloat(t.Factor), spec.FormatFloat(t.Factor*p.budget)))
		}
	}

	if err := p.parseSLI(s.SLI, opts.Target); err != nil {
		return nil, nil, err
	}
	if p.kind == kindRatio {
		if p.gridded() {
			warnings = append(warnings, "the SLI gives only an error ratio query, so errors and events cannot be weighted: the long window falls back to the average of 5-minute ratios (method ratio-average), an approximation")
		}
		p.method = MethodRatioAverage
		if o.MinEvents > 0 {
			warnings = append(warnings, "min_events is ignored: an error ratio query does not count events")
		}
	}

	p.grid = opts.Grid
	if p.grid == 0 {
		p.grid = defaultGrid(o.Window)
	}
	if w, err := p.planCalendar(opts.Grid); err != nil {
		return nil, nil, err
	} else if w != "" {
		warnings = append(warnings, w)
	}
	p.gridSteps = int(o.Window / p.grid)
	if p.gridSteps < 1 {
		return nil, nil, bad("window", "the grid %s is longer than the window %s", promDuration(p.grid), promDuration(o.Window))
	}
	p.block = p.grid
	// A calendar period and time slices have windows of their own.
	if p.method == MethodExact && p.obj.Calendar.IsZero() && !p.obj.Slices.Enabled() {
		p.block = blockOf(o.Window, p.grid, p.gridSteps)
	} else if !p.obj.Calendar.IsZero() {
		p.block = calendarBlock(p.grid, o.Calendar.Longest()-24*time.Hour)
	}
	if p.gridded() && time.Duration(p.gridSteps)*p.grid != o.Window {
		warnings = append(warnings, fmt.Sprintf("the window %s is not a multiple of the grid %s: the long window covers %s",
			promDuration(o.Window), promDuration(p.grid), promDuration(time.Duration(p.gridSteps)*p.grid)))
	}
	ws := []time.Duration{p.grid}
	for _, t := range o.Tiers {
		ws = append(ws, t.LongWindow, t.ShortWindow)
	}
	slices.Sort(ws)
	p.windows = slices.Compact(ws)
	if err := p.planSlices(); err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, p.scrapeWarnings(opts.Target, opts.ScrapeInterval)...)
	return p, warnings, nil
}

// defaultGrid is 5m, coarser for windows over 30 days so that a window holds
// at most 8,640 steps, finer for windows under an hour so it holds 12.
func defaultGrid(window time.Duration) time.Duration {
	g := 5 * time.Minute
	if steps := 8640 * g; window > steps {
		g = (window + 8640*time.Minute - 1) / (8640 * time.Minute) * time.Minute
	}
	if window < 12*g {
		g = max((window / 12).Truncate(time.Second), time.Second)
	}
	return g
}

func wholeMillis(field string, d time.Duration) *fieldError {
	if d <= 0 || d%time.Millisecond != 0 {
		return bad(field, "%v: want a positive whole number of milliseconds", d)
	}
	return nil
}

// parseSLI checks the queries of an SLI against the target.
func (p *plan) parseSLI(sli spec.SLI, target Target) *fieldError {
	var err *fieldError
	switch {
	case sli.ErrorRatioQuery != "":
		if sli.ErrorQuery != "" || sli.GoodQuery != "" || sli.TotalQuery != "" {
			return bad("sli", "error_ratio_query excludes the other queries")
		}
		p.kind = kindRatio
		p.rQ, err = p.compileQuery("sli.error_ratio_query", sli.ErrorRatioQuery, target)
	case sli.TotalQuery == "":
		return bad("sli", "want error and total queries, good and total queries, or an error ratio query")
	case sli.ErrorQuery != "" && sli.GoodQuery != "":
		return bad("sli", "give an error query or a good query, not both")
	case sli.ErrorQuery != "":
		p.kind = kindErrors
		if p.errQ, err = p.compileQuery("sli.error_query", sli.ErrorQuery, target); err == nil {
			p.totalQ, err = p.compileQuery("sli.total_query", sli.TotalQuery, target)
		}
	case sli.GoodQuery != "":
		p.kind = kindGood
		if p.goodQ, err = p.compileQuery("sli.good_query", sli.GoodQuery, target); err == nil {
			p.totalQ, err = p.compileQuery("sli.total_query", sli.TotalQuery, target)
		}
	default:
		return bad("sli", "a total query needs an error query or a good query")
	}
	if err != nil {
		return err
	}
	// The grid takes increase() of the counters themselves when the SLI
	// gives them as plain selectors: errors and total, or good and total,
	// matching the queries.
	switch {
	case sli.ErrorSelector == "" && sli.GoodSelector == "" && sli.TotalSelector == "":
		return nil
	case p.kind == kindRatio:
		return bad("sli", "selectors cannot be combined with an error ratio query")
	case p.kind == kindErrors && (sli.ErrorSelector == "" || sli.TotalSelector == "" || sli.GoodSelector != ""):
		return bad("sli", "with an error query, give both error_selector and total_selector, or no selector")
	case p.kind == kindGood && (sli.GoodSelector == "" || sli.TotalSelector == "" || sli.ErrorSelector != ""):
		return bad("sli", "with a good query, give both good_selector and total_selector, or no selector")
	}
	if sli.ErrorSelector != "" {
		p.errSel, err = p.canonicalSelector("sli.error_selector", sli.ErrorSelector)
	} else {
		p.goodSel, err = p.canonicalSelector("sli.good_selector", sli.GoodSelector)
	}
	if err != nil {
		return err
	}
	p.totalSel, err = p.canonicalSelector("sli.total_selector", sli.TotalSelector)
	return err
}

// compileQuery checks a query template with the spec's rules (the window
// placeholder, PromQL giving an instant vector), the functions of the
// target and the group labels, and returns it normalized. It notes in
// p.plainSum whether the query is already a sum by the group labels (a
// plain sum for an SLO with one budget), which does not depend on the
// window.
func (p *plan) compileQuery(field, text string, target Target) (string, *fieldError) {
	if !utf8.ValidString(text) {
		return "", bad(field, "is not valid UTF-8")
	}
	t, err := spec.NormalizeTemplate(text)
	if err != nil {
		return "", bad(field, "%v", err)
	}
	expr, err := spec.ParseQuery(spec.Expand(t, "5m"))
	if err != nil {
		return "", bad(field, "%v", err)
	}
	if err := target.checkFunctions(expr); err != nil {
		return "", bad(field, "%v", err)
	}
	if err := p.checkKeepsGroups(field, expr); err != nil {
		return "", err
	}
	if p.plainSum == nil {
		p.plainSum = map[string]bool{}
	}
	agg, ok := expr.(*parser.AggregateExpr)
	p.plainSum[t] = ok && agg.Op == parser.SUM && !agg.Without && slices.Equal(agg.Grouping, p.by)
	return t, nil
}

// canonicalSelector parses a plain series selector, checks that it does
// not exclude a group label, and prints it back.
func (p *plan) canonicalSelector(field, text string) (string, *fieldError) {
	expr, err := spec.ParseQuery(text)
	if err != nil {
		return "", bad(field, "%q: %v", text, err)
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok || vs.OriginalOffset != 0 || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		return "", bad(field, "%q: want a plain series selector such as http_requests_total{code=~\"5..\"}", text)
	}
	if err := p.checkKeepsGroups(field, vs); err != nil {
		return "", err
	}
	return vs.String(), nil
}

// checkKeepsGroups reports, as a problem of group_by, a query of the SLI
// (field) that gives series without a group label.
func (p *plan) checkKeepsGroups(field string, expr parser.Expr) *fieldError {
	if err := spec.CheckKeepsGroups(expr, p.by); err != nil {
		return bad("group_by", "%s: %v", field, err)
	}
	return nil
}

// query renders a template for a window.
func query(t string, w time.Duration) string {
	return spec.Expand(t, promWindow(w))
}

// selector returns name{k="v",...} (see series.Selector).
func selector(name string, labels map[string]string) string { return series.Selector(name, labels) }

// promDuration spells d as the rules name windows: in the largest unit
// that divides it (5m, 1h, 30d, 84m), the spelling of package sloprom, so
// that alert labels match the collector's.
func promDuration(d time.Duration) string { return series.FormatDuration(d) }

// promRange spells d as a PromQL range: any duration, compound.
func promRange(d time.Duration) string { return model.Duration(d).String() }

// checkLabels checks the names (spec.CheckLabelName) and values of a map
// of labels.
func checkLabels(field string, ls map[string]string, alert bool) *fieldError {
	for _, k := range sortedKeys(ls) {
		if err := spec.CheckLabelName(k, alert); err != nil {
			return bad(field, "%v", err)
		}
		if v := ls[k]; v == "" {
			return bad(field+"."+k, "is empty; Prometheus treats a label with an empty value as no label, so give a value or remove the label")
		} else if !utf8.ValidString(v) {
			return bad(field+"."+k, "is not valid UTF-8")
		}
	}
	return nil
}

// checkAlerting validates the alert metadata of an SLO with the spec's
// naming rules.
func checkAlerting(a spec.Alerting) *fieldError {
	if a.Name != "" {
		if err := spec.CheckAlertName(a.Name); err != nil {
			return bad("alerting.name", "%v", err)
		}
	}
	for _, m := range []struct {
		field  string
		labels map[string]string
	}{{"alerting.labels", a.Labels}, {"alerting.page_labels", a.PageLabels}, {"alerting.ticket_labels", a.TicketLabels}} {
		if err := checkLabels(m.field, m.labels, true); err != nil {
			return err
		}
	}
	for _, m := range []struct {
		field       string
		annotations map[string]string
	}{{"alerting.annotations", a.Annotations}, {"alerting.page_annotations", a.PageAnnotations}, {"alerting.ticket_annotations", a.TicketAnnotations}} {
		for _, k := range sortedKeys(m.annotations) {
			if err := spec.CheckAnnotationName(k); err != nil {
				return bad(m.field, "%v", err)
			}
			if !utf8.ValidString(m.annotations[k]) {
				return bad(m.field+"."+k, "is not valid UTF-8")
			}
		}
	}
	return nil
}

// alertName is the name of an alert of the SLO: the spec's name for the
// burn alerts when it gives one.
func (p *plan) alertName(kind string) string {
	if kind == AlertBurn && p.alerting.Name != "" {
		return p.alerting.Name
	}
	return kind
}

// alertLabels returns every label of an alert of the given kind: the SLO's
// labels, the generator's (tier and severity in extra; ticket for the
// exhausted and absent alerts), then the spec's alert labels, the ones of
// the burn alert's severity last.
func (p *plan) alertLabels(kind string, extra map[string]string) map[string]string {
	ls := maps.Clone(p.labels)
	maps.Copy(ls, extra)
	if kind != AlertBurn {
		ls["severity"] = string(slo.SeverityTicket)
	}
	maps.Copy(ls, p.alerting.Labels)
	if kind == AlertBurn {
		switch slo.Severity(extra["severity"]) {
		case slo.SeverityPage:
			maps.Copy(ls, p.alerting.PageLabels)
		case slo.SeverityTicket:
			maps.Copy(ls, p.alerting.TicketLabels)
		}
	}
	return ls
}

// alertAnnotations returns the generated annotations of an alert with the
// spec's on top, the ones of the burn alert's severity last.
func (p *plan) alertAnnotations(kind string, severity slo.Severity, generated map[string]string) map[string]string {
	as := maps.Clone(generated)
	maps.Copy(as, p.alerting.Annotations)
	if kind == AlertBurn {
		switch severity {
		case slo.SeverityPage:
			maps.Copy(as, p.alerting.PageAnnotations)
		case slo.SeverityTicket:
			maps.Copy(as, p.alerting.TicketAnnotations)
		}
	}
	return as
}

// promWindow spells the range of a selector: in one unit when d is a whole
// number of seconds (5m, 1h), else compound (5m1ms).
func promWindow(d time.Duration) string {
	if d%time.Second == 0 {
		return promDuration(d)
	}
	return promRange(d)
}
