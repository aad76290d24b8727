// Package slo tracks service level objectives in process: good and bad
// events over a rolling window, the error budget they leave, and how fast
// that budget burns.
//
// An [Objective] names a target (say 99.9% of requests succeed) over a
// rolling window (say 30 days). A [Tracker] counts events for one objective
// in fixed rings of time buckets, one ring per window it measures, so memory
// is constant whatever the traffic and recording an event is a couple of
// atomic operations. [Tracker.Snapshot] derives everything else from those
// counts:
//
//	budget          = (1 - target) * total              allowed failures
//	remaining       = (budget - failures) / budget      1 untouched, <= 0 exhausted
//	burn_rate(w)    = (failures(w) / total(w)) / (1 - target)
//	time_to_exhaust = remaining * window / burn_rate(w)
//
// No traffic is not an error: with no events the success ratio is 1, the
// budget untouched and every burn rate 0. No value this package computes is
// ever NaN or Inf.
//
// # Families
//
// A [Family] is one objective with one budget per value of its labels (per
// route, tenant or cluster), in the spirit of client_golang's CounterVec:
//
//	routes, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.999}, []string{"route"})
//	routes.With("POST /pay").RecordFailure()
//
// [Family.With] makes a member, a [Tracker] whose snapshots carry the
// family's name and the member's [Snapshot.Labels], on first use; looking up
// an existing one reads an immutable map, with no lock and no allocation.
// A family holds at most [DefaultMaxMembers] members ([WithMaxMembers]
// changes it): past the cap, new values go to one overflow member labelled
// [OverflowValue], and [Family.Folded] counts them, so an unbounded label
// cannot exhaust memory. Each member saves under its own [MemberKey].
//
// # Alerts
//
// Two alert rules are evaluated on the same counts. [Tracker.CheckBurnRate]
// is the simple rule: one [BurnRateAlert] per burn-rate window burning at or
// above [Objective.BurnRateThreshold]. [Tracker.AlertStates] evaluates the
// multiwindow, multi-burn-rate policy of the Google SRE Workbook (chapter
// "Alerting on SLOs"): each [AlertTier] fires only while both its long and
// its short window burn at or above its factor. [DefaultTiers] are the
// Workbook's four tiers for a 30-day window, scaled to other windows so each
// tier still guards the same share of the budget. "At or above" forgives
// float rounding: both rules compare with [AlertThreshold], as do the
// Prometheus rules of package promrules.
//
// # Time
//
// Reading the system clock costs more than counting an event, so by default
// a tracker reads a coarse clock that one background goroutine per process
// advances every few milliseconds (never coarser than a tenth of the
// tracker's finest bucket, and at most 100ms). An event is therefore placed
// in its bucket with an error of at most one tick, far below a bucket's
// width. The clock follows the monotonic clock, so small wall-clock
// adjustments do not move it, and re-anchors to the wall clock whenever the
// two disagree by more than a second: forward after a suspend, forward when
// the wall clock is stepped ahead, and back when that step is corrected, so
// a process never stays ahead of the wall clock (nor dates the buckets it
// saves in the future). When the time steps back, the buckets it leaves in
// the future are folded into the bucket of the corrected time: no event is
// lost or counted twice. With [WithClock] every event reads the given clock
// instead (and a step back is handled the same way), which makes the
// tracker exact and lets tests replay a month in milliseconds.
//
// # Persistence
//
// A tracker can save its buckets, with its run-time corrections and a
// time-slice objective's verdicts (see [State]), to a [Store] and restore
// them at start, so the window survives restarts. All store I/O happens on a background
// goroutine; recording never waits for it. See packages store/filestore and
// store/redisstore.
//
// [NewTracker] and [Registry.Define] wait for the first attempt to load the
// saved state, at most the load timeout ([WithLoadTimeout], 5s by default);
// [NewTrackerContext] and [Registry.DefineContext] also stop waiting when
// their context ends. A tracker whose load failed or is still running counts
// at once and goes on loading in the background, retrying with backoff
// (100ms, doubling up to the flush interval). It saves nothing until a load
// has succeeded, so a transient store fault never overwrites a saved window,
// and it adds the loaded state to what it counted meanwhile, so nothing is
// lost or counted twice. [Tracker.StoreStats] reports whether the load has
// succeeded.
package slo
