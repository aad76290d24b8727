package slo

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// restart closes tr, saving to store, and makes a new tracker of o on the
// same store and clock, as a restarted process does.
func restart(t *testing.T, tr *Tracker, o Objective, store Store, clock func() time.Time) *Tracker {
	t.Helper()
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := mustTracker(t, o, WithStore(store), WithClock(clock), WithFlushInterval(time.Hour))
	if !next.StoreStats().Loaded {
		t.Fatal("the restarted tracker did not load its state")
	}
	return next
}

// A correction added at run time survives a restart: it is still listed,
// still leaves out the events recorded while it is active, and the buckets
// it removed stay removed.
func TestRestartKeepsRunTimeCorrections(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	store := newMemStore()
	o := Objective{Name: "api", Target: 0.99}
	tr := mustTracker(t, o, WithStore(store), WithClock(clock.Now), WithFlushInterval(time.Hour))
	tr.RecordN(100, 0)
	clock.Set(t0.Add(2 * time.Hour))
	tr.RecordN(0, 50) // an incident, declared not ours below
	c := Correction{Start: t0.Add(2 * time.Hour), End: t0.Add(5 * time.Hour), Reason: "upstream outage"}
	if err := tr.AddCorrection(c); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(3 * time.Hour))
	tr = restart(t, tr, o, store, clock.Now)
	tr.RecordN(0, 70) // still inside the correction: left out
	clock.Set(t0.Add(6 * time.Hour))
	tr.RecordN(10, 0)
	s := tr.Snapshot()
	if s.Total != 110 || s.Failures != 0 {
		t.Errorf("after the restart: %d events, %d failures; want 110, 0", s.Total, s.Failures)
	}
	got := tr.Corrections()
	if len(got) != 1 || !got[0].Start.Equal(c.Start) || !got[0].End.Equal(c.End) || got[0].Reason != c.Reason {
		t.Errorf("corrections after the restart %v, want %v", got, c)
	}
	if len(s.Corrections) != 1 {
		t.Errorf("snapshot corrections %v, want the restored one", s.Corrections)
	}
	// A restored correction is the tracker's own: saved again, and another
	// overlapping it is refused.
	if err := tr.AddCorrection(Correction{Start: t0.Add(4 * time.Hour), End: t0.Add(7 * time.Hour)}); err == nil {
		t.Error("a correction overlapping the restored one was accepted")
	}
	if st := tr.State(); len(st.Corrections) != 1 {
		t.Errorf("state corrections %v, want the restored one", st.Corrections)
	}
}

// A state holds only the corrections added at run time: those of the
// objective come from the objective, so that removing one from the spec
// removes it after a restart.
func TestStateLeavesTheObjectivesCorrectionsOut(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	o := Objective{Name: "api", Target: 0.99, Corrections: []Correction{{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	if err := tr.AddCorrection(Correction{Start: t0.Add(3 * time.Hour), End: t0.Add(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st := tr.State()
	if len(st.Corrections) != 1 || !st.Corrections[0].Start.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("state corrections %v, want the run-time one only", st.Corrections)
	}
	// Once out of the window, a correction is no longer saved.
	clock.Set(t0.Add(4*time.Hour + DefaultWindow))
	if st := tr.State(); len(st.Corrections) != 0 {
		t.Errorf("state corrections %v after the window passed them, want none", st.Corrections)
	}
}

// A family's members made after a run-time correction save it too.
func TestFamilyRunTimeCorrectionSurvivesRestart(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	store := newMemStore()
	o := Objective{Name: "api", Target: 0.99}
	newFamily := func() *Family {
		f, err := NewFamily(o, []string{"route"}, WithTrackerOptions(WithStore(store), WithClock(clock.Now), WithFlushInterval(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := newFamily()
	if err := f.AddCorrection(Correction{Start: t0, End: t0.Add(2 * time.Hour), Reason: "migration"}); err != nil {
		t.Fatal(err)
	}
	m, err := f.MemberContext(context.Background(), "/made-after")
	if err != nil {
		t.Fatal(err)
	}
	m.RecordN(0, 10)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	f = newFamily()
	m, err = f.MemberContext(context.Background(), "/made-after")
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(time.Hour))
	m.RecordN(0, 10)
	if s := m.Snapshot(); s.Failures != 0 || len(s.Corrections) != 1 {
		t.Errorf("member after the restart: %d failures, corrections %v; want 0 and the family's one", s.Failures, s.Corrections)
	}
}

// Bad slices stay bad across a restart: the verdicts are saved, and the
// slices before the restart do not count as good.
func TestRestartKeepsSliceVerdicts(t *testing.T) {
	for _, average := range []bool{false, true} {
		clock := newFakeClock()
		t0 := clock.Now()
		store := newMemStore()
		o := sliceObjective()
		if average {
			o.Slices = TimeSlices{Window: time.Minute, Average: true}
		}
		tr := mustTracker(t, o, WithStore(store), WithClock(clock.Now), WithFlushInterval(time.Hour))
		for i := range 5 { // slices 0, 2, 4 bad; 1, 3 good
			clock.Set(t0.Add(time.Duration(i)*time.Minute + time.Second))
			if i%2 == 0 {
				tr.RecordN(50, 50)
			} else {
				tr.RecordN(100, 0)
			}
		}
		clock.Set(t0.Add(5*time.Minute + time.Second))
		before := tr.Snapshot()
		tr = restart(t, tr, o, store, clock.Now)
		after := tr.Snapshot()
		if after.GoodSlices != before.GoodSlices || after.ErrorBudgetRemaining != before.ErrorBudgetRemaining {
			t.Errorf("average %v: after the restart %v good slices, budget %v; before %v, %v",
				average, after.GoodSlices, after.ErrorBudgetRemaining, before.GoodSlices, before.ErrorBudgetRemaining)
		}
		if want := 57.0 + 1.5*b2f(average); before.GoodSlices != want {
			t.Errorf("average %v: %v good slices before the restart, want %v", average, before.GoodSlices, want)
		}
		// The bad slices leave the window when they would have.
		clock.Set(t0.Add(65*time.Minute + time.Second))
		if s := tr.Snapshot(); s.GoodSlices != 60 {
			t.Errorf("average %v: %v good slices once the bad ones left the window, want 60", average, s.GoodSlices)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The open slice's events are saved and added to those counted after a
// restart in the same slice, so its verdict is that of all its events.
func TestRestartInsideASliceDecidesItOnAllItsEvents(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	store := newMemStore()
	o := sliceObjective() // a slice is bad below 95%
	tr := mustTracker(t, o, WithStore(store), WithClock(clock.Now), WithFlushInterval(time.Hour))
	clock.Set(t0.Add(10 * time.Second))
	tr.RecordN(0, 4) // alone, 4 failures in 4: bad
	clock.Set(t0.Add(20 * time.Second))
	tr = restart(t, tr, o, store, clock.Now)
	tr.RecordN(20, 0) // alone, good; with the 4 before: 83%, bad
	clock.Set(t0.Add(70 * time.Second))
	if s := tr.Snapshot(); s.GoodSlices != 59 {
		t.Errorf("%v good slices, want 59: the slice's 24 events missed 95%%", s.GoodSlices)
	}

	tr = restart(t, tr, o, store, clock.Now)
	tr.RecordN(0, 1) // slice 1: one failure alone
	clock.Set(t0.Add(80 * time.Second))
	tr = restart(t, tr, o, store, clock.Now)
	tr.RecordN(100, 0) // 100 good with it: 99%, good
	clock.Set(t0.Add(130 * time.Second))
	if s := tr.Snapshot(); s.GoodSlices != 59 || s.Total != 125 {
		t.Errorf("%v good slices, %d events; want 59 and 125", s.GoodSlices, s.Total)
	}
}

// A state restored into a tracker that has a run-time correction the state
// lacks (a replica that never heard of it) loses the buckets and slices
// the correction covers; one the state has and the tracker lacks is added
// and applied to the tracker's own buckets; overlapping ones are joined
// without overlapping. Restoring twice adds the counts twice, as for
// buckets, but never a correction or a bad slice twice.
func TestRestoreUnitesCorrections(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	o := sliceObjective()
	a := mustTracker(t, o, WithClock(clock.Now))
	b := mustTracker(t, o, WithClock(clock.Now))
	for i := range 10 { // every slice bad on both
		clock.Set(t0.Add(time.Duration(i)*time.Minute + time.Second))
		a.RecordN(0, 1)
		b.RecordN(0, 1)
	}
	clock.Set(t0.Add(10*time.Minute + time.Second))
	ca := Correction{Start: t0.Add(2 * time.Minute), End: t0.Add(4 * time.Minute), Reason: "a"}
	cb := Correction{Start: t0.Add(3 * time.Minute), End: t0.Add(6 * time.Minute), Reason: "b"}
	if err := a.AddCorrection(ca); err != nil {
		t.Fatal(err)
	}
	if err := b.AddCorrection(cb); err != nil {
		t.Fatal(err)
	}
	sum := mustTracker(t, o, WithClock(clock.Now))
	for range 2 {
		for _, st := range []*State{a.State(), b.State()} {
			if err := sum.Restore(st); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := sum.Snapshot()
	// Slices 2..5 corrected on both; 0, 1, 6..9 bad.
	if s.GoodSlices != 54 {
		t.Errorf("%v good slices, want 54", s.GoodSlices)
	}
	if s.Failures != 24 { // 6 slices of 1 failure, from 2 trackers, restored twice
		t.Errorf("%d failures, want 24", s.Failures)
	}
	got := sum.Corrections()
	if len(got) != 2 || !got[0].Start.Equal(ca.Start) || !got[0].End.Equal(ca.End) ||
		!got[1].Start.Equal(ca.End) || !got[1].End.Equal(cb.End) || got[1].Reason != "b" {
		t.Errorf("corrections %v, want %v then the rest of %v", got, ca, cb)
	}
	if err := sum.AddCorrection(Correction{Start: t0.Add(7 * time.Minute), End: t0.Add(8 * time.Minute)}); err != nil {
		t.Errorf("adding a correction after the union: %v", err)
	}
}

// Restore refuses a state no tracker makes, saying what is wrong.
func TestRestoreRefusesImpossibleStates(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	tr := mustTracker(t, sliceObjective(), WithClock(clock.Now))
	open := Bucket{Start: t0}
	cases := []struct {
		name string
		st   State
		want string
	}{
		{"correction ends before it starts", State{Corrections: []Correction{{Start: t0, End: t0.Add(-time.Hour)}}}, "Corrections[0].End"},
		{"correction without end", State{Corrections: []Correction{{Start: t0}}}, "needs both a start and an end"},
		{"overlapping corrections", State{Corrections: []Correction{{Start: t0, End: t0.Add(time.Hour)}, {Start: t0.Add(time.Minute), End: t0.Add(2 * time.Hour)}}}, "overlaps"},
		{"slice width too short", State{Slices: &SliceState{Width: time.Millisecond, Open: open}}, "Slices.Width"},
		{"open slice off the grid", State{Slices: &SliceState{Width: time.Minute, Open: Bucket{Start: t0.Add(time.Second)}}}, "Slices.Open"},
		{"spent slice after the open one", State{Slices: &SliceState{Width: time.Minute, Open: open, Spent: []SpentSlice{{Start: t0, Ratio: 1}}}}, "Slices.Spent[0]"},
		{"spent slices out of order", State{Slices: &SliceState{Width: time.Minute, Open: open, Spent: []SpentSlice{{Start: t0.Add(-time.Minute), Ratio: 1}, {Start: t0.Add(-2 * time.Minute), Ratio: 1}}}}, "Slices.Spent[1]"},
		{"verdict not 1", State{Slices: &SliceState{Width: time.Minute, Open: open, Spent: []SpentSlice{{Start: t0.Add(-time.Minute), Ratio: 0.5}}}}, "Slices.Spent[0].Ratio"},
		{"ratio above 1", State{Slices: &SliceState{Width: time.Minute, Average: true, Open: open, Spent: []SpentSlice{{Start: t0.Add(-time.Minute), Ratio: 2}}}}, "Slices.Spent[0].Ratio"},
		{"open slice at year 1", State{Slices: &SliceState{Width: time.Minute}}, "Slices.Open"},
	}
	for _, c := range cases {
		c.st.Objective = "slices"
		err := tr.Restore(&c.st)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if s := tr.Snapshot(); s.GoodSlices != 60 || len(s.Corrections) != 0 {
		t.Errorf("a refused state changed the tracker: %+v", s)
	}
}

// A state saved under another slice width or method keeps its buckets and
// its corrections; its slices, which cannot be mapped, are left out.
func TestRestoreSkipsSlicesOfAnotherShape(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	a := mustTracker(t, sliceObjective(), WithClock(clock.Now))
	clock.Set(t0.Add(time.Second))
	a.RecordN(0, 10)
	clock.Set(t0.Add(time.Minute + time.Second))
	o := sliceObjective()
	o.Slices.Window = 2 * time.Minute
	b := mustTracker(t, o, WithClock(clock.Now))
	if err := b.Restore(a.State()); err != nil {
		t.Fatal(err)
	}
	if s := b.Snapshot(); s.Failures != 10 || s.GoodSlices != 30 {
		t.Errorf("%d failures, %v good slices; want 10 and 30", s.Failures, s.GoodSlices)
	}
}

// A correction added at run time that starts later forgives nothing yet:
// the open slice keeps its events.
func TestAddCorrectionOfTheFutureKeepsTheOpenSlice(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	tr := mustTracker(t, sliceObjective(), WithClock(clock.Now))
	clock.Set(t0.Add(10 * time.Second))
	tr.RecordN(0, 10) // slice 0: bad
	if err := tr.AddCorrection(Correction{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(time.Minute + time.Second))
	if s := tr.Snapshot(); s.GoodSlices != 59 {
		t.Errorf("%v good slices, want 59: a correction an hour ahead forgave the open slice", s.GoodSlices)
	}
}

// Adding a correction the tracker already holds (restored from its store)
// does nothing, so that a program may add its corrections again at every
// start; a family's restored members accept it again too.
func TestAddingAHeldCorrectionAgainDoesNothing(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	store := newMemStore()
	o := Objective{Name: "api", Target: 0.99}
	c := Correction{Start: t0, End: t0.Add(time.Hour), Reason: "migration"}
	newFamily := func() *Family {
		f, err := NewFamily(o, []string{"route"}, WithTrackerOptions(WithStore(store), WithClock(clock.Now), WithFlushInterval(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := newFamily()
	if _, err := f.MemberContext(context.Background(), "/pay"); err != nil {
		t.Fatal(err)
	}
	if err := f.AddCorrection(c); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	f = newFamily()
	m, err := f.MemberContext(context.Background(), "/pay")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddCorrection(c); err != nil {
		t.Errorf("adding the restored correction to the member again: %v", err)
	}
	if err := f.AddCorrection(c); err != nil {
		t.Errorf("adding the restored correction to the family again: %v", err)
	}
	if err := f.AddCorrection(c); err != nil {
		t.Errorf("adding the family's correction to the family again: %v", err)
	}
	if got := m.Corrections(); len(got) != 1 {
		t.Errorf("member corrections %v, want the one", got)
	}
	if got := f.Objective().Corrections; len(got) != 1 {
		t.Errorf("family corrections %v, want the one", got)
	}
	if got := f.With("/new").Corrections(); len(got) != 1 {
		t.Errorf("a new member's corrections %v, want the family's one", got)
	}
}

// A state's slices, restored into a tracker that counted nothing, give the
// same snapshot as the tracker that saved them, whatever the verdicts and
// wherever the window stands in the ring (a window of 100 slices: words
// of 64 bits, one partly used).
func TestSliceStateRoundTripsAnyVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, average := range []bool{false, true} {
		o := Objective{Name: "s", Target: 0.9, Window: 100 * time.Minute, Slices: TimeSlices{Window: time.Minute, Target: 0.95}}
		if average {
			o.Slices = TimeSlices{Window: time.Minute, Average: true}
		}
		clock := newFakeClock()
		a := mustTracker(t, o, WithClock(clock.Now))
		for i := range 1000 {
			clock.Advance(time.Minute)
			switch rng.IntN(4) {
			case 0:
				a.RecordN(0, uint64(rng.IntN(5)+1))
			case 1:
				a.RecordN(uint64(rng.IntN(100)), uint64(rng.IntN(10)))
			}
			if i%97 == 0 || i > 990 {
				b := mustTracker(t, o, WithClock(clock.Now))
				if err := b.Restore(a.State()); err != nil {
					t.Fatal(err)
				}
				sa, sb := a.Snapshot(), b.Snapshot()
				// The burn rates count slices; their event counts come from
				// buckets restored at another resolution, so compare the rates.
				rates := func(s Snapshot) (r []float64) {
					for _, b := range s.BurnRates {
						r = append(r, b.BurnRate)
					}
					return r
				}
				ra, rb := rates(sa), rates(sb)
				if sa.GoodSlices != sb.GoodSlices || sa.ErrorBudgetRemaining != sb.ErrorBudgetRemaining || !slices.Equal(ra, rb) {
					t.Fatalf("average %v, minute %d: restored %v good slices, budget %v, burn rates %v; saved %v, %v, %v",
						average, i, sb.GoodSlices, sb.ErrorBudgetRemaining, rb, sa.GoodSlices, sa.ErrorBudgetRemaining, ra)
				}
			}
		}
	}
}
