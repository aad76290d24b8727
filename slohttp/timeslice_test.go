package slohttp_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

func TestReportCountsSlicesOfTimeSliceObjectives(t *testing.T) {
	clock := &replayClock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	minutes := defineMinutes(t, reg)
	if _, err := reg.Define(slo.Objective{Name: "events", Target: 0.9}); err != nil {
		t.Fatal(err)
	}
	minutes.RecordN(1, 1) // a bad slice
	clock.Advance(time.Minute)

	w := get(t, slohttp.SnapshotHandler(reg), "GET")
	var rep slohttp.Report
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.SLOs {
		switch s.Name {
		case "events":
			if s.Slices != nil {
				t.Errorf("events: slices = %+v, want none", s.Slices)
			}
		case "minutes":
			if s.Slices == nil || *s.Slices != (slohttp.Slices{Total: 60, Good: 59, Budget: 6}) {
				t.Errorf("minutes: slices = %+v, want 60 total, 59 good, budget 6", s.Slices)
			}
		}
	}
	if body := get(t, slohttp.SnapshotHandler(reg), "GET").Body.String(); strings.Count(body, `"slices"`) != 1 {
		t.Errorf("want one slices object in the report:\n%s", body)
	}
}

// defineMinutes defines in reg the time-slice objective the slice tests
// share: "minutes", 90% of the 1-minute slices of an hour, each good when
// 95% of its events are.
func defineMinutes(t *testing.T, reg *slo.Registry) *slo.Tracker {
	t.Helper()
	minutes, err := reg.Define(slo.Objective{Name: "minutes", Target: 0.9, Window: time.Hour,
		Slices: slo.TimeSlices{Window: time.Minute, Target: 0.95}})
	if err != nil {
		t.Fatal(err)
	}
	return minutes
}
