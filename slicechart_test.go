package slo

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestChartBucketCutsTheWindowIntoWholeSlices(t *testing.T) {
	for _, c := range []struct {
		slice, window, want time.Duration
	}{
		{time.Minute, time.Hour, time.Minute},             // 60 slices: one a bucket
		{time.Minute, 30 * 24 * time.Hour, 6 * time.Hour}, // 43,200 slices: 360 a bucket
		{time.Minute, 28 * 24 * time.Hour, 336 * time.Minute},
		{5 * time.Minute, 7 * 24 * time.Hour, 90 * time.Minute}, // 2,016 slices: 18 a bucket (17 leaves a rest)
		{time.Minute, 127 * time.Minute, 127 * time.Minute},     // a prime number of slices: one bucket
		{time.Minute, 30 * time.Second, 0},
		{0, time.Hour, 0},
	} {
		got := TimeSlices{Window: c.slice}.ChartBucket(c.window)
		if got != c.want {
			t.Errorf("ChartBucket(%v slices, %v window) = %v, want %v", c.slice, c.window, got, c.want)
		}
		if got > 0 && (c.window%got != 0 || c.window/got > ChartBuckets) {
			t.Errorf("ChartBucket(%v slices, %v window) = %v: not a whole cut into at most %d", c.slice, c.window, got, ChartBuckets)
		}
	}
}

// The slice history holds the slices a snapshot counts: they add up to
// its TotalSlices, their spent to the bad ones, each in its bucket.
func TestSliceHistoryAddsUpToTheSnapshot(t *testing.T) {
	for _, average := range []bool{false, true} {
		clock := newFakeClock() // on a minute boundary
		o := Objective{Name: "slices", Target: 0.9, Window: 3 * time.Hour, Slices: TimeSlices{Window: time.Minute, Target: 0.95}}
		if average {
			o.Slices.Target, o.Slices.Average = 0, true
		}
		tr := mustTracker(t, o, WithClock(clock.Now))
		start := clock.Now()
		clock.Advance(time.Minute)
		tr.RecordN(50, 50) // slice 1: 50% errors
		clock.Advance(time.Minute)
		clock.Advance(100 * time.Minute) // slice 102 below
		tr.RecordN(0, 10)                // 100% errors
		clock.Advance(time.Minute)
		tr.RecordN(90, 10) // slice 103: 10%, open

		h := tr.SliceHistory()
		s := tr.Snapshot()
		if len(h) != 90 {
			t.Fatalf("average %v: %d buckets, want 90 of 2 slices", average, len(h))
		}
		var slices int
		var spent float64
		for _, b := range h {
			slices += b.Slices
			spent += b.Spent
		}
		if slices != s.TotalSlices || math.Abs(spent-(float64(s.TotalSlices)-s.GoodSlices)) > 1e-9 {
			t.Errorf("average %v: history holds %d slices spending %v; the snapshot %d slices, %v good", average, slices, spent, s.TotalSlices, s.GoodSlices)
		}
		// The window ends with slice 102, the last completed: it is slices
		// -77..102, the first bucket starting 77 minutes before start.
		if want := start.Add(-77 * time.Minute); !h[0].Start.Equal(want) {
			t.Errorf("average %v: first bucket starts at %v, want %v", average, h[0].Start, want)
		}
		first, last := 0.5, 1.0 // slice 1 in bucket 39 (slices 1..2), 102 in the last
		if !average {
			first = 1
		}
		for i, b := range h {
			want := 0.0
			switch i {
			case 39:
				want = first
			case len(h) - 1:
				want = last
			}
			if math.Abs(b.Spent-want) > 1e-9 {
				t.Errorf("average %v: bucket %d (%v) spent %v, want %v", average, i, b.Start, b.Spent, want)
			}
		}
	}
}

func TestRegistryChartsCountSlicesOfTimeSliceObjectives(t *testing.T) {
	clock := newFakeClock()
	reg := NewRegistry(WithClock(clock.Now))
	if _, err := reg.Define(sliceObjective()); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(Objective{Name: "events", Target: 0.99, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	reg.Tracker("slices").RecordN(0, 1)
	clock.Advance(time.Minute)
	charts, err := reg.Charts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		switch c.Snapshot.Name {
		case "events":
			if c.Slices != nil {
				t.Errorf("an objective over events has a slice history: %v", c.Slices)
			}
		case "slices":
			if len(c.Slices) != 60 || c.Slices[59].Spent != 1 || len(c.History) == 0 {
				t.Errorf("slices: %d slice buckets (the last spent %v), %d event buckets; want 60, the last bad, and the events", len(c.Slices), c.Slices[len(c.Slices)-1].Spent, len(c.History))
			}
		}
	}
}
