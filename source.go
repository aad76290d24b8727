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

var _ Source = (*Registry)(nil)
