package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/promsource"
)

// sourceStates reads the remaining budget of every objective of src, in
// src's order: the gate's reading of any slo.Source, the remote /slo report
// of -url, the Prometheus series of -prometheus or a process's own registry
// alike. A source that fails is an error, so that the gate never opens on a
// fleet it could not read.
func sourceStates(ctx context.Context, src slo.Source) ([]budgetState, error) {
	snaps, err := src.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]budgetState, len(snaps))
	for i, s := range snaps {
		total := s.Total
		out[i] = budgetState{SLO: s.Name, Service: s.Service, Labels: s.Labels, Remaining: s.ErrorBudgetRemaining, Total: &total, Exhausted: s.IsBudgetExhausted(), NoData: s.NoData}
	}
	return out, nil
}

// fetchPrometheus reads the budgets of the SLOs that the rules of
// `slo generate` record in the Prometheus server at base, through a
// promsource.Source, as `slo serve` does; with service, only that
// service's.
func fetchPrometheus(ctx context.Context, base string, opts promsource.Options, service string) ([]budgetState, error) {
	src, err := promsource.New(base, opts)
	if err != nil {
		return nil, err
	}
	states, err := sourceStates(ctx, src)
	if err != nil || service == "" {
		return states, err
	}
	var out []budgetState
	for _, s := range states {
		if s.Service == service {
			out = append(out, s)
		}
	}
	return out, nil
}

// promOptions reads the flags of the commands that read Prometheus through
// promsource: the -spec files (each checked, then loaded), the -timeout of
// each query and the instant of -at (RFC 3339; now when empty). When a flag
// is wrong it reports it and returns false with the exit code: exitUsage,
// or badSpec for a spec that does not load.
func promOptions(fs *flag.FlagSet, timeout time.Duration, at string, specs []string, badSpec int, stderr io.Writer) (promsource.Options, int, bool) {
	opts := promsource.Options{Timeout: timeout}
	if !checkFiles(fs, specs...) {
		return opts, exitUsage, false
	}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return opts, usageError(fs, "-at %q: want an RFC 3339 time like 2026-01-02T15:04:05Z", at), false
		}
		opts.Now = func() time.Time { return t }
	}
	if len(specs) > 0 {
		slos, ok := loadSpecs(specs, stderr)
		if !ok {
			return opts, badSpec, false
		}
		opts.SLOs = slos
	}
	return opts, 0, true
}
