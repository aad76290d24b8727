package slo_test

import (
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// BenchmarkTimeSlices measures recording into, and snapshots of, a 30-day
// objective of 1-minute slices (43,200 of them), beside one over events.
func BenchmarkTimeSlices(b *testing.B) {
	for _, c := range []struct {
		name   string
		slices slo.TimeSlices
	}{
		{"slices=none", slo.TimeSlices{}},
		{"slices=verdicts", slo.TimeSlices{Window: time.Minute, Target: 0.95}},
		{"slices=average", slo.TimeSlices{Window: time.Minute, Average: true}},
	} {
		o := slo.Objective{Name: "bench", Target: 0.999, Slices: c.slices}
		b.Run("op=record/"+c.name, func(b *testing.B) {
			t := mustBench(b, o)
			b.ReportAllocs()
			for b.Loop() {
				t.RecordSuccess()
			}
		})
		b.Run("op=snapshot/"+c.name, func(b *testing.B) {
			t := mustBench(b, o)
			t.RecordN(100, 1)
			b.ReportAllocs()
			for b.Loop() {
				t.Snapshot()
			}
		})
	}
}

func mustBench(b *testing.B, o slo.Objective) *slo.Tracker {
	b.Helper()
	t, err := slo.NewTracker(o)
	if err != nil {
		b.Fatal(err)
	}
	return t
}
