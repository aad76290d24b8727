package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// BenchmarkRecord measures Tracker.Record without the audit stream (the
// baseline) and with a watcher checking every millisecond and a producer
// filling the sink while the receiver is down or too slow.
func BenchmarkRecord(b *testing.B) {
	b.Run("no audit (baseline)", func(b *testing.B) {
		tr, err := slo.NewTracker(flappingObjective())
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			tr.Record(i%4 != 0)
			i++
		}
	})
	for _, m := range []mode{modeDown, modeSlow} {
		b.Run("audit, receiver "+m.String(), func(b *testing.B) {
			r := newReceiver(b, testToken)
			sink, _ := newTestSink(b, r, Config{QueueSize: 64})
			r.set(m)
			tr, err := slo.NewTracker(flappingObjective())
			if err != nil {
				b.Fatal(err)
			}
			w := NewWatcher(Trackers(tr), sink, WithInterval(time.Millisecond), WithHoldDown(0))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go w.Run(ctx)
			go func() {
				for i := 0; ctx.Err() == nil; i++ {
					sink.Enqueue(numbered(i % 1000))
					time.Sleep(100 * time.Microsecond)
				}
			}()
			i := 0
			for b.Loop() {
				tr.Record(i%4 != 0)
				i++
			}
		})
	}
}

// BenchmarkEnqueue measures Sink.Enqueue when the queue has room and when
// it is full and drops the oldest event (the receiver down).
func BenchmarkEnqueue(b *testing.B) {
	for _, m := range []mode{modeOK, modeDown} {
		b.Run("receiver "+m.String(), func(b *testing.B) {
			r := newReceiver(b, testToken)
			sink, _ := newTestSink(b, r, Config{QueueSize: 1 << 20})
			if m == modeDown {
				sink, _ = newTestSink(b, r, Config{QueueSize: 64})
				r.set(m)
			}
			e := numbered(1)
			for b.Loop() {
				sink.Enqueue(e)
			}
		})
	}
}

// BenchmarkCheck measures one Watcher.Check of 10 quiet objectives against
// its baseline, Registry.SnapshotAll alone.
func BenchmarkCheck(b *testing.B) {
	reg := slo.NewRegistry()
	for i := range 10 {
		tr, err := reg.Define(slo.Objective{Name: fmt.Sprintf("slo-%d", i), Target: 0.999})
		if err != nil {
			b.Fatal(err)
		}
		tr.RecordN(1000, 0)
	}
	b.Run("SnapshotAll (baseline)", func(b *testing.B) {
		for b.Loop() {
			reg.SnapshotAll()
		}
	})
	b.Run("Check", func(b *testing.B) {
		w := NewWatcher(reg, nil)
		for b.Loop() {
			mustCheck(b, w)
		}
	})
}
