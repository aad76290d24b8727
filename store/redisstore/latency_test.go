package redisstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
)

// batchLatencies records events into tr for d in batches of batch events and
// returns each batch's duration, sorted.
func batchLatencies(tr *slo.Tracker, d time.Duration, batch int) []time.Duration {
	var lat []time.Duration
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		start := time.Now()
		for i := range batch {
			tr.Record(i%50 != 0)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))]
}

// TestRecordingIsNeverSlowedByRedis records events while Redis is stopped
// (saves fail at once, every 5ms) and while it is paused (it accepts
// connections but answers nothing, and the client has no timeouts, so a
// save hangs for the whole measurement), and compares the latency of
// recording with that of a tracker without a store, measured in turns in
// the same run. The median must match the baseline's, and no batch of
// records may take 2s: one that waited for the hung save would take the
// rest of the pause. (Single slow batches, up to a second under -race on a
// loaded machine, happen with and without a store alike: the scheduler's,
// not Redis's.)
func TestRecordingIsNeverSlowedByRedis(t *testing.T) {
	srv := startRedis(t)
	o := slo.Objective{Name: "latency", Target: 0.99}
	const batch = 100
	tests := []struct {
		name     string
		interval time.Duration
		client   func(t *testing.T) redis.UniversalClient
		fault    func(t *testing.T)
		check    func(t *testing.T, before, after slo.StoreStats)
	}{
		{
			name:     "redis stopped",
			interval: 5 * time.Millisecond,
			client:   func(t *testing.T) redis.UniversalClient { return srv.client(t) },
			fault:    func(t *testing.T) { srv.stop() },
			check: func(t *testing.T, before, after slo.StoreStats) {
				if after.Failures == before.Failures {
					t.Fatalf("no save failed during the measurement: before %+v, after %+v", before, after)
				}
			},
		},
		{
			name:     "redis paused",
			interval: 500 * time.Millisecond,
			client: func(t *testing.T) redis.UniversalClient {
				c := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1})
				t.Cleanup(func() { c.Close() })
				return c
			},
			fault: func(t *testing.T) {
				if err := srv.client(t).Do(context.Background(), "CLIENT", "PAUSE", "4500", "ALL").Err(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(700 * time.Millisecond) // the first save is under way, and hangs
			},
			check: func(t *testing.T, before, after slo.StoreStats) {
				if after != before {
					t.Fatalf("a save ended during the measurement, which should have hung: before %+v, after %+v", before, after)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !srv.Running() {
				srv.start()
			}
			store := newStore(t, tt.client(t), "pod-"+tt.name)
			tr := newTracker(t, o, slo.WithStore(store), slo.WithFlushInterval(tt.interval), slo.WithLogger(quiet()))
			base := newTracker(t, o)
			tt.fault(t)
			before := tr.StoreStats()
			var with, without []time.Duration
			for range 6 {
				with = append(with, batchLatencies(tr, 200*time.Millisecond, batch)...)
				without = append(without, batchLatencies(base, 200*time.Millisecond, batch)...)
			}
			after := tr.StoreStats()
			slices.Sort(with)
			slices.Sort(without)
			per := func(d time.Duration) string { return fmt.Sprintf("%.1fns", float64(d)/batch) }
			t.Logf("per event, median / p99 / max of %d-event batches: with the Redis store %s / %s / %s; without a store %s / %s / %s; saves meanwhile: %d failed, %d succeeded",
				batch, per(quantile(with, 0.5)), per(quantile(with, 0.99)), per(with[len(with)-1]),
				per(quantile(without, 0.5)), per(quantile(without, 0.99)), per(without[len(without)-1]),
				after.Failures-before.Failures, after.Saves-before.Saves)
			tt.check(t, before, after)
			if m, b := quantile(with, 0.5), quantile(without, 0.5); m > 2*b+2*time.Microsecond {
				t.Errorf("median batch of %d records took %v with Redis failing, %v without a store", batch, m, b)
			}
			if slowest := with[len(with)-1]; slowest > 2*time.Second {
				t.Errorf("a batch of %d records took %v with Redis failing", batch, slowest)
			}
			if got := tr.Snapshot().Total; got == 0 {
				t.Error("nothing counted")
			}
		})
	}
}
