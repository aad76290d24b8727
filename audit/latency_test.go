package audit

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// latencies summarises call durations.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (l latencies) total() (d time.Duration) {
	for _, x := range l {
		d += x
	}
	return d
}

// flappingObjective burns and clears within a second, so that recording
// alternately good and bad blocks keeps the watcher emitting.
func flappingObjective() slo.Objective {
	return slo.Objective{
		Name:   "flapping",
		Target: 0.9,
		Window: time.Minute,
		Tiers:  []slo.AlertTier{{Severity: slo.SeverityPage, LongWindow: time.Second, ShortWindow: 100 * time.Millisecond, Factor: 2}},
	}
}

// recordTimed records batches of 1000 events, alternately all good and half
// bad, timing every call, with a millisecond's pause between batches so the
// recording spans the time the sink is stuck.
func recordTimed(tr *slo.Tracker, batches int) latencies {
	out := make(latencies, 0, batches*1000)
	for b := range batches {
		for i := range 1000 {
			good := b%2 == 0 || i%2 == 0
			start := time.Now()
			tr.Record(good)
			out = append(out, time.Since(start))
		}
		time.Sleep(time.Millisecond)
	}
	return out
}

func TestAFailingReceiverNeverSlowsRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("measures for about a second per mode")
	}
	const batches = 200
	base, err := slo.NewTracker(flappingObjective())
	if err != nil {
		t.Fatal(err)
	}
	baseline := recordTimed(base, batches)
	t.Logf("baseline, no audit: Record p50 %v p99 %v p99.9 %v max %v, total %v for %d",
		baseline.pct(0.5), baseline.pct(0.99), baseline.pct(0.999), baseline.pct(1), baseline.total(), len(baseline))

	const timeout = 300 * time.Millisecond
	for _, m := range []mode{modeDown, mode500, modeSlow, mode401} {
		t.Run("receiver "+m.String(), func(t *testing.T) {
			r := newReceiver(t, testToken)
			sink, _ := newTestSink(t, r, Config{QueueSize: 64, Timeout: timeout})
			tr, err := slo.NewTracker(flappingObjective())
			if err != nil {
				t.Fatal(err)
			}
			r.set(m)
			w := NewWatcher(Trackers(tr), sink, WithHoldDown(0))

			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var mu sync.Mutex
			var checks, enqueues latencies
			var enqueued atomic.Uint64
			wg.Add(2)
			go func() { // the watcher, checking every millisecond
				defer wg.Done()
				for ctx.Err() == nil {
					start := time.Now()
					events, err := w.Check(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					n := len(events)
					d := time.Since(start)
					enqueued.Add(uint64(n))
					mu.Lock()
					checks = append(checks, d)
					mu.Unlock()
					time.Sleep(time.Millisecond)
				}
			}()
			go func() { // more events than the queue holds
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					start := time.Now()
					sink.Enqueue(numbered(i % 1000))
					d := time.Since(start)
					enqueued.Add(1)
					mu.Lock()
					enqueues = append(enqueues, d)
					mu.Unlock()
					time.Sleep(200 * time.Microsecond)
				}
			}()
			// Record while the sink is stuck on its first event.
			eventually(t, 5*time.Second, "the sink stuck", func() bool {
				st := sink.Stats()
				return st.Retried+st.Failed >= 1 || (m == modeSlow && st.Queued > 0)
			})
			loaded := recordTimed(tr, batches)
			cancel()
			wg.Wait()

			t.Logf("receiver %v: Record p50 %v p99 %v p99.9 %v max %v, total %v for %d", m,
				loaded.pct(0.5), loaded.pct(0.99), loaded.pct(0.999), loaded.pct(1), loaded.total(), len(loaded))
			t.Logf("receiver %v: Enqueue p50 %v p99 %v max %v (%d calls); Check p50 %v p99 %v max %v (%d calls)", m,
				enqueues.pct(0.5), enqueues.pct(0.99), enqueues.pct(1), len(enqueues), checks.pct(0.5), checks.pct(0.99), checks.pct(1), len(checks))
			st := sink.Stats()
			t.Logf("receiver %v: during the outage %+v", m, st)

			// A call that waited on the network would take the attempt
			// timeout (300ms) or more; the bounds leave room for a busy,
			// race-instrumented machine.
			if p := loaded.pct(0.99); p > 2*time.Millisecond {
				t.Errorf("Record p99 %v while the receiver is %v (baseline %v)", p, m, baseline.pct(0.99))
			}
			for what, l := range map[string]latencies{"Record": loaded, "Enqueue": enqueues, "Check": checks} {
				if max := l.pct(1); max >= timeout/3 {
					t.Errorf("%s took %v once: as long as a delivery attempt", what, max)
				}
			}
			if st.Sent != 0 {
				t.Errorf("%d events sent while the receiver was %v", st.Sent, m)
			}

			// Recovery: nothing unaccounted for, nothing counted twice.
			r.set(modeOK)
			closeWithin(t, sink, 20*time.Second)
			st = sink.Stats()
			stored := len(r.stored())
			if st.Sent+st.Failed+st.Dropped != enqueued.Load() {
				t.Errorf("%d events enqueued, %+v: some are unaccounted for", enqueued.Load(), st)
			}
			if uint64(stored) != st.Sent {
				t.Errorf("the receiver stored %d events, the sink counted %d sent", stored, st.Sent)
			}
			wantFailed := uint64(0)
			if m == mode401 {
				wantFailed = st.Failed // rejected events are final, by contract
				if st.Failed == 0 {
					t.Error("no event failed while the receiver answered 401")
				}
			}
			if st.Failed != wantFailed {
				t.Errorf("%d events failed; a retryable outage must lose nothing but what the full queue dropped", st.Failed)
			}
			if st.Sent < 64 && m != mode401 {
				t.Errorf("only %d events delivered after recovery; the queue held 64", st.Sent)
			}
		})
	}
}
