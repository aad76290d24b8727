package slo

import (
	"errors"
	"math/rand"
	"testing"
	"testing/quick"
	"time"
	_ "time/tzdata" // the same zones on every machine

	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// calendarZones are zones with daylight saving at 02:00, at midnight
// (Asuncion, Havana, Santiago, historic Sao Paulo), at odd offsets
// (Kolkata, Kathmandu, Lord Howe's 30-minute change) and none (UTC).
var calendarZones = []string{
	"UTC", "Europe/Berlin", "America/New_York", "America/Asuncion", "America/Havana",
	"America/Santiago", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Kathmandu",
	"Australia/Lord_Howe", "Pacific/Apia",
}

func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// periodDays is the number of days of the period starting on the local
// date y-m-d.
func periodDays(p Period, y int, m time.Month) int {
	days := func(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }
	switch p {
	case Week:
		return 7
	case Month:
		return days(y, m)
	}
	return days(y, m) + days(y, m+1) + days(y, m+2)
}

// TestCalendarBoundsProperties checks, for random instants from 1971 to
// 2099 in zones with and without daylight saving, that the period holding
// t contains it, starts on the first instant of its first day (a Monday, a
// 1st, a quarter's 1st) and has that period's days, give or take the
// zone's changes, and that periods tile time with no gap or overlap.
func TestCalendarBoundsProperties(t *testing.T) {
	for _, zone := range calendarZones {
		loc := loadZone(t, zone)
		for _, p := range []Period{Week, Month, Quarter} {
			c := Calendar{Period: p, Location: loc}
			prop := func(sec int64) bool {
				at := time.Unix(40e6+(sec%4e9+4e9)%4e9, 0) // 1971 .. 2099
				start, end := c.Bounds(at)
				ls := start.In(loc)
				y, m, d := ls.Date()
				firstDay := map[Period]bool{
					Week:    ls.Weekday() == time.Monday,
					Month:   d == 1,
					Quarter: d == 1 && (m-1)%3 == 0,
				}[p]
				before := start.Add(-time.Nanosecond).In(loc)
				days := periodDays(p, y, m)
				ey, em, ed := end.In(loc).Date()
				calendarDays := int(time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC).Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
				length := end.Sub(start)
				// A zone's changes move a period's length by a few hours;
				// Samoa skipped 30 December 2011 altogether.
				ok := !at.Before(start) && at.Before(end) &&
					firstDay && before.Day() != d && calendarDays == days &&
					length > time.Duration(days-2)*24*time.Hour && length <= c.Longest()
				if s2, _ := c.Bounds(end); !s2.Equal(end) {
					ok = false
				}
				if _, e0 := c.Bounds(start.Add(-time.Nanosecond)); !e0.Equal(start) {
					ok = false
				}
				if !ok {
					t.Logf("%v %s: t=%v start=%v end=%v length=%v", zone, p, at.In(loc), ls, end.In(loc), length)
				}
				return ok
			}
			if err := quick.Check(prop, &quick.Config{MaxCount: 1000, Rand: rand.New(rand.NewSource(int64(len(zone))))}); err != nil {
				t.Errorf("%s %s: %v", zone, p, err)
			}
		}
	}
}

func TestCalendarBoundsKnownPeriods(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	asuncion := loadZone(t, "America/Asuncion")
	date := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		c          Calendar
		at         string
		start, end string
	}{
		{"UTC month, leap February", Calendar{Period: Month}, "2028-02-29T23:59:59Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"},
		{"UTC month, plain February", Calendar{Period: Month}, "2027-02-14T12:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"UTC month, at its first instant", Calendar{Period: Month}, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"},
		{"ISO week across the year end", Calendar{Period: Week}, "2027-01-01T08:00:00Z", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"},
		{"week on a Sunday night", Calendar{Period: Week}, "2026-12-06T23:59:59Z", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"},
		{"quarter", Calendar{Period: Quarter}, "2026-12-01T17:00:00Z", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"Berlin October, 31 days and an hour", Calendar{Period: Month, Location: berlin}, "2026-10-25T12:00:00Z", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"},
		{"Berlin March, 31 days less an hour", Calendar{Period: Month, Location: berlin}, "2027-03-31T21:59:59Z", "2027-02-28T23:00:00Z", "2027-03-31T22:00:00Z"},
		{"Berlin, before its midnight in UTC", Calendar{Period: Month, Location: berlin}, "2026-11-30T23:30:00Z", "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z"},
		// Paraguay skipped from 2024-10-06 00:00 to 01:00: that day starts at 01:00 -03.
		{"week starting in a midnight gap", Calendar{Period: Week, Location: asuncion}, "2024-10-09T12:00:00Z", "2024-10-07T03:00:00Z", "2024-10-14T03:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := tt.c.Bounds(date(tt.at))
			if !start.Equal(date(tt.start)) || !end.Equal(date(tt.end)) {
				t.Errorf("Bounds(%s) = %v, %v; want %s, %s", tt.at, start.UTC(), end.UTC(), tt.start, tt.end)
			}
		})
	}
}

func TestDayStartInMidnightGap(t *testing.T) {
	asuncion := loadZone(t, "America/Asuncion")
	got := dayStart(2024, time.October, 6, asuncion)
	want := time.Date(2024, 10, 6, 4, 0, 0, 0, time.UTC) // 01:00 -03
	if !got.Equal(want) {
		t.Errorf("dayStart = %v, want %v", got.UTC(), want)
	}
}

func TestCalendarValidation(t *testing.T) {
	tests := []struct {
		name  string
		o     Objective
		field string
	}{
		{"unknown period", Objective{Name: "a", Target: 0.99, Calendar: Calendar{Period: "fortnight"}}, "Calendar.Period"},
		{"zone without period", Objective{Name: "a", Target: 0.99, Calendar: Calendar{Location: time.UTC}}, "Calendar.Period"},
		{"window with a calendar", Objective{Name: "a", Target: 0.99, Window: 30 * 24 * time.Hour, Calendar: Calendar{Period: Month}}, "Window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe *FieldError
			if err := tt.o.Validate(); !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tt.field)
			}
		})
	}
	o := Objective{Name: "a", Target: 0.99, Calendar: Calendar{Period: Quarter}}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	d := o.WithDefaults()
	if err := d.Validate(); err != nil {
		t.Errorf("an objective with defaults applied does not validate: %v", err)
	}
	if d.Window != o.Calendar.Longest() || d.Tiers[0].LongWindow != 3*time.Hour+2*time.Minute {
		t.Errorf("defaults: window %v, tiers %v", d.Window, d.Tiers)
	}
}

// TestCalendarBudgetResetsAtPeriodStart replays the end of January and the
// start of February in UTC: January's failures spend January's budget,
// February starts untouched, and its window is 28 days.
func TestCalendarBudgetResetsAtPeriodStart(t *testing.T) {
	clock := slotest.NewClock(time.Date(2027, 1, 31, 20, 0, 0, 0, time.UTC))
	tr := mustTracker(t, Objective{Name: "monthly", Target: 0.99, Calendar: Calendar{Period: Month}}, WithClock(clock.Now))
	for range 4 * 60 { // until midnight: 100 events a minute, 2 bad
		tr.RecordN(98, 2)
		clock.Advance(time.Minute)
	}
	jan := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	clock.Set(time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC))
	s := tr.Snapshot()
	if s.Total != 24000 || s.Failures != 480 || !s.PeriodStart.Equal(jan) || s.Window != 31*24*time.Hour {
		t.Fatalf("January: total %d failures %d period %v window %v", s.Total, s.Failures, s.PeriodStart, s.Window)
	}
	if s.ErrorBudgetRemaining > -0.99 || s.ErrorBudgetRemaining < -1.01 {
		t.Errorf("January's budget remaining %v, want -1 (spent twice)", s.ErrorBudgetRemaining)
	}
	clock.Set(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	tr.RecordN(100, 0)
	s = tr.Snapshot()
	feb, mar := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	if s.Total != 100 || s.Failures != 0 || s.ErrorBudgetRemaining != 1 {
		t.Errorf("February starts with total %d failures %d remaining %v; want 100, 0, 1", s.Total, s.Failures, s.ErrorBudgetRemaining)
	}
	if !s.PeriodStart.Equal(feb) || !s.PeriodEnd.Equal(mar) || s.Window != 28*24*time.Hour {
		t.Errorf("February: period %v - %v, window %v", s.PeriodStart, s.PeriodEnd, s.Window)
	}
	// The alert windows stay rolling: the last hour of January still burns.
	if s.BurnRates[0].Failures != 120 || s.Tiers[0].LongBurnRate < 1.9 {
		t.Errorf("rolling alert windows lost January's last hour: %+v %+v", s.BurnRates[0], s.Tiers[0])
	}
}

// TestCalendarTimeToExhaustionWithinPeriod: a budget that would last past
// the period's end is not exhausted, since the period resets it first.
func TestCalendarTimeToExhaustionWithinPeriod(t *testing.T) {
	// run records 10 good hours, then an hour burning at burn (of 100
	// events a minute), from start, and returns the snapshot.
	run := func(start time.Time, bad uint64) Snapshot {
		clock := slotest.NewClock(start)
		tr := mustTracker(t, Objective{Name: "m", Target: 0.99, Calendar: Calendar{Period: Month}}, WithClock(clock.Now))
		for i := range 11 * 60 {
			if i < 600 {
				tr.RecordN(100, 0)
			} else {
				tr.RecordN(100-bad, bad)
			}
			clock.Advance(time.Minute)
		}
		return tr.Snapshot()
	}
	// Burning at 2 on 1 March: about 300 hours left of 733.
	s := run(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 2)
	if s.TimeToExhaustion < 300*time.Hour || s.TimeToExhaustion > 310*time.Hour {
		t.Errorf("1 March: time to exhaustion %v, want about 304h", s.TimeToExhaustion)
	}
	// Burning at 1 on 31 March: the budget lasts 670 hours, March one more.
	if s := run(time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC), 1); s.TimeToExhaustion != Forever {
		t.Errorf("31 March: time to exhaustion %v, want Forever: March ends in an hour", s.TimeToExhaustion)
	}
}

// TestCalendarStateRestoresThePeriod: a tracker restarted from its saved
// state counts the period's events exactly, those of the previous period
// not at all.
func TestCalendarStateRestoresThePeriod(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	o := Objective{Name: "m", Target: 0.99, Calendar: Calendar{Period: Month, Location: berlin}}
	clock := slotest.NewClock(time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)) // 23:00 in Berlin
	tr := mustTracker(t, o, WithClock(clock.Now))
	for range 120 {
		tr.RecordN(9, 1)
		clock.Advance(time.Minute)
	}
	st := tr.State()
	again := mustTracker(t, o, WithClock(clock.Now))
	if err := again.Restore(st); err != nil {
		t.Fatal(err)
	}
	if s := again.Snapshot(); s.Total != 600 || s.Failures != 60 {
		t.Errorf("restored December (Berlin) holds %d events, %d bad; want 600, 60", s.Total, s.Failures)
	}
}

func TestCalendarMemoryIsFixed(t *testing.T) {
	o := Objective{Name: "q", Target: 0.99, Calendar: Calendar{Period: Quarter}}.WithDefaults()
	if n := sloBuckets(o); n != 93*96 {
		t.Errorf("a quarter's SLO window has %d buckets, want %d", n, 93*96)
	}
}
