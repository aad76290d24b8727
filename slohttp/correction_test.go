package slohttp_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

func TestReportShowsTheWindowsCorrections(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := &replayClock{now: start}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	o := slo.Objective{Name: "checkout", Target: 0.999, Corrections: []slo.Correction{
		{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour), Reason: "planned database migration"},
	}, WeeklyCorrections: []slo.WeeklyCorrection{
		{Days: []time.Weekday{time.Sunday}, Start: 3 * time.Hour, Duration: time.Hour, Reason: "weekly maintenance"},
	}}
	tr, err := reg.Define(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(slo.Objective{Name: "plain", Target: 0.99}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3*time.Hour + 30*time.Minute)
	tr.RecordN(0, 10) // inside the weekly correction: left out
	body := get(t, slohttp.SnapshotHandler(reg), "GET").Body.String()
	var rep slohttp.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	got := rep.SLOs[0]
	// The 30-day window also holds the four Sundays of October.
	if n := len(got.Corrections); n == 6 {
		got.Corrections = got.Corrections[4:]
	}
	want := []slohttp.Correction{
		{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour), Reason: "planned database migration"},
		{Start: start.Add(3 * time.Hour), End: start.Add(4 * time.Hour), Reason: "weekly maintenance", Recurring: true, Active: true},
	}
	if got.Name != "checkout" || got.Failures != 0 || len(got.Corrections) != 2 || got.Corrections[0] != want[0] || got.Corrections[1] != want[1] {
		t.Errorf("checkout: failures %d, corrections %+v; want 0 and %+v", got.Failures, got.Corrections, want)
	}
	if n := strings.Count(body, `"corrections"`); n != 1 {
		t.Errorf("the report holds %d corrections fields, want 1: an SLO without corrections leaves it out", n)
	}
	if !strings.Contains(body, `"start": "2026-11-01T01:00:00Z"`) {
		t.Errorf("periods are not written in RFC 3339 UTC:\n%s", body)
	}
}
