package slo

import "time"

// ChartBuckets is about how many buckets a time-slice objective's chart
// cuts its window into (see [TimeSlices.ChartBucket]).
const ChartBuckets = 120

// A SliceBucket is a span of a time-slice objective's window, a whole
// number of slices, in a burn-down chart counted in slices (see
// [Chart.Slices]).
type SliceBucket struct {
	Start time.Time
	// Slices is the number of slices in the bucket: all count, those
	// without traffic or from before the objective was tracked as good.
	Slices int
	// Spent is what the bucket's slices spent of the budget: the bad
	// slices, or with TimeSlices.Average the sum of the slices' error
	// ratios.
	Spent float64
}

// ChartBucket returns the width of a bucket of a chart of a window of
// time slices: the fewest whole slices that cut the window into at most
// [ChartBuckets] buckets of the same width (the whole window when its
// slices cannot be so divided); 0 for an objective over events or a
// window shorter than a slice. The tracker and package promsource cut
// their charts with it.
func (ts TimeSlices) ChartBucket(window time.Duration) time.Duration {
	if ts.Window <= 0 || window < ts.Window {
		return 0
	}
	n := int64(window / ts.Window)
	k := max((n+ChartBuckets-1)/ChartBuckets, 1)
	for n%k != 0 {
		k++
	}
	return time.Duration(k) * ts.Window
}

// SliceHistory returns the window of a time-slice objective in buckets
// of [TimeSlices.ChartBucket], oldest first, ending with the last
// completed slice: the slices a snapshot counts, so that the buckets'
// Slices add up to its TotalSlices and their Spent to TotalSlices -
// GoodSlices. It returns nil for an objective over events.
func (t *Tracker) SliceHistory() []SliceBucket {
	if t.slices == nil {
		return nil
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync(now)
	return t.slices.history(t.obj.Slices.ChartBucket(t.obj.Window))
}

// history returns the window's completed slices in buckets of width.
func (l *sliceLog) history(width time.Duration) []SliceBucket {
	k := int64(width) / l.width
	out := make([]SliceBucket, 0, l.n/k)
	for first := l.cur - l.n; first < l.cur; first += k {
		var spent uint64
		for j := first; j < first+k; j++ {
			spent += l.value(j)
		}
		b := SliceBucket{Start: time.Unix(0, first*l.width).UTC(), Slices: int(k), Spent: float64(spent)}
		if l.ratios != nil {
			b.Spent /= ratioScale
		}
		out = append(out, b)
	}
	return out
}

// Chart returns the tracker's snapshot with its window's history: the
// buckets of its events and, for a time-slice objective, of its slices.
func (t *Tracker) Chart() Chart {
	return Chart{Snapshot: t.Snapshot(), History: t.History(), Slices: t.SliceHistory()}
}
