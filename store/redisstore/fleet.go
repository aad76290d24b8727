package redisstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
)

// DefaultFleetTimeout bounds one read of a [Fleet] whose caller's context
// has no earlier deadline.
const DefaultFleetTimeout = 5 * time.Second

// scanCount is the COUNT hint of the SCAN that finds families' members.
const scanCount = 1000

// A FleetObjective is an objective whose fleet-wide state a [Fleet]
// reports: an objective of its own, or, with Labels, a family's (see
// [slo.Family]), whose members are every member any instance has saved.
type FleetObjective struct {
	slo.Objective
	// Labels names the labels of a family's members; empty for an
	// objective of its own.
	Labels []string
}

// A Fleet is the state of a service's objectives over every instance that
// saves to the store's Redis: each objective's, and each family member's,
// saved states summed, as [Store.FleetSnapshot] sums them. It implements
// [slo.Source] and [slo.HistorySource], so the /slo report and the
// dashboard of package slohttp, the Prometheus collector of package
// sloprom, the audit watcher and the release gate show the budget the
// replicas share rather than one replica's part of it.
//
// A read is one pipelined round trip of HGETALL, one per objective and
// family member, after one SCAN of the prefix's hashes that finds the
// members of families (skipped when there is no family). A family's members
// are those saved by any instance, besides those the registry (if any)
// holds. Each instance's events count up to its last save; the snapshots'
// Good and Bad, counters of one process's lifetime, are zero.
//
// A correction added at run time on any instance applies to the whole
// fleet: the view holds the union of the instances' run-time corrections,
// and leaves out every instance's buckets and slices they cover.
//
// A time-slice objective's slice is bad in the fleet view when any
// instance's part of it missed the slice target (with TimeSlices.Average,
// the slice spends the largest of the instances' error ratios). Instances
// save one bit per decided slice, not each slice's counts, so the fleet
// cannot decide a past slice on its summed events. The rule never counts a
// bad slice as good (a slice whose summed events miss the target has a
// part that misses it), so the fleet's budget left is never more than the
// truth's; it counts as bad a slice in which one instance missed the
// target while the fleet's events met it. It is exact when one instance
// serves a slice, or when failures hit the instances alike (an outage, a
// bad deploy); with many instances of few events each, expect more bad
// slices than the truth.
//
// When Redis cannot be read the read fails as a whole: a Fleet never
// returns a partial or empty list in place of the fleet's state. Each read
// ends by [DefaultFleetTimeout] (see [Fleet.WithTimeout]) or the caller's
// context, whichever comes first; the client must honour contexts, which
// those [NewClient] makes do.
type Fleet struct {
	store      *Store
	objectives func() (objs []FleetObjective, members []slo.Snapshot)
	timeout    time.Duration
}

var _ slo.HistorySource = (*Fleet)(nil)

// Fleet returns the fleet-wide view of the objectives and families of reg,
// read again at every call, so that objectives and members defined later
// are reported too. A nil reg has no objectives.
func (s *Store) Fleet(reg *slo.Registry) *Fleet {
	return &Fleet{store: s, timeout: DefaultFleetTimeout, objectives: func() ([]FleetObjective, []slo.Snapshot) {
		return registryObjectives(reg)
	}}
}

// registryObjectives returns the objectives of reg's trackers and
// families, and the name and labels of every family member it holds.
func registryObjectives(reg *slo.Registry) ([]FleetObjective, []slo.Snapshot) {
	if reg == nil {
		return nil, nil
	}
	var objs []FleetObjective
	var members []slo.Snapshot
	for _, t := range reg.Trackers() {
		if labels := t.Labels(); labels != nil {
			members = append(members, slo.Snapshot{Name: t.Name(), Labels: labels})
			continue
		}
		objs = append(objs, FleetObjective{Objective: t.Objective()})
	}
	for _, f := range reg.Families() {
		objs = append(objs, FleetObjective{Objective: f.Objective(), Labels: f.Labels()})
	}
	return objs, members
}

// FleetOf returns the fleet-wide view of the given objectives, for a
// process that reads a fleet's budgets without tracking them (a gate, a
// dashboard). It returns an error naming an objective that is not valid, a
// family label that is not a valid label name, or a name given twice.
func (s *Store) FleetOf(objectives ...FleetObjective) (*Fleet, error) {
	objs := make([]FleetObjective, len(objectives))
	seen := make(map[string]bool, len(objectives))
	for i, o := range objectives {
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		if seen[o.Name] {
			return nil, fmt.Errorf("redisstore: objective %q is given twice", o.Name)
		}
		seen[o.Name] = true
		for _, l := range o.Labels {
			if err := slo.CheckGroupLabel(l); err != nil {
				return nil, fmt.Errorf("redisstore: objective %q: %w", o.Name, err)
			}
		}
		objs[i] = FleetObjective{Objective: o.WithDefaults(), Labels: slices.Clone(o.Labels)}
	}
	return &Fleet{store: s, timeout: DefaultFleetTimeout, objectives: func() ([]FleetObjective, []slo.Snapshot) {
		return objs, nil
	}}, nil
}

// WithTimeout returns a copy of f whose reads end after d (when the
// caller's context has no earlier deadline); d <= 0 keeps f's timeout.
func (f *Fleet) WithTimeout(d time.Duration) *Fleet {
	g := *f
	if d > 0 {
		g.timeout = d
	}
	return &g
}

// Snapshots returns the fleet-wide snapshot of every objective and family
// member, sorted by name, a family's members by their label values. It
// implements [slo.Source].
func (f *Fleet) Snapshots(ctx context.Context) ([]slo.Snapshot, error) {
	sums, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]slo.Snapshot, len(sums))
	for i, t := range sums {
		out[i] = t.Snapshot()
	}
	return out, nil
}

// Charts returns the fleet-wide snapshot of every objective and family
// member with its window's buckets summed over the instances, in the order
// of Snapshots. It implements [slo.HistorySource].
func (f *Fleet) Charts(ctx context.Context) ([]slo.Chart, error) {
	sums, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]slo.Chart, len(sums))
	for i, t := range sums {
		out[i] = t.Chart()
	}
	return out, nil
}

// A fleetEntry is one objective or family member of a read.
type fleetEntry struct {
	obj    slo.Objective
	labels map[string]string
	key    string // slo.MemberKey
}

// read returns one tracker per objective and family member, holding the
// sum of every instance's saved state, in the order of Snapshots.
func (f *Fleet) read(ctx context.Context) ([]*slo.Tracker, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	objs, known := f.objectives()
	entries, err := f.entries(ctx, objs, known)
	if err != nil {
		return nil, err
	}
	s := f.store
	cmds := make([]*redis.MapStringStringCmd, len(entries))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range entries {
			cmds[i] = p.HGetAll(ctx, s.Key(e.key))
		}
		return nil
	})
	s.fleetReads.Add(uint64(len(entries)))
	if err != nil {
		s.fleetErrors.Add(uint64(len(entries)))
		return nil, fmt.Errorf("redisstore: reading the fleet's states: %w", err)
	}
	now := s.now()
	out := make([]*slo.Tracker, len(entries))
	for i, e := range entries {
		states := s.states(ctx, e.key, cmds[i].Val())
		if out[i], err = sumStates(e.obj, e.labels, now, states); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// entries returns the objectives of objs and the members of its families,
// those known and those found in Redis, sorted as Snapshots sorts them.
func (f *Fleet) entries(ctx context.Context, objs []FleetObjective, known []slo.Snapshot) ([]fleetEntry, error) {
	families := make(map[string]FleetObjective)
	var entries []fleetEntry
	for _, o := range objs {
		if len(o.Labels) > 0 {
			families[o.Name] = o
			continue
		}
		entries = append(entries, fleetEntry{obj: o.Objective, key: o.Name})
	}
	members := make(map[string]fleetEntry)
	add := func(name string, labels map[string]string) {
		fam, ok := families[name]
		if !ok || !sameNames(fam.Labels, labels) {
			return
		}
		key := slo.MemberKey(name, labels)
		members[key] = fleetEntry{obj: fam.Objective, labels: labels, key: key}
	}
	for _, m := range known {
		add(m.Name, m.Labels)
	}
	if len(families) > 0 {
		keys, err := f.store.memberKeys(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if name, labels, err := slo.ParseMemberKey(k); err == nil && labels != nil {
				add(name, labels)
			}
		}
	}
	for _, m := range members {
		entries = append(entries, m)
	}
	slices.SortFunc(entries, func(a, b fleetEntry) int {
		if c := strings.Compare(a.obj.Name, b.obj.Name); c != 0 {
			return c
		}
		return slices.Compare(labelValues(families[a.obj.Name].Labels, a.labels), labelValues(families[b.obj.Name].Labels, b.labels))
	})
	return entries, nil
}

// sameNames reports whether labels has exactly the label names names.
func sameNames(names []string, labels map[string]string) bool {
	return len(names) == len(labels) && !slices.ContainsFunc(names, func(n string) bool {
		_, ok := labels[n]
		return !ok
	})
}

// labelValues returns the values of labels in the order of names.
func labelValues(names []string, labels map[string]string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = labels[n]
	}
	return out
}

// memberKeys returns the key, without the prefix, of every hash under the
// store's prefix that holds a family member's states, from one SCAN.
func (s *Store) memberKeys(ctx context.Context) ([]string, error) {
	match := globEscape(s.prefix) + "*\x1f*"
	var out []string
	var cursor uint64
	for {
		keys, next, err := s.client.ScanType(ctx, cursor, match, scanCount, "hash").Result()
		if err != nil {
			s.fleetErrors.Add(1)
			return nil, fmt.Errorf("redisstore: SCAN %q: %w", match, err)
		}
		for _, k := range keys {
			out = append(out, strings.TrimPrefix(k, s.prefix))
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// globEscape escapes the characters special in a Redis glob pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sumStates returns an empty tracker of o, or of the member of a family of
// o with labels, whose clock stands at now, holding the sum of states.
func sumStates(o slo.Objective, labels map[string]string, now time.Time, states map[string]*slo.State) (*slo.Tracker, error) {
	sum, err := sumTracker(o, labels, now)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	// In instance order, so that a fleet's sum is the same at every read.
	for _, id := range slices.Sorted(maps.Keys(states)) {
		if err := sum.Restore(states[id]); err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
	}
	return sum, nil
}
