package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// budgetPeriodOf is the calendar period that budget shows: its calendar,
// start and end.
type budgetPeriodOf struct {
	cal        slo.Calendar
	start, end time.Time
}

// parseBudgetCalendar reads budget's -calendar, -tz and -at: the period of
// the calendar that holds at (a date, read in the zone, or an RFC 3339
// time), or now when at is empty.
func parseBudgetCalendar(period, zone, at string, now time.Time) (budgetPeriodOf, error) {
	var p budgetPeriodOf
	switch slo.Period(period) {
	case slo.Week, slo.Month, slo.Quarter:
		p.cal.Period = slo.Period(period)
	default:
		return p, fmt.Errorf("-calendar: %q is not a calendar period; allowed: week, month, quarter", period)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" {
		return p, fmt.Errorf("-tz: %q is not an IANA time zone, like UTC or Europe/Berlin", zone)
	}
	p.cal.Location = loc
	t := now
	if at = strings.TrimSpace(at); at != "" {
		if t, err = time.Parse(time.RFC3339, at); err != nil {
			if t, err = time.ParseInLocation(time.DateOnly, at, loc); err != nil {
				return p, fmt.Errorf("-at: %q is not a date (2027-02-10) or an RFC 3339 time (2027-02-10T12:00:00Z)", at)
			}
		}
	}
	p.start, p.end = p.cal.Bounds(t)
	return p, nil
}

// length is the period's length: the window of its budget.
func (p budgetPeriodOf) length() time.Duration { return p.end.Sub(p.start) }

// describe writes the period like "month from 2027-02-01 00:00 to
// 2027-03-01 00:00 UTC".
func (p budgetPeriodOf) describe() string {
	const layout = "2006-01-02 15:04"
	loc := p.cal.Location
	return fmt.Sprintf("%s from %s to %s %s", p.cal.Period, p.start.In(loc).Format(layout), p.end.In(loc).Format(layout), loc)
}

// setPeriod marks rep as the budget of period p.
func (rep *budgetReport) setPeriod(p budgetPeriodOf) {
	rep.Calendar = p.cal.String()
	rep.Period = p.describe()
	start, end := p.start.In(p.cal.Location), p.end.In(p.cal.Location)
	rep.PeriodStart, rep.PeriodEnd = &start, &end
}

// windowName names an objective's window: "30d", or "month (UTC)".
func windowName(o slo.Objective) string {
	if o.Calendar.IsZero() {
		return series.FormatDuration(o.Window)
	}
	return o.Calendar.String()
}
