package slo

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A Tracker counts the good and bad events of one [Objective] and derives
// its error budget and burn rates. It is safe for concurrent use. Recording
// is lock-free and allocation-free; memory is fixed when the tracker is
// made, whatever the event rate.
type Tracker struct {
	// Hot path. The cumulative counters share a cache line; the bucket
	// deadline, read by every event and written once per bucket, gets its
	// own, so counting does not evict it from other cores' caches.
	good, bad atomic.Uint64 // events since the tracker was made
	_         [48]byte
	next      atomic.Int64 // Unix ns at which the finest current bucket ends
	// slack is how far before next the clock may read without having
	// stepped back: twice the finest bucket width plus the longest tick of
	// the coarse clock, more than any reading of a clock that did not.
	slack int64
	_     [48]byte

	clock  func() time.Time  // nil: the process's coarse clock
	obj    Objective         // with defaults applied
	budget float64           // 1 - obj.Target, see errorBudget
	labels map[string]string // a family member's labels; nil otherwise
	key    string            // the store key: MemberKey(obj.Name, labels)

	mu     sync.Mutex
	rings  []*ring // one per distinct window, shortest first
	sealed counts  // cumulative counts already added to the rings
	// corr are the corrections, the objective's and those added at run
	// time; lastSync is when sync last ran: the events of the next sync
	// were recorded after it (see correction_tracker.go).
	corr     corrections
	lastSync int64
	runtime  []Correction // the corrections added at run time, saved
	slices   *sliceLog    // a time-slice objective's slices; nil otherwise
	// dropped counts the events left out by corrections, so the slices
	// are decided without them.
	dropped counts

	store   *storeLoop // nil without a store
	closeMu sync.Mutex
	closed  bool
}

// An Option configures a [Tracker] (or every tracker of a [Registry]).
type Option func(*config)

type config struct {
	clock         func() time.Time
	store         Store
	flushInterval time.Duration
	loadTimeout   time.Duration
	logger        *slog.Logger
	labels        map[string]string // set by a Family for its members
	runtime       []Correction      // a Family's run-time corrections, in the objective
}

// withMemberLabels makes the tracker a family member with labels.
func withMemberLabels(labels map[string]string) Option {
	return func(c *config) { c.labels = labels }
}

// WithClock makes the tracker read time from now instead of the system
// clock. now is called on every event and snapshot, so events land in their
// buckets exactly; tests use it to replay days in milliseconds. now must be
// safe for concurrent use if the tracker is.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithLogger sets where the tracker logs store failures. The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// NewTracker returns a tracker for o, or the *[ValidationError] of o. With
// a store (see [WithStore]) it waits for the first attempt to load the
// saved state, at most the load timeout; [NewTrackerContext] also stops
// waiting when a context ends.
func NewTracker(o Objective, opts ...Option) (*Tracker, error) {
	return NewTrackerContext(context.Background(), o, opts...)
}

// NewTrackerContext is [NewTracker] that stops waiting for the first load
// of the saved state when ctx ends. ctx bounds only the wait: the tracker
// is returned, counts at once, and goes on loading in the background,
// saving nothing until a load has succeeded and then adding the loaded
// state to what it counted meanwhile (see [WithStore]).
func NewTrackerContext(ctx context.Context, o Objective, opts ...Option) (*Tracker, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := config{flushInterval: DefaultFlushInterval, loadTimeout: DefaultLoadTimeout}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	t := &Tracker{obj: o.WithDefaults(), clock: cfg.clock, budget: errorBudget(o.Target), labels: cfg.labels}
	t.key = MemberKey(o.Name, cfg.labels)

	windows := []time.Duration{t.obj.Window}
	windows = append(windows, t.obj.BurnRateWindows...)
	for _, tier := range t.obj.Tiers {
		windows = append(windows, tier.LongWindow, tier.ShortWindow)
	}
	slices.Sort(windows)
	windows = slices.Compact(windows)

	buckets := func(w time.Duration) int {
		if w == t.obj.Window {
			return sloBuckets(t.obj)
		}
		return bucketsPerWindow
	}
	if t.clock == nil {
		// A tick of a tenth of the finest bucket misplaces events by at
		// most a tenth of a bucket's width.
		finest := t.obj.Window / bucketsPerSLOWindow
		for _, w := range windows {
			finest = min(finest, w/time.Duration(buckets(w)))
		}
		if t.obj.Slices.Enabled() {
			finest = min(finest, t.obj.Slices.Window)
		}
		coarse.require(finest / 10)
	}
	now := t.now()
	for _, w := range windows {
		t.rings = append(t.rings, newRing(w, buckets(w), now))
	}
	t.corr, t.lastSync = newCorrections(t.obj), now
	t.runtime = slices.Clone(cfg.runtime)
	finest := t.rings[0].width
	for _, r := range t.rings[1:] {
		finest = min(finest, r.width)
	}
	if t.obj.Slices.Enabled() {
		t.slices = newSliceLog(t.obj, now, windows)
		finest = min(finest, t.slices.width)
	}
	t.slack = 2*finest + int64(maxTick)
	t.next.Store(t.nextBoundary(now))
	if cfg.store != nil {
		t.store = startStore(t, cfg)
		t.store.waitFirstLoad(ctx)
	}
	return t, nil
}

// Name returns the objective's name.
func (t *Tracker) Name() string { return t.obj.Name }

// Labels returns a family member's labels (see [Family]), or nil for a
// tracker of its own.
func (t *Tracker) Labels() map[string]string { return maps.Clone(t.labels) }

// Objective returns the tracker's objective, with defaults applied.
func (t *Tracker) Objective() Objective {
	return t.obj.WithDefaults() // copies the slices
}

// RecordSuccess counts one good event.
func (t *Tracker) RecordSuccess() {
	t.tick()
	t.good.Add(1)
}

// RecordFailure counts one bad event: one that spends error budget.
func (t *Tracker) RecordFailure() {
	t.tick()
	t.bad.Add(1)
}

// Record counts one event, good or bad.
func (t *Tracker) Record(good bool) {
	t.tick()
	if good {
		t.good.Add(1)
	} else {
		t.bad.Add(1)
	}
}

// RecordN counts good and bad events at once, for callers that aggregate.
func (t *Tracker) RecordN(good, bad uint64) {
	t.tick()
	if good != 0 {
		t.good.Add(good)
	}
	if bad != 0 {
		t.bad.Add(bad)
	}
}

// tick moves the rings on when the current bucket has ended, or back when
// the clock stepped back. Events are counted after it, so an event lands in
// the bucket current at its time.
func (t *Tracker) tick() {
	now := coarse.load()
	if t.clock != nil {
		now = t.clockNow()
	}
	if t.due(now) {
		t.advance(now)
	}
}

// due reports whether the rings must move to now: now >= next (a bucket
// ended) or now < next - slack (the clock stepped back), in one comparison.
func (t *Tracker) due(now int64) bool {
	return uint64(now-t.next.Load()+t.slack) >= uint64(t.slack)
}

// clockNow reads the injected clock. It is kept out of tick so that tick,
// the whole cost of recording with the default clock, inlines.
//
//go:noinline
func (t *Tracker) clockNow() int64 { return t.clock().UnixNano() }

// advance is tick's slow path, taken once per bucket and after the clock
// stepped back.
func (t *Tracker) advance(now int64) {
	t.mu.Lock()
	if t.due(now) {
		t.sync(now)
	}
	t.mu.Unlock()
}

// counted returns the cumulative counts of the events synced so far that no
// correction left out. t.mu must be held.
func (t *Tracker) counted() counts {
	return counts{t.sealed.good - t.dropped.good, t.sealed.bad - t.dropped.bad}
}

// sync adds the events counted since the last sync to the current buckets,
// where they belong (any event after a bucket's end would have moved the
// rings on first), then moves the rings to now: on, or back if the clock
// stepped back by more than the slack. A smaller step back leaves the
// rings where they are, the current bucket taking the events. t.mu must be
// held.
func (t *Tracker) sync(now int64) {
	c := counts{good: t.good.Load(), bad: t.bad.Load()}
	if d := (counts{c.good - t.sealed.good, c.bad - t.sealed.bad}); d != (counts{}) {
		if t.corrected() {
			t.dropped.good += d.good
			t.dropped.bad += d.bad
		} else {
			for _, r := range t.rings {
				r.add(d)
			}
		}
	}
	t.sealed, t.lastSync = c, now
	back := now < t.next.Load()-t.slack
	for _, r := range t.rings {
		if back {
			r.rewind(now)
		}
		r.advance(now)
	}
	if t.slices != nil {
		t.slices.advance(now, t.counted())
	}
	t.next.Store(t.nextBoundary(now))
}

// nextBoundary is when the rings must next move after now: the end of the
// finest current bucket, or the start or end of a correction if sooner.
func (t *Tracker) nextBoundary(now int64) int64 {
	next := t.rings[0].next()
	for _, r := range t.rings[1:] {
		next = min(next, r.next())
	}
	if !t.corr.empty() {
		next = min(next, t.corr.nextChange(now))
	}
	if t.slices != nil {
		next = min(next, t.slices.next())
	}
	return next
}

// now reads the precise time: the injected clock, or the coarse clock's
// timeline (wall time at its start plus monotonic time since) read exactly.
func (t *Tracker) now() int64 {
	if t.clock != nil {
		return t.clockNow()
	}
	return coarse.precise()
}

// ringFor returns the ring measuring window w.
func (t *Tracker) ringFor(w time.Duration) *ring {
	for _, r := range t.rings {
		if r.window == w {
			return r
		}
	}
	panic(fmt.Sprintf("slo: no ring for window %v", w)) // unreachable: NewTracker made one per window
}

// Snapshot returns the objective's state now. It costs a few hundred
// nanoseconds per window, whatever the number of events recorded.
func (t *Tracker) Snapshot() Snapshot {
	now := t.now()
	v := view{window: make(map[time.Duration]counts, len(t.rings))}
	t.mu.Lock()
	t.sync(now)
	for _, r := range t.rings {
		v.window[r.window] = r.sum
	}
	t.periodView(&v, now)
	if t.slices != nil {
		v.slices = t.slices.view()
	}
	t.mu.Unlock()
	v.good, v.bad = t.good.Load(), t.bad.Load()
	s := newSnapshot(t.obj, t.budget, time.Unix(0, now), v)
	s.Labels = t.Labels()
	s.Corrections = t.correctionPeriods(now)
	return s
}

// CheckBurnRate returns one alert per burn-rate window burning at or above
// the objective's BurnRateThreshold, shortest window first.
func (t *Tracker) CheckBurnRate() []BurnRateAlert {
	return t.Snapshot().BurnRateAlerts()
}

// AlertStates returns the state of every alert tier of the objective's
// multiwindow, multi-burn-rate policy, firing or not.
func (t *Tracker) AlertStates() []TierState {
	return t.Snapshot().Tiers
}

// Close saves the tracker's state to its store, if it has one, and stops
// saving. It waits for the save until ctx ends; a Close that failed (the
// store down, ctx too short) can be called again to retry the save. Events
// recorded after Close are counted but no longer saved. Once a Close has
// succeeded, more calls do nothing.
func (t *Tracker) Close(ctx context.Context) error {
	t.closeMu.Lock()
	defer t.closeMu.Unlock()
	if t.closed {
		return nil
	}
	var err error
	if t.store != nil {
		err = t.store.close(ctx)
	}
	t.closed = err == nil
	return err
}
