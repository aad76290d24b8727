package codec

import (
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// busyTracker returns a tracker of a 30-day objective that saw traffic
// every minute of its window, with one minute in 200 failing (a bad slice
// for a time-slice objective), and a run-time correction.
func busyTracker(b *testing.B, slices slo.TimeSlices) *slo.Tracker {
	b.Helper()
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := end.Add(-slo.DefaultWindow)
	o := slo.Objective{Name: "checkout", Target: 0.99, Slices: slices}
	tr, err := slo.NewTracker(o, slo.WithClock(func() time.Time { return now }))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; now.Before(end); i++ {
		if i%200 == 0 {
			tr.RecordN(900, 100)
		} else {
			tr.RecordN(1000, 0)
		}
		now = now.Add(time.Minute)
	}
	if err := tr.AddCorrection(slo.Correction{Start: end.Add(-48 * time.Hour), End: end.Add(-47 * time.Hour), Reason: "migration"}); err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkSave measures what a tracker's save costs before any I/O, its
// State and the encoding of it, for a 30-day objective of 1-minute time
// slices (43,200 slices) beside the same objective over events.
func BenchmarkSave(b *testing.B) {
	for _, c := range []struct {
		name   string
		slices slo.TimeSlices
	}{
		{"slices=none", slo.TimeSlices{}},
		{"slices=verdicts", slo.TimeSlices{Window: time.Minute, Target: 0.95}},
		{"slices=average", slo.TimeSlices{Window: time.Minute, Average: true}},
	} {
		tr := busyTracker(b, c.slices)
		b.Run("op=state/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tr.State()
			}
		})
		b.Run("op=state+marshal/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				data, err := Marshal(tr.State())
				if err != nil {
					b.Fatal(err)
				}
				n = len(data)
			}
			b.ReportMetric(float64(n), "bytes/save")
		})
	}
}
