package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/codec"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// BenchmarkFlush100 measures one flush of 100 objectives' busy states:
// as the trackers do it (100 concurrent Saves, one pipelined HSET+PEXPIRE
// round trip each), one after another, and, as baselines in the same run,
// a plain SET of the same bytes per objective and a single pipeline of
// 100 SETs.
func BenchmarkFlush100(b *testing.B) {
	srv := startRedis(b)
	c := srv.client(b)
	s := newStore(b, c, "bench")
	ctx := context.Background()
	now := time.Now()
	first := storetest.BusyState(b, "objective-000", now)
	states := make([]*slo.State, 100)
	blobs := make([][]byte, 100)
	for i := range states {
		st := *first
		st.Objective = fmt.Sprintf("objective-%03d", i)
		states[i] = &st
		data, err := codec.Marshal(&st)
		if err != nil {
			b.Fatal(err)
		}
		blobs[i] = data
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(len(blobs[0])), "bytes/objective")
	}
	concurrentSaves := func(b *testing.B) {
		var wg sync.WaitGroup
		for _, st := range states {
			wg.Go(func() {
				if err := s.Save(ctx, st); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	concurrentSaves(b) // fills the connection pool
	b.Run("store/concurrent-saves", func(b *testing.B) {
		for b.Loop() {
			concurrentSaves(b)
		}
		report(b)
	})
	b.Run("store/sequential-saves", func(b *testing.B) {
		for b.Loop() {
			for _, st := range states {
				if err := s.Save(ctx, st); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	b.Run("baseline/sequential-SET", func(b *testing.B) {
		for b.Loop() {
			for i, data := range blobs {
				if err := c.Set(ctx, fmt.Sprintf("baseline:%d", i), data, 0).Err(); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	b.Run("baseline/one-pipeline-of-SETs", func(b *testing.B) {
		for b.Loop() {
			p := c.Pipeline()
			for i, data := range blobs {
				p.Set(ctx, fmt.Sprintf("baseline:%d", i), data, 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}

// BenchmarkRedisCommandsPerInstance runs one instance's registry of 1 or
// 100 busy objectives at the default flush interval and counts, with INFO
// commandstats, the commands Redis serves per second (all but the INFO
// calls that measure them), and the bytes saved per second. Each
// iteration lasts three flush intervals, so cmds/s varies by a tick per
// objective (±33%) from run to run; cmds/save, the commands per save (one
// HSET each), does not: HSET and PEXPIRE make 2, plus the HELLO of any
// connection the client opens meanwhile.
func BenchmarkRedisCommandsPerInstance(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("objectives=%d", n), func(b *testing.B) {
			srv := startRedis(b)
			s := newStore(b, srv.client(b), "pod-0")
			reg := slo.NewRegistry(append(s.Options(), slo.WithLogger(quiet()))...)
			now := time.Now()
			busy := storetest.BusyState(b, "x", now)
			for i := range n {
				tr, err := reg.Define(slo.Objective{Name: fmt.Sprintf("objective-%03d", i), Target: 0.999})
				if err != nil {
					b.Fatal(err)
				}
				st := *busy
				st.Objective = tr.Name()
				if err := tr.Restore(&st); err != nil {
					b.Fatal(err)
				}
			}
			defer reg.Close(context.Background())
			stats := srv.client(b)
			commandCalls(b, stats)           // connects
			time.Sleep(DefaultFlushInterval) // every tracker past its first save
			var cmds, bytes, hsets uint64
			var elapsed time.Duration
			for b.Loop() {
				before, statsBefore, start := commandCalls(b, stats), s.Stats(), time.Now()
				time.Sleep(3 * DefaultFlushInterval)
				after, statsAfter := commandCalls(b, stats), s.Stats()
				elapsed += time.Since(start)
				bytes += statsAfter.BytesSaved - statsBefore.BytesSaved
				hsets += after["hset"] - before["hset"] // one per save
				b.Logf("deltas: %v", deltas(before, after))
				for name, calls := range after {
					if name != "info" {
						cmds += calls - before[name]
					}
				}
			}
			perSec := float64(cmds) / elapsed.Seconds()
			b.ReportMetric(perSec, "cmds/s")
			b.ReportMetric(perSec/float64(n), "cmds/s/objective")
			b.ReportMetric(float64(bytes)/elapsed.Seconds(), "bytes/s")
			b.ReportMetric(float64(cmds)/float64(hsets), "cmds/save")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkRecord measures recording with no store, with a Redis store
// saving every 100ms, and with that store's Redis stopped. It reports the
// saves that succeeded and failed meanwhile. It records from one
// goroutine: on a 2-core machine, recording from all cores would measure
// how much CPU redis-server and the save loop take from it, not whether
// recording waits.
func BenchmarkRecord(b *testing.B) {
	o := slo.Objective{Name: "record", Target: 0.99}
	run := func(b *testing.B, tr *slo.Tracker) {
		before := tr.StoreStats()
		b.ResetTimer()
		for range b.N {
			tr.RecordSuccess()
		}
		b.StopTimer()
		after := tr.StoreStats()
		b.ReportMetric(float64(after.Saves-before.Saves), "saves")
		b.ReportMetric(float64(after.Failures-before.Failures), "failed-saves")
	}
	b.Run("baseline/no-store", func(b *testing.B) {
		run(b, newTracker(b, o))
	})
	b.Run("redis-up", func(b *testing.B) {
		srv := startRedis(b)
		tr := newTracker(b, o, slo.WithStore(newStore(b, srv.client(b), "up")), slo.WithFlushInterval(100*time.Millisecond),
			slo.WithLogger(quiet()))
		run(b, tr)
	})
	b.Run("redis-down", func(b *testing.B) {
		srv := startRedis(b)
		tr := newTracker(b, o, slo.WithStore(newStore(b, srv.client(b), "down")), slo.WithFlushInterval(100*time.Millisecond),
			slo.WithLogger(quiet()))
		srv.stop()
		run(b, tr)
	})
}

func deltas(before, after map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}
