package audit

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// flakySource is the snapshots of its trackers, or an error while down.
type flakySource struct {
	src  slo.Source
	down atomic.Bool
}

func (f *flakySource) Snapshots(ctx context.Context) ([]slo.Snapshot, error) {
	if f.down.Load() {
		return nil, errors.New("redis: connection refused")
	}
	return f.src.Snapshots(ctx)
}

// While the source cannot be read the watcher sends nothing and forgets
// nothing: a signal that fired before the outage ends only once it has
// been seen clear for the hold-down after the source is back, never
// because the outage hid it.
func TestWatcherWaitsOutAnUnreadableSource(t *testing.T) {
	c := newClock()
	start := c.Now()
	tr, err := slo.NewTracker(checkoutObjective(), slo.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	src := &flakySource{src: Trackers(tr)}
	w := NewWatcher(src, nil, WithHoldDown(2*time.Minute))
	ctx := context.Background()
	check := func() []string {
		t.Helper()
		events, err := w.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			out = append(out, seen(start, e))
		}
		return out
	}
	tr.RecordN(0, 1000)
	c.Advance(time.Minute)
	if got := check(); len(got) != 2 {
		t.Fatalf("burning: events %q, want the burn and the exhausted budget", got)
	}
	src.down.Store(true)
	for range 10 { // the burn ends while nobody can see it
		tr.RecordN(1000, 0)
		c.Advance(time.Minute)
		events, err := w.Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "connection refused") || len(events) != 0 {
			t.Fatalf("source down: events %v, error %v; want none and the error", events, err)
		}
	}
	src.down.Store(false)
	if got := check(); len(got) != 0 {
		t.Errorf("first check after the outage: %q; want nothing until clear for the hold-down", got)
	}
	c.Advance(2 * time.Minute)
	if got := check(); strings.Join(got, "\n") != "13m slo_recovered checkout page 5m0s/1m0s x10" {
		t.Errorf("after the hold-down: %q", got)
	}
}

// Run logs an outage of the source once, and its end once.
func TestWatcherRunLogsAnOutageOnce(t *testing.T) {
	r := newReceiver(t, testToken)
	sink, logs := newTestSink(t, r, Config{})
	tr, err := slo.NewTracker(checkoutObjective())
	if err != nil {
		t.Fatal(err)
	}
	src := &flakySource{src: Trackers(tr)}
	src.down.Store(true)
	w := NewWatcher(src, sink, WithInterval(2*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	eventually(t, 5*time.Second, "the outage logged", func() bool { return strings.Contains(logs.String(), "connection refused") })
	time.Sleep(50 * time.Millisecond) // many more failing checks
	src.down.Store(false)
	eventually(t, 5*time.Second, "the recovery logged", func() bool { return strings.Contains(logs.String(), "readable again") })
	cancel()
	<-done
	if n := strings.Count(logs.String(), "connection refused"); n != 1 {
		t.Errorf("the outage is logged %d times:\n%s", n, logs)
	}
}
