package spec

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// OpenSLO's budgeting methods.
const (
	methodOccurrences     = "Occurrences"
	methodTimeslices      = "Timeslices"
	methodRatioTimeslices = "RatioTimeslices"
)

// nativeTimeSlices reads an SLO's time_slices: the slice width (window)
// and either the target a slice must reach or average: true.
func (d *decoder) nativeTimeSlices(dr *draft, n *yaml.Node, path string) bool {
	o := d.object(n, path, "window", "target", "average")
	if o == nil {
		return false
	}
	ok := true
	ts := &dr.slo.Objective.Slices
	if v := o.get(d, "window"); v == nil {
		d.failf(o.node, o.field("window"), "is missing; give the width of a slice, like 1m")
		ok = false
	} else if w, wok := d.duration(v, o.field("window")); wok {
		ts.Window = w
		dr.at("Slices.Window", v, o.field("window"))
	} else {
		ok = false
	}
	if v := o.get(d, "average"); v != nil {
		avg, bok := d.boolean(v, o.field("average"))
		ok = ok && bok
		ts.Average = avg
	}
	switch v := o.get(d, "target"); {
	case v != nil:
		t, tok := d.sliceTarget(v, o.field("target"))
		ok = ok && tok
		ts.Target = t
		dr.at("Slices.Target", v, o.field("target"))
	case !ts.Average:
		d.failf(o.node, o.field("target"), `is missing; give the success ratio a slice must reach to be good ("95%%" or 0.95), or average: true`)
		ok = false
	}
	return ok
}

// sliceTarget reads a slice target: a percentage ("95%") or a ratio up to
// 1. The range, (0, 1], is checked with the objective.
func (d *decoder) sliceTarget(n *yaml.Node, field string) (float64, bool) {
	s, ok := d.scalar(n, field)
	if !ok {
		return 0, false
	}
	if p, isPercent := strings.CutSuffix(strings.TrimSpace(s), "%"); isPercent {
		t, err := ParsePercent(p)
		if err != nil {
			d.failf(n, field, "%v; give a percentage like 95%%", err)
			return 0, false
		}
		return t, true
	}
	f, ok := d.number(n, field)
	if ok && f > 1 {
		d.failf(n, field, `%s is more than 1: write "%s%%" for a percentage, or a ratio like 0.95`, s, s)
		return 0, false
	}
	return f, ok
}

// openSLOTimeSlices reads timeSliceTarget and timeSliceWindow of an
// OpenSLO objective for its budgeting method: Timeslices needs both,
// RatioTimeslices the window only, Occurrences neither.
func (d *decoder) openSLOTimeSlices(dr *draft, obj *object, method string) bool {
	ok := true
	tv, wv := obj.get(d, "timeSliceTarget"), obj.get(d, "timeSliceWindow")
	switch method {
	case methodTimeslices, methodRatioTimeslices:
	case methodOccurrences:
		for _, key := range []string{"timeSliceTarget", "timeSliceWindow"} {
			if v := obj.get(d, key); v != nil {
				d.failf(v, obj.field(key), "is only meaningful with budgetingMethod Timeslices or RatioTimeslices, not Occurrences")
				ok = false
			}
		}
		return ok
	default:
		return true // the budgeting method is reported
	}
	ts := &dr.slo.Objective.Slices
	ts.Average = method == methodRatioTimeslices
	if wv == nil {
		d.failf(obj.node, obj.field("timeSliceWindow"), "is missing; budgetingMethod %s needs the width of a slice, like 1m", method)
		ok = false
	} else if w, wok := d.duration(wv, obj.field("timeSliceWindow")); wok {
		ts.Window = w
		dr.at("Slices.Window", wv, obj.field("timeSliceWindow"))
	} else {
		ok = false
	}
	switch {
	case ts.Average && tv != nil:
		d.failf(tv, obj.field("timeSliceTarget"), "is only meaningful with budgetingMethod Timeslices: RatioTimeslices averages the slices' success ratios")
		ok = false
	case ts.Average:
	case tv == nil:
		d.failf(obj.node, obj.field("timeSliceTarget"), "is missing; budgetingMethod Timeslices needs the success ratio a slice must reach to be good, like 0.95")
		ok = false
	default:
		t, tok := d.number(tv, obj.field("timeSliceTarget"))
		ok = ok && tok
		ts.Target = t
		dr.at("Slices.Target", tv, obj.field("timeSliceTarget"))
	}
	if ok && ts.Window == 0 {
		d.failf(wv, obj.field("timeSliceWindow"), "is zero; give the width of a slice, like 1m")
		ok = false
	}
	return ok
}
