package slo

import (
	"sync"
	"sync/atomic"
	"time"
)

// The coarse clock: one goroutine per process stores the wall time, in Unix
// nanoseconds, every tick, so that recording an event costs an atomic load
// instead of a call to time.Now. It starts with the first tracker that uses
// the real clock. Its tick is the finest any tracker asked for, between
// minTick and maxTick.
const (
	minTick = time.Millisecond
	maxTick = 100 * time.Millisecond
)

type coarseClock struct {
	now atomic.Int64 // Unix nanoseconds, at most one tick old
	// skip is added to the monotonic timeline when the wall clock is found
	// ahead of it: after a suspend, which stops Linux's monotonic clock, or
	// a wall clock set forward. It only grows, so time never runs back.
	skip atomic.Int64

	mu      sync.Mutex
	tick    time.Duration // 0 until started
	retick  chan time.Duration
	started time.Time // carries the monotonic reading
}

var coarse coarseClock

// load returns the coarse time in Unix nanoseconds.
func (c *coarseClock) load() int64 { return c.now.Load() }

// require starts the clock if needed and makes its tick at most d (bounded
// to [minTick, maxTick]).
func (c *coarseClock) require(d time.Duration) {
	d = min(max(d, minTick), maxTick)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tick == 0 {
		c.started = time.Now()
		c.now.Store(c.started.UnixNano())
		c.tick = d
		c.retick = make(chan time.Duration, 1)
		go c.run(d)
		return
	}
	if d < c.tick {
		c.tick = d
		select {
		case <-c.retick: // replace a request not yet taken
		default:
		}
		c.retick <- d
	}
}

func (c *coarseClock) run(tick time.Duration) {
	t := time.NewTicker(tick)
	for {
		select {
		case <-t.C:
		case d := <-c.retick:
			t.Reset(d)
		}
		// Wall time of the start plus monotonic time since: immune to
		// wall-clock steps back while the process runs.
		c.catchUp(time.Now().UnixNano())
		c.now.Store(c.precise())
	}
}

// precise returns the clock's time read exactly now, in Unix nanoseconds.
// The clock must have been started by require.
func (c *coarseClock) precise() int64 {
	return c.started.UnixNano() + int64(time.Since(c.started)) + c.skip.Load()
}

// maxLag is how far the wall clock may run ahead of the clock's timeline
// before the timeline jumps to it.
const maxLag = time.Second

// catchUp moves the timeline forward to wall, in Unix nanoseconds, when it
// lags by more than maxLag.
func (c *coarseClock) catchUp(wall int64) {
	if lag := wall - c.precise(); lag > int64(maxLag) {
		c.skip.Add(lag)
	}
}

// currentTick reports the clock's tick, 0 when it has not started.
func (c *coarseClock) currentTick() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tick
}
