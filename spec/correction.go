package spec

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// correctionKeys are the fields of an item of corrections: start, end and
// reason for a one-off period, days, at, duration, time_zone and reason for
// a weekly one.
var correctionKeys = []string{"start", "end", "reason", "days", "at", "duration", "time_zone"}

// corrections reads an SLO's corrections list into the draft's objective.
func (d *decoder) corrections(dr *draft, n *yaml.Node, path string) bool {
	items, ok := d.list(n, path)
	if !ok {
		return false
	}
	obj := &dr.slo.Objective
	for i, it := range items {
		o := d.object(it, index(path, i), correctionKeys...)
		if o == nil {
			ok = false
			continue
		}
		reason, rok := d.text(o, "reason")
		ok = ok && rok
		if o.has("start") || o.has("end") {
			for _, k := range []string{"days", "at", "duration", "time_zone"} {
				if o.has(k) {
					d.failf(o.get(d, k), o.field(k), "belongs to a weekly correction; give start and end for a one-off period, or days, at and duration for a weekly one")
					ok = false
				}
			}
			c, cok := d.oneOffCorrection(dr, o, len(obj.Corrections))
			c.Reason = reason
			obj.Corrections = append(obj.Corrections, c)
			ok = ok && cok
			continue
		}
		w, wok := d.weeklyCorrection(dr, o, len(obj.WeeklyCorrections))
		w.Reason = reason
		obj.WeeklyCorrections = append(obj.WeeklyCorrections, w)
		ok = ok && wok
	}
	return ok
}

// oneOffCorrection reads start and end, RFC 3339 times.
func (d *decoder) oneOffCorrection(dr *draft, o *object, i int) (slo.Correction, bool) {
	goField := fmt.Sprintf("Corrections[%d]", i)
	dr.at(goField, o.node, o.path)
	dr.at(goField+".Reason", o.get(d, "reason"), o.field("reason"))
	var c slo.Correction
	ok := true
	for _, f := range []struct {
		key, goName string
		dst         *time.Time
	}{{"start", "Start", &c.Start}, {"end", "End", &c.End}} {
		v := o.get(d, f.key)
		if v == nil {
			d.failf(o.node, o.field(f.key), "is missing; give an RFC 3339 time like 2026-12-05T02:00:00Z")
			ok = false
			continue
		}
		s, sok := d.scalar(v, o.field(f.key))
		if !sok {
			ok = false
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			d.failf(v, o.field(f.key), "%q is not an RFC 3339 time like 2026-12-05T02:00:00Z (with a zone: Z or +01:00)", s)
			ok = false
			continue
		}
		*f.dst = t
		dr.at(goField+"."+f.goName, v, o.field(f.key))
	}
	return c, ok
}

// weeklyCorrection reads days, at, duration and time_zone.
func (d *decoder) weeklyCorrection(dr *draft, o *object, i int) (slo.WeeklyCorrection, bool) {
	goField := fmt.Sprintf("WeeklyCorrections[%d]", i)
	dr.at(goField, o.node, o.path)
	dr.at(goField+".Reason", o.get(d, "reason"), o.field("reason"))
	var w slo.WeeklyCorrection
	ok := true
	if v := o.get(d, "days"); v == nil {
		d.failf(o.node, o.field("days"), "is missing; give a one-off period (start, end) or a weekly one (days, at, duration), e.g. days: [saturday, sunday]")
		ok = false
	} else if items, lok := d.list(v, o.field("days")); lok {
		dr.at(goField+".Days", v, o.field("days"))
		for j, it := range items {
			field := index(o.field("days"), j)
			s, sok := d.scalar(it, field)
			day, found := parseWeekday(s)
			if sok && !found {
				d.failf(it, field, "%q is not a weekday; give monday to sunday (or mon to sun)", s)
			}
			ok = ok && sok && found
			dr.at(fmt.Sprintf("%s.Days[%d]", goField, j), d.resolve(it), field)
			w.Days = append(w.Days, day)
		}
	} else {
		ok = false
	}
	if v := o.get(d, "at"); v == nil {
		d.failf(o.node, o.field("at"), `is missing; give the time of day it starts, like "02:00"`)
		ok = false
	} else if s, sok := d.scalar(v, o.field("at")); sok {
		at, err := parseTimeOfDay(s)
		if err != nil {
			d.failf(v, o.field("at"), "%v", err)
			ok = false
		}
		w.Start = at
		dr.at(goField+".Start", v, o.field("at"))
	} else {
		ok = false
	}
	if v := o.get(d, "duration"); v == nil {
		d.failf(o.node, o.field("duration"), "is missing; give how long each occurrence lasts, like 2h")
		ok = false
	} else {
		dur, dok := d.duration(v, o.field("duration"))
		ok = ok && dok
		w.Duration = dur
		dr.at(goField+".Duration", v, o.field("duration"))
	}
	if v := o.get(d, "time_zone"); v != nil {
		if s, sok := d.scalar(v, o.field("time_zone")); !sok {
			ok = false
		} else if loc, err := time.LoadLocation(strings.TrimSpace(s)); err != nil || strings.TrimSpace(s) == "" || strings.EqualFold(strings.TrimSpace(s), "local") {
			d.failf(v, o.field("time_zone"), "%q is not an IANA time zone name like Europe/Berlin or UTC", s)
			ok = false
		} else {
			w.Location = loc
		}
	}
	return w, ok
}

// parseWeekday reads a weekday's English name or its first three letters,
// in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, true
		}
	}
	return 0, false
}

// parseTimeOfDay reads HH:MM or HH:MM:SS, 00:00 to 23:59:59.
func parseTimeOfDay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf(`%q is not a time of day like "02:00" or "23:30:00"`, s)
}
