package promsource

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// prefixSlice starts the name of the series of a time-slice SLO's slices
// (package promrules): what each slice spent, 1 or 0 (or its error ratio
// when slices are averaged), recorded once a slice, named after the
// slice's width (slo:sli_slice_error:ratio1m).
const prefixSlice = "slo:sli_slice_error:ratio"

// readSliceWidths gives every discovered objective that counts time
// slices its slice width, from the names of its slice series holding
// samples in its window: the series endpoint lists them whatever their
// evaluation interval, in one query for every discovered objective. An
// objective from a spec has its own; none is sent without a discovered
// objective.
func (s *Source) readSliceWidths(ctx context.Context, st *state) error {
	var longest time.Duration
	for _, o := range st.objs {
		if !o.fromSpec && len(o.members) > 0 {
			longest = max(longest, o.obj.Window)
		}
	}
	if longest == 0 {
		return nil
	}
	sets, err := s.series(ctx, fmt.Sprintf("{__name__=~%s}", strconv.Quote(regexpQuote(prefixSlice)+".+")), st.at.Add(-longest), st.at)
	if err != nil {
		return err
	}
	idx := newIndex(st.objs)
	for _, ls := range sets {
		w, err := model.ParseDuration(strings.TrimPrefix(ls["__name__"], prefixSlice))
		width := time.Duration(w)
		if err != nil || width <= 0 {
			continue // not a slice width the rules name
		}
		if o := idx.objective(ls); o != nil && !o.fromSpec && width <= o.obj.Window && o.obj.Window%width == 0 {
			o.obj.Slices.Window = width
		}
	}
	return nil
}

// sliceSnapshot is the snapshot of member m of o at the instant at, with
// the slice counts of a time-slice objective: the window's slices, the
// bad ones its budget allows, and the good ones, those its remaining
// budget leaves.
func (o *objective) sliceSnapshot(m *member, at time.Time) slo.Snapshot {
	snap := o.snapshot(m, at)
	if ts := o.obj.Slices; ts.Enabled() {
		n := ts.Count(o.obj.Window)
		snap.TotalSlices = n
		snap.SliceBudget = o.budget * float64(n)
		snap.GoodSlices = float64(n) - (1-snap.ErrorBudgetRemaining)*snap.SliceBudget
	}
	return snap
}

// sliceChartJobs returns the range queries of the time-slice objectives'
// charts: per slice width and window, the spent of each bucket of
// TimeSlices.ChartBucket over the window, summed from the slice series,
// for every objective of that width and window at once.
func (s *Source) sliceChartJobs(st *state) []func(context.Context) error {
	type key struct{ slice, window time.Duration }
	var keys []key
	for _, o := range st.objs {
		k := key{o.obj.Slices.Window, o.obj.Window}
		if len(o.members) > 0 && k.slice > 0 && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	var mu sync.Mutex
	var jobs []func(context.Context) error
	for _, k := range keys {
		step := slo.TimeSlices{Window: k.slice}.ChartBucket(k.window)
		if step == 0 {
			continue
		}
		start := st.at.Add(-(k.window - step))
		jobs = append(jobs, func(ctx context.Context) error {
			rs, err := s.rangeQuery(ctx, sumOverTime([]string{prefixSlice + series.FormatDuration(k.slice)}, step), start, st.at, step)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			idx := newIndex(st.objs)
			for _, r := range rs {
				if m := idx.member(r.labels, false); m != nil && m.obj.obj.Slices.Window == k.slice && m.obj.obj.Window == k.window {
					m.sliceBuckets = r.values
				}
			}
			return nil
		})
	}
	return jobs
}

// sliceHistory is the window of a time-slice objective o in buckets of
// TimeSlices.ChartBucket, ending at the instant at, from the range
// queries; nil for an objective over events or when none of its slices is
// recorded. A slice without a sample (before its rules ran, or a missed
// evaluation) counts as good, as the rules count it.
func (m *member) sliceHistory(o *objective, at time.Time) []slo.SliceBucket {
	ts := o.obj.Slices
	step := ts.ChartBucket(o.obj.Window)
	if m.sliceBuckets == nil || step == 0 {
		return nil
	}
	n := int(o.obj.Window / step)
	out := make([]slo.SliceBucket, n)
	for i := range out {
		end := at.Add(-time.Duration(n-1-i) * step)
		out[i] = slo.SliceBucket{Start: end.Add(-step), Slices: int(step / ts.Window), Spent: max(m.sliceBuckets[end.UnixMilli()], 0)}
	}
	return out
}
