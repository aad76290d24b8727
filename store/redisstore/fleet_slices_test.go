package redisstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// TestFleetSlicesAgainstRawEvents checks the fleet's time slices against
// the truth counted from the raw events of three replicas. A correction
// added on one replica only applies to the whole fleet (the union). A
// slice that missed its target in the fleet's events is bad in the fleet
// view; one that met it is good unless a replica's own part of it missed
// the target: the fleet view counts exactly the slices that the documented
// rule predicts from the raw events, never fewer bad slices than the
// truth.
func TestFleetSlicesAgainstRawEvents(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	ctx := context.Background()
	clock := newFakeClock()
	t0 := clock.Now().Truncate(time.Hour)
	o := slo.Objective{Name: "fleet slices", Target: 0.9, Window: time.Hour,
		Slices: slo.TimeSlices{Window: time.Minute, Target: 0.95}}
	threshold := slo.SliceErrorThreshold(o.Slices.Target)

	ids := []string{"pod-a", "pod-b", "pod-c"}
	trackers := make([]*slo.Tracker, len(ids))
	stores := make([]*Store, len(ids))
	clock.Set(t0)
	for i, id := range ids {
		stores[i] = newStore(t, c, id, WithClock(clock.Now))
		trackers[i] = newTracker(t, o, slo.WithClock(clock.Now))
	}
	// events[slice][replica] = {good, bad}
	type pair struct{ good, bad uint64 }
	events := map[int][3]pair{
		0: {{100, 0}, {100, 1}, {100, 0}},
		1: {{95, 5}, {95, 5}, {95, 5}},    // each at 95%: good everywhere
		2: {{80, 20}, {70, 30}, {90, 10}}, // an outage on every replica: bad
		3: {{10, 0}, {0, 0}, {5, 0}},      // quiet
		4: {{7, 3}, {100, 0}, {100, 0}},   // only pod-a misses: the fleet meets 95%
		6: {{96, 4}, {96, 4}, {96, 4}},    // failures spread evenly: good
		7: {{90, 10}, {100, 0}, {100, 0}}, // pod-a misses, the fleet meets it
		8: {{0, 100}, {0, 100}, {0, 100}}, // corrected on pod-b only, below
		9: {{50, 50}, {100, 0}, {100, 0}}, // pod-a misses, the fleet misses too
	}
	for k := range 10 {
		clock.Set(t0.Add(time.Duration(k)*time.Minute + time.Second))
		for i, tr := range trackers {
			p := events[k][i]
			tr.RecordN(p.good, p.bad)
		}
	}
	correction := slo.Correction{Start: t0.Add(8 * time.Minute), End: t0.Add(9 * time.Minute), Reason: "not ours"}
	if err := trackers[1].AddCorrection(correction); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(10*time.Minute + 30*time.Second)) // slice 9 decided, 10 open
	for i, tr := range trackers {
		trackers[i].RecordN(1, 0) // the open slice
		if err := stores[i].Save(ctx, tr.State()); err != nil {
			t.Fatal(err)
		}
	}

	// The truth and the rule's prediction, from the raw events.
	var truthBad, ruleBad []int
	var failures uint64
	for k := range 10 {
		if k == 8 {
			continue // corrected
		}
		var sum pair
		anyBad := false
		for _, p := range events[k] {
			sum.good, sum.bad = sum.good+p.good, sum.bad+p.bad
			failures += p.bad
			if p.good+p.bad > 0 && float64(p.bad)/float64(p.good+p.bad) > threshold {
				anyBad = true
			}
		}
		if sum.good+sum.bad > 0 && float64(sum.bad)/float64(sum.good+sum.bad) > threshold {
			truthBad = append(truthBad, k)
		}
		if anyBad {
			ruleBad = append(ruleBad, k)
		}
	}
	if !slices.Equal(truthBad, []int{2, 9}) || !slices.Equal(ruleBad, []int{2, 4, 7, 9}) {
		t.Fatalf("the scenario changed: truth %v, rule %v", truthBad, ruleBad)
	}

	reader := newStore(t, c, "reader", WithClock(clock.Now))
	fleet, err := reader.FleetOf(FleetObjective{Objective: o})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := fleet.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := snaps[0]
	if want := float64(60 - len(ruleBad)); s.GoodSlices != want {
		t.Errorf("fleet: %v good slices, want %v (bad: %v; the truth's bad: %v)", s.GoodSlices, want, ruleBad, truthBad)
	}
	if s.GoodSlices > float64(60-len(truthBad)) {
		t.Errorf("fleet: %v good slices, more than the truth's %d", s.GoodSlices, 60-len(truthBad))
	}
	if s.Failures != failures {
		t.Errorf("fleet: %d failures, want %d: the correction of pod-b applies to every replica", s.Failures, failures)
	}
	if len(s.Corrections) != 1 || !s.Corrections[0].Start.Equal(correction.Start) || s.Corrections[0].Reason != correction.Reason {
		t.Errorf("fleet corrections %v, want %v", s.Corrections, correction)
	}
	truthBudget := 1 - float64(len(truthBad))/6
	t.Logf("fleet: %v good slices of 60, budget left %.3f; truth: %d good, budget left %.3f",
		s.GoodSlices, s.ErrorBudgetRemaining, 60-len(truthBad), truthBudget)
	if s.ErrorBudgetRemaining > truthBudget+1e-12 {
		t.Errorf("fleet budget left %v, more than the truth's %v", s.ErrorBudgetRemaining, truthBudget)
	}
}
