package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// replica is one instance of a service: a tracker with its own client and
// store, and the events the test recorded into it.
type replica struct {
	id        string
	tracker   *slo.Tracker
	store     *Store
	good, bad atomic.Uint64
}

func (r *replica) record(n int, seed uint64) {
	for i := range uint64(n) {
		switch x := (i*seed + seed) % 10; {
		case x == 0:
			r.tracker.RecordFailure()
			r.bad.Add(1)
		case x < 4:
			r.tracker.RecordN(3, 1)
			r.good.Add(3)
			r.bad.Add(1)
		default:
			r.tracker.RecordSuccess()
			r.good.Add(1)
		}
	}
}

// TestFleetTotalsEqualWhatReplicasRecorded is the proof of the shared
// budget, against a real redis-server: three replicas record known counts,
// one restarts, Redis itself crashes and comes back empty while they
// record, and the fleet's totals equal the sum of what was recorded,
// exactly.
func TestFleetTotalsEqualWhatReplicasRecorded(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	o := slo.Objective{Name: "checkout: POST /pay ü", Target: 0.9}
	const interval = 20 * time.Millisecond
	start := func(r *replica) {
		r.store = newStore(t, srv.client(t), r.id)
		r.tracker = newTracker(t, o, slo.WithStore(r.store), slo.WithFlushInterval(interval), slo.WithLogger(quiet()))
	}
	replicas := []*replica{{id: "pod-a"}, {id: "pod-b"}, {id: "pod-c"}}
	for _, r := range replicas {
		start(r)
	}
	recordAll := func(n int) {
		var wg sync.WaitGroup
		for i, r := range replicas {
			wg.Go(func() { r.record(n+i*37, uint64(i+3)) })
		}
		wg.Wait()
	}
	reader := newStore(t, srv.client(t), "reader")
	fleetMatches := func() error {
		var good, bad uint64
		for _, r := range replicas {
			good, bad = good+r.good.Load(), bad+r.bad.Load()
		}
		s, err := reader.FleetSnapshot(ctx, o)
		if err != nil {
			return err
		}
		if s.Total != good+bad || s.Failures != bad {
			return fmt.Errorf("fleet counts %d events, %d bad; the replicas recorded %d, %d bad", s.Total, s.Failures, good+bad, bad)
		}
		return nil
	}
	waitUntil := func(what string, cond func() error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := cond()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	recordAll(20000)
	waitUntil("after the first batch", fleetMatches)

	// pod-b restarts: it saves on Close, and its new tracker loads its own
	// state back, neither losing nor doubling it.
	b := replicas[1]
	closeTracker(t, b.tracker)
	start(b)
	if s := b.tracker.Snapshot(); s.Total != b.good.Load()+b.bad.Load() || s.Failures != b.bad.Load() {
		t.Fatalf("pod-b restored %d/%d, want the %d/%d it recorded", s.Total, s.Failures, b.good.Load()+b.bad.Load(), b.bad.Load())
	}
	recordAll(10000)
	waitUntil("after pod-b's restart", fleetMatches)

	// Redis crashes. The replicas go on counting, their saves fail.
	srv.stop()
	savesBefore := make([]uint64, len(replicas))
	for i, r := range replicas {
		savesBefore[i] = r.tracker.StoreStats().Saves
	}
	recordAll(15000)
	waitUntil("the outage to be noticed", func() error {
		for _, r := range replicas {
			if st := r.tracker.StoreStats(); !st.Failing {
				return fmt.Errorf("%s: store stats %+v", r.id, st)
			}
		}
		return nil
	})
	// Redis comes back with no data at all: each replica's next save
	// writes its whole state, including what it counted during the outage.
	srv.start()
	recordAll(5000)
	waitUntil("the replicas to save again", func() error {
		for i, r := range replicas {
			if st := r.tracker.StoreStats(); st.Failing || st.Saves <= savesBefore[i] {
				return fmt.Errorf("%s: store stats %+v", r.id, st)
			}
		}
		return nil
	})
	waitUntil("after Redis came back empty", fleetMatches)
	for _, r := range replicas {
		if st := r.store.Stats(); st.SaveErrors == 0 || st.Saves == 0 || st.BytesSaved == 0 {
			t.Errorf("%s: store stats %+v, want saves, failed saves and bytes counted", r.id, st)
		}
	}

	// A graceful stop of every replica leaves the exact totals in Redis.
	for _, r := range replicas {
		closeTracker(t, r.tracker)
	}
	if err := fleetMatches(); err != nil {
		t.Fatalf("after every replica closed: %v", err)
	}
	states, err := reader.Instances(ctx, o.Name)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if !slices.Equal(ids, []string{"pod-a", "pod-b", "pod-c"}) {
		t.Errorf("instances %v, want pod-a, pod-b, pod-c", ids)
	}
	for _, r := range replicas {
		var n uint64
		for _, ws := range states[r.id].Windows {
			if ws.Window == slo.DefaultWindow {
				for _, bk := range ws.Buckets {
					n += bk.Good + bk.Bad
				}
			}
		}
		if want := r.good.Load() + r.bad.Load(); n != want {
			t.Errorf("%s saved %d events, recorded %d", r.id, n, want)
		}
	}
	var total uint64
	for _, r := range replicas {
		total += r.good.Load() + r.bad.Load()
	}
	t.Logf("3 replicas recorded %d events through a replica restart and a Redis crash; the fleet counts them exactly", total)
}
