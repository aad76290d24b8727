package slo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// memStore keeps states in memory, as JSON so that what is saved is a copy
// that goes through a real encoding. down makes every call fail.
type memStore struct {
	mu     sync.Mutex
	states map[string][]byte
	down   bool
	loads  int
	saves  int
}

var errDown = errors.New("store down")

func newMemStore() *memStore { return &memStore{states: map[string][]byte{}} }

func (m *memStore) Load(_ context.Context, name string) (*State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	if m.down {
		return nil, errDown
	}
	b, ok := m.states[name]
	if !ok {
		return nil, nil
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (m *memStore) Save(_ context.Context, st *State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	m.states[st.Objective] = b
	m.saves++
	return nil
}

func (m *memStore) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

func TestStateRoundTrip(t *testing.T) {
	clock := newFakeClock()
	o := Objective{Name: "rt", Target: 0.999}
	a := mustTracker(t, o, WithClock(clock.Now))
	for range 3 * 24 * 60 {
		a.RecordN(100, 1)
		clock.Advance(time.Minute)
	}
	b := mustTracker(t, o, WithClock(clock.Now))
	if err := b.Restore(a.State()); err != nil {
		t.Fatal(err)
	}
	sa, sb := a.Snapshot(), b.Snapshot()
	if sa.Total != sb.Total || sa.Failures != sb.Failures {
		t.Errorf("restored window %d/%d, want %d/%d", sb.Total, sb.Failures, sa.Total, sa.Failures)
	}
	for i := range sa.BurnRates {
		if sa.BurnRates[i] != sb.BurnRates[i] {
			t.Errorf("restored %+v, want %+v", sb.BurnRates[i], sa.BurnRates[i])
		}
	}
	for i := range sa.Tiers {
		if sa.Tiers[i] != sb.Tiers[i] {
			t.Errorf("restored %+v, want %+v", sb.Tiers[i], sa.Tiers[i])
		}
	}
	if err := b.Restore(&State{Objective: "other"}); err == nil {
		t.Error("restoring another objective's state succeeded")
	}
}

// TestRestoreAcrossChangedWindows restores a state into an objective with
// other alert windows and a shorter SLO window: every window is filled from
// the finest saved window that spans it, and what is older than the new
// window is dropped.
func TestRestoreAcrossChangedWindows(t *testing.T) {
	clock := newFakeClock()
	a := mustTracker(t, Objective{Name: "x", Target: 0.99}, WithClock(clock.Now))
	for range 48 {
		a.RecordN(100, 0)
		clock.Advance(time.Hour)
	}
	a.RecordN(0, 10)
	b := mustTracker(t, Objective{Name: "x", Target: 0.99, Window: 24 * time.Hour,
		BurnRateWindows: []time.Duration{90 * time.Minute}}, WithClock(clock.Now))
	if err := b.Restore(a.State()); err != nil {
		t.Fatal(err)
	}
	s := b.Snapshot()
	// The day holds the last 24 batches (+ one bucket's worth at most) and
	// the 10 failures; 90 minutes hold the last two batches at most.
	if s.Failures != 10 || s.Total < 2410 || s.Total > 2510 {
		t.Errorf("24h window after restore: %d/%d, want 10 failures in about 2410 events", s.Failures, s.Total)
	}
	if br := s.BurnRates[0]; br.Failures != 10 || br.Total < 110 || br.Total > 210 {
		t.Errorf("90m window after restore: %+v", br)
	}
}

func TestStoreLoopSavesRestoresAndRecovers(t *testing.T) {
	clock := newFakeClock()
	store := newMemStore()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	o := Objective{Name: "persisted", Target: 0.99}
	opts := []Option{WithClock(clock.Now), WithStore(store), WithFlushInterval(10 * time.Millisecond), WithLogger(logger)}

	first := mustTracker(t, o, opts...)
	first.RecordN(90, 10)
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A restart restores everything a graceful close saved.
	second := mustTracker(t, o, opts...)
	if s := second.Snapshot(); s.Total != 100 || s.Failures != 10 {
		t.Fatalf("after restart: %d/%d, want 100/10", s.Total, s.Failures)
	}
	// Periodic saves happen without Close.
	second.RecordN(5, 0)
	waitFor(t, func() bool {
		st, _ := store.Load(context.Background(), "persisted")
		return st != nil && countState(st, o.WithDefaults().Window) == 105
	})

	// The store goes down: recording goes on, and the outage is logged
	// once, not once per flush.
	store.setDown(true)
	waitFor(t, func() bool { return second.StoreStats().Failures >= 3 })
	second.RecordN(0, 5)
	if n := strings.Count(logs.String(), "store failing"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
	store.setDown(false)
	waitFor(t, func() bool { return !second.StoreStats().Failing && strings.Contains(logs.String(), "store recovered") })
	if err := second.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	third := mustTracker(t, o, opts...)
	defer third.Close(context.Background())
	if s := third.Snapshot(); s.Total != 110 || s.Failures != 15 {
		t.Fatalf("after an outage and restart: %d/%d, want 110/15", s.Total, s.Failures)
	}
}

// TestStoreDownAtStartNeverOverwrites starts a tracker while its store is
// down: it must not save (and so erase) the state it could not load, and
// must merge it once the store is back.
func TestStoreDownAtStartNeverOverwrites(t *testing.T) {
	clock := newFakeClock()
	store := newMemStore()
	o := Objective{Name: "late", Target: 0.99}
	opts := []Option{WithClock(clock.Now), WithStore(store), WithFlushInterval(5 * time.Millisecond),
		WithLogger(slog.New(slog.DiscardHandler))}
	before := mustTracker(t, o, opts...)
	before.RecordN(50, 50)
	if err := before.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	store.setDown(true)
	after := mustTracker(t, o, opts...)
	after.RecordN(7, 0)
	waitFor(t, func() bool { return after.StoreStats().Failures >= 3 })
	if err := after.Close(context.Background()); err == nil {
		t.Error("Close with the store down returned no error")
	}
	after2 := mustTracker(t, o, opts...) // still down
	after2.RecordN(3, 0)
	store.setDown(false)
	waitFor(t, func() bool { return after2.StoreStats().Saves > 0 })
	if s := after2.Snapshot(); s.Total != 103 || s.Failures != 50 {
		t.Errorf("after the store came back: %d/%d, want 103/50 (saved 100 + 3 new)", s.Total, s.Failures)
	}
	if err := after2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer collects output written by other goroutines.
type syncBuffer = slotest.Buffer

func countState(st *State, window time.Duration) uint64 {
	var n uint64
	for _, w := range st.Windows {
		if w.Window == window {
			for _, b := range w.Buckets {
				n += b.Good + b.Bad
			}
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHistory(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "h", Target: 0.99, Window: 24 * time.Hour}, WithClock(clock.Now))
	tr.RecordN(10, 1)
	clock.Advance(12 * time.Hour)
	tr.RecordN(20, 2)
	h := tr.History()
	if len(h) != bucketsPerSLOWindow+1 {
		t.Fatalf("%d buckets, want %d", len(h), bucketsPerSLOWindow+1)
	}
	width := h[1].Start.Sub(h[0].Start)
	if width != 24*time.Hour/bucketsPerSLOWindow {
		t.Errorf("bucket width %v", width)
	}
	var sum counts
	for i, b := range h {
		if i > 0 && b.Start.Sub(h[i-1].Start) != width {
			t.Fatalf("bucket %d starts at %v, not one width after %v", i, b.Start, h[i-1].Start)
		}
		sum.add(counts{b.Good, b.Bad})
	}
	last := h[len(h)-1]
	if last.Good != 20 || last.Bad != 2 || sum != (counts{30, 3}) || !last.Start.Add(width).After(clock.Now()) {
		t.Errorf("history sums to %+v with last bucket %+v at %v", sum, last, clock.Now())
	}
}

// slowStore blocks every Save until its context ends or release is closed.
type slowStore struct {
	*memStore
	release chan struct{}
}

func (s *slowStore) Save(ctx context.Context, st *State) error {
	select {
	case <-s.release:
		return s.memStore.Save(ctx, st)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestCloseCanBeRetried closes a tracker whose store hangs: the first Close
// runs out of time and says so; a second one, once the store answers, saves.
func TestCloseCanBeRetried(t *testing.T) {
	clock := newFakeClock()
	store := &slowStore{memStore: newMemStore(), release: make(chan struct{})}
	o := Objective{Name: "retry", Target: 0.99}
	tr := mustTracker(t, o, WithClock(clock.Now), WithStore(store), WithFlushInterval(5*time.Millisecond),
		WithLogger(slog.New(slog.DiscardHandler)))
	tr.RecordN(7, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := tr.Close(ctx); err == nil {
		t.Fatal("Close with a hung store returned no error")
	}
	close(store.release)
	if err := tr.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	st, err := store.Load(context.Background(), "retry")
	if err != nil || st == nil || countState(st, o.WithDefaults().Window) != 10 {
		t.Fatalf("saved state %+v (%v), want 10 events", st, err)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Errorf("Close after a successful Close: %v", err)
	}
}

// TestFailedLoadIsRetriedWithBackoff starts a tracker whose store is down
// and whose flush interval is an hour: the load is retried on its own, a
// few times a second at first and then less often, never saving before it
// succeeds, and the saved state is merged with what was counted meanwhile.
func TestFailedLoadIsRetriedWithBackoff(t *testing.T) {
	clock := newFakeClock()
	store := newMemStore()
	o := Objective{Name: "retried", Target: 0.99}
	opts := []Option{WithClock(clock.Now), WithStore(store), WithFlushInterval(time.Hour),
		WithLogger(slog.New(slog.DiscardHandler))}
	before := mustTracker(t, o, opts...)
	before.RecordN(90, 10)
	if err := before.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	store.setDown(true)
	tr := mustTracker(t, o, opts...)
	defer tr.Close(context.Background())
	tr.RecordN(7, 0)
	if st := tr.StoreStats(); !st.Failing {
		t.Fatalf("store stats with the store down: %+v", st)
	}
	time.Sleep(time.Second)
	store.mu.Lock()
	loads, saves := store.loads, store.saves
	store.mu.Unlock()
	// The first attempt, then retries after 0.1, 0.3, 0.7s: about 4.
	if loads < 2 || loads > 10 || saves != 1 {
		t.Errorf("in the first second of an outage: %d loads (want about 4), %d saves (want only the first tracker's)", loads, saves)
	}
	store.setDown(false)
	deadline := time.Now().Add(5 * time.Second)
	for tr.Snapshot().Total != 107 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := tr.Snapshot(); s.Total != 107 || s.Failures != 10 {
		t.Errorf("5s after the store came back: %d/%d, want 107/10", s.Total, s.Failures)
	}
}

// TestNewTrackerContextStopsWaitingForASlowLoad makes a tracker whose
// store hangs on load: NewTrackerContext returns when its context ends,
// the tracker counts but saves nothing until the load completes, and the
// loaded state is then merged once, neither lost nor counted twice.
func TestNewTrackerContextStopsWaitingForASlowLoad(t *testing.T) {
	clock := newFakeClock()
	mem := newMemStore()
	o := Objective{Name: "slow", Target: 0.99}
	first := mustTracker(t, o, WithClock(clock.Now), WithStore(mem))
	first.RecordN(90, 10)
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	store := &blockingStore{memStore: mem, release: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	tr, err := NewTrackerContext(ctx, o, WithClock(clock.Now), WithStore(store), WithFlushInterval(5*time.Millisecond),
		WithLoadTimeout(time.Minute), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("NewTrackerContext waited %v for a hung load, past its context's 30ms", d)
	}
	tr.RecordN(7, 0)
	time.Sleep(50 * time.Millisecond) // ten flush intervals
	if st := tr.StoreStats(); st.Loaded || st.Saves != 0 {
		t.Fatalf("before the load completed: %+v, want not loaded and no save", st)
	}
	close(store.release)
	waitFor(t, func() bool { return tr.StoreStats().Saves > 0 })
	if s := tr.Snapshot(); s.Total != 107 || s.Failures != 10 {
		t.Errorf("after the load: %d/%d, want 107/10", s.Total, s.Failures)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := mem.Load(context.Background(), "slow")
	if n := countState(st, o.WithDefaults().Window); n != 107 {
		t.Errorf("saved %d events, want 107", n)
	}
}

// TestDefineContextStopsWaitingForASlowLoad defines an objective whose
// store hangs on load: DefineContext returns the registered tracker when
// its context ends.
func TestDefineContextStopsWaitingForASlowLoad(t *testing.T) {
	store := &blockingStore{memStore: newMemStore(), release: make(chan struct{})}
	r := NewRegistry(WithStore(store), WithLoadTimeout(time.Minute), WithLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	tr, err := r.DefineContext(ctx, Objective{Name: "slow", Target: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if r.Tracker("slow") != tr {
		t.Error("the tracker is not registered")
	}
	if _, err := r.DefineContext(context.Background(), Objective{Name: "slow", Target: 0.9}); err == nil {
		t.Error("a second DefineContext of the name succeeded")
	}
	close(store.release)
	if err := r.Close(context.Background()); err != nil {
		t.Error(err)
	}
}
