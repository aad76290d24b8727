package slohttp_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// A RemoteSource reads back a time-slice objective's slice counts and a
// calendar objective's period, as the report serves them.
func TestRemoteSourceReadsBackSlicesAndPeriods(t *testing.T) {
	clock := &replayClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	minutes := defineMinutes(t, reg)
	if _, err := reg.Define(slo.Objective{Name: "monthly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Month}}); err != nil {
		t.Fatal(err)
	}
	minutes.RecordN(1, 1) // a bad slice
	clock.Advance(time.Minute)
	got, want := readBack(t, reg)
	if len(got) != 2 || got[0].TotalSlices != 60 || got[0].GoodSlices != 59 || got[0].SliceBudget != 6 {
		t.Errorf("minutes read back with %d slices, %v good, budget %v; want 60, 59, 6", got[0].TotalSlices, got[0].GoodSlices, got[0].SliceBudget)
	}
	if !got[1].PeriodStart.Equal(want[1].PeriodStart) || !got[1].PeriodEnd.Equal(want[1].PeriodEnd) {
		t.Errorf("monthly read back with the period %v to %v, want %v to %v", got[1].PeriodStart, got[1].PeriodEnd, want[1].PeriodStart, want[1].PeriodEnd)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nserved\n%+v", got, want)
	}
}
