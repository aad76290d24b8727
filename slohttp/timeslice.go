package slohttp

import "github.com/slo-budget-tracker/slo"

// Slices is the JSON form of the slice counts of a time-slice objective's
// snapshot (see slo.TimeSlices): the slices in the window, the good ones,
// and the bad ones the objective allows.
type Slices struct {
	Total  int     `json:"total"`
	Good   float64 `json:"good"`
	Budget float64 `json:"budget"`
}

// newSlices returns the slices of s, or nil for an objective over events.
func newSlices(s slo.Snapshot) *Slices {
	if s.TotalSlices == 0 {
		return nil
	}
	return &Slices{Total: s.TotalSlices, Good: finite(s.GoodSlices), Budget: finite(s.SliceBudget)}
}
