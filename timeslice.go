package slo

import (
	"math"
	"math/bits"
	"time"
)

// MaxSlices is the most time slices an objective's window may hold. A
// [TimeSlices.Target] objective keeps one bit per slice (128 KiB at the
// limit), a [TimeSlices.Average] one four bytes (4 MiB).
const MaxSlices = 1 << 20

// TimeSlices makes an objective count slices of time instead of events:
// the window is cut into slices of Window, aligned to the Unix epoch, and
// the objective's Target is the share of good slices (OpenSLO's budgeting
// methods Timeslices and RatioTimeslices). The zero value counts events
// (OpenSLO's Occurrences).
//
// A slice's success ratio is the share of good events among the events
// recorded in it. A slice with no events has a success ratio of 1: no
// traffic is not an error, so it counts as good. Slices before the tracker
// was made, or not yet passed, count as good in the same way: the window
// always holds Window / TimeSlices.Window slices. Only completed slices
// count; the current one is decided when it ends.
//
// Burn rates measure slices too: the burn rate over a window w is the share
// of bad slices among the last max(1, floor(w / TimeSlices.Window))
// completed slices, divided by 1 - Target, so the alert tiers keep their
// meaning: a tier of factor f over a long window spends f * long / Window of
// the budget in slices. Events still count for [Objective.MinEvents] and in
// the snapshot's Total and Failures.
//
// The verdicts live in memory only: a [Store] saves and loads event counts,
// so a tracker that loads a saved state counts the slices before it was
// made as good.
type TimeSlices struct {
	// Window is the width of one slice, at least a second, dividing the
	// objective's window. Zero counts events instead of slices.
	Window time.Duration

	// Target is the success ratio a slice must reach to be good, in
	// (0, 1] (OpenSLO's timeSliceTarget). It must be zero with Average.
	Target float64

	// Average makes each slice count its share of bad events rather than a
	// verdict: the objective holds when the average of the slices' success
	// ratios reaches the objective's Target (OpenSLO's RatioTimeslices).
	Average bool
}

// Enabled reports whether the objective counts slices.
func (ts TimeSlices) Enabled() bool { return ts.Window != 0 }

// SliceErrorThreshold returns the error ratio above which a slice fails a
// slice target: 1 - target, rounded like the error budget, plus one part in
// a billion so that float noise in a ratio computed exactly on the target
// (1 failure in 100 against 0.99) does not fail the slice. The tracker
// compares with it, and package promrules writes it into the slice rules.
func SliceErrorThreshold(target float64) float64 {
	return roundDecimal(errorBudget(target) * (1 + 1e-9))
}

// sliceCount is the number of completed slices that a window w measures.
func (ts TimeSlices) sliceCount(w time.Duration) int {
	return max(1, int(w/ts.Window))
}

// checkSlices adds the problems of o.Slices to add; windowOK says whether
// o.Window is valid.
func (o Objective) checkSlices(add func(field, format string, args ...any), windowOK bool) {
	ts := o.Slices
	if !ts.Enabled() {
		if ts.Target != 0 || ts.Average {
			add("Slices.Window", "is zero, which counts events; give the slice width to count time slices")
		}
		return
	}
	switch {
	case ts.Window < time.Second:
		add("Slices.Window", "%v is shorter than the minimum 1s", ts.Window)
	case !windowOK:
	case ts.Window > o.Window || o.Window%ts.Window != 0:
		add("Slices.Window", "%v does not divide the window %v into whole slices", ts.Window, o.Window)
	case o.Window/ts.Window > MaxSlices:
		add("Slices.Window", "%v cuts the window %v into %d slices; the limit is %d", ts.Window, o.Window, o.Window/ts.Window, MaxSlices)
	}
	switch {
	case ts.Average && ts.Target != 0:
		add("Slices.Target", "%v is set with Average, which counts each slice's success ratio and has no slice target", ts.Target)
	case !ts.Average && (math.IsNaN(ts.Target) || ts.Target <= 0 || ts.Target > 1):
		add("Slices.Target", "%v is outside (0, 1]: give the success ratio a slice must reach to be good", ts.Target)
	}
}

// A sliceLog decides the slices of a time-slice objective and keeps the
// decisions of the window's last completed slices: one bit per slice, or
// one float32 per slice when each counts its error ratio. It is not safe
// for concurrent use: the tracker guards it.
type sliceLog struct {
	ts        TimeSlices
	threshold float64   // error ratio above which a slice is bad
	width     int64     // slice width, nanoseconds
	n         int64     // slices in the SLO window
	cur       int64     // number of the open slice: floor(t / width)
	base      counts    // cumulative counts when the open slice began
	bad       []uint64  // verdicts: slice k's bit k mod n is set when bad
	ratios    []float32 // error ratio of slice k at k mod n, with Average
}

func newSliceLog(o Objective, now int64) *sliceLog {
	ts := o.Slices
	l := &sliceLog{ts: ts, width: int64(ts.Window), n: int64(o.Window / ts.Window)}
	l.cur = floorDiv(now, l.width)
	if ts.Average {
		l.ratios = make([]float32, l.n)
	} else {
		l.threshold = SliceErrorThreshold(ts.Target)
		l.bad = make([]uint64, (l.n+63)/64)
	}
	return l
}

// next returns the time, in Unix nanoseconds, at which the open slice ends.
func (l *sliceLog) next() int64 { return (l.cur + 1) * l.width }

// advance decides the open slice when now is past it, from c, the
// cumulative counts now (every event since the last advance belongs to the
// open slice), and records the slices between as good, without traffic. A
// now before the open slice (a clock stepped back) makes the slice holding
// now the open one, its events counting there.
func (l *sliceLog) advance(now int64, c counts) {
	k := floorDiv(now, l.width)
	if k < l.cur {
		l.cur = k
		return
	}
	if k == l.cur {
		return
	}
	d := counts{c.good - l.base.good, c.bad - l.base.bad}
	l.base = c
	if k-l.cur > l.n {
		// The decided slice left the window too: all within are quiet.
		clear(l.bad)
		clear(l.ratios)
		l.cur = k
		return
	}
	l.set(l.cur, l.errorShare(d))
	for j := l.cur + 1; j < k; j++ {
		l.set(j, 0)
	}
	l.cur = k
}

// errorShare is what one slice with the events c spends: 1 or 0 for a
// verdict, the error ratio with Average; 0 without events.
func (l *sliceLog) errorShare(c counts) float64 {
	if c.total() == 0 {
		return 0
	}
	r := float64(c.bad) / float64(c.total())
	if l.ts.Average {
		return r
	}
	if r > l.threshold {
		return 1
	}
	return 0
}

func (l *sliceLog) set(k int64, share float64) {
	i := ((k % l.n) + l.n) % l.n
	if l.ratios != nil {
		l.ratios[i] = float32(share)
		return
	}
	if share != 0 {
		l.bad[i/64] |= 1 << (i % 64)
	} else {
		l.bad[i/64] &^= 1 << (i % 64)
	}
}

// spent returns the bad slices (the sum of error ratios with Average) among
// the last m completed slices, and m, for a window w.
func (l *sliceLog) spent(w time.Duration) (float64, int) {
	m := int64(min(l.ts.sliceCount(w), int(l.n)))
	lo := (((l.cur - m) % l.n) + l.n) % l.n // index of the oldest slice
	if l.ratios != nil {
		var sum float64
		for j := range m {
			sum += float64(l.ratios[(lo+j)%l.n])
		}
		return sum, int(m)
	}
	hi := lo + m
	if hi <= l.n {
		return float64(l.popRange(lo, hi)), int(m)
	}
	return float64(l.popRange(lo, l.n) + l.popRange(0, hi-l.n)), int(m)
}

// popRange counts the set bits with indices in [lo, hi).
func (l *sliceLog) popRange(lo, hi int64) int {
	n := 0
	for lo < hi {
		w, b := lo/64, lo%64
		word := l.bad[w] >> b
		if span := hi - lo; span < 64-b {
			word &= 1<<span - 1
			n += bits.OnesCount64(word)
			break
		}
		n += bits.OnesCount64(word)
		lo += 64 - b
	}
	return n
}

// sliceShare is the slices of one window of a snapshot: their number and
// the share of them spent.
type sliceShare struct {
	spent float64 // bad slices, or the sum of error ratios
	n     int
}

func (s sliceShare) ratio() float64 {
	if s.n == 0 {
		return 0
	}
	return s.spent / float64(s.n)
}

// sliceView reads the share of every window of the tracker.
func (l *sliceLog) view(windows []time.Duration) map[time.Duration]sliceShare {
	v := make(map[time.Duration]sliceShare, len(windows))
	for _, w := range windows {
		spent, n := l.spent(w)
		v[w] = sliceShare{spent, n}
	}
	return v
}
