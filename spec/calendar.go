package spec

import (
	"strings"
	"time"
	_ "time/tzdata" // every IANA zone, on every machine

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// periods names the calendar periods in the native format.
var periods = map[string]slo.Period{"week": slo.Week, "month": slo.Month, "quarter": slo.Quarter}

// openSLOPeriods maps OpenSLO's calendar durations to periods.
var openSLOPeriods = map[string]slo.Period{"1w": slo.Week, "1M": slo.Month, "1Q": slo.Quarter}

// nativeCalendar reads a native SLO's `calendar: {period, time_zone}`
// into dr's objective, which then has no rolling window.
func (d *decoder) nativeCalendar(dr *draft, n *yaml.Node, path string) bool {
	o := d.object(n, path, "period", "time_zone")
	if o == nil {
		return false
	}
	var cal slo.Calendar
	p, ok := d.required(o, "period", "week, month or quarter")
	if ok {
		if cal.Period, ok = periods[p]; !ok {
			d.failf(o.get(d, "period"), o.field("period"), "%q is not a calendar period; allowed: week (ISO, from Monday), month, quarter", p)
		}
	}
	zoneOK := true
	if v := o.get(d, "time_zone"); v != nil {
		cal.Location, zoneOK = d.timeZone(v, o.field("time_zone"))
	}
	dr.slo.Objective.Calendar = cal
	dr.slo.Objective.Window = 0
	dr.at("Calendar", n, path)
	return ok && zoneOK
}

// timeZone reads an IANA time zone name, like Europe/Berlin or UTC.
func (d *decoder) timeZone(n *yaml.Node, path string) (*time.Location, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return nil, false
	}
	if s == "" || s == "Local" {
		d.failf(n, path, "%q is not a time zone; give an IANA name like UTC or Europe/Berlin", s)
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		d.failf(n, path, "%q is not an IANA time zone name (like UTC, Europe/Berlin or America/New_York)", s)
		return nil, false
	}
	return loc, true
}

// openSLOCalendar reads an OpenSLO calendar time window: duration 1w, 1M
// or 1Q, and optionally calendar {startTime, timeZone}. OpenSLO anchors
// the periods at startTime; this tool's periods are ISO weeks, months and
// quarters from midnight, so startTime must be the start of one.
func (d *decoder) openSLOCalendar(dr *draft, tw *object) bool {
	ok := true
	var cal slo.Calendar
	if dv := tw.get(d, "duration"); dv == nil {
		d.failf(tw.node, tw.field("duration"), "is missing; give 1w, 1M or 1Q for a calendar window")
		ok = false
	} else if s, sok := d.scalar(dv, tw.field("duration")); !sok {
		ok = false
	} else if cal.Period, sok = openSLOPeriods[strings.TrimSpace(s)]; !sok {
		d.failf(dv, tw.field("duration"), "%q is not supported for a calendar window (isRolling: false); allowed: 1w (ISO week), 1M (month), 1Q (quarter)", s)
		ok = false
	}
	c := d.object(tw.get(d, "calendar"), tw.field("calendar"), "startTime", "timeZone")
	if v := c.get(d, "timeZone"); v != nil {
		var zok bool
		cal.Location, zok = d.timeZone(v, c.field("timeZone"))
		ok = ok && zok
	}
	if v := c.get(d, "startTime"); v != nil && ok {
		ok = d.calendarStart(v, c.field("startTime"), cal)
	}
	dr.slo.Objective.Calendar = cal
	dr.at("Calendar", tw.node, tw.path)
	return ok
}

// calendarStart checks an OpenSLO startTime ("2006-01-02 15:04:05", local
// to the calendar's zone) against the periods of cal.
func (d *decoder) calendarStart(n *yaml.Node, path string, cal slo.Calendar) bool {
	s, ok := d.scalar(n, path)
	if !ok {
		return false
	}
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	var start time.Time
	var err error
	for _, layout := range []string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if start, err = time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
			break
		}
	}
	if err != nil {
		d.failf(n, path, "%q is not a date and time like 2026-01-01 00:00:00", s)
		return false
	}
	if first, _ := cal.Bounds(start); !first.Equal(start) {
		d.failf(n, path, "%q does not start a %s: this tool's periods start at 00:00 on %s; give, e.g., %s",
			s, cal.Period, periodFirstDay(cal.Period), first.In(loc).Format(time.DateTime))
		return false
	}
	return true
}

// periodFirstDay describes the first day of a period, for errors.
func periodFirstDay(p slo.Period) string {
	switch p {
	case slo.Week:
		return "a Monday"
	case slo.Month:
		return "the 1st of a month"
	}
	return "1 January, 1 April, 1 July or 1 October"
}

// calendarConflict reports a calendar and a rolling window both given
// for one SLO.
func (d *decoder) calendarConflict(n *yaml.Node, path string) {
	d.failf(n, path, "is given with a calendar; give one of them: window for a rolling window, calendar for a calendar period")
}
