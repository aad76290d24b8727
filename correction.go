package slo

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// A Correction is a period whose events count for neither the error budget
// nor the burn rates: planned maintenance, or an incident declared not the
// service's fault. It covers the half-open interval [Start, End).
type Correction struct {
	Start, End time.Time
	// Reason says why, for people; it is shown, never parsed.
	Reason string
}

// A WeeklyCorrection is a correction that recurs every week: it starts at
// the wall-clock time Start on each of Days in Location and lasts
// Duration. Across a daylight-saving change an occurrence keeps its wall-clock
// start (a start that the change skips moves forward, as [time.Date] does)
// and its Duration in elapsed time.
type WeeklyCorrection struct {
	// Days are the weekdays an occurrence starts on; none twice.
	Days []time.Weekday
	// Start is the time of day an occurrence starts, in [0, 24h).
	Start time.Duration
	// Duration is how long each occurrence lasts; positive.
	Duration time.Duration
	// Location is the time zone of Days and Start; nil means UTC.
	Location *time.Location
	// Reason says why, for people.
	Reason string
}

// A CorrectionPeriod is one period of a correction in a [Snapshot]: a
// [Correction] of the objective or added at run time, or one occurrence of a
// [WeeklyCorrection].
type CorrectionPeriod struct {
	Correction
	// Recurring reports an occurrence of a WeeklyCorrection.
	Recurring bool
	// Active reports that the snapshot's time falls inside the period.
	Active bool
}

// loc returns the correction's time zone.
func (w WeeklyCorrection) loc() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// occurrences returns the occurrences of w that overlap [from, to), oldest
// first. It returns none for an invalid w.
func (w WeeklyCorrection) occurrences(from, to time.Time) []Correction {
	if w.Duration <= 0 || w.Start < 0 || w.Start >= 24*time.Hour || !to.After(from) {
		return nil
	}
	loc := w.loc()
	// Start from the local day before the earliest start that can still
	// overlap from; the extra day covers a daylight-saving shift.
	first := from.Add(-w.Duration).In(loc)
	day := time.Date(first.Year(), first.Month(), first.Day()-1, 0, 0, 0, 0, loc)
	h, m := int(w.Start/time.Hour), int(w.Start%time.Hour/time.Minute)
	ns := int(w.Start % time.Minute)
	var out []Correction
	for ; ; day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		start := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, ns, loc)
		if !start.Before(to) {
			return out
		}
		if !slices.Contains(w.Days, day.Weekday()) {
			continue
		}
		if end := start.Add(w.Duration); end.After(from) {
			out = append(out, Correction{Start: start, End: end, Reason: w.Reason})
		}
	}
}

// corrections is a set of corrections: one-off periods, sorted by start,
// and weekly ones. It answers whether an instant is corrected and when
// that next changes.
type corrections struct {
	once   []Correction
	weekly []WeeklyCorrection
}

// cloneWeekly copies ws and their Days.
func cloneWeekly(ws []WeeklyCorrection) []WeeklyCorrection {
	ws = slices.Clone(ws)
	for i := range ws {
		ws[i].Days = slices.Clone(ws[i].Days)
	}
	return ws
}

func newCorrections(o Objective) corrections {
	c := corrections{once: slices.Clone(o.Corrections), weekly: cloneWeekly(o.WeeklyCorrections)}
	c.sort()
	return c
}

func (c *corrections) sort() {
	slices.SortFunc(c.once, func(a, b Correction) int { return a.Start.Compare(b.Start) })
}

func (c *corrections) empty() bool { return len(c.once) == 0 && len(c.weekly) == 0 }

// periods returns every period of c that overlaps [from, to), oldest
// first.
func (c *corrections) periods(from, to time.Time) []CorrectionPeriod {
	var out []CorrectionPeriod
	for _, p := range c.once {
		if p.Start.Before(to) && p.End.After(from) {
			out = append(out, CorrectionPeriod{Correction: p})
		}
	}
	for _, w := range c.weekly {
		for _, p := range w.occurrences(from, to) {
			out = append(out, CorrectionPeriod{Correction: p, Recurring: true})
		}
	}
	slices.SortStableFunc(out, func(a, b CorrectionPeriod) int { return a.Start.Compare(b.Start) })
	return out
}

// covers reports whether the instant t (Unix nanoseconds) falls inside a
// correction.
func (c *corrections) covers(t int64) bool {
	at := time.Unix(0, t)
	return len(c.periods(at, at.Add(1))) > 0
}

// nextChange returns the first instant after t (Unix nanoseconds) at which
// a correction starts or ends, or math.MaxInt64 when none does within a
// week (the tracker asks again at its next bucket).
func (c *corrections) nextChange(t int64) int64 {
	next := int64(1<<63 - 1)
	consider := func(p Correction) {
		for _, b := range []int64{p.Start.UnixNano(), p.End.UnixNano()} {
			if b > t {
				next = min(next, b)
			}
		}
	}
	for _, p := range c.once {
		consider(p)
	}
	at := time.Unix(0, t)
	for _, w := range c.weekly {
		for _, p := range w.occurrences(at, at.Add(8*24*time.Hour)) {
			consider(p)
		}
	}
	return next
}

// The span of time a one-off correction may fall in: Unix times that
// nanoseconds (the tracker's clock) and PromQL's time() both hold.
var (
	minCorrection = time.Unix(0, 0)
	maxCorrection = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// validateCorrections adds the problems of o's corrections: periods that
// end before they start or last longer than the SLO window, weekly ones with
// no day, a day twice or a start outside the day, and any two periods that
// overlap.
func (o Objective) validateCorrections(add func(field, format string, args ...any)) {
	type period struct {
		Correction
		field string
	}
	var all []period
	for i, c := range o.Corrections {
		field := fmt.Sprintf("Corrections[%d]", i)
		switch {
		case c.Start.IsZero() || c.End.IsZero():
			add(field, "needs both a start and an end")
			continue
		case c.Start.Before(minCorrection) || c.End.After(maxCorrection):
			add(field, "%s to %s is outside the years 1970 to 2199", c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339))
			continue
		case !c.End.After(c.Start):
			add(field+".End", "%s is not after the start %s", c.End.Format(time.RFC3339), c.Start.Format(time.RFC3339))
			continue
		case o.Window > 0 && c.End.Sub(c.Start) > o.Window:
			add(field, "lasts %v, longer than the SLO window %v", c.End.Sub(c.Start), o.Window)
			continue
		}
		if c.Reason != "" {
			if p := validName(c.Reason); p != "" {
				add(field+".Reason", "%s", p)
			}
		}
		all = append(all, period{c, field})
	}
	var weekly []int // the indexes of the sound weekly corrections
	for i, w := range o.WeeklyCorrections {
		field := fmt.Sprintf("WeeklyCorrections[%d]", i)
		ok := true
		if len(w.Days) == 0 {
			add(field+".Days", "is empty; give the weekdays the correction starts on")
			ok = false
		}
		for j, d := range w.Days {
			switch {
			case d < time.Sunday || d > time.Saturday:
				add(fmt.Sprintf("%s.Days[%d]", field, j), "%d is not a weekday (0 Sunday to 6 Saturday)", d)
				ok = false
			case slices.Contains(w.Days[:j], d):
				add(fmt.Sprintf("%s.Days[%d]", field, j), "%v is listed twice", d)
				ok = false
			}
		}
		if w.Start < 0 || w.Start >= 24*time.Hour {
			add(field+".Start", "%v is not a time of day in [0, 24h)", w.Start)
			ok = false
		}
		switch {
		case w.Duration <= 0:
			add(field+".Duration", "%v is not positive", w.Duration)
			ok = false
		case o.Window > 0 && w.Duration > o.Window:
			add(field+".Duration", "%v is longer than the SLO window %v", w.Duration, o.Window)
			ok = false
		}
		if w.Reason != "" {
			if p := validName(w.Reason); p != "" {
				add(field+".Reason", "%s", p)
			}
		}
		if ok {
			weekly = append(weekly, i)
		}
	}
	// Weekly corrections against each other over two weeks (a week and
	// the longest duration would do), and against each one-off period over
	// its span.
	ref := time.Date(2026, time.January, 4, 0, 0, 0, 0, time.UTC)
	spans := [][2]time.Time{{ref, ref.Add(15 * 24 * time.Hour)}}
	for _, p := range all {
		spans = append(spans, [2]time.Time{p.Start, p.End})
	}
	for si, span := range spans {
		set := []period{}
		if si > 0 {
			set = append(set, all[si-1])
		}
		for _, i := range weekly {
			w := o.WeeklyCorrections[i]
			field := fmt.Sprintf("WeeklyCorrections[%d]", i)
			for _, c := range w.occurrences(span[0], span[1]) {
				set = append(set, period{c, field})
			}
		}
		if a, b, found := overlapping(set); found {
			add(b.field, "its period %s overlaps %s (%s)", describePeriod(b.Correction), a.field, describePeriod(a.Correction))
			return
		}
	}
	if a, b, found := overlapping(all); found {
		add(b.field, "overlaps %s (%s)", a.field, describePeriod(a.Correction))
	}
}

// overlapping returns two periods of ps that overlap, the earlier first.
func overlapping[P interface{ period() Correction }](ps []P) (a, b P, found bool) {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(x, y P) int {
		return cmp.Or(x.period().Start.Compare(y.period().Start), x.period().End.Compare(y.period().End))
	})
	for i := 1; i < len(sorted); i++ {
		// a is the period ending last among the earlier ones: it
		// overlaps this one if any does.
		if i == 1 || sorted[i-1].period().End.After(a.period().End) {
			a = sorted[i-1]
		}
		if sorted[i].period().Start.Before(a.period().End) {
			return a, sorted[i], true
		}
	}
	var zero P
	return zero, zero, false
}

func (c Correction) period() Correction { return c }

func describePeriod(c Correction) string {
	return c.Start.Format(time.RFC3339) + " to " + c.End.Format(time.RFC3339)
}
