package slo

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	clock := newFakeClock()
	r := NewRegistry(WithClock(clock.Now))
	for _, name := range []string{"search", "checkout", "login"} {
		if _, err := r.Define(Objective{Name: name, Target: 0.99}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Define(Objective{Name: "search", Target: 0.9}); err == nil || !strings.Contains(err.Error(), `"search" is already defined`) {
		t.Errorf("duplicate Define: %v", err)
	}
	if _, err := r.Define(Objective{Name: "bad", Target: 7}); err == nil {
		t.Error("invalid objective accepted")
	}
	if r.Tracker("bad") != nil || r.Tracker("nope") != nil {
		t.Error("Tracker returns a tracker for an unknown name")
	}
	r.Tracker("checkout").RecordN(0, 10) // burning at 100
	snaps := r.SnapshotAll()
	var names []string
	for _, s := range snaps {
		names = append(names, s.Name)
	}
	if fmt.Sprint(names) != "[checkout login search]" {
		t.Errorf("SnapshotAll order = %v", names)
	}
	alerts := r.CheckBurnRates()
	if len(alerts) != 2 || alerts[0].Name != "checkout" || alerts[0].Window != time.Hour || alerts[1].Window != 6*time.Hour {
		t.Errorf("CheckBurnRates() = %+v, want checkout's 1h and 6h", alerts)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestRegistryConcurrentUse(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("slo-%d", i%4) // half the defines are duplicates
			tr, err := r.Define(Objective{Name: name, Target: 0.99})
			for err != nil && tr == nil { // the other Define of the name may not be done yet
				runtime.Gosched()
				tr = r.Tracker(name)
			}
			for range 1000 {
				tr.RecordSuccess()
				r.SnapshotAll()
			}
		}()
	}
	wg.Wait()
	var total uint64
	for _, s := range r.SnapshotAll() {
		total += s.Total
	}
	if len(r.Trackers()) != 4 || total != 8000 {
		t.Errorf("%d trackers holding %d events, want 4 and 8000", len(r.Trackers()), total)
	}
}

// blockingStore holds every Load until released.
type blockingStore struct {
	*memStore
	release chan struct{}
}

func (s *blockingStore) Load(ctx context.Context, name string) (*State, error) {
	<-s.release
	return s.memStore.Load(ctx, name)
}

// TestDefineDoesNotBlockReaders defines an objective whose store is slow to
// load: readers of the registry go on meanwhile, and a second Define of the
// same name is refused at once.
func TestDefineDoesNotBlockReaders(t *testing.T) {
	store := &blockingStore{memStore: newMemStore(), release: make(chan struct{})}
	r := NewRegistry(WithStore(store), WithLogger(slog.New(slog.DiscardHandler)))
	if _, err := r.Define(Objective{Name: "fast", Target: 0.9}, WithStore(nil)); err != nil {
		t.Fatal(err)
	}
	defined := make(chan error, 1)
	go func() {
		_, err := r.Define(Objective{Name: "slow", Target: 0.9})
		defined <- err
	}()
	time.Sleep(20 * time.Millisecond)
	done := make(chan int, 1)
	go func() { done <- len(r.SnapshotAll()) }()
	select {
	case n := <-done:
		if n != 1 {
			t.Errorf("SnapshotAll during a Define: %d objectives, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SnapshotAll blocked behind a Define")
	}
	if _, err := r.Define(Objective{Name: "slow", Target: 0.9}); err == nil {
		t.Error("a second Define of a name being defined succeeded")
	}
	close(store.release)
	if err := <-defined; err != nil {
		t.Fatal(err)
	}
	if r.Tracker("slow") == nil {
		t.Error("slow objective missing after Define")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Error(err)
	}
}
