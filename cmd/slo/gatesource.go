package main

import (
	"context"

	"github.com/slo-budget-tracker/slo"
)

// sourceStates reads the remaining budget of every objective of src, in
// src's order: the gate's reading of any slo.Source, the remote /slo report
// of -url or a process's own registry alike. A source that fails is an
// error, so that the gate never opens on a fleet it could not read.
func sourceStates(ctx context.Context, src slo.Source) ([]budgetState, error) {
	snaps, err := src.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]budgetState, len(snaps))
	for i, s := range snaps {
		total := s.Total
		out[i] = budgetState{SLO: s.Name, Service: s.Service, Labels: s.Labels, Remaining: s.ErrorBudgetRemaining, Total: &total, Exhausted: s.IsBudgetExhausted()}
	}
	return out, nil
}
