package slo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// A Registry holds the trackers of a service, one per objective name, and
// its families of trackers (see [Registry.DefineFamily]). It is safe for
// concurrent use.
type Registry struct {
	opts []Option

	mu       sync.RWMutex
	trackers map[string]*Tracker
	families map[string]*Family
	defining map[string]bool // names being defined, their trackers not made yet
}

// NewRegistry returns an empty registry whose trackers all get opts.
func NewRegistry(opts ...Option) *Registry {
	return &Registry{
		opts:     opts,
		trackers: make(map[string]*Tracker),
		families: make(map[string]*Family),
		defining: make(map[string]bool),
	}
}

// DefineFamily makes a family of trackers of o, one per combination of the
// values of labels (see [NewFamily]), and registers it. Its members get the
// registry's options, then those of [WithTrackerOptions]. An objective name
// is defined once, as a tracker or as a family.
func (r *Registry) DefineFamily(o Objective, labels []string, opts ...FamilyOption) (*Family, error) {
	f, err := NewFamily(o, labels, append([]FamilyOption{WithTrackerOptions(r.opts...)}, opts...)...)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.taken(o.Name) {
		return nil, fmt.Errorf("slo: objective %q is already defined", o.Name)
	}
	r.families[o.Name] = f
	return f, nil
}

// taken reports whether name is defined or being defined. r.mu must be
// held.
func (r *Registry) taken(name string) bool {
	_, tracker := r.trackers[name]
	_, family := r.families[name]
	return tracker || family || r.defining[name]
}

// Family returns the family of the named objective, or nil.
func (r *Registry) Family(name string) *Family {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.families[name]
}

// Families returns every family, sorted by objective name.
func (r *Registry) Families() []*Family {
	r.mu.RLock()
	fs := slices.Collect(maps.Values(r.families))
	r.mu.RUnlock()
	slices.SortFunc(fs, func(a, b *Family) int { return strings.Compare(a.obj.Name, b.obj.Name) })
	return fs
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
	if r.taken(o.Name) {
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

// Tracker returns the tracker of the named objective, or nil; a family's
// members are found through [Registry.Family].
func (r *Registry) Tracker(name string) *Tracker {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.trackers[name]
}

// Trackers returns every tracker, family members included, sorted by
// objective name; a family's members follow one another in the order of
// [Family.Members].
func (r *Registry) Trackers() []*Tracker {
	r.mu.RLock()
	ts := make([]*Tracker, 0, len(r.trackers))
	for _, t := range r.trackers {
		ts = append(ts, t)
	}
	fs := slices.Collect(maps.Values(r.families))
	r.mu.RUnlock()
	for _, f := range fs {
		ts = append(ts, f.Members()...)
	}
	// Stable: a family's members keep their order.
	slices.SortStableFunc(ts, func(a, b *Tracker) int { return strings.Compare(a.obj.Name, b.obj.Name) })
	return ts
}

// SnapshotAll returns a snapshot of every objective, family members
// included, in the order of [Registry.Trackers].
func (r *Registry) SnapshotAll() []Snapshot { return snapshots(r.Trackers()) }

// snapshots returns a snapshot of each tracker of ts, in order.
func snapshots(ts []*Tracker) []Snapshot {
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

// Close closes every tracker, family members included, saving their state
// to their stores, and returns their errors joined. A family member made
// after Close is closed by the next Close.
func (r *Registry) Close(ctx context.Context) error {
	return closeAll(ctx, r.Trackers())
}

// closeAll closes ts and returns their errors joined.
func closeAll(ctx context.Context, ts []*Tracker) error {
	var errs []error
	for _, t := range ts {
		errs = append(errs, t.Close(ctx))
	}
	return errors.Join(errs...)
}
