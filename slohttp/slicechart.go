package slohttp

import "github.com/slo-budget-tracker/slo"

// sliceBurnDown is the burn-down of a time-slice objective's window in
// slices, the budget it counts: the share of the slice budget left after
// each bucket, and the on-schedule line, along which every slice spends
// its share of the budget (a burn rate of 1). The whole window is drawn:
// slices without traffic count as good, those before the objective was
// tracked too. ok is false when the chart has no slices or the snapshot no
// slice budget: the chart is then drawn from events.
func sliceBurnDown(buckets []slo.SliceBucket, s slo.Snapshot) (c chart, ok bool) {
	if len(buckets) == 0 || s.SliceBudget <= 0 {
		return chart{}, false
	}
	c = chart{Unit: "slices", Start: buckets[0].Start, Remaining: make([]float64, len(buckets)), Ideal: make([]float64, len(buckets))}
	if len(buckets) > 1 {
		c.BucketSeconds = buckets[1].Start.Sub(buckets[0].Start).Seconds()
	}
	total := 0
	for _, b := range buckets {
		total += b.Slices
	}
	var slices int
	var spent float64
	for i, b := range buckets {
		slices += b.Slices
		spent += b.Spent
		c.Remaining[i] = finite(1 - spent/s.SliceBudget)
		c.Ideal[i] = 1 - float64(slices)/float64(total)
	}
	return c, true
}
