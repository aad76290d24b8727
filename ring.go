package slo

import "time"

// Bucket counts per ring. Each window of an objective gets its own ring whose
// buckets are window/bucketsPerWindow wide (the SLO window's are finer, to
// draw its burn-down history), plus one bucket for the partial current one.
// A ring therefore covers between window and window + one bucket: an event
// counts for at least the whole window, and stops counting at most one
// bucket width later.
const (
	bucketsPerWindow    = 120
	bucketsPerSLOWindow = 720
)

// counts is a pair of event counts.
type counts struct {
	good, bad uint64
}

func (c counts) total() uint64 { return c.good + c.bad }

func (c *counts) add(o counts) {
	c.good += o.good
	c.bad += o.bad
}

func (c *counts) sub(o counts) {
	c.good -= o.good
	c.bad -= o.bad
}

// A ring holds the counts of one window in fixed-width buckets aligned to the
// Unix epoch, and their running sum. It is not safe for concurrent use: the
// tracker guards it.
type ring struct {
	window  time.Duration
	width   int64    // bucket width, nanoseconds
	buckets []counts // bucket number k lives at index k mod len(buckets)
	cur     int64    // number of the current bucket: floor(t / width)
	sum     counts   // sum of all buckets
}

func newRing(window time.Duration, n int, now int64) *ring {
	width := int64(window) / int64(n)
	if int64(window)%int64(n) != 0 {
		width++ // cover the whole window
	}
	return &ring{
		window:  window,
		width:   width,
		buckets: make([]counts, n+1),
		cur:     floorDiv(now, width),
	}
}

// next returns the time, in Unix nanoseconds, at which the current bucket
// ends.
func (r *ring) next() int64 { return (r.cur + 1) * r.width }

// add counts events in the current bucket.
func (r *ring) add(c counts) {
	r.buckets[r.index(r.cur)].add(c)
	r.sum.add(c)
}

// advance makes the bucket holding now current, clearing the buckets that
// fall out of the ring. A now in the past changes nothing.
func (r *ring) advance(now int64) {
	k := floorDiv(now, r.width)
	if k <= r.cur {
		return
	}
	if k-r.cur >= int64(len(r.buckets)) {
		clear(r.buckets)
		r.sum = counts{}
	} else {
		for j := r.cur + 1; j <= k; j++ {
			i := r.index(j)
			r.sum.sub(r.buckets[i])
			r.buckets[i] = counts{}
		}
	}
	r.cur = k
}

// rewind makes the bucket holding now current when now is before the
// current bucket, as after a clock stepped back: the counts of the buckets
// now in the future move into it, so none is lost or counted twice, and
// none stays dated in the future.
func (r *ring) rewind(now int64) {
	k := floorDiv(now, r.width)
	if k >= r.cur {
		return
	}
	var moved counts
	for j := max(k+1, r.cur-int64(len(r.buckets))+1); j <= r.cur; j++ {
		i := r.index(j)
		moved.add(r.buckets[i])
		r.buckets[i] = counts{}
	}
	r.buckets[r.index(k)].add(moved)
	r.cur = k
}

// addAt counts events in the bucket holding time t, if the ring still holds
// it; it reports whether it did. Events after the current bucket go in the
// current one.
func (r *ring) addAt(t int64, c counts) bool {
	k := min(floorDiv(t, r.width), r.cur)
	if k <= r.cur-int64(len(r.buckets)) {
		return false
	}
	r.buckets[r.index(k)].add(c)
	r.sum.add(c)
	return true
}

// each calls f for every bucket from oldest to newest with its start time in
// Unix nanoseconds.
func (r *ring) each(f func(start int64, c counts)) {
	n := int64(len(r.buckets))
	for k := r.cur - n + 1; k <= r.cur; k++ {
		f(k*r.width, r.buckets[r.index(k)])
	}
}

func (r *ring) index(k int64) int {
	n := int64(len(r.buckets))
	return int(((k % n) + n) % n)
}

// floorDiv is a / b rounded toward minus infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// clear empties every bucket the ring still holds that overlaps [from, to)
// (Unix nanoseconds).
func (r *ring) clear(from, to int64) {
	if to <= from {
		return
	}
	first := max(floorDiv(from, r.width), r.cur-int64(len(r.buckets))+1)
	last := min(floorDiv(to-1, r.width), r.cur)
	for k := first; k <= last; k++ {
		i := r.index(k)
		r.sum.sub(r.buckets[i])
		r.buckets[i] = counts{}
	}
}
