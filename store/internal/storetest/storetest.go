// Package storetest holds what the stores' tests and benchmarks share.
package storetest

import (
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// BusyState returns the state of a tracker that saw traffic every minute of
// its 30-day window and every second of the last hour, ending at end: every
// bucket of every window filled, the largest state an objective saves.
func BusyState(tb testing.TB, name string, end time.Time) *slo.State {
	tb.Helper()
	now := end.Add(-slo.DefaultWindow)
	tr, err := slo.NewTracker(slo.Objective{Name: name, Target: 0.999}, slo.WithClock(func() time.Time { return now }))
	if err != nil {
		tb.Fatal(err)
	}
	for now.Before(end) {
		tr.RecordN(1000, 1)
		if end.Sub(now) > time.Hour {
			now = now.Add(time.Minute)
		} else {
			now = now.Add(time.Second)
		}
	}
	return tr.State()
}
