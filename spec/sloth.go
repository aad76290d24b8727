package spec

import (
	"go.yaml.in/yaml/v3"
)

// sloth reads a Sloth `prometheus/v1` document as Sloth does: objectives
// are percentages, windows 30 days, queries templates with {{.window}}.
// Sloth plugins change what Sloth generates and cannot be honoured, so
// they are refused rather than ignored.
func (d *decoder) sloth(file *File, root *yaml.Node, path string) {
	top := d.object(root, path, "version", "service", "labels", "slos", "slo_plugins")
	if top == nil {
		return
	}
	if _, ok := top.values["slo_plugins"]; ok {
		d.failf(top.key("slo_plugins"), top.field("slo_plugins"), "not supported: slo_plugins (Sloth plugins rewrite Sloth's own rules; this tool cannot run them). Remove them to use the default rules")
	}
	service, _ := d.required(top, "service", "the name of the service the SLOs belong to")
	fileLabels, _ := d.labels(top.get(d, "labels"), top.field("labels"))
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
		d.slothSLO(file, item, index(top.field("slos"), i), service, fileLabels)
		if d.full {
			return
		}
	}
}

func (d *decoder) slothSLO(file *File, n *yaml.Node, path, service string, fileLabels map[string]string) {
	d.slo = d.peekName(n, "name")
	o := d.object(n, path, "name", "description", "objective", "labels", "sli", "alerting", "plugins")
	if o == nil {
		return
	}
	dr := newDraft(o.node, path, Sloth)
	name, ok := d.required(o, "name", "a name for the SLO")
	dr.ok = ok
	d.slo = name
	dr.slo.Objective.Name = name
	dr.at("Name", o.get(d, "name"), o.field("name"))
	dr.slo.Service = service
	if _, ok := o.values["plugins"]; ok {
		d.failf(o.key("plugins"), o.field("plugins"), "not supported: plugins (Sloth SLO plugins rewrite Sloth's own rules; this tool cannot run them)")
		dr.ok = false
	}
	desc, ok := d.text(o, "description")
	dr.ok = dr.ok && ok
	dr.slo.Objective.Description = desc
	dr.locs["Window"] = location{o.field("objective"), o.node.Line}

	if v := o.get(d, "objective"); v == nil {
		d.failf(o.node, o.field("objective"), "is missing; give the percentage of good events, like 99.9")
		dr.ok = false
	} else if s, sok := d.scalar(v, o.field("objective")); !sok {
		dr.ok = false
	} else if t, tok := d.targetFromPercent(v, o.field("objective"), s); tok {
		dr.slo.Objective.Target = t
		dr.at("Target", v, o.field("objective"))
	} else {
		dr.ok = false
	}

	sloLabels, ok := d.labels(o.get(d, "labels"), o.field("labels"))
	dr.ok = dr.ok && ok
	dr.slo.Labels = merge(fileLabels, sloLabels)

	if v := o.get(d, "sli"); v == nil {
		d.failf(o.node, o.field("sli"), "is missing; give events (error_query and total_query) or raw (error_ratio_query)")
		dr.ok = false
	} else {
		sli, ok := d.slothSLI(v, o.field("sli"))
		dr.ok = dr.ok && ok
		dr.slo.SLI = sli
	}
	if v := o.get(d, "alerting"); v != nil {
		dr.ok = d.slothAlerting(dr, v, o.field("alerting")) && dr.ok
	}
	d.finish(file, dr)
}

func (d *decoder) slothSLI(n *yaml.Node, path string) (SLI, bool) {
	o := d.object(n, path, "events", "raw", "plugin")
	if o == nil {
		return SLI{}, false
	}
	if _, ok := o.values["plugin"]; ok {
		d.failf(o.key("plugin"), o.field("plugin"), "not supported: SLI plugins (Sloth runs Go code to make the queries); write the queries under events or raw instead")
		return SLI{}, false
	}
	switch {
	case o.has("events") && o.has("raw"):
		d.failf(o.node, path, "gives both events and raw; give one")
		return SLI{}, false
	case o.has("events"):
		e := d.object(o.get(d, "events"), o.field("events"), "error_query", "total_query")
		if e == nil {
			return SLI{}, false
		}
		sli := SLI{Kind: KindEvents}
		errQ, eok := d.templateField(e, "error_query", "the rate of bad events, like sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))")
		totQ, tok := d.templateField(e, "total_query", "the rate of all events, like sum(rate(http_requests_total[{{.window}}]))")
		sli.ErrorQuery, sli.TotalQuery = errQ, totQ
		return sli, eok && tok
	case o.has("raw"):
		r := d.object(o.get(d, "raw"), o.field("raw"), "error_ratio_query")
		if r == nil {
			return SLI{}, false
		}
		q, ok := d.templateField(r, "error_ratio_query", "the error ratio from 0 to 1 over {{.window}}")
		return SLI{Kind: KindErrorRatio, ErrorRatioQuery: q}, ok
	}
	d.failf(o.node, path, "gives no SLI; give events (error_query and total_query) or raw (error_ratio_query)")
	return SLI{}, false
}

// templateField reads a required query template field.
func (d *decoder) templateField(o *object, key, what string) (string, bool) {
	v := o.get(d, key)
	if v == nil {
		d.failf(o.node, o.field(key), "is missing; give %s", what)
		return "", false
	}
	s, ok := d.scalar(v, o.field(key))
	if !ok {
		return "", false
	}
	t, err := NormalizeTemplate(s)
	if err != nil {
		d.failf(v, o.field(key), "%v", err)
		return "", false
	}
	return t, true
}

func (d *decoder) slothAlerting(dr *draft, n *yaml.Node, path string) bool {
	o := d.object(n, path, "name", "labels", "annotations", "page_alert", "ticket_alert")
	if o == nil {
		return false
	}
	ok := true
	a := &dr.slo.Alerting
	var sok bool
	a.Name, sok = d.text(o, "name")
	ok = ok && sok
	if err := CheckAlertName(a.Name); a.Name != "" && err != nil {
		d.failf(o.get(d, "name"), o.field("name"), "%v", err)
		ok = false
	}
	a.Labels, sok = d.alertLabels(o.get(d, "labels"), o.field("labels"))
	ok = ok && sok
	a.Annotations, sok = d.annotations(o.get(d, "annotations"), o.field("annotations"))
	ok = ok && sok
	disable := map[string]bool{}
	for _, key := range []string{"page_alert", "ticket_alert"} {
		v := o.get(d, key)
		if v == nil {
			continue
		}
		ao := d.object(v, o.field(key), "disable", "labels", "annotations")
		if ao == nil {
			ok = false
			continue
		}
		if dv := ao.get(d, "disable"); dv != nil {
			b, bok := d.boolean(dv, ao.field("disable"))
			ok = ok && bok
			disable[key] = b
		}
		labels, lok := d.alertLabels(ao.get(d, "labels"), ao.field("labels"))
		annotations, aok := d.annotations(ao.get(d, "annotations"), ao.field("annotations"))
		ok = ok && lok && aok
		if key == "page_alert" {
			a.PageLabels, a.PageAnnotations = labels, annotations
		} else {
			a.TicketLabels, a.TicketAnnotations = labels, annotations
		}
	}
	if disable["page_alert"] || disable["ticket_alert"] {
		dr.slo.Objective.Tiers = severityTiers(dr.slo.Objective.Window, disable["page_alert"], disable["ticket_alert"])
	}
	return ok
}
