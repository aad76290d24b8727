package slo

import "context"

// A Source reports the current state of a set of objectives. It is the
// one interface behind every view of the toolkit: the /slo JSON report
// and the dashboard of package slohttp, the Prometheus collector, the
// audit watcher and the release gate all read a Source, so each of them
// shows one process (a [Registry]), all replicas of a service (a Redis
// fleet) or a whole organisation (the rules' series in Prometheus) alike.
//
// Snapshots returns one [Snapshot] per objective (per member of a
// [Family]), in a stable order. An error means the state could not be
// read at all (a store or server down); a Source never returns a partial
// list without saying so in the error.
type Source interface {
	Snapshots(ctx context.Context) ([]Snapshot, error)
}

// Snapshots returns SnapshotAll; it never fails. It makes a Registry a
// [Source]; a nil Registry has no objectives.
func (r *Registry) Snapshots(context.Context) ([]Snapshot, error) {
	if r == nil {
		return nil, nil
	}
	return r.SnapshotAll(), nil
}

// A Chart is an objective's snapshot with the buckets of its window,
// oldest first: what a burn-down chart is drawn from.
type Chart struct {
	Snapshot Snapshot
	History  []Bucket
	// Slices is a time-slice objective's window in slices, the budget it
	// counts (see [Tracker.SliceHistory]); nil for an objective over
	// events, or from a source that cannot tell.
	Slices []SliceBucket
}

// A HistorySource is a [Source] that also has each objective's window
// bucket by bucket. The dashboard draws its burn-down charts from it and
// shows a plain Source's snapshots without charts.
type HistorySource interface {
	Source
	// Charts returns the snapshot and history of every objective, in
	// the order of Snapshots, in one call (one query per metric, never
	// one per objective, for a remote source).
	Charts(ctx context.Context) ([]Chart, error)
}

// Charts returns the snapshot and window history of every tracker of r,
// in the order of [Registry.Trackers]; it never fails. A nil Registry has
// no objectives.
func (r *Registry) Charts(context.Context) ([]Chart, error) {
	if r == nil {
		return nil, nil
	}
	ts := r.Trackers()
	out := make([]Chart, len(ts))
	for i, t := range ts {
		out[i] = t.Chart()
	}
	return out, nil
}

var _ HistorySource = (*Registry)(nil)
