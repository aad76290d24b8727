package slo

import (
	"sync"
	"sync/atomic"
	"time"
)

// The coarse clock: one goroutine per process stores the time, in Unix
// nanoseconds, every tick, so that recording an event costs an atomic load
// instead of a call to time.Now. It starts with the first tracker that uses
// the real clock. Its tick is the finest any tracker asked for, between
// minTick and maxTick.
//
// Its timeline follows the monotonic clock, so it is smooth and immune to
// small wall-clock adjustments, and is re-anchored to the wall clock
// whenever the two disagree by more than maxLag: forward after a suspend
// (which stops Linux's monotonic clock) or a wall clock set forward, and
// back when a wall clock that was set wrong is corrected. A tracker folds
// the buckets a step back leaves in the future into the current one (see
// ring.rewind), so no count is lost or counted twice.
const (
	minTick = time.Millisecond
	maxTick = 100 * time.Millisecond
)

// maxLag is how far the wall clock and the coarse clock's timeline may
// disagree before the timeline is re-anchored to the wall clock.
const maxLag = time.Second

type coarseClock struct {
	now atomic.Int64 // Unix nanoseconds, at most one tick old
	// base anchors the timeline: it reads base + time.Since(started).
	base atomic.Int64
	// wall is the wall clock in Unix nanoseconds; nil means time.Now.
	// Tests set it to step the wall clock.
	wall atomic.Pointer[func() int64]

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
		c.base.Store(c.wallNow() - int64(time.Since(c.started)))
		c.now.Store(c.precise())
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
		c.reanchor(c.wallNow())
		c.now.Store(c.precise())
	}
}

// wallNow reads the wall clock, in Unix nanoseconds.
func (c *coarseClock) wallNow() int64 {
	if f := c.wall.Load(); f != nil {
		return (*f)()
	}
	return time.Now().UnixNano()
}

// setWall makes the clock read the wall clock from f, or from time.Now when
// f is nil.
func (c *coarseClock) setWall(f func() int64) {
	if f == nil {
		c.wall.Store(nil)
		return
	}
	c.wall.Store(&f)
}

// precise returns the clock's time read exactly now, in Unix nanoseconds.
// The clock must have been started by require.
func (c *coarseClock) precise() int64 {
	return c.base.Load() + int64(time.Since(c.started))
}

// reanchor moves the timeline to wall, in Unix nanoseconds, when they
// disagree by more than maxLag, either way.
func (c *coarseClock) reanchor(wall int64) {
	since := int64(time.Since(c.started))
	if d := wall - (c.base.Load() + since); d > int64(maxLag) || d < -int64(maxLag) {
		c.base.Store(wall - since)
	}
}

// currentTick reports the clock's tick, 0 when it has not started.
func (c *coarseClock) currentTick() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tick
}
