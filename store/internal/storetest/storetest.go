// Package storetest holds what the stores' tests and benchmarks share.
package storetest

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
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

// FamilyRestart checks that a store saves and restores every member of a
// family apart, and apart from a plain objective of the family's name:
// members whose values differ only in case, hold '/', '%', '=', the
// unit separator or non-ASCII letters, and the overflow member. open
// returns the store as a restarted process would see it; clock is the
// trackers' clock.
func FamilyRestart(t *testing.T, open func() slo.Store, clock func() time.Time) {
	t.Helper()
	o := slo.Objective{Name: "api", Target: 0.99}
	members := [][2]string{
		{"/a", "acme"}, {"/A", "acme"}, {"/a", "ACME"}, {"GET /pay%2F", "x=y"},
		{"/sep\x1fx", "t"}, {"/日本", "ü"},
	}
	newFamily := func(s slo.Store) *slo.Family {
		f, err := slo.NewFamily(o, []string{"route", "tenant"}, slo.WithMaxMembers(len(members)),
			slo.WithTrackerOptions(slo.WithStore(s), slo.WithClock(clock), slo.WithFlushInterval(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	newPlain := func(s slo.Store) *slo.Tracker {
		tr, err := slo.NewTracker(o, slo.WithStore(s), slo.WithClock(clock), slo.WithFlushInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	s := open()
	f, plain := newFamily(s), newPlain(s)
	want := map[string][2]uint64{}
	record := func(tr *slo.Tracker, good, bad uint64) {
		waitLoaded(t, tr)
		tr.RecordN(good, bad)
	}
	for i, m := range members {
		record(f.With(m[0], m[1]), uint64(10+i), uint64(i))
		want[m[0]+"|"+m[1]] = [2]uint64{uint64(10 + i), uint64(i)}
	}
	record(f.With("/over", "flow"), 3, 4)
	want[slo.OverflowValue+"|"+slo.OverflowValue] = [2]uint64{3, 4}
	record(plain, 1, 2)
	ctx := context.Background()
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := plain.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s = open()
	f2, plain2 := newFamily(s), newPlain(s)
	t.Cleanup(func() { f2.Close(ctx); plain2.Close(ctx) })
	got := map[string][2]uint64{}
	check := func(key string, tr *slo.Tracker) {
		waitLoaded(t, tr)
		snap := tr.Snapshot()
		got[key] = [2]uint64{snap.Total - snap.Failures, snap.Failures}
	}
	for _, m := range members {
		check(m[0]+"|"+m[1], f2.With(m[0], m[1]))
	}
	check(slo.OverflowValue+"|"+slo.OverflowValue, f2.With("/another", "value"))
	if !maps.Equal(got, want) {
		t.Errorf("restored members %v, want %v", got, want)
	}
	if snap := plain2.Snapshot(); snap.Total != 3 || snap.Failures != 2 {
		t.Errorf("plain objective of the family's name restored %d/%d, want 2/3", snap.Failures, snap.Total)
	}
}

// waitLoaded waits until tr has loaded its saved state.
func waitLoaded(t *testing.T, tr *slo.Tracker) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !tr.StoreStats().Loaded; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s %v: saved state not loaded within 10s", tr.Name(), tr.Labels())
		}
	}
}

// CorrectionsAndSlicesRestart checks that a store saves and restores what
// a tracker holds besides its buckets: a time-slice objective's tracker
// fails slices and gets a correction at run time, saves on its flush loop
// and is abandoned without Close (a crash after a save); the tracker that
// replaces it still applies the correction and still counts the bad slices
// bad, and so does the one after it, once the second closed gracefully.
// open returns the store as a restarted process would see it; clock is
// the trackers' clock, set by the test.
func CorrectionsAndSlicesRestart(t *testing.T, open func() slo.Store, clock interface {
	Now() time.Time
	Set(time.Time)
}) {
	t.Helper()
	o := slo.Objective{Name: "slices ü", Target: 0.9, Window: time.Hour,
		Slices: slo.TimeSlices{Window: time.Minute, Target: 0.95}}
	newTracker := func(s slo.Store, flush time.Duration) *slo.Tracker {
		tr, err := slo.NewTracker(o, slo.WithStore(s), slo.WithClock(clock.Now), slo.WithFlushInterval(flush))
		if err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, tr)
		return tr
	}
	t0 := clock.Now().Truncate(time.Hour)
	at := func(d time.Duration) { clock.Set(t0.Add(d)) }
	at(time.Second)
	crashed := &crashable{Store: open()}
	a := newTracker(crashed, 5*time.Millisecond)
	for i := range 4 { // slices 0..3 bad
		at(time.Duration(i)*time.Minute + time.Second)
		a.RecordN(1, 1)
	}
	at(4*time.Minute + time.Second)
	a.RecordN(100, 1) // slice 4, open: good so far
	c := slo.Correction{Start: t0.Add(2 * time.Minute), End: t0.Add(10 * time.Minute), Reason: "migration"}
	if err := a.AddCorrection(c); err != nil { // forgives slices 2, 3 and the open one
		t.Fatal(err)
	}
	saves := a.StoreStats().Saves
	for deadline := time.Now().Add(10 * time.Second); a.StoreStats().Saves < saves+2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no save within 10s: %+v", a.StoreStats())
		}
	}
	want := a.Snapshot()
	if want.GoodSlices != 58 || len(want.Corrections) != 1 {
		t.Fatalf("before the crash: %v good slices, corrections %v; want 58 and one", want.GoodSlices, want.Corrections)
	}
	// a crashes: it saves no more. b replaces it.
	crashed.dead.Store(true)
	b := newTracker(open(), time.Hour)
	check := func(who string, tr *slo.Tracker) {
		t.Helper()
		tr.RecordN(0, 50) // inside the correction: left out
		s := tr.Snapshot()
		if s.GoodSlices != want.GoodSlices || s.Failures != want.Failures || len(s.Corrections) != 1 ||
			!s.Corrections[0].Start.Equal(c.Start) || !s.Corrections[0].End.Equal(c.End) || s.Corrections[0].Reason != c.Reason {
			t.Errorf("%s: %v good slices, %d failures, corrections %v; want %v, %d, %v",
				who, s.GoodSlices, s.Failures, s.Corrections, want.GoodSlices, want.Failures, c)
		}
	}
	at(5*time.Minute + time.Second)
	check("after the crash", b)
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	at(6*time.Minute + time.Second)
	c2 := newTracker(open(), time.Hour)
	check("after a graceful restart", c2)
	// The bad slices leave the window when they would have.
	at(62*time.Minute + time.Second)
	if s := c2.Snapshot(); s.GoodSlices != 60 {
		t.Errorf("once slices 0 and 1 left the window: %v good slices, want 60", s.GoodSlices)
	}
	if err := c2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = a.Close(context.Background()) // stops its loop; its save fails
}

// crashable is a store that fails every call once dead, as if its process
// had died.
type crashable struct {
	slo.Store
	dead atomic.Bool
}

var errCrashed = errors.New("the process crashed")

func (c *crashable) Load(ctx context.Context, objective string) (*slo.State, error) {
	if c.dead.Load() {
		return nil, errCrashed
	}
	return c.Store.Load(ctx, objective)
}

func (c *crashable) Save(ctx context.Context, st *slo.State) error {
	if c.dead.Load() {
		return errCrashed
	}
	return c.Store.Save(ctx, st)
}
