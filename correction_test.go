package slo

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// t0 is the fake clock's start, 2026-11-01 00:00 UTC, a Sunday.
var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func TestEventsInsideACorrectionCountForNothing(t *testing.T) {
	clock := newFakeClock()
	o := Objective{Name: "api", Target: 0.999, Corrections: []Correction{
		{Start: t0.Add(2 * time.Hour), End: t0.Add(4 * time.Hour), Reason: "planned database migration"},
	}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	clock.Set(t0.Add(time.Hour))
	tr.RecordN(1000, 0)
	clock.Set(t0.Add(2 * time.Hour)) // the correction starts
	tr.RecordN(0, 500)
	clock.Set(t0.Add(3*time.Hour + 59*time.Minute))
	tr.RecordN(10, 300)
	s := tr.Snapshot()
	if s.Failures != 0 || s.Total != 1000 || s.ErrorBudgetRemaining != 1 {
		t.Fatalf("during the correction: total %d, failures %d, remaining %v; want 1000, 0, 1", s.Total, s.Failures, s.ErrorBudgetRemaining)
	}
	if len(s.Firing()) != 0 {
		t.Errorf("tiers fire during a correction: %v", s.Firing())
	}
	if len(s.Corrections) != 1 || !s.Corrections[0].Active || s.Corrections[0].Reason != "planned database migration" {
		t.Errorf("snapshot corrections %+v, want the one, active", s.Corrections)
	}
	clock.Set(t0.Add(4 * time.Hour)) // the correction ends
	tr.RecordN(99, 1)
	s = tr.Snapshot()
	if s.Total != 1100 || s.Failures != 1 {
		t.Fatalf("after the correction: total %d, failures %d; want 1100 and 1", s.Total, s.Failures)
	}
	for _, b := range s.BurnRates {
		if b.Failures != 1 {
			t.Errorf("burn-rate window %v counts %d failures, want 1", b.Window, b.Failures)
		}
	}
	if len(s.Corrections) != 1 || s.Corrections[0].Active {
		t.Errorf("snapshot corrections %+v, want the one, past", s.Corrections)
	}
	if s.Good != 1109 || s.Bad != 801 {
		t.Errorf("cumulative counters %d/%d: they count every event, corrected or not (want 1109/801)", s.Good, s.Bad)
	}
}

func TestAddCorrectionRemovesTheBucketsItTouches(t *testing.T) {
	clock := newFakeClock()
	// A 30-day window: the SLO window's buckets are an hour wide.
	tr := mustTracker(t, Objective{Name: "api", Target: 0.999}, WithClock(clock.Now))
	at := func(d time.Duration, good, bad uint64) {
		clock.Set(t0.Add(d))
		tr.RecordN(good, bad)
	}
	at(9*time.Hour+50*time.Minute, 1000, 0)
	at(10*time.Hour+10*time.Minute, 5, 0) // same bucket as the correction's start
	at(10*time.Hour+40*time.Minute, 0, 400)
	at(11*time.Hour+40*time.Minute, 0, 3) // same bucket as its end
	at(12*time.Hour+10*time.Minute, 100000, 1)
	at(12*time.Hour+30*time.Minute, 0, 0)
	if s := tr.Snapshot(); s.Failures != 404 || len(s.Firing()) == 0 {
		t.Fatalf("before the correction: %d failures, firing %v; want 404 and a firing tier", s.Failures, s.Firing())
	}
	err := tr.AddCorrection(Correction{Start: t0.Add(10*time.Hour + 30*time.Minute), End: t0.Add(11*time.Hour + 15*time.Minute), Reason: "upstream outage"})
	if err != nil {
		t.Fatal(err)
	}
	s := tr.Snapshot()
	if s.Total != 101001 || s.Failures != 1 {
		t.Errorf("after the correction: total %d, failures %d; want 101001 and 1 (the buckets 10:00-12:00 removed whole)", s.Total, s.Failures)
	}
	if len(s.Firing()) != 0 {
		t.Errorf("tiers still fire on corrected failures: %v", s.Firing())
	}
	if len(s.Corrections) != 1 || s.Corrections[0].Reason != "upstream outage" {
		t.Errorf("snapshot corrections %+v", s.Corrections)
	}
	if got := tr.Corrections(); len(got) != 1 {
		t.Errorf("Corrections() = %v", got)
	}
}

func TestAddCorrectionStillActiveLeavesOutNewEvents(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "api", Target: 0.999}, WithClock(clock.Now))
	clock.Set(t0.Add(5 * time.Hour))
	tr.RecordN(100, 0)
	clock.Set(t0.Add(6*time.Hour + 10*time.Minute))
	tr.RecordN(0, 50)
	if err := tr.AddCorrection(Correction{Start: t0.Add(6 * time.Hour), End: t0.Add(7 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(6*time.Hour + 20*time.Minute))
	tr.RecordN(0, 50)
	clock.Set(t0.Add(7 * time.Hour))
	tr.RecordN(10, 1)
	s := tr.Snapshot()
	if s.Total != 111 || s.Failures != 1 {
		t.Errorf("total %d, failures %d; want 111 and 1", s.Total, s.Failures)
	}
}

func TestWeeklyCorrectionFollowsItsTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	clock := newFakeClock()
	o := Objective{Name: "api", Target: 0.999, WeeklyCorrections: []WeeklyCorrection{
		{Days: []time.Weekday{time.Sunday}, Start: 2 * time.Hour, Duration: 2 * time.Hour, Location: berlin, Reason: "weekly maintenance"},
	}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	local := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, berlin) }
	for _, ev := range []struct {
		at      time.Time
		counted bool
	}{
		{local(1, 1, 59), true},   // Sunday, before
		{local(1, 2, 0), false},   // Sunday 02:00 Berlin is 01:00 UTC
		{local(1, 3, 59), false},  // still inside
		{local(1, 4, 0), true},    // ended
		{local(2, 2, 30), true},   // Monday
		{local(8, 2, 30), false},  // the next Sunday
		{local(8, 12, 30), true},  // the next Sunday, later
		{local(15, 1, 30), true},  // and the one after, before
		{local(15, 3, 30), false}, // inside
	} {
		clock.Set(ev.at)
		before := tr.Snapshot().Total
		tr.RecordN(0, 1)
		got := tr.Snapshot().Total - before
		if want := map[bool]uint64{true: 1, false: 0}[ev.counted]; got != want {
			t.Errorf("event at %v counted %d times, want %d", ev.at, got, want)
		}
	}
	s := tr.Snapshot()
	// The 30-day window holds the Sundays from 18 October.
	if n := len(s.Corrections); n != 5 || !s.Corrections[n-1].Recurring || !s.Corrections[n-1].Active || s.Corrections[0].Start.Day() != 18 {
		t.Errorf("snapshot corrections %+v, want five occurrences from 18 October, the last active", s.Corrections)
	}
}

func TestWeeklyCorrectionAcrossDaylightSaving(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	w := WeeklyCorrection{Days: []time.Weekday{time.Sunday}, Start: 2*time.Hour + 30*time.Minute, Duration: time.Hour, Location: berlin}
	// 2026-03-29: clocks go from 02:00 to 03:00, 02:30 does not exist.
	// 2026-10-25: clocks go from 03:00 back to 02:00.
	for _, tt := range []struct {
		day       time.Time
		wantStart string
	}{
		{time.Date(2026, 3, 22, 0, 0, 0, 0, time.UTC), "2026-03-22T01:30:00Z"},
		{time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), "2026-03-29T01:30:00Z"}, // 03:30 CEST, moved forward
		{time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC), "2026-04-05T00:30:00Z"},
		{time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), "2026-10-25T01:30:00Z"}, // 02:30 happens twice: time.Date takes CET
		{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-11-01T01:30:00Z"},
	} {
		occ := w.occurrences(tt.day, tt.day.Add(24*time.Hour))
		if len(occ) != 1 || occ[0].Start.UTC().Format(time.RFC3339) != tt.wantStart || occ[0].End.Sub(occ[0].Start) != time.Hour {
			t.Errorf("occurrences on %v: %v, want one starting %s for 1h", tt.day.Format(time.DateOnly), occ, tt.wantStart)
		}
	}
}

func TestCorrectionValidation(t *testing.T) {
	day := 24 * time.Hour
	one := func(start, end time.Duration) Correction { return Correction{Start: t0.Add(start), End: t0.Add(end)} }
	sunday2am := WeeklyCorrection{Days: []time.Weekday{time.Sunday}, Start: 2 * time.Hour, Duration: 2 * time.Hour}
	for _, tt := range []struct {
		name   string
		o      Objective
		field  string
		phrase string
	}{
		{"end before start", Objective{Corrections: []Correction{one(2*time.Hour, time.Hour)}}, "Corrections[0].End", "is not after the start"},
		{"empty period", Objective{Corrections: []Correction{one(time.Hour, time.Hour)}}, "Corrections[0].End", "is not after the start"},
		{"before 1970", Objective{Corrections: []Correction{{Start: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), End: t0}}}, "Corrections[0]", "outside the years 1970 to 2199"},
		{"past 2199", Objective{Corrections: []Correction{{Start: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 1, 2, 0, 0, 0, 0, time.UTC)}}}, "Corrections[0]", "outside the years 1970 to 2199"},
		{"no end", Objective{Corrections: []Correction{{Start: t0}}}, "Corrections[0]", "needs both a start and an end"},
		{"longer than the window", Objective{Window: 7 * day, Corrections: []Correction{one(0, 8*day)}}, "Corrections[0]", "longer than the SLO window"},
		{"overlapping", Objective{Corrections: []Correction{one(5*time.Hour, 6*time.Hour), one(time.Hour, 3*time.Hour), one(2*time.Hour, 4*time.Hour)}}, "Corrections[2]", "overlaps Corrections[1]"},
		{"weekly without days", Objective{WeeklyCorrections: []WeeklyCorrection{{Duration: time.Hour}}}, "WeeklyCorrections[0].Days", "is empty"},
		{"weekly day twice", Objective{WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{1, 1}, Duration: time.Hour}}}, "WeeklyCorrections[0].Days[1]", "listed twice"},
		{"weekly bad day", Objective{WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{7}, Duration: time.Hour}}}, "WeeklyCorrections[0].Days[0]", "not a weekday"},
		{"weekly start past midnight", Objective{WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{1}, Start: 24 * time.Hour, Duration: time.Hour}}}, "WeeklyCorrections[0].Start", "not a time of day"},
		{"weekly longer than the window", Objective{Window: time.Hour, WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{1}, Duration: 2 * time.Hour}}}, "WeeklyCorrections[0].Duration", "longer than the SLO window"},
		{"weekly overlapping itself", Objective{WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{1, 2}, Duration: 25 * time.Hour}}}, "WeeklyCorrections[0]", "overlaps WeeklyCorrections[0]"},
		{"weekly overlapping a one-off", Objective{Corrections: []Correction{one(3*time.Hour, 5*time.Hour)}, WeeklyCorrections: []WeeklyCorrection{sunday2am}}, "Corrections[0]", "overlaps WeeklyCorrections[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Name, tt.o.Target = "api", 0.999
			err := tt.o.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Problem, tt.phrase) {
				t.Fatalf("Validate() = %v; want a problem of %s saying %q", err, tt.field, tt.phrase)
			}
		})
	}
	ok := Objective{Name: "api", Target: 0.999, Corrections: []Correction{one(day+time.Hour, day+2*time.Hour), one(day+2*time.Hour, day+3*time.Hour)},
		WeeklyCorrections: []WeeklyCorrection{sunday2am, {Days: []time.Weekday{time.Saturday}, Start: 22 * time.Hour, Duration: 3 * time.Hour}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("adjacent periods are valid: %v", err)
	}
}

func TestAddCorrectionRejectsAnOverlap(t *testing.T) {
	clock := newFakeClock()
	o := Objective{Name: "api", Target: 0.999, Corrections: []Correction{{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	err := tr.AddCorrection(Correction{Start: t0.Add(90 * time.Minute), End: t0.Add(3 * time.Hour)})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("AddCorrection of an overlapping period = %v, want a validation error", err)
	}
	if len(tr.Corrections()) != 1 {
		t.Errorf("the rejected correction was kept: %v", tr.Corrections())
	}
}

func TestSnapshotListsTheCorrectionsOfTheWindowOnly(t *testing.T) {
	clock := newFakeClock()
	day := 24 * time.Hour
	o := Objective{Name: "api", Target: 0.999, Window: 7 * day, Corrections: []Correction{
		{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), Reason: "old"},
		{Start: t0.Add(6 * day), End: t0.Add(6*day + time.Hour), Reason: "recent"},
		{Start: t0.Add(9 * day), End: t0.Add(9*day + time.Hour), Reason: "planned"},
	}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	clock.Set(t0.Add(8*day + 3*time.Hour))
	s := tr.Snapshot()
	if len(s.Corrections) != 1 || s.Corrections[0].Reason != "recent" || s.Corrections[0].Active {
		t.Errorf("corrections %+v, want only the recent, past one", s.Corrections)
	}
}

func TestCorrectionEdgesBetweenBucketBoundaries(t *testing.T) {
	clock := newFakeClock()
	// The finest ring (the 5m short window) has 2.5s buckets; the
	// correction starts and ends inside them.
	start, end := t0.Add(time.Hour+1300*time.Millisecond), t0.Add(time.Hour+3700*time.Millisecond)
	o := Objective{Name: "api", Target: 0.999, Corrections: []Correction{{Start: start, End: end}}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	for _, ev := range []struct {
		at  time.Time
		bad uint64
	}{
		{start.Add(-time.Millisecond), 1},
		{start, 10},
		{end.Add(-time.Millisecond), 100},
		{end, 1000},
		{end.Add(time.Millisecond), 10000},
	} {
		clock.Set(ev.at)
		tr.RecordN(0, ev.bad)
	}
	if s := tr.Snapshot(); s.Failures != 11001 {
		t.Errorf("failures %d, want 11001: the events at the start and just before the end are left out", s.Failures)
	}
}

func TestFamilyAddCorrectionReachesEveryMember(t *testing.T) {
	clock := newFakeClock()
	f, err := NewFamily(Objective{Name: "api", Target: 0.999}, []string{"route"}, WithTrackerOptions(WithClock(clock.Now)))
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(time.Hour + 10*time.Minute))
	f.With("/pay").RecordN(0, 10)
	clock.Set(t0.Add(2 * time.Hour))
	if err := f.AddCorrection(Correction{Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour), Reason: "not ours"}); err != nil {
		t.Fatal(err)
	}
	f.With("/pay").RecordN(0, 10)
	f.With("/cart").RecordN(0, 10) // a member made during the correction
	clock.Set(t0.Add(3 * time.Hour))
	f.With("/cart").RecordN(1, 0)
	for _, m := range f.Members() {
		if s := m.Snapshot(); s.Failures != 0 || len(s.Corrections) != 1 {
			t.Errorf("member %v: %d failures, corrections %v; want 0 and the one", m.Labels(), s.Failures, s.Corrections)
		}
	}
	if got := f.Objective().Corrections; len(got) != 1 {
		t.Errorf("family objective corrections %v", got)
	}
	if err := f.AddCorrection(Correction{Start: t0.Add(2 * time.Hour), End: t0.Add(4 * time.Hour)}); err == nil {
		t.Error("an overlapping correction was accepted")
	}
}

// FuzzCorrections builds objectives with arbitrary corrections and adds one
// at run time while events are recorded: no input panics, snapshots stay
// finite, the windows never count more than was recorded, and the
// cumulative counters count everything.
func FuzzCorrections(f *testing.F) {
	f.Add(int64(time.Hour), int64(2*time.Hour), uint8(0), int64(2*time.Hour), int64(time.Hour), int64(-time.Hour), int64(30*time.Minute), int64(time.Minute), uint8(50))
	f.Add(int64(0), int64(-1), uint8(7), int64(-1), int64(0), int64(0), int64(0), int64(-time.Hour), uint8(3))
	f.Add(int64(math.MaxInt64), int64(math.MinInt64), uint8(6), int64(24*time.Hour-1), int64(7*24*time.Hour), int64(math.MaxInt64), int64(math.MaxInt64), int64(time.Second), uint8(200))
	f.Fuzz(func(t *testing.T, start, end int64, day uint8, at, dur, addStart, addLen, step int64, n uint8) {
		o := Objective{Name: "fuzz", Target: 0.999,
			Corrections:       []Correction{{Start: t0.Add(time.Duration(start)), End: t0.Add(time.Duration(end))}},
			WeeklyCorrections: []WeeklyCorrection{{Days: []time.Weekday{time.Weekday(day)}, Start: time.Duration(at), Duration: time.Duration(dur)}},
		}
		clock := newFakeClock()
		tr, err := NewTracker(o, WithClock(clock.Now))
		if err != nil {
			o.Corrections, o.WeeklyCorrections = nil, nil
			tr = mustTracker(t, o, WithClock(clock.Now))
		}
		var recorded uint64
		for i := range n {
			if i == n/2 {
				from := clock.Now().Add(time.Duration(addStart))
				_ = tr.AddCorrection(Correction{Start: from, End: from.Add(time.Duration(addLen))})
			}
			tr.RecordN(3, 1)
			recorded += 4
			clock.Advance(time.Duration(step))
			s := tr.Snapshot()
			finite(t, s)
			if s.Total > recorded {
				t.Fatalf("window holds %d events, %d recorded", s.Total, recorded)
			}
		}
		if s := tr.Snapshot(); s.Good+s.Bad != recorded {
			t.Fatalf("cumulative %d, want %d", s.Good+s.Bad, recorded)
		}
	})
}
