package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/codec"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// TestStaleCleanupNeverDeletesAFreshSave races a fleet reader, which
// deletes the states of instances gone for longer than the window, with an
// instance that comes back and saves: over and over, the instance's field
// holds a stale state, the reader reads it while the instance saves a fresh
// one, and the fresh one must survive the reader's cleanup. Six busy
// states beside it make each read (HGETALL, decoding, cleanup) long enough
// for a save to land between a read and its cleanup in about one read of
// seven. All against a real redis-server.
func TestStaleCleanupNeverDeletesAFreshSave(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	const objective = "checkout"
	const busy = 6
	c := srv.client(t)
	for i := range busy {
		if err := newStore(t, c, fmt.Sprint("busy-", i)).Save(ctx, storetest.BusyState(t, objective, now)); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := slo.NewTracker(slo.Objective{Name: objective, Target: 0.99}, slo.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(10, 1)
	fresh := tr.State()
	stale := &slo.State{Objective: objective, Time: now.Add(-slo.DefaultWindow - 2*DefaultExpiryMargin), Windows: fresh.Windows}
	staleData, err := codec.Marshal(stale)
	if err != nil {
		t.Fatal(err)
	}

	saver := newStore(t, srv.client(t), "back", WithClock(clock))
	reader := newStore(t, srv.client(t), "reader", WithClock(clock), WithLogger(quiet()))
	key := saver.Key(objective)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var reads atomic.Int64
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := reader.Instances(ctx, objective); err != nil {
				t.Error(err)
				return
			}
			reads.Add(1)
		}
	}()
	// A read and its cleanup straddle a save about once in seven reads
	// (measured: 12 to 16 lost saves per 100 reads without the
	// compare-and-delete), so 200 reads make a lost save all but certain if
	// the cleanup can lose one.
	lost, rounds := 0, 0
	for deadline := time.Now().Add(time.Minute); reads.Load() < 200 && time.Now().Before(deadline); rounds++ {
		if err := c.HSet(ctx, key, "back", staleData).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // stale about half the time
		if err := saver.Save(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		data, err := c.HGet(ctx, key, "back").Bytes()
		if errors.Is(err, redis.Nil) {
			lost++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, err := codec.Unmarshal(data); err != nil || !st.Time.Equal(now) {
			t.Fatalf("the field holds %+v, %v; want the fresh state", st, err)
		}
	}
	close(done)
	wg.Wait()
	t.Logf("%d rounds, %d fleet reads", rounds, reads.Load())
	if reads.Load() < 200 {
		t.Errorf("only %d fleet reads in a minute", reads.Load())
	}
	if lost > 0 {
		t.Errorf("the fleet reader's cleanup deleted a fresh save in %d of %d rounds", lost, rounds)
	}
	if n, err := c.HLen(ctx, key).Result(); err != nil || n != busy+1 {
		t.Errorf("the hash holds %d fields (%v), want the busy instances and the fresh one", n, err)
	}
	// A state still stale when the reader deletes it is deleted.
	if err := c.HSet(ctx, key, "back", staleData).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Instances(ctx, objective); err != nil {
		t.Fatal(err)
	}
	if err := c.HGet(ctx, key, "back").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("a stale state was not deleted: %v", err)
	}
}
