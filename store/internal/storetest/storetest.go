// Package storetest holds what the stores' tests and benchmarks share.
package storetest

import (
	"context"
	"maps"
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
