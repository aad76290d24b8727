package slo_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slo-budget-tracker/slo"
)

// The recording benchmarks compare the tracker with two baselines measured
// in the same run: client_golang's Counter.Inc (the cost of counting at all)
// and a mutex-guarded slice of timestamped observations, the simplest design.

func newBenchTracker(b *testing.B, opts ...slo.Option) *slo.Tracker {
	b.Helper()
	t, err := slo.NewTracker(slo.Objective{Name: "bench", Target: 0.999}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// sliceStore is the naive observation store: every event appended with its
// time under a lock, old ones dropped on the way.
type sliceStore struct {
	mu     sync.Mutex
	window time.Duration
	obs    []sliceObservation
}

type sliceObservation struct {
	at   time.Time
	good bool
}

func (s *sliceStore) record(good bool) {
	now := time.Now()
	s.mu.Lock()
	s.obs = append(s.obs, sliceObservation{now, good})
	cut := 0
	for cut < len(s.obs) && now.Sub(s.obs[cut].at) > s.window {
		cut++
	}
	s.obs = s.obs[cut:]
	s.mu.Unlock()
}

func BenchmarkRecord(b *testing.B) {
	b.Run("impl=tracker", func(b *testing.B) {
		t := newBenchTracker(b)
		b.ReportAllocs()
		for b.Loop() {
			t.RecordSuccess()
		}
	})
	b.Run("impl=tracker-injected-clock", func(b *testing.B) {
		var ns atomic.Int64
		ns.Store(time.Now().UnixNano())
		t := newBenchTracker(b, slo.WithClock(func() time.Time { return time.Unix(0, ns.Load()) }))
		b.ReportAllocs()
		for b.Loop() {
			t.RecordSuccess()
		}
	})
	b.Run("impl=prometheus-counter", func(b *testing.B) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_total", Help: "Benchmark."})
		b.ReportAllocs()
		for b.Loop() {
			c.Inc()
		}
	})
	b.Run("impl=mutex-slice", func(b *testing.B) {
		s := &sliceStore{window: time.Hour}
		b.ReportAllocs()
		for b.Loop() {
			s.record(true)
		}
	})
}

func BenchmarkRecordParallel(b *testing.B) {
	b.Run("impl=tracker", func(b *testing.B) {
		t := newBenchTracker(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t.RecordSuccess()
			}
		})
	})
	b.Run("impl=prometheus-counter", func(b *testing.B) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_total", Help: "Benchmark."})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	})
	b.Run("impl=mutex-slice", func(b *testing.B) {
		s := &sliceStore{window: time.Hour}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.record(true)
			}
		})
	})
}

// BenchmarkSnapshot takes snapshots of a tracker holding few and many
// events: the cost must not depend on the count.
func BenchmarkSnapshot(b *testing.B) {
	for _, events := range []int{0, 1_000_000} {
		b.Run("events="+itoa(events), func(b *testing.B) {
			var ns atomic.Int64
			ns.Store(time.Now().UnixNano())
			t := newBenchTracker(b, slo.WithClock(func() time.Time { return time.Unix(0, ns.Load()) }))
			// Spread the events over 30 days, so every bucket holds some.
			step := int64(30*24*time.Hour) / int64(max(events, 1))
			for range events {
				t.RecordFailure()
				ns.Add(step)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = t.Snapshot()
			}
		})
	}
}

// BenchmarkReplayMonthHeap replays 30 days of traffic at one batch of 10,000
// events a second and reports the tracker's heap footprint.
func BenchmarkReplayMonthHeap(b *testing.B) {
	for b.Loop() {
		var ns atomic.Int64
		ns.Store(time.Now().UnixNano())
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		t := newBenchTracker(b, slo.WithClock(func() time.Time { return time.Unix(0, ns.Load()) }))
		for range 30 * 24 * 3600 {
			t.RecordN(9_990, 10)
			ns.Add(int64(time.Second))
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc), "heap-bytes")
		b.ReportMetric(float64(t.Snapshot().Total), "events-in-window")
		runtime.KeepAlive(t)
	}
}

func itoa(n int) string {
	switch n {
	case 0:
		return "0"
	case 1_000_000:
		return "1M"
	}
	return "n"
}

// BenchmarkFamilyRecord compares recording through a family member with
// recording on a tracker of its own, in the same run: a cached member, a
// With lookup among 100 members (one label, and two labels) and the
// baseline Tracker.RecordSuccess.
func BenchmarkFamilyRecord(b *testing.B) {
	o := slo.Objective{Name: "bench", Target: 0.999}
	newFamily := func(b *testing.B, labels ...string) *slo.Family {
		f, err := slo.NewFamily(o, labels)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	b.Run("impl=tracker", func(b *testing.B) {
		t := newBenchTracker(b)
		b.ReportAllocs()
		for b.Loop() {
			t.RecordSuccess()
		}
	})
	b.Run("impl=cached-member", func(b *testing.B) {
		t := newFamily(b, "route").With("/pay")
		b.ReportAllocs()
		for b.Loop() {
			t.RecordSuccess()
		}
	})
	b.Run("impl=with-1-label", func(b *testing.B) {
		f := newFamily(b, "route")
		for i := range 100 {
			f.With(fmt.Sprintf("/route/%d", i))
		}
		b.ReportAllocs()
		for b.Loop() {
			f.With("/route/42").RecordSuccess()
		}
	})
	b.Run("impl=with-2-labels", func(b *testing.B) {
		f := newFamily(b, "route", "tenant")
		for i := range 100 {
			f.With(fmt.Sprintf("/route/%d", i), "acme")
		}
		b.ReportAllocs()
		for b.Loop() {
			f.With("/route/42", "acme").RecordSuccess()
		}
	})
	b.Run("impl=with-1-label-parallel", func(b *testing.B) {
		f := newFamily(b, "route")
		for i := range 100 {
			f.With(fmt.Sprintf("/route/%d", i))
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				f.With("/route/42").RecordSuccess()
			}
		})
	})
}

// BenchmarkFamilyMemberMemory reports the heap a family member costs:
// it makes 1,000 members with the default windows and reports the growth
// of the live heap per member as bytes/member.
func BenchmarkFamilyMemberMemory(b *testing.B) {
	const n = 1000
	for b.Loop() {
		f, err := slo.NewFamily(slo.Objective{Name: "bench", Target: 0.999}, []string{"route"}, slo.WithMaxMembers(n))
		if err != nil {
			b.Fatal(err)
		}
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf("/route/%d", i)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, v := range values {
			f.With(v).RecordSuccess()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/member")
		runtime.KeepAlive(f)
	}
}
