package slo

import (
	"testing"
	"time"
)

// TestCoarseClockCatchesUpWithTheWallClock checks the timeline jumps forward
// when the wall clock is found far ahead of it (after a suspend), and never
// moves back.
func TestCoarseClockCatchesUpWithTheWallClock(t *testing.T) {
	c := &coarseClock{started: time.Now()}
	before := c.precise()
	c.catchUp(before - int64(time.Hour)) // wall clock set back: ignored
	c.catchUp(before + int64(maxLag/2))  // small drift: ignored
	if d := c.precise() - before; d < 0 || d > int64(maxLag/2) {
		t.Fatalf("timeline moved by %v", time.Duration(d))
	}
	c.catchUp(before + int64(8*time.Hour)) // a night in suspend
	if d := time.Duration(c.precise() - before); d < 8*time.Hour || d > 8*time.Hour+time.Second {
		t.Fatalf("after a suspend the timeline moved by %v, want 8h", d)
	}
}
