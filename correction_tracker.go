package slo

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// How a tracker applies corrections.
//
// New events: the tracker moves its rings on (syncs) at every start and end
// of a correction as it does at every bucket's end, so the events counted
// between two syncs were all recorded inside one correction or all outside
// any. The recording time decides: events recorded while a correction is
// active are left out of every window.
//
// Past events (AddCorrection of a period already begun): the tracker no
// longer knows when in its bucket an event happened, so it removes every
// bucket the period touches, in each window's ring. A bucket partly inside
// the period is removed whole: the period is widened to bucket boundaries,
// by less than one bucket on each side (a 720th of the SLO window in the
// SLO window's ring, a 120th of an alert window in that window's ring).
// Events the widening removes are outside the period, but an incident
// declared "not ours" is removed with all its failures.

// corrected reports whether the events counted since the last sync
// were recorded inside a correction, and so must not be added to the
// rings. t.mu must be held.
func (t *Tracker) corrected() bool {
	return !t.corr.empty() && t.corr.covers(t.lastSync)
}

// AddCorrection adds a correction at run time, as if the objective listed
// it: events recorded from now until c.End count for nothing, and the
// buckets of every window that c already covers are removed, widened to
// whole buckets (an incident declared not the service's fault after the
// fact). It returns a *[ValidationError] when c is invalid for the
// objective: an end not after the start, longer than the SLO window, or
// overlapping another correction. Corrections added at run time are saved
// to the tracker's store with its state and restored with it (see
// [Tracker.Restore]). Adding a correction of a period the tracker already
// holds (restored from its store, say) does nothing, so a program may add
// its corrections again at every start.
func (t *Tracker) AddCorrection(c Correction) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if holds(t.corr.once, c) {
		return nil
	}
	o := t.obj
	o.Corrections = append(append([]Correction{}, t.corr.once...), c)
	if err := o.Validate(); err != nil {
		return fmt.Errorf("slo: correction: %w", err)
	}
	now := t.now()
	t.sync(now)
	t.applyCorrection(c, now)
	t.corr.sort()
	t.next.Store(t.nextBoundary(now))
	return nil
}

// Corrections returns the tracker's one-off corrections, the objective's
// and those added with AddCorrection, sorted by start.
func (t *Tracker) Corrections() []Correction {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Correction{}, t.corr.once...)
}

// correctionPeriods returns the correction periods that overlap the SLO
// window ending at now.
func (t *Tracker) correctionPeriods(now int64) []CorrectionPeriod {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.corr.empty() {
		return nil
	}
	at := time.Unix(0, now)
	ps := t.corr.periods(at.Add(-t.obj.Window), at.Add(1))
	for i := range ps {
		ps[i].Active = !at.Before(ps[i].Start) && at.Before(ps[i].End)
	}
	return ps
}

// AddCorrection adds a correction at run time to every member of the
// family, as [Tracker.AddCorrection] does, and to the objective of the
// members made later, which save it as their own run-time correction. A
// correction of a period the family already holds is not added again, and
// members that hold it (restored from their store) keep it. It returns a
// *[ValidationError] when c is invalid for the family's objective and the
// corrections added before.
func (f *Family) AddCorrection(c Correction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if holds(f.obj.Corrections, c) {
		return nil
	}
	o := f.obj
	o.Corrections = append(slices.Clone(o.Corrections), c)
	if err := o.Validate(); err != nil {
		return fmt.Errorf("slo: family %q: correction: %w", f.obj.Name, err)
	}
	members := slices.Collect(maps.Values(*f.members.Load()))
	if f.overflow != nil {
		members = append(members, f.overflow)
	}
	for _, t := range members {
		if err := t.AddCorrection(c); err != nil {
			return err // unreachable: every member has the family's corrections
		}
	}
	f.obj.Corrections = o.Corrections
	f.runtime = append(f.runtime, c)
	return nil
}
