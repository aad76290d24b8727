package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// native reads a document in this tool's format (see docs/spec.md).
func (d *decoder) native(file *File, root *yaml.Node, path string) {
	top := d.object(root, path, "version", "service", "labels", "window", "slos")
	if top == nil {
		return
	}
	service, _ := d.required(top, "service", "the name of the service the SLOs belong to")
	fileLabels, _ := d.labels(top.get(d, "labels"), top.field("labels"))
	var window time.Duration
	if v := top.get(d, "window"); v != nil {
		window, _ = d.duration(v, top.field("window"))
	}
	slos := top.get(d, "slos")
	if slos == nil {
		d.failf(root, top.field("slos"), "is missing; give a list of SLOs")
		return
	}
	items, ok := d.list(slos, top.field("slos"))
	if !ok {
		return
	}
	if len(items) == 0 {
		d.failf(slos, top.field("slos"), "is empty; give at least one SLO")
	}
	for i, item := range items {
		d.nativeSLO(file, item, index(top.field("slos"), i), service, fileLabels, window)
		if d.full {
			return
		}
	}
}

func (d *decoder) nativeSLO(file *File, n *yaml.Node, path, service string, fileLabels map[string]string, window time.Duration) {
	d.slo = d.peekName(n, "name")
	o := d.object(n, path, "name", "description", "objective", "window", "labels", "group_by", "sli", "alerting", "corrections", "calendar", "time_slices")
	if o == nil {
		return
	}
	dr := newDraft(o.node, path, Native)
	name, ok := d.required(o, "name", "a name for the SLO, like checkout-availability")
	dr.ok = dr.ok && ok
	d.slo = name
	dr.at("Name", o.get(d, "name"), o.field("name"))
	dr.slo.Objective.Name = name
	dr.slo.Service = service
	desc, ok := d.text(o, "description")
	dr.ok = dr.ok && ok
	dr.slo.Objective.Description = desc

	if v := o.get(d, "objective"); v == nil {
		d.failf(o.node, o.field("objective"), `is missing; give the share of good events as a percentage ("99.9%%") or a ratio (0.999)`)
		dr.ok = false
	} else if t, ok := d.nativeObjective(v, o.field("objective")); ok {
		dr.slo.Objective.Target = t
		dr.at("Target", v, o.field("objective"))
	} else {
		dr.ok = false
	}

	dr.slo.Objective.Window = window
	if v := o.get(d, "window"); v != nil {
		w, ok := d.duration(v, o.field("window"))
		dr.ok = dr.ok && ok
		dr.slo.Objective.Window = w
		dr.at("Window", v, o.field("window"))
	} else {
		dr.locs["Window"] = location{"window", dr.node.Line}
	}
	if v := o.get(d, "calendar"); v != nil {
		if o.has("window") {
			d.calendarConflict(o.key("window"), o.field("window"))
			dr.ok = false
		}
		dr.ok = d.nativeCalendar(dr, v, o.field("calendar")) && dr.ok
	}
	if v := o.get(d, "time_slices"); v != nil {
		dr.ok = d.nativeTimeSlices(dr, v, o.field("time_slices")) && dr.ok
	}

	sloLabels, ok := d.labels(o.get(d, "labels"), o.field("labels"))
	dr.ok = dr.ok && ok
	dr.slo.Labels = merge(fileLabels, sloLabels)

	if v := o.get(d, "sli"); v == nil {
		d.failf(o.node, o.field("sli"), "is missing; give one of ratio, latency or in_process")
		dr.ok = false
	} else {
		sli, ok := d.nativeSLI(v, o.field("sli"), name)
		dr.ok = dr.ok && ok
		dr.slo.SLI = sli
	}
	if v := o.get(d, "group_by"); v != nil {
		dr.ok = d.groupBy(&dr.slo, v, o.field("group_by")) && dr.ok
	}
	if v := o.get(d, "alerting"); v != nil {
		dr.ok = d.nativeAlerting(dr, v, o.field("alerting")) && dr.ok
	}
	if v := o.get(d, "corrections"); v != nil {
		dr.ok = d.corrections(dr, v, o.field("corrections")) && dr.ok
	}
	d.finish(file, dr)
}

// groupBy reads an SLO's group_by list into s, whose labels and SLI are
// read (the SLI is zero when it has errors), and makes the SLI's templates sum by the group labels.
func (d *decoder) groupBy(s *SLO, n *yaml.Node, path string) bool {
	items, ok := d.list(n, path)
	if !ok {
		return false
	}
	by := make([]string, 0, len(items))
	for i, it := range items {
		name, ok := d.scalar(it, index(path, i))
		if !ok {
			return false
		}
		by = append(by, name)
	}
	if i, err := CheckGroupBy(by); err != nil {
		if i < 0 {
			d.failf(n, path, "%v", err)
		} else {
			d.failf(items[i], index(path, i), "%v", err)
		}
		return false
	}
	for i, name := range by {
		problem := ""
		switch {
		case s.Labels[name] != "":
			problem = fmt.Sprintf("%q is also a fixed label of the SLO (labels); a label either has one value or is grouped by", name)
		case name == "le" && s.SLI.Kind == KindLatency:
			problem = `"le" is the histogram's bucket boundary, which the SLI picks with threshold; it cannot be grouped by`
		case name == "outcome" && s.SLI.Kind == KindInProcess:
			problem = `"outcome" tells good events from bad in slo_events_total; it cannot be grouped by`
		}
		if problem != "" {
			d.failf(items[i], index(path, i), "%s", problem)
			return false
		}
	}
	sli := &s.SLI
	if sli.Kind == "" {
		return true // the SLI has errors of its own
	}
	for _, q := range []struct{ sel, query *string }{
		{&sli.ErrorSelector, &sli.ErrorQuery}, {&sli.GoodSelector, &sli.GoodQuery}, {&sli.TotalSelector, &sli.TotalQuery},
	} {
		if *q.sel == "" {
			continue
		}
		*q.query = rateTemplate(*q.sel, by)
		expr, err := ParseQuery(Expand(*q.query, checkWindow))
		if err == nil {
			err = CheckKeepsGroups(expr, by)
		}
		if err != nil {
			d.failf(n, path, "%v", err)
			return false
		}
	}
	s.GroupBy = by
	return d.checkTemplates(n, path, sli)
}

// nativeObjective reads "99.9%" (a percentage) or 0.999 (a ratio). A bare
// number of 1 or more is refused as ambiguous.
func (d *decoder) nativeObjective(n *yaml.Node, field string) (float64, bool) {
	s, ok := d.scalar(n, field)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	if p, isPercent := strings.CutSuffix(s, "%"); isPercent {
		return d.targetFromPercent(n, field, p)
	}
	f, ok := d.number(n, field)
	if !ok {
		return 0, false
	}
	if f >= 1 && f < 100 {
		r, _ := ParsePercent(s)
		d.failf(n, field, `%s is ambiguous: write "%s%%" for a percentage, or a ratio below 1 like %v`, s, s, r)
		return 0, false
	}
	return d.targetFromRatio(n, field, f)
}

func (d *decoder) nativeSLI(n *yaml.Node, path, name string) (SLI, bool) {
	o := d.object(n, path, "ratio", "latency", "in_process")
	if o == nil {
		return SLI{}, false
	}
	var given []string
	for _, k := range []string{"ratio", "latency", "in_process"} {
		if _, ok := o.values[k]; ok {
			given = append(given, k)
		}
	}
	if len(given) != 1 {
		what := "none"
		if len(given) > 1 {
			what = strings.Join(given, " and ")
		}
		d.failf(o.node, path, "gives %s; give exactly one of ratio, latency or in_process", what)
		return SLI{}, false
	}
	switch given[0] {
	case "ratio":
		return d.nativeRatio(o.values["ratio"], o.field("ratio"))
	case "latency":
		return d.nativeLatency(o.values["latency"], o.field("latency"))
	default:
		return d.nativeInProcess(o.values["in_process"], o.field("in_process"), name)
	}
}

// selectorField reads a plain series selector field.
func (d *decoder) selectorField(o *object, key string) (selector, bool) {
	v := o.get(d, key)
	s, ok := d.scalar(v, o.field(key))
	if !ok {
		return selector{}, false
	}
	sel, err := parseSelector(s)
	if err != nil {
		d.failf(v, o.field(key), "%v", err)
		return selector{}, false
	}
	return sel, true
}

func (d *decoder) nativeRatio(n *yaml.Node, path string) (SLI, bool) {
	o := d.object(n, path, "errors", "good", "total")
	if o == nil {
		return SLI{}, false
	}
	hasErr, hasGood := o.has("errors"), o.has("good")
	if hasErr == hasGood {
		d.failf(o.node, path, "give exactly one of errors (the counter of bad events) or good (of good events), with total")
		return SLI{}, false
	}
	if !o.has("total") {
		d.failf(o.node, o.field("total"), "is missing; give the counter of all events, like http_requests_total{job=\"api\"}")
		return SLI{}, false
	}
	sli := SLI{Kind: KindRatio}
	ok := true
	if total, tok := d.selectorField(o, "total"); tok {
		sli.TotalSelector = total.String()
		sli.TotalQuery = rateTemplate(sli.TotalSelector, nil)
	} else {
		ok = false
	}
	key := "errors"
	if hasGood {
		key = "good"
	}
	if sel, sok := d.selectorField(o, key); sok {
		if hasGood {
			sli.GoodSelector = sel.String()
			sli.GoodQuery = rateTemplate(sli.GoodSelector, nil)
		} else {
			sli.ErrorSelector = sel.String()
			sli.ErrorQuery = rateTemplate(sli.ErrorSelector, nil)
		}
	} else {
		ok = false
	}
	return sli, ok && d.checkTemplates(n, path, &sli)
}

func (d *decoder) nativeLatency(n *yaml.Node, path string) (SLI, bool) {
	o := d.object(n, path, "histogram", "threshold")
	if o == nil {
		return SLI{}, false
	}
	ok := true
	var sel selector
	if v := o.get(d, "histogram"); v == nil {
		d.failf(o.node, o.field("histogram"), `is missing; give the histogram's name and matchers, like http_request_duration_seconds{job="api"}`)
		ok = false
	} else if s, sok := d.selectorField(o, "histogram"); sok {
		sel = s
		if p := histogramProblem(sel); p != "" {
			d.failf(v, o.field("histogram"), "%s", p)
			ok = false
		}
	} else {
		ok = false
	}
	var threshold float64
	if v := o.get(d, "threshold"); v == nil {
		d.failf(o.node, o.field("threshold"), "is missing; give the bucket boundary (le) that good events stay at or below, in the histogram's unit, like 0.3")
		ok = false
	} else if t, tok := d.number(v, o.field("threshold")); tok {
		if t <= 0 {
			d.failf(v, o.field("threshold"), "%v is not positive; give a bucket boundary (le) of the histogram, like 0.3", t)
			ok = false
		}
		threshold = t
	} else {
		ok = false
	}
	if !ok {
		return SLI{}, false
	}
	le, err := labels.NewMatcher(labels.MatchRegexp, "le", leRegexp(threshold))
	if err != nil {
		d.failf(o.get(d, "threshold"), o.field("threshold"), "cannot match the boundary %v: %v", threshold, err)
		return SLI{}, false
	}
	sli := SLI{
		Kind:          KindLatency,
		Threshold:     threshold,
		GoodSelector:  sel.with(sel.name+"_bucket", le).String(),
		TotalSelector: sel.with(sel.name + "_count").String(),
	}
	sli.GoodQuery = rateTemplate(sli.GoodSelector, nil)
	sli.TotalQuery = rateTemplate(sli.TotalSelector, nil)
	return sli, d.checkTemplates(n, path, &sli)
}

// histogramProblem says what is wrong with a histogram selector, or "".
func histogramProblem(sel selector) string {
	if sel.name == "" {
		return "names no metric; give the histogram's name, like http_request_duration_seconds{job=\"api\"}"
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, found := strings.CutSuffix(sel.name, suffix); found {
			return fmt.Sprintf("%q names a series of the histogram; give its base name %q: the tool adds _bucket and _count", sel.name, base)
		}
	}
	for _, m := range sel.matchers {
		if m.Name == "le" {
			return "matches on le; give the boundary as threshold instead"
		}
		if m.Name == metricNameLabel {
			return "matches the metric name with a pattern; give the histogram's exact name"
		}
	}
	return ""
}

// inProcessMetric is the counter package sloprom exports: slo_events_total
// with labels slo and outcome (good or bad).
const inProcessMetric = "slo_events_total"

func (d *decoder) nativeInProcess(n *yaml.Node, path, name string) (SLI, bool) {
	n = d.resolve(n)
	sel := selector{name: inProcessMetric}
	if n == nil {
		return SLI{}, false
	}
	if !isNull(n) {
		o := d.object(n, path, "matchers")
		if o == nil {
			return SLI{}, false
		}
		extra, ok := d.labelMap(o.get(d, "matchers"), o.field("matchers"), inProcessMatcher)
		if !ok {
			return SLI{}, false
		}
		for _, k := range sortedKeys(extra) {
			sel.matchers = append(sel.matchers, labels.MustNewMatcher(labels.MatchEqual, k, extra[k]))
		}
	}
	sloMatcher := labels.MustNewMatcher(labels.MatchEqual, "slo", name)
	total := selector{name: inProcessMetric, matchers: append([]*labels.Matcher{sloMatcher}, sel.matchers...)}
	bad := total.with(inProcessMetric, labels.MustNewMatcher(labels.MatchEqual, "outcome", "bad"))
	sli := SLI{Kind: KindInProcess, ErrorSelector: bad.String(), TotalSelector: total.String()}
	sli.ErrorQuery = rateTemplate(sli.ErrorSelector, nil)
	sli.TotalQuery = rateTemplate(sli.TotalSelector, nil)
	return sli, d.checkTemplates(n, path, &sli)
}

// checkTemplates checks the templates the tool wrote itself: a failure
// here means a user string broke out of its quoting, which must not
// happen, so it is reported rather than trusted.
func (d *decoder) checkTemplates(n *yaml.Node, path string, sli *SLI) bool {
	for _, q := range []*string{&sli.ErrorQuery, &sli.GoodQuery, &sli.TotalQuery} {
		if *q == "" {
			continue
		}
		t, err := NormalizeTemplate(*q)
		if err != nil {
			d.failf(n, path, "makes the query %q, which %v", *q, err)
			return false
		}
		*q = t
	}
	return true
}

func (d *decoder) nativeAlerting(dr *draft, n *yaml.Node, path string) bool {
	o := d.object(n, path, "min_events", "burn_rate_windows", "burn_rate_threshold", "tiers", "labels", "annotations")
	if o == nil {
		return false
	}
	ok := true
	obj := &dr.slo.Objective
	if v := o.get(d, "min_events"); v != nil {
		f, fok := d.number(v, o.field("min_events"))
		switch {
		case !fok:
			ok = false
		case f < 0 || f != float64(uint64(f)) || f > 1e15:
			d.failf(v, o.field("min_events"), "%v is not a whole number of events from 0 to 10^15", f)
			ok = false
		default:
			obj.MinEvents = uint64(f)
		}
	}
	if v := o.get(d, "burn_rate_windows"); v != nil {
		items, lok := d.list(v, o.field("burn_rate_windows"))
		ok = ok && lok
		obj.BurnRateWindows = []time.Duration{}
		for i, it := range items {
			w, wok := d.duration(it, index(o.field("burn_rate_windows"), i))
			ok = ok && wok
			obj.BurnRateWindows = append(obj.BurnRateWindows, w)
			dr.at(fmt.Sprintf("BurnRateWindows[%d]", i), d.resolve(it), index(o.field("burn_rate_windows"), i))
		}
	}
	if v := o.get(d, "burn_rate_threshold"); v != nil {
		f, fok := d.number(v, o.field("burn_rate_threshold"))
		ok = ok && fok
		obj.BurnRateThreshold = f
		dr.at("BurnRateThreshold", v, o.field("burn_rate_threshold"))
		if fok && f <= 0 {
			d.failf(v, o.field("burn_rate_threshold"), "%v is not positive; give a burn rate like 14.4", f)
			ok = false
		}
	}
	if v := o.get(d, "tiers"); v != nil {
		items, lok := d.list(v, o.field("tiers"))
		ok = ok && lok
		obj.Tiers = []slo.AlertTier{}
		for i, it := range items {
			t, tok := d.tier(dr, it, index(o.field("tiers"), i), i)
			ok = ok && tok
			obj.Tiers = append(obj.Tiers, t)
		}
	}
	var lok, aok bool
	dr.slo.Alerting.Labels, lok = d.alertLabels(o.get(d, "labels"), o.field("labels"))
	dr.slo.Alerting.Annotations, aok = d.annotations(o.get(d, "annotations"), o.field("annotations"))
	return ok && lok && aok
}

func (d *decoder) tier(dr *draft, n *yaml.Node, path string, i int) (slo.AlertTier, bool) {
	o := d.object(n, path, "severity", "long_window", "short_window", "factor")
	if o == nil {
		return slo.AlertTier{}, false
	}
	goField := fmt.Sprintf("Tiers[%d]", i)
	dr.at(goField, o.node, path)
	var t slo.AlertTier
	ok := true
	if sev, sok := d.required(o, "severity", "page or ticket"); sok {
		switch slo.Severity(sev) {
		case slo.SeverityPage, slo.SeverityTicket:
			t.Severity = slo.Severity(sev)
		default:
			d.failf(o.get(d, "severity"), o.field("severity"), "%q is not a severity; allowed: page, ticket", sev)
			ok = false
		}
	} else {
		ok = false
	}
	for _, f := range []struct {
		key, goName string
		dst         *time.Duration
	}{{"long_window", "LongWindow", &t.LongWindow}, {"short_window", "ShortWindow", &t.ShortWindow}} {
		v := o.get(d, f.key)
		if v == nil {
			d.failf(o.node, o.field(f.key), "is missing; give a duration like 1h")
			ok = false
			continue
		}
		w, wok := d.duration(v, o.field(f.key))
		ok = ok && wok
		*f.dst = w
		dr.at(goField+"."+f.goName, v, o.field(f.key))
	}
	if v := o.get(d, "factor"); v == nil {
		d.failf(o.node, o.field("factor"), "is missing; give the burn rate at which the tier fires, like 14.4")
		ok = false
	} else if f, fok := d.number(v, o.field("factor")); fok {
		t.Factor = f
		dr.at(goField+".Factor", v, o.field("factor"))
	} else {
		ok = false
	}
	return t, ok
}

// annotations reads a map of annotation names to text. Names follow the
// label name rules; none is reserved.
func (d *decoder) annotations(n *yaml.Node, path string) (map[string]string, bool) {
	n = d.resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, "is %s; want a mapping of annotation names to text", kindName(n))
		return nil, false
	}
	out := map[string]string{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k == nil || v == nil {
			return nil, false
		}
		field := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.failf(k, field, "is %s; annotation names are plain names", kindName(k))
			ok = false
			continue
		}
		if err := CheckAnnotationName(k.Value); err != nil {
			d.failf(k, field, "%v", err)
			ok = false
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.failf(k, field, "is given twice")
			ok = false
			continue
		}
		s, sok := d.scalar(v, field)
		ok = ok && sok
		out[k.Value] = s
	}
	return out, ok
}

// inProcessMatcher checks the name of an extra matcher of an in_process
// SLI: a label of the slo_events_total series other than the ones the SLI
// sets itself (slo and outcome).
func inProcessMatcher(name string) error {
	if !validLabelName(name) || strings.HasPrefix(name, "__") {
		return fmt.Errorf("%q is not a label name a matcher may use; use letters, digits and _, not starting with a digit or __", name)
	}
	if name == "slo" || name == "outcome" {
		return fmt.Errorf("%q is reserved: the SLI sets slo and outcome itself", name)
	}
	return nil
}
