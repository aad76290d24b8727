package testdeps

import (
	"sync"
	"testing"
)

// ForEachEngineAtOnce runs f as a subtest per engine of Engines, named
// after it like ForEachEngine, but all engines at the same time, each
// subtest in its own goroutine, and returns when every subtest has ended.
// It is for subtests that wait on a program of their engine (promtool
// replaying rules, a server): the engines' programs are separate processes
// that run in parallel on separate cores.
//
// f runs concurrently with itself: what it writes outside its subtest must
// be guarded.
func ForEachEngineAtOnce(t *testing.T, f func(t *testing.T, e Engine)) {
	t.Helper()
	var wg sync.WaitGroup
	for _, e := range Engines {
		wg.Add(1)
		// testing.T.Run may be called from several goroutines at once, as
		// long as every call returns before the test does.
		go func() {
			defer wg.Done()
			t.Run(e.Name, func(t *testing.T) { f(t, e) })
		}()
	}
	wg.Wait()
}
