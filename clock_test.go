package slo

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestCoarseClockFollowsTheWallClockBothWays checks the timeline follows
// the monotonic clock through small disagreements with the wall clock, and
// re-anchors to the wall clock when it is found far ahead (after a
// suspend) or far behind (a wall clock stepped forward, then corrected).
func TestCoarseClockFollowsTheWallClockBothWays(t *testing.T) {
	c := &coarseClock{started: time.Now()}
	c.base.Store(c.started.UnixNano())
	before := c.precise()
	c.reanchor(before + int64(maxLag/2)) // small drift: ignored
	c.reanchor(before - int64(maxLag/2))
	if d := c.precise() - before; d < 0 || d > int64(maxLag/2) {
		t.Fatalf("timeline moved by %v", time.Duration(d))
	}
	c.reanchor(before + int64(8*time.Hour)) // a night in suspend
	if d := time.Duration(c.precise() - before); d < 8*time.Hour || d > 8*time.Hour+time.Second {
		t.Fatalf("after a suspend the timeline moved by %v, want 8h", d)
	}
	c.reanchor(before) // the 8h were a bad step, corrected
	if d := time.Duration(c.precise() - before); d < 0 || d > time.Second {
		t.Fatalf("after the correction the timeline is %v from the wall clock, want within a second", d)
	}
}

// TestTrackerThroughAWallClockStepAndItsCorrection runs trackers on the
// process's coarse clock while its wall clock, injected, is stepped an hour
// forward and then corrected: the clock comes back to the wall clock within
// a tick, and the tracker neither loses nor double-counts an event nor keeps
// one dated in the future.
func TestTrackerThroughAWallClockStepAndItsCorrection(t *testing.T) {
	tr := mustTracker(t, Objective{Name: "ntp", Target: 0.99, Window: 24 * time.Hour,
		BurnRateWindows: []time.Duration{time.Minute}, Tiers: []AlertTier{}})
	var offset atomic.Int64
	coarse.setWall(func() int64 { return time.Now().UnixNano() + offset.Load() })
	defer coarse.setWall(nil)
	// waitClock waits until the coarse clock reads the wall clock plus d.
	waitClock := func(d time.Duration) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			off := time.Duration(coarse.load() - time.Now().UnixNano())
			if off > d-time.Second && off < d+time.Second {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the coarse clock is %v off the system clock, want %v", off, d)
			}
			time.Sleep(time.Millisecond)
		}
	}

	tr.RecordN(10, 0)
	offset.Store(int64(time.Hour)) // a bad NTP step
	waitClock(time.Hour)
	tr.RecordN(0, 5)
	if s := tr.Snapshot(); s.Total != 15 || time.Until(s.Time) < 59*time.Minute {
		t.Fatalf("during the step: %d events at %v", s.Total, s.Time)
	}
	offset.Store(0) // corrected
	waitClock(0)
	tr.RecordN(20, 0)
	s := tr.Snapshot()
	if s.Total != 35 || s.Failures != 5 {
		t.Errorf("after the correction the window holds %d/%d, want 35/5", s.Total, s.Failures)
	}
	if d := time.Since(s.Time); d < -time.Second || d > time.Second {
		t.Errorf("after the correction snapshots are dated %v from now", -d)
	}
	if br := s.BurnRates[0]; br.Total != 25 {
		t.Errorf("the minute window holds %d events, want the 25 recorded in the last minute", br.Total)
	}
	for _, w := range tr.State().Windows {
		for _, b := range w.Buckets {
			if b.Start.After(s.Time) {
				t.Errorf("window %v keeps a bucket dated %v, after the snapshot's %v", w.Window, b.Start, s.Time)
			}
		}
	}
}
