package testdeps

import (
	"path"
	"sync"
	"testing"
	"time"
)

// TestForEachEngineAtOnceRunsTheEnginesTogether checks that every engine's
// subtest is running before any of them ends, and that all have ended when
// ForEachEngineAtOnce returns.
func TestForEachEngineAtOnceRunsTheEnginesTogether(t *testing.T) {
	var started sync.WaitGroup
	started.Add(len(Engines))
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	var (
		mu   sync.Mutex
		done []string
	)
	ForEachEngineAtOnce(t, func(t *testing.T, e Engine) {
		started.Done()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Errorf("%s waited 10s for the other engines' subtests to start", e.Name)
		}
		if got := path.Base(t.Name()); got != e.Name {
			t.Errorf("subtest %q runs engine %s", got, e.Name)
		}
		mu.Lock()
		done = append(done, e.Name)
		mu.Unlock()
	})
	if len(done) != len(Engines) {
		t.Errorf("ForEachEngineAtOnce returned when %v of %d engines had ended", done, len(Engines))
	}
}
