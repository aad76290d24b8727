package testdeps

import (
	"sync"
	"testing"
)

// RunAtOnce runs f(t, i) as a subtest named names[i] for every name, all at
// the same time, each subtest in its own goroutine, and returns when every
// subtest has ended. It is for subtests that wait on programs (promtool
// replaying rules, a server): separate processes that run in parallel on
// separate cores.
//
// f runs concurrently with itself: what it writes outside its subtest must
// be guarded.
func RunAtOnce(t *testing.T, names []string, f func(t *testing.T, i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		// testing.T.Run may be called from several goroutines at once, as
		// long as every call returns before the test does.
		go func() {
			defer wg.Done()
			t.Run(name, func(t *testing.T) { f(t, i) })
		}()
	}
	wg.Wait()
}

// ForEachEngineAtOnce runs f as a subtest per engine of Engines, named
// after it like ForEachEngine, but all engines at the same time; see
// RunAtOnce.
func ForEachEngineAtOnce(t *testing.T, f func(t *testing.T, e Engine)) {
	t.Helper()
	names := make([]string, len(Engines))
	for i, e := range Engines {
		names[i] = e.Name
	}
	RunAtOnce(t, names, func(t *testing.T, i int) { f(t, Engines[i]) })
}
