package slo

import (
	"math"
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
// A [Store] saves the verdicts of the window's slices and the open slice's
// events with the tracker's state, so a restarted tracker keeps its bad
// slices (see [SliceState]).
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

// Count returns the number of completed slices that a window w measures:
// w / Window, at least one; 0 for an objective over events. The tracker
// and package promrules count with it.
func (ts TimeSlices) Count(w time.Duration) int {
	if ts.Window <= 0 {
		return 0
	}
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
// with Average the error ratio of each in fixed point, four bytes. It keeps
// for every window of the tracker the sum over its last slices, updated as
// each slice is decided, so that a snapshot costs nothing per slice. It is
// not safe for concurrent use: the tracker guards it.
type sliceLog struct {
	ts        TimeSlices
	threshold float64  // error ratio above which a slice is bad
	width     int64    // slice width, nanoseconds
	n         int64    // slices in the SLO window
	cur       int64    // number of the open slice: floor(t / width)
	base      counts   // cumulative counts when the open slice began
	bad       []uint64 // verdicts: slice k's bit k mod n is set when bad
	ratios    []uint32 // with Average: slice k's error ratio times ratioScale at k mod n
	windows   []time.Duration
	lens      []int64  // slices per window
	sums      []uint64 // per window: bad slices, or the sum of fixed-point ratios
}

// ratioScale is the fixed point of an averaged slice's error ratio: exact
// sums, and one part in a billion per slice.
const ratioScale = 1e9

func newSliceLog(o Objective, now int64, windows []time.Duration) *sliceLog {
	ts := o.Slices
	l := &sliceLog{ts: ts, width: int64(ts.Window), n: int64(o.Window / ts.Window), windows: windows}
	l.cur = floorDiv(now, l.width)
	if ts.Average {
		l.ratios = make([]uint32, l.n)
	} else {
		l.threshold = SliceErrorThreshold(ts.Target)
		l.bad = make([]uint64, (l.n+63)/64)
	}
	for _, w := range windows {
		l.lens = append(l.lens, min(int64(ts.Count(w)), l.n))
	}
	l.sums = make([]uint64, len(windows))
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
	switch {
	case k == l.cur:
		return
	case k < l.cur:
		// The slices after k keep their verdicts until decided again;
		// the windows end at k now.
		l.cur = k
		l.resum()
		return
	}
	d := counts{c.good - l.base.good, c.bad - l.base.bad}
	l.base = c
	if k-l.cur > l.n {
		// The decided slice left the window too: all within are quiet.
		clear(l.bad)
		clear(l.ratios)
		clear(l.sums)
		l.cur = k
		return
	}
	l.push(l.cur, l.spend(d))
	for j := l.cur + 1; j < k; j++ {
		l.push(j, 0)
	}
	l.cur = k
}

// forgive counts as good, without traffic, every slice that [from, to)
// touches (a correction added at run time), widened to whole slices as the
// rings' buckets are: the decided ones still in the window, and the open
// one's events so far, c being the cumulative counts now.
func (l *sliceLog) forgive(from, to int64, c counts) {
	first, last := floorDiv(from, l.width), floorDiv(to-1, l.width)
	if last >= l.cur {
		l.base = c
	}
	for k := max(first, l.cur-l.n); k <= min(last, l.cur-1); k++ {
		i := l.index(k)
		if l.ratios != nil {
			l.ratios[i] = 0
		} else {
			l.bad[i/64] &^= 1 << (i % 64)
		}
	}
	l.resum()
}

// spend is what one slice with the events c spends: 1 or 0 for a verdict,
// the error ratio in fixed point with Average; 0 without events.
func (l *sliceLog) spend(c counts) uint64 {
	if c.total() == 0 {
		return 0
	}
	r := float64(c.bad) / float64(c.total())
	switch {
	case l.ratios != nil:
		return uint64(math.Round(r * ratioScale))
	case r > l.threshold:
		return 1
	}
	return 0
}

// push records slice k, the newest completed one, and moves every window's
// sum on by one slice.
func (l *sliceLog) push(k int64, v uint64) {
	for i, m := range l.lens {
		l.sums[i] += v
		l.sums[i] -= l.value(k - m)
	}
	i := l.index(k)
	if l.ratios != nil {
		l.ratios[i] = uint32(v)
	} else if v != 0 {
		l.bad[i/64] |= 1 << (i % 64)
	} else {
		l.bad[i/64] &^= 1 << (i % 64)
	}
}

// value returns what slice k spent, k being one of the last n slices.
func (l *sliceLog) value(k int64) uint64 {
	i := l.index(k)
	if l.ratios != nil {
		return uint64(l.ratios[i])
	}
	return l.bad[i/64] >> (i % 64) & 1
}

// resum recomputes every window's sum from the slices before cur.
func (l *sliceLog) resum() {
	for i, m := range l.lens {
		l.sums[i] = 0
		for k := l.cur - m; k < l.cur; k++ {
			l.sums[i] += l.value(k)
		}
	}
}

func (l *sliceLog) index(k int64) int64 { return ((k % l.n) + l.n) % l.n }

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

// view returns the share spent of every window of the tracker.
func (l *sliceLog) view() map[time.Duration]sliceShare {
	v := make(map[time.Duration]sliceShare, len(l.windows))
	for i, w := range l.windows {
		spent := float64(l.sums[i])
		if l.ratios != nil {
			spent /= ratioScale
		}
		v[w] = sliceShare{spent, int(l.lens[i])}
	}
	return v
}
