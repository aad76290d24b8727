package slohttp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

func TestSnapshotJSONGivesACalendarPeriod(t *testing.T) {
	now := time.Date(2027, 2, 10, 12, 0, 0, 0, time.UTC)
	tr, err := slo.NewTracker(slo.Objective{Name: "monthly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Month}},
		slo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(NewSnapshot(tr.Snapshot()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"period_start":"2027-02-01T00:00:00Z"`, `"period_end":"2027-03-01T00:00:00Z"`, `"window_seconds":2419200`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	rolling, err := slo.NewTracker(slo.Objective{Name: "rolling", Target: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(NewSnapshot(rolling.Snapshot())); strings.Contains(string(b), "period_") {
		t.Errorf("a rolling window's JSON has a period: %s", b)
	}
}
