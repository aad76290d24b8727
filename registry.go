package slo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// A Registry holds the trackers of a service, one per objective name. It is
// safe for concurrent use.
type Registry struct {
	opts []Option

	mu       sync.RWMutex
	trackers map[string]*Tracker
	defining map[string]bool // names being defined, their trackers not made yet
}

// NewRegistry returns an empty registry whose trackers all get opts.
func NewRegistry(opts ...Option) *Registry {
	return &Registry{opts: opts, trackers: make(map[string]*Tracker), defining: make(map[string]bool)}
}

// Define makes a tracker for o with the registry's options, followed by
// opts, and registers it. Defining a name twice is an error. The tracker is
// made outside the registry's lock, so a store that is slow to load holds
// up only this call, never the registry's readers; it waits for the first
// load of the saved state at most the load timeout (see [NewTracker]).
func (r *Registry) Define(o Objective, opts ...Option) (*Tracker, error) {
	return r.DefineContext(context.Background(), o, opts...)
}

// DefineContext is [Registry.Define] that stops waiting for the first load
// of the saved state when ctx ends; the tracker is registered all the same
// and loads in the background (see [NewTrackerContext]).
func (r *Registry) DefineContext(ctx context.Context, o Objective, opts ...Option) (*Tracker, error) {
	r.mu.Lock()
	_, dup := r.trackers[o.Name]
	if dup || r.defining[o.Name] {
		r.mu.Unlock()
		return nil, fmt.Errorf("slo: objective %q is already defined", o.Name)
	}
	r.defining[o.Name] = true
	r.mu.Unlock()

	t, err := NewTrackerContext(ctx, o, append(slices.Clip(r.opts), opts...)...)

	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.defining, o.Name)
	if err != nil {
		return nil, err
	}
	r.trackers[o.Name] = t
	return t, nil
}

// Tracker returns the tracker of the named objective, or nil.
func (r *Registry) Tracker(name string) *Tracker {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.trackers[name]
}

// Trackers returns every tracker, sorted by objective name.
func (r *Registry) Trackers() []*Tracker {
	r.mu.RLock()
	ts := make([]*Tracker, 0, len(r.trackers))
	for _, t := range r.trackers {
		ts = append(ts, t)
	}
	r.mu.RUnlock()
	slices.SortFunc(ts, func(a, b *Tracker) int { return strings.Compare(a.obj.Name, b.obj.Name) })
	return ts
}

// SnapshotAll returns a snapshot of every objective, sorted by name.
func (r *Registry) SnapshotAll() []Snapshot {
	ts := r.Trackers()
	snaps := make([]Snapshot, len(ts))
	for i, t := range ts {
		snaps[i] = t.Snapshot()
	}
	return snaps
}

// CheckBurnRates returns the burn-rate alerts of every objective, sorted by
// name, each objective's in the order of its burn-rate windows.
func (r *Registry) CheckBurnRates() []BurnRateAlert {
	var alerts []BurnRateAlert
	for _, t := range r.Trackers() {
		alerts = append(alerts, t.CheckBurnRate()...)
	}
	return alerts
}

// Close closes every tracker, saving their state to their stores, and
// returns their errors joined.
func (r *Registry) Close(ctx context.Context) error {
	var errs []error
	for _, t := range r.Trackers() {
		errs = append(errs, t.Close(ctx))
	}
	return errors.Join(errs...)
}
