package slo

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// What a saved state holds besides its buckets, and how a restore merges it
// with what the tracker holds.
//
// Corrections. A state holds the corrections added at run time; the
// objective's own come from the objective. A restore unites the state's and
// the tracker's: the parts of a saved correction that no correction of the
// tracker covers are added, and applied to the tracker's buckets and slices
// as [Tracker.AddCorrection] applies them; the buckets and slices of the
// state that a run-time correction of the tracker covers, and the state's
// corrections do not, are left out (the state was saved by a tracker that
// did not know it). A bucket or slice partly covered is handled whole, as
// AddCorrection handles it. The union never holds two overlapping periods:
// a saved correction overlapping one of the tracker's adds only what the
// tracker's does not cover.
//
// Slices. A state holds the slices of the window that spent budget (the bad
// ones, or with [TimeSlices.Average] every slice with failures and its error
// ratio) and the open slice's events. A restore adds the open slice's events
// to the tracker's open slice when it is the same slice (its verdict is then
// that of all its events), or decides it from them when it has ended; a
// slice decided by both the state and the tracker is bad when either decided
// it bad (with Average: the larger error ratio). Two parts of one slice
// that each met the slice target make a slice that meets it; a bad part may
// hide in a good whole, so this rule never counts a bad slice as good and
// may count a good one as bad. A tracker restarted within a slice, or after
// it, has no slice in common with its saved state but that one, so a
// restart keeps the verdicts exactly.

// A SliceState holds the slices of a time-slice objective (see
// [TimeSlices]) that a tracker keeps.
type SliceState struct {
	// Width is the slice width.
	Width time.Duration
	// Average reports an objective of [TimeSlices.Average]: the slices
	// spend their error ratio rather than a verdict.
	Average bool
	// Open is the slice in progress: its start and the events counted in
	// it so far, corrected ones left out.
	Open Bucket
	// Spent are the decided slices of the window that spent budget, oldest
	// first, all before Open.
	Spent []SpentSlice
}

// A SpentSlice is a decided slice that spent budget.
type SpentSlice struct {
	Start time.Time
	// Ratio is 1 for a bad slice; with Average, the slice's error ratio,
	// in (0, 1].
	Ratio float64
}

// withRuntimeCorrections marks the corrections of the objective that a
// family added at run time, so that its members save them.
func withRuntimeCorrections(cs []Correction) Option {
	return func(c *config) { c.runtime = cs }
}

// Validate returns an error naming every field at fault when st is not a
// state a tracker makes: a run-time correction that has no start or end,
// ends before it starts, lasts longer than the state's longest window or
// overlaps another; slices narrower than a second, off their grid, out of
// order, not before the open slice, or spending outside (0, 1] (exactly 1
// for a verdict). It does not check the buckets, which a restore takes as
// they are.
func (st *State) Validate() error {
	var problems []string
	add := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	var longest time.Duration
	for _, ws := range st.Windows {
		longest = max(longest, ws.Window)
	}
	Objective{Window: longest, Corrections: st.Corrections}.validateCorrections(add)
	if st.Slices != nil {
		st.Slices.check(add)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("state of %q: %s", st.Objective, strings.Join(problems, "; "))
}

// The instants a time.Time holds in Unix nanoseconds.
var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)

// check adds the problems of a slice state.
func (ss *SliceState) check(add func(field, format string, args ...any)) {
	if ss.Width < time.Second {
		add("Slices.Width", "%v is shorter than the minimum 1s", ss.Width)
		return
	}
	if len(ss.Spent) > MaxSlices {
		add("Slices.Spent", "holds %d slices, more than a window's %d", len(ss.Spent), MaxSlices)
		return
	}
	onGrid := func(field string, t time.Time) bool {
		if t.Before(minNano) || t.After(maxNano) || t.UnixNano()%int64(ss.Width) != 0 {
			add(field, "%s is not the start of a %v slice", t.Format(time.RFC3339Nano), ss.Width)
			return false
		}
		return true
	}
	if !onGrid("Slices.Open", ss.Open.Start) {
		return
	}
	for i, s := range ss.Spent {
		field := func() string { return fmt.Sprintf("Slices.Spent[%d]", i) } // only on a problem
		switch {
		case s.Start.Before(minNano) || s.Start.After(maxNano) || s.Start.UnixNano()%int64(ss.Width) != 0:
			onGrid(field(), s.Start)
			return
		case !s.Start.Before(ss.Open.Start):
			add(field(), "%s is not before the open slice %s", s.Start.Format(time.RFC3339Nano), ss.Open.Start.Format(time.RFC3339Nano))
			return
		case i > 0 && !s.Start.After(ss.Spent[i-1].Start):
			add(field(), "%s is not after the slice before", s.Start.Format(time.RFC3339Nano))
			return
		case ss.Average && !(s.Ratio > 0 && s.Ratio <= 1):
			add(field()+".Ratio", "%v is not an error ratio in (0, 1]", s.Ratio)
			return
		case !ss.Average && s.Ratio != 1:
			add(field()+".Ratio", "%v is not 1, the spending of a bad slice", s.Ratio)
			return
		}
	}
}

// spans are periods of time in Unix nanoseconds, [from, to).
type spans [][2]int64

// overlaps reports whether [from, to) overlaps one of s.
func (s spans) overlaps(from, to int64) bool {
	for _, p := range s {
		if from < p[1] && to > p[0] {
			return true
		}
	}
	return false
}

// correctionSpan is the span a correction removes from the buckets and
// slices when it is added at now: from its start to its end or now,
// whichever is first (what it covers later is left out as it is recorded).
func correctionSpan(c Correction, now int64) (from, to int64) {
	return c.Start.UnixNano(), min(c.End.UnixNano(), now+1)
}

// holds reports whether cs holds a correction of c's period.
func holds(cs []Correction, c Correction) bool {
	return slices.ContainsFunc(cs, func(h Correction) bool { return h.Start.Equal(c.Start) && h.End.Equal(c.End) })
}

// subtract returns the parts of c that no period of cover overlaps, oldest
// first, each with c's reason.
func subtract(c Correction, cover []Correction) []Correction {
	cover = slices.Clone(cover)
	slices.SortFunc(cover, func(a, b Correction) int { return a.Start.Compare(b.Start) })
	var out []Correction
	cur := c.Start
	for _, p := range cover {
		if !p.End.After(cur) || !p.Start.Before(c.End) {
			continue
		}
		if p.Start.After(cur) {
			out = append(out, Correction{Start: cur, End: p.Start, Reason: c.Reason})
		}
		cur = p.End
		if !cur.Before(c.End) {
			return out
		}
	}
	return append(out, Correction{Start: cur, End: c.End, Reason: c.Reason})
}

// saveExtras adds to st the tracker's run-time corrections and slices.
// t.mu must be held and the tracker synced to now.
func (t *Tracker) saveExtras(st *State, now int64) {
	since := time.Unix(0, now).Add(-t.rings[len(t.rings)-1].window)
	for _, c := range t.runtime {
		if c.End.After(since) {
			c.Start, c.End = c.Start.UTC(), c.End.UTC()
			st.Corrections = append(st.Corrections, c)
		}
	}
	slices.SortFunc(st.Corrections, func(a, b Correction) int { return a.Start.Compare(b.Start) })
	if t.slices != nil {
		st.Slices = t.slices.state(t.counted())
	}
}

// applyCorrection adds c as a run-time correction: it removes the buckets
// and slices c already covers, widened to whole ones, and leaves out the
// events recorded while it is active. The caller sorts t.corr and sets the
// next boundary. t.mu must be held and the tracker synced to now.
func (t *Tracker) applyCorrection(c Correction, now int64) {
	from, to := correctionSpan(c, now)
	for _, r := range t.rings {
		r.clear(from, to)
	}
	if t.slices != nil && from < to {
		t.slices.forgive(from, to, t.counted())
	}
	t.corr.once = append(t.corr.once, c)
	t.runtime = append(t.runtime, c)
}

// uncovered returns the spans of the tracker's run-time corrections that
// the corrections saved do not cover. t.mu must be held.
func (t *Tracker) uncovered(saved []Correction, now int64) spans {
	var out spans
	for _, c := range t.runtime {
		for _, p := range subtract(c, saved) {
			if from, to := correctionSpan(p, now); from < to {
				out = append(out, [2]int64{from, to})
			}
		}
	}
	return out
}

// adopt adds the parts of the saved corrections that no correction of the
// tracker covers, each cut to the SLO window's length at most. t.mu must
// be held and the tracker synced to now.
func (t *Tracker) adopt(saved []Correction, now int64) {
	for _, c := range saved {
		held := t.corr.periods(c.Start, c.End)
		cover := make([]Correction, len(held))
		for i, p := range held {
			cover[i] = p.Correction
		}
		for _, p := range subtract(c, cover) {
			for p.End.Sub(p.Start) > t.obj.Window {
				head := p
				head.End = p.Start.Add(t.obj.Window)
				t.applyCorrection(head, now)
				p.Start = head.End
			}
			t.applyCorrection(p, now)
		}
	}
	t.corr.sort()
}

// state returns the slices' state, c being the cumulative counts now.
func (l *sliceLog) state(c counts) *SliceState {
	ss := &SliceState{
		Width:   time.Duration(l.width),
		Average: l.ratios != nil,
		Open:    Bucket{Start: time.Unix(0, l.cur*l.width).UTC(), Good: c.good - l.base.good, Bad: c.bad - l.base.bad},
	}
	for k := l.cur - l.n; k < l.cur; k++ {
		i := l.index(k)
		if l.ratios == nil && l.bad[i/64]>>(i%64) == 0 {
			// No bad slice from i to the end of its word.
			k += min(i|63, l.n-1) - i
			continue
		}
		v := l.value(k)
		if v == 0 {
			continue
		}
		r := 1.0
		if l.ratios != nil {
			r = float64(v) / ratioScale
		}
		ss.Spent = append(ss.Spent, SpentSlice{Start: time.Unix(0, k*l.width).UTC(), Ratio: r})
	}
	return ss
}

// merge adds a saved slice state, leaving out the slices that skip
// overlaps (see the top of this file). A state of another slice width or
// method is left out: its slices cannot be mapped to the tracker's.
func (l *sliceLog) merge(ss *SliceState, skip spans) {
	if ss == nil || int64(ss.Width) != l.width || ss.Average != (l.ratios != nil) {
		return
	}
	k := floorDiv(ss.Open.Start.UnixNano(), l.width)
	if !skip.overlaps(k*l.width, (k+1)*l.width) {
		open := counts{ss.Open.Good, ss.Open.Bad}
		if k >= l.cur {
			// The open slice's events are the cumulative counts less
			// base; lowering base (modulo 2^64, as the counters wrap)
			// adds the saved events to them.
			l.base.sub(open)
		} else {
			l.mark(k, l.spend(open))
		}
	}
	for _, s := range ss.Spent {
		k := floorDiv(s.Start.UnixNano(), l.width)
		if skip.overlaps(k*l.width, (k+1)*l.width) {
			continue
		}
		v := uint64(1)
		if l.ratios != nil {
			v = uint64(math.Round(s.Ratio * ratioScale))
		}
		l.mark(k, v)
	}
	l.resum()
}

// mark records that slice k, decided, spent at least v: a bad verdict, or
// an error ratio in fixed point kept if larger than the one held. A slice
// out of the window or not yet decided is ignored. The caller resums.
func (l *sliceLog) mark(k int64, v uint64) {
	if v == 0 || k >= l.cur || k < l.cur-l.n {
		return
	}
	i := l.index(k)
	if l.ratios != nil {
		l.ratios[i] = max(l.ratios[i], uint32(min(v, ratioScale)))
		return
	}
	l.bad[i/64] |= 1 << (i % 64)
}
