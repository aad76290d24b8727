package slo

import (
	"fmt"
	"time"
)

// A Period is the length of a calendar-aligned SLO window.
type Period string

// The calendar periods an objective can use.
const (
	// Week is the ISO week: Monday 00:00 to the next Monday 00:00.
	Week Period = "week"
	// Month is the calendar month: the 1st 00:00 to the next 1st 00:00.
	Month Period = "month"
	// Quarter is the calendar quarter starting 1 January, 1 April, 1 July
	// or 1 October at 00:00.
	Quarter Period = "quarter"
)

// calendarBucket is the width of the SLO window's buckets of a calendar
// objective. Every period start is a local midnight, and every time zone's
// offset from UTC is a multiple of 15 minutes, so every period starts on a
// bucket boundary: the period's counts are exact.
const calendarBucket = 15 * time.Minute

// A Calendar makes an objective's window a calendar period in a time zone
// instead of a rolling window: the budget is for the events of the current
// period so far, and resets when the next period starts. The zero Calendar
// means a rolling window.
type Calendar struct {
	// Period is Week, Month or Quarter; empty means a rolling window.
	Period Period
	// Location is the time zone whose midnights start the periods; nil
	// means UTC. Periods follow the zone's daylight saving changes: a month
	// with a change is an hour shorter or longer than its days.
	Location *time.Location
}

// IsZero reports whether c is the zero Calendar: a rolling window.
func (c Calendar) IsZero() bool { return c.Period == "" && c.Location == nil }

func (c Calendar) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// String describes the calendar like "month (Europe/Berlin)".
func (c Calendar) String() string {
	if c.IsZero() {
		return "rolling"
	}
	return fmt.Sprintf("%s (%s)", c.Period, c.location())
}

// valid returns what is wrong with c, or "" when it is fine.
func (c Calendar) valid() string {
	switch c.Period {
	case Week, Month, Quarter:
		return ""
	case "":
		return "a calendar with a location needs a period: week, month or quarter"
	}
	return fmt.Sprintf("period %q is not week, month or quarter", string(c.Period))
}

// Nominal returns the period's typical length, from which the default alert
// tiers are scaled (see [DefaultTiers]): 7 days for a week, 30 days for a
// month (the Workbook's window, so a monthly objective gets the Workbook's
// tiers) and 91 days for a quarter; 0 for the zero Calendar.
func (c Calendar) Nominal() time.Duration {
	switch c.Period {
	case Week:
		return 7 * 24 * time.Hour
	case Month:
		return 30 * 24 * time.Hour
	case Quarter:
		return 91 * 24 * time.Hour
	}
	return 0
}

// Longest returns a span at least as long as any period of c, daylight
// saving changes included: one day more than the longest period's days.
// It is the Window of a calendar objective, the span its SLO window's
// buckets cover.
func (c Calendar) Longest() time.Duration {
	day := 24 * time.Hour
	switch c.Period {
	case Week:
		return 8 * day
	case Month:
		return 32 * day
	case Quarter:
		return 93 * day
	}
	return 0
}

// Bounds returns the start and end of the period holding t: start <= t <
// end. A period starts at the first instant of its first day in the
// calendar's zone: midnight, or the end of a daylight saving gap that
// skips midnight. The zero Calendar returns zero times.
func (c Calendar) Bounds(t time.Time) (start, end time.Time) {
	if c.valid() != "" {
		return time.Time{}, time.Time{}
	}
	loc := c.location()
	start = c.startOf(t.In(loc))
	// The first day's start can fall after t only when t is in a skipped
	// hour's shadow; it never does for a real instant, but stay safe.
	if start.After(t) {
		start = c.startOf(start.Add(-time.Nanosecond))
	}
	end = c.startOf(c.firstDay(start.In(loc), 1))
	return start, end
}

// startOf returns the start of the period holding the local time t.
func (c Calendar) startOf(t time.Time) time.Time {
	return c.firstDay(t, 0)
}

// firstDay returns the start of the first day of the period holding the
// local time t, moved on by n periods.
func (c Calendar) firstDay(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	switch c.Period {
	case Week:
		monday := d - (int(t.Weekday())+6)%7
		return dayStart(y, m, monday+7*n, t.Location())
	case Month:
		return dayStart(y, m+time.Month(n), 1, t.Location())
	default: // Quarter
		first := (m-1)/3*3 + 1
		return dayStart(y, first+time.Month(3*n), 1, t.Location())
	}
}

// dayStart returns the first instant of the day y-m-d (normalized as by
// time.Date) in loc: its midnight, or, when a daylight saving gap skips
// midnight, the instant the gap ends.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d {
		// time.Date chose the offset after the gap, landing on the
		// previous day's late evening: move to that day's end, where the
		// gap starts and the wanted day begins.
		h, mi, s := t.Clock()
		since := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute +
			time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
		t = t.Add(24*time.Hour - since)
	}
	return t
}

// check returns the problems of c as the calendar of an objective whose
// Window field is window, as given.
func (c Calendar) check(window time.Duration) []*FieldError {
	if c.IsZero() {
		return nil
	}
	if p := c.valid(); p != "" {
		return []*FieldError{{Field: "Calendar.Period", Problem: p}}
	}
	if window != 0 && window != c.Longest() {
		return []*FieldError{{Field: "Window", Problem: fmt.Sprintf("%v is set with calendar %v: leave it zero, the period sets the window", window, c)}}
	}
	return nil
}

// tierWindow is the window the default alert tiers are scaled to: the
// calendar's nominal period, or the rolling window.
func (o Objective) tierWindow() time.Duration {
	if !o.Calendar.IsZero() && o.Calendar.valid() == "" {
		return o.Calendar.Nominal()
	}
	return o.Window
}

// periodView holds the counts of a calendar objective's current period.
type periodView struct {
	counts
	start, end time.Time
}

// sloBuckets returns the number of buckets of o's SLO window: calendar
// objectives get buckets of calendarBucket, aligned to every period start.
func sloBuckets(o Objective) int {
	if o.Calendar.IsZero() {
		return bucketsPerSLOWindow
	}
	return int(o.Window / calendarBucket)
}

// periodView sets v.period for a calendar objective, from the SLO window's
// buckets of the period holding now. t.mu must be held.
func (t *Tracker) periodView(v *view, now int64) {
	if t.obj.Calendar.IsZero() {
		return
	}
	start, end := t.obj.Calendar.Bounds(time.Unix(0, now))
	v.period = &periodView{counts: t.ringFor(t.obj.Window).sumSince(start.UnixNano()), start: start, end: end}
}

// sumSince returns the counts of the buckets starting at or after start.
func (r *ring) sumSince(start int64) counts {
	var c counts
	first := max(ceilDiv(start, r.width), r.cur-int64(len(r.buckets))+1)
	for k := first; k <= r.cur; k++ {
		c.add(r.buckets[r.index(k)])
	}
	return c
}

// ceilDiv is a / b rounded toward plus infinity, for b > 0.
func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
