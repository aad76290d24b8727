package slo

import (
	"strings"
	"testing"
	"time"
)

// A time-slice objective leaves corrected events out of its slices as an
// objective over events leaves them out of its counts: a slice whose
// failures all fall inside a correction stays good.
func TestTimeSlicesLeaveCorrectedEventsOut(t *testing.T) {
	clock := newFakeClock() // on a minute boundary
	start := clock.Now()
	o := sliceObjective()
	o.Corrections = []Correction{{Start: start.Add(2 * time.Minute), End: start.Add(4 * time.Minute), Reason: "maintenance"}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	clock.Advance(time.Second)
	tr.RecordN(100, 0) // slice 0: good
	clock.Set(start.Add(2*time.Minute + time.Second))
	tr.RecordN(0, 100) // slice 2: inside the correction
	clock.Set(start.Add(3*time.Minute + time.Second))
	tr.RecordN(0, 100) // slice 3: inside the correction
	clock.Set(start.Add(4*time.Minute + time.Second))
	tr.RecordN(50, 50) // slice 4: bad, after the correction
	clock.Set(start.Add(5*time.Minute + time.Second))
	if s := tr.Snapshot(); s.GoodSlices != 59 {
		t.Errorf("%v good slices, want 59: only slice 4 is bad", s.GoodSlices)
	}
}

// A correction added at run time forgives the slices it touches, decided
// or open, widened to whole slices like the rings' buckets.
func TestAddCorrectionForgivesTheSlicesItTouches(t *testing.T) {
	for _, average := range []bool{false, true} {
		clock := newFakeClock()
		start := clock.Now()
		o := sliceObjective()
		if average {
			o.Slices = TimeSlices{Window: time.Minute, Average: true}
		}
		tr := mustTracker(t, o, WithClock(clock.Now))
		for i := range 5 { // slices 0..4 bad
			clock.Set(start.Add(time.Duration(i)*time.Minute + time.Second))
			tr.RecordN(0, 10)
		}
		clock.Set(start.Add(4*time.Minute + 30*time.Second)) // slice 4 open
		if s := tr.Snapshot(); s.GoodSlices != 56 {
			t.Fatalf("average %v: %v good slices before the correction, want 56", average, s.GoodSlices)
		}
		// An incident from 1m30s to 3m10s declared not ours: slices 1..3.
		err := tr.AddCorrection(Correction{Start: start.Add(90 * time.Second), End: start.Add(190 * time.Second), Reason: "upstream"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(start.Add(5*time.Minute + time.Second)) // slice 4 decided
		if s := tr.Snapshot(); s.GoodSlices != 58 {
			t.Errorf("average %v: %v good slices after the correction, want 58 (slices 0 and 4 bad)", average, s.GoodSlices)
		}
		// A correction reaching the open slice forgives its events so far.
		tr.RecordN(0, 10) // slice 5
		clock.Set(start.Add(5*time.Minute + 30*time.Second))
		if err := tr.AddCorrection(Correction{Start: start.Add(5 * time.Minute), End: start.Add(5*time.Minute + 20*time.Second), Reason: "upstream"}); err != nil {
			t.Fatal(err)
		}
		clock.Set(start.Add(6*time.Minute + time.Second))
		if s := tr.Snapshot(); s.GoodSlices != 58 {
			t.Errorf("average %v: %v good slices after forgiving the open slice, want 58", average, s.GoodSlices)
		}
	}
}

func TestTimeSlicesOverACalendarPeriodAreRefused(t *testing.T) {
	o := Objective{Name: "monthly-uptime", Target: 0.99, Calendar: Calendar{Period: Month}, Slices: TimeSlices{Window: time.Minute, Target: 0.9}}
	err := o.Validate()
	if err == nil || !strings.Contains(err.Error(), "Slices") || !strings.Contains(err.Error(), "calendar") {
		t.Errorf("Validate() = %v, want an error naming Slices and the calendar", err)
	}
}
