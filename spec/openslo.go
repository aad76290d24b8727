package spec

import (
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// openSLODocs gathers the OpenSLO objects of a file: SLOs are read once
// every document is in, so that an indicatorRef may point at an SLI
// defined further down.
type openSLODocs struct {
	slos []openSLOObject
	slis map[string]openSLOObject
}

type openSLOObject struct {
	node *yaml.Node // the object's mapping
	path string
	name string
	meta *object
	spec *yaml.Node
}

var openSLOKinds = "SLO, SLI and Service"

// add reads the envelope of one OpenSLO object.
func (docs *openSLODocs) add(d *decoder, root *yaml.Node, path string) {
	d.slo = ""
	o := d.object(root, path, "apiVersion", "kind", "metadata", "spec")
	if o == nil {
		return
	}
	kind, ok := d.required(o, "kind", "the object's kind: "+openSLOKinds)
	if !ok {
		return
	}
	obj := openSLOObject{node: o.node, path: path}
	switch kind {
	case "SLO", "SLI", "Service":
	default:
		d.failf(o.get(d, "kind"), o.field("kind"), "not supported: kind %s; this tool reads the OpenSLO kinds %s (alert policies, conditions, targets and data sources are not supported)", kind, openSLOKinds)
		return
	}
	metaNode := o.get(d, "metadata")
	if metaNode == nil {
		d.failf(o.node, o.field("metadata"), "is missing; give metadata.name")
		return
	}
	obj.meta = d.object(metaNode, o.field("metadata"), "name", "displayName", "labels", "annotations")
	if obj.meta == nil {
		return
	}
	obj.name, ok = d.required(obj.meta, "name", "the object's name")
	if !ok {
		return
	}
	obj.spec = o.get(d, "spec")
	if obj.spec == nil {
		d.failf(o.node, o.field("spec"), "is missing")
		return
	}
	switch kind {
	case "SLO":
		docs.slos = append(docs.slos, obj)
	case "SLI":
		if docs.slis == nil {
			docs.slis = map[string]openSLOObject{}
		}
		if prev, dup := docs.slis[obj.name]; dup {
			d.failf(o.node, path, "SLI %q is already defined at line %d", obj.name, prev.node.Line)
			return
		}
		docs.slis[obj.name] = obj
	case "Service":
		// A Service only describes; check its shape and move on.
		d.object(obj.spec, o.field("spec"), "description")
	}
}

// openSLO converts the OpenSLO SLOs gathered from the file.
func (d *decoder) openSLO(file *File, docs *openSLODocs) {
	for _, obj := range docs.slos {
		d.openSLOSLO(file, docs, obj)
		if d.full {
			return
		}
	}
}

func (d *decoder) openSLOSLO(file *File, docs *openSLODocs, obj openSLOObject) {
	d.slo = obj.name
	specPath := join(obj.path, "spec")
	o := d.object(obj.spec, specPath, "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives", "alertPolicies")
	if o == nil {
		return
	}
	dr := newDraft(obj.node, obj.path, OpenSLO)
	dr.slo.Objective.Name = obj.name
	dr.at("Name", obj.meta.get(d, "name"), obj.meta.field("name"))
	service, ok := d.required(o, "service", "the name of the service the SLO belongs to")
	dr.ok = ok
	dr.slo.Service = service
	desc, ok := d.text(o, "description")
	dr.ok = dr.ok && ok
	if desc == "" {
		desc, _ = d.text(obj.meta, "displayName")
	}
	dr.slo.Objective.Description = desc
	labels, ok := d.openSLOLabels(obj.meta.get(d, "labels"), obj.meta.field("labels"))
	dr.ok = dr.ok && ok
	dr.slo.Labels = labels
	// The SLO's annotations go on its alerts.
	annotations, ok := d.annotations(obj.meta.get(d, "annotations"), obj.meta.field("annotations"))
	dr.ok = dr.ok && ok
	dr.slo.Alerting.Annotations = annotations

	if v := o.get(d, "alertPolicies"); v != nil && !(v.Kind == yaml.SequenceNode && len(v.Content) == 0) {
		d.failf(o.key("alertPolicies"), o.field("alertPolicies"), "not supported: alertPolicies; remove them: alerts come from the multiwindow burn-rate tiers (see docs/spec.md)")
		dr.ok = false
	}

	// Time window: exactly one, rolling.
	if v := o.get(d, "timeWindow"); v == nil {
		d.failf(o.node, o.field("timeWindow"), "is missing; give one rolling window, like [{duration: 28d, isRolling: true}]")
		dr.ok = false
	} else if items, lok := d.list(v, o.field("timeWindow")); !lok {
		dr.ok = false
	} else if len(items) != 1 {
		d.failf(v, o.field("timeWindow"), "has %d windows; give exactly one", len(items))
		dr.ok = false
	} else {
		tw := d.object(items[0], index(o.field("timeWindow"), 0), "duration", "isRolling", "calendar")
		if tw == nil {
			dr.ok = false
		} else {
			rolling := true
			if rv := tw.get(d, "isRolling"); rv == nil {
				d.failf(tw.node, tw.field("isRolling"), "is missing; set isRolling: true for a rolling window, false for a calendar one")
				dr.ok = false
			} else if r, bok := d.boolean(rv, tw.field("isRolling")); !bok {
				dr.ok = false
			} else {
				rolling = r
			}
			if _, cal := tw.values["calendar"]; cal && rolling {
				d.failf(tw.key("calendar"), tw.field("calendar"), "is for a calendar window: set isRolling: false, or remove the calendar for a rolling window")
				dr.ok = false
			}
			if !rolling {
				dr.ok = d.openSLOCalendar(dr, tw) && dr.ok
			} else if dv := tw.get(d, "duration"); dv == nil {
				d.failf(tw.node, tw.field("duration"), "is missing; give a duration like 28d")
				dr.ok = false
			} else if w, wok := d.duration(dv, tw.field("duration")); wok {
				dr.slo.Objective.Window = w
				dr.at("Window", dv, tw.field("duration"))
			} else {
				dr.ok = false
			}
		}
	}

	method := "Occurrences"
	if v := o.get(d, "budgetingMethod"); v != nil {
		m, mok := d.scalar(v, o.field("budgetingMethod"))
		switch {
		case !mok:
			dr.ok = false
		case m == methodOccurrences, m == methodTimeslices, m == methodRatioTimeslices:
		default:
			d.failf(v, o.field("budgetingMethod"), "%q is not a budgeting method; allowed: Occurrences, Timeslices, RatioTimeslices", m)
			dr.ok = false
		}
		method = m
	} else {
		d.failf(o.node, o.field("budgetingMethod"), "is missing; give Occurrences, Timeslices or RatioTimeslices")
		dr.ok = false
	}

	dr.ok = d.openSLOObjectives(dr, o, method) && dr.ok

	// Indicator: inline or a reference to an SLI object of the file.
	var ind *yaml.Node
	var indPath string
	switch {
	case o.has("indicator") && o.has("indicatorRef"):
		d.failf(o.node, specPath, "gives both indicator and indicatorRef; give one")
		dr.ok = false
	case o.has("indicator"):
		io := d.object(o.get(d, "indicator"), o.field("indicator"), "metadata", "spec")
		if io != nil {
			if mv := io.get(d, "metadata"); mv != nil {
				d.object(mv, io.field("metadata"), "name", "displayName", "labels", "annotations")
			}
			ind, indPath = io.get(d, "spec"), io.field("spec")
			if ind == nil {
				d.failf(io.node, io.field("spec"), "is missing; give a ratioMetric")
				dr.ok = false
			}
		} else {
			dr.ok = false
		}
	case o.has("indicatorRef"):
		ref, rok := d.text(o, "indicatorRef")
		sli, found := docs.slis[ref]
		switch {
		case !rok:
			dr.ok = false
		case !found:
			d.failf(o.get(d, "indicatorRef"), o.field("indicatorRef"), "refers to SLI %q, which this file does not define; put the SLI object in the same file", ref)
			dr.ok = false
		default:
			ind, indPath = sli.spec, join(sli.path, "spec")
		}
	default:
		d.failf(o.node, o.field("indicator"), "is missing; give indicator (or indicatorRef) with a ratioMetric")
		dr.ok = false
	}
	if ind != nil {
		sli, sok := d.openSLOIndicator(ind, indPath)
		dr.ok = dr.ok && sok
		dr.slo.SLI = sli
	}
	d.finish(file, dr)
}

func (d *decoder) openSLOObjectives(dr *draft, o *object, method string) bool {
	v := o.get(d, "objectives")
	if v == nil {
		d.failf(o.node, o.field("objectives"), "is missing; give one objective with a target, like [{target: 0.999}]")
		return false
	}
	items, ok := d.list(v, o.field("objectives"))
	if !ok {
		return false
	}
	if len(items) != 1 {
		d.failf(v, o.field("objectives"), "not supported: %d objectives; give exactly one (one SLO here has one target)", len(items))
		return false
	}
	path := index(o.field("objectives"), 0)
	obj := d.object(items[0], path, "displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight")
	if obj == nil {
		return false
	}
	ok = true
	for _, key := range []string{"value", "indicator", "indicatorRef", "compositeWeight"} {
		if _, present := obj.values[key]; present {
			why := map[string]string{
				"value":           "threshold objectives (op and value) need a threshold metric",
				"indicator":       "composite SLOs",
				"indicatorRef":    "composite SLOs",
				"compositeWeight": "composite SLOs",
			}[key]
			d.failf(obj.key(key), obj.field(key), "not supported: %s (%s)", key, why)
			ok = false
		}
	}
	if opv := obj.get(d, "op"); opv != nil {
		op, sok := d.scalar(opv, obj.field("op"))
		if sok && op != "gt" && op != "gte" {
			d.failf(opv, obj.field("op"), "not supported: op %q; a ratio objective holds when the good ratio is at or above the target (gt or gte)", op)
			ok = false
		}
	}
	hasT, hasP := obj.has("target"), obj.has("targetPercent")
	switch {
	case hasT && hasP:
		d.failf(obj.node, path, "gives both target and targetPercent; give one")
		ok = false
	case hasT:
		tv := obj.get(d, "target")
		if t, tok := d.number(tv, obj.field("target")); tok {
			if t, tok = d.targetFromRatio(tv, obj.field("target"), t); tok {
				dr.slo.Objective.Target = t
				dr.at("Target", tv, obj.field("target"))
			} else {
				ok = false
			}
		} else {
			ok = false
		}
	case hasP:
		pv := obj.get(d, "targetPercent")
		if s, sok := d.scalar(pv, obj.field("targetPercent")); !sok {
			ok = false
		} else if t, tok := d.targetFromPercent(pv, obj.field("targetPercent"), s); tok {
			dr.slo.Objective.Target = t
			dr.at("Target", pv, obj.field("targetPercent"))
		} else {
			ok = false
		}
	default:
		d.failf(obj.node, obj.field("target"), "is missing; give target (a ratio like 0.999) or targetPercent (like 99.9)")
		ok = false
	}
	return d.openSLOTimeSlices(dr, obj, method) && ok
}

// openSLOLabels reads OpenSLO metadata labels: a value is a string or a
// list of one string (OpenSLO allows several; a Prometheus label holds one).
func (d *decoder) openSLOLabels(n *yaml.Node, path string) (map[string]string, bool) {
	n = d.resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind == yaml.MappingNode {
		// Unwrap one-element lists in place of a copy, then read as labels.
		flat := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], d.resolve(n.Content[i+1])
			if v == nil {
				return nil, false
			}
			if v.Kind == yaml.SequenceNode {
				if len(v.Content) != 1 {
					d.failf(v, join(path, k.Value), "not supported: %d values for one label; a Prometheus label has exactly one", len(v.Content))
					return nil, false
				}
				v = v.Content[0]
			}
			flat.Content = append(flat.Content, k, v)
		}
		n = flat
	}
	return d.labels(n, path)
}

func (d *decoder) openSLOIndicator(n *yaml.Node, path string) (SLI, bool) {
	o := d.object(n, path, "description", "ratioMetric", "thresholdMetric")
	if o == nil {
		return SLI{}, false
	}
	if _, ok := o.values["thresholdMetric"]; ok {
		d.failf(o.key("thresholdMetric"), o.field("thresholdMetric"), "not supported: thresholdMetric; give a ratioMetric (good or bad, and total)")
		return SLI{}, false
	}
	rv := o.get(d, "ratioMetric")
	if rv == nil {
		d.failf(o.node, o.field("ratioMetric"), "is missing; give a ratioMetric (good or bad, and total)")
		return SLI{}, false
	}
	r := d.object(rv, o.field("ratioMetric"), "counter", "good", "bad", "total", "rawType", "raw")
	if r == nil {
		return SLI{}, false
	}
	counter, counterGiven := false, false
	if cv := r.get(d, "counter"); cv != nil {
		c, ok := d.boolean(cv, r.field("counter"))
		if !ok {
			return SLI{}, false
		}
		counter, counterGiven = c, true
	}
	if r.has("raw") || r.has("rawType") {
		for _, k := range []string{"good", "bad", "total"} {
			if r.has(k) {
				d.failf(r.node, r.field(k), "cannot be given with raw; give raw and rawType, or good/bad and total")
				return SLI{}, false
			}
		}
		rawType, ok := d.required(r, "rawType", "success or failure: whether raw is the good or the bad ratio")
		if !ok {
			return SLI{}, false
		}
		if rawType != "success" && rawType != "failure" {
			d.failf(r.get(d, "rawType"), r.field("rawType"), "%q is not a raw type; allowed: success, failure", rawType)
			return SLI{}, false
		}
		q, qpath, qnode, ok := d.metricQuery(r, "raw")
		if !ok {
			return SLI{}, false
		}
		t, err := NormalizeTemplate(q)
		if err != nil {
			d.failf(qnode, qpath, "%v", err)
			return SLI{}, false
		}
		if rawType == "success" {
			t = "1 - (" + t + ")"
			if err := checkQuery(Expand(t, checkWindow)); err != nil {
				d.failf(qnode, qpath, "cannot be turned into an error ratio: %v", err)
				return SLI{}, false
			}
		}
		return SLI{Kind: KindErrorRatio, ErrorRatioQuery: t}, true
	}
	if !r.has("total") {
		d.failf(r.node, r.field("total"), "is missing; give the query of all events with good or bad")
		return SLI{}, false
	}
	if r.has("good") == r.has("bad") {
		d.failf(r.node, r.field("good"), "give exactly one of good or bad, with total")
		return SLI{}, false
	}
	sli := SLI{Kind: KindEvents}
	ok := true
	for _, k := range []string{"good", "bad", "total"} {
		if !r.has(k) {
			continue
		}
		q, qpath, qnode, qok := d.metricQuery(r, k)
		if !qok {
			ok = false
			continue
		}
		tmpl, sel, tok := d.openSLOQuery(qnode, qpath, q, counter, counterGiven)
		if !tok {
			ok = false
			continue
		}
		if sel != "" {
			sli.Kind = KindRatio
		}
		switch k {
		case "good":
			sli.GoodQuery, sli.GoodSelector = tmpl, sel
		case "bad":
			sli.ErrorQuery, sli.ErrorSelector = tmpl, sel
		case "total":
			sli.TotalQuery, sli.TotalSelector = tmpl, sel
		}
	}
	if ok && (sli.TotalSelector == "") != (sli.GoodSelector == "" && sli.ErrorSelector == "") {
		// One side is a selector and the other a template: keep the
		// templates only, so a generator never mixes the two forms.
		sli.GoodSelector, sli.ErrorSelector, sli.TotalSelector = "", "", ""
		sli.Kind = KindEvents
	}
	return sli, ok
}

// metricQuery reads ratioMetric.<key>.metricSource: a Prometheus query.
func (d *decoder) metricQuery(r *object, key string) (q, path string, node *yaml.Node, ok bool) {
	m := d.object(r.get(d, key), r.field(key), "metricSource")
	if m == nil {
		return "", "", nil, false
	}
	src := d.object(m.get(d, "metricSource"), m.field("metricSource"), "metricSourceRef", "type", "spec")
	if src == nil {
		if !m.has("metricSource") {
			d.failf(m.node, m.field("metricSource"), "is missing; give type: Prometheus and spec.query")
		}
		return "", "", nil, false
	}
	if _, present := src.values["metricSourceRef"]; present {
		d.failf(src.key("metricSourceRef"), src.field("metricSourceRef"), "not supported: metricSourceRef (DataSource objects); give type: Prometheus and spec.query inline")
		return "", "", nil, false
	}
	typ, ok := d.required(src, "type", "Prometheus")
	if !ok {
		return "", "", nil, false
	}
	if !strings.EqualFold(typ, "prometheus") {
		d.failf(src.get(d, "type"), src.field("type"), "not supported: metric source %q; allowed: Prometheus", typ)
		return "", "", nil, false
	}
	spec := d.object(src.get(d, "spec"), src.field("spec"), "query")
	if spec == nil {
		if !src.has("spec") {
			d.failf(src.node, src.field("spec"), "is missing; give spec.query, a PromQL query")
		}
		return "", "", nil, false
	}
	q, ok = d.required(spec, "query", "a PromQL query")
	return q, spec.field("query"), spec.get(d, "query"), ok
}

// openSLOQuery turns an OpenSLO Prometheus query into a template. A query
// using {{.window}} is a template already. Otherwise it must select
// counters (counter: true) and be a plain selector or sum(selector); the
// rate over the window is then taken of the selector.
func (d *decoder) openSLOQuery(n *yaml.Node, path, q string, counter, counterGiven bool) (tmpl, sel string, ok bool) {
	if strings.Contains(q, "{{") {
		t, err := NormalizeTemplate(q)
		if err != nil {
			d.failf(n, path, "%v", err)
			return "", "", false
		}
		return t, "", true
	}
	if !counter {
		if counterGiven {
			d.failf(n, path, "not supported: a query of a non-counter metric without %s; use counter: true with a counter selector, or write the query with %s", WindowPlaceholder, WindowPlaceholder)
		} else {
			d.failf(n, path, "is not a template and ratioMetric.counter is not set: set counter: true if the query selects counters, or write the query with %s", WindowPlaceholder)
		}
		return "", "", false
	}
	expr, err := promql.ParseExpr(strings.TrimSpace(q))
	if err != nil {
		d.failf(n, path, "is not valid PromQL: %v", err)
		return "", "", false
	}
	inner := strings.TrimSpace(q)
	if agg, isAgg := expr.(*parser.AggregateExpr); isAgg && agg.Op == parser.SUM && agg.Param == nil && len(agg.Grouping) == 0 && !agg.Without {
		if vs, isVS := agg.Expr.(*parser.VectorSelector); isVS {
			inner = vs.String()
		} else {
			inner = ""
		}
	} else if _, isVS := expr.(*parser.VectorSelector); !isVS {
		inner = ""
	}
	if inner == "" {
		d.failf(n, path, "not supported: %q; a counter query without %s must be a series selector or sum(selector), or use %s", q, WindowPlaceholder, WindowPlaceholder)
		return "", "", false
	}
	s, err := parseSelector(inner)
	if err != nil {
		d.failf(n, path, "%v", err)
		return "", "", false
	}
	sel = s.String()
	tmpl, err = NormalizeTemplate(rateTemplate(sel, nil))
	if err != nil {
		d.failf(n, path, "makes a query that %v", err)
		return "", "", false
	}
	return tmpl, sel, true
}
