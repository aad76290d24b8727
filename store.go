package slo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a tracker's store loop.
const (
	// DefaultFlushInterval is how often a tracker saves to its store.
	DefaultFlushInterval = 10 * time.Second
	// DefaultLoadTimeout bounds each attempt to load a tracker's saved
	// state, and how long NewTracker waits for the first.
	DefaultLoadTimeout = 5 * time.Second
)

// firstLoadRetry is how long a tracker waits before it retries a failed
// load the first time; each further wait doubles, up to the flush interval.
const firstLoadRetry = 100 * time.Millisecond

// A Store saves tracker states and gives them back, so that a window
// survives restarts (store/filestore) or can be summed across replicas
// (store/redisstore's FleetSnapshot).
//
// A tracker calls its store only from one background goroutine and from
// Close; recording never waits on a store. Save is given the tracker's
// whole state, absolute counts and not increments, so a retried or repeated
// Save never counts an event twice. Load returns what the last successful
// Save of that objective saved, or nil and no error when nothing was saved.
// Load returns an error, and never nil, when it could not tell (the store
// unreachable, a read failing): the tracker then retries, and saves nothing
// until a load has succeeded.
type Store interface {
	Load(ctx context.Context, objective string) (*State, error)
	Save(ctx context.Context, state *State) error
}

// WithStore makes the tracker restore its state from s when it is made and
// save it to s every flush interval and on Close.
//
// The load runs in the background; [NewTracker] waits for its first attempt
// (at most the load timeout, see [WithLoadTimeout]) and
// [NewTrackerContext] also stops waiting when its context ends. If that
// attempt fails or is still running, the tracker starts counting anyway
// and loads in the background, retrying a failed load after 100ms, then
// after twice as long each time, up to the flush interval. It saves nothing
// until a load has succeeded, so it never overwrites a state it has not
// restored, and it adds the loaded state to what it counted meanwhile:
// nothing is lost or counted twice. [Tracker.StoreStats] reports whether
// the load has succeeded.
func WithStore(s Store) Option {
	return func(c *config) { c.store = s }
}

// WithFlushInterval sets how often the tracker saves to its store; the
// default is [DefaultFlushInterval]. A crash loses at most the events of
// one interval, plus those of the save in flight when it struck.
func WithFlushInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.flushInterval = d
		}
	}
}

// WithLoadTimeout bounds each attempt to load the tracker's saved state,
// and how long NewTracker waits for the first; the default is
// [DefaultLoadTimeout]. A load that fails or times out is retried in the
// background.
func WithLoadTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.loadTimeout = d
		}
	}
}

// A State is the persistent form of a tracker: the buckets of each of its
// windows, with absolute counts, the corrections added at run time and a
// time-slice objective's slices (see persist.go for how a restore merges
// them).
type State struct {
	Objective string
	Time      time.Time // when the state was taken
	Windows   []WindowState
	// Corrections are the corrections added at run time (see
	// [Tracker.AddCorrection]) that end after the start of the tracker's
	// longest window, sorted by start; the objective's own are not saved.
	Corrections []Correction
	// Slices holds a time-slice objective's slices; nil for an objective
	// over events.
	Slices *SliceState
}

// A WindowState holds the non-empty buckets of one window, oldest first.
type WindowState struct {
	Window      time.Duration
	BucketWidth time.Duration
	Buckets     []Bucket
}

// A Bucket counts the events of one time bucket.
type Bucket struct {
	Start     time.Time
	Good, Bad uint64
}

// State returns the tracker's current state: every window's non-empty
// buckets.
func (t *Tracker) State() *State {
	now := t.now()
	st := &State{Objective: t.key, Time: time.Unix(0, now).UTC()}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync(now)
	for _, r := range t.rings {
		ws := WindowState{Window: r.window, BucketWidth: time.Duration(r.width)}
		r.each(func(start int64, c counts) {
			if c != (counts{}) {
				ws.Buckets = append(ws.Buckets, Bucket{Start: time.Unix(0, start).UTC(), Good: c.good, Bad: c.bad})
			}
		})
		st.Windows = append(st.Windows, ws)
	}
	t.saveExtras(st, now)
	return st
}

// Restore adds the counts of a saved state to the tracker's windows.
// Buckets older than a window are dropped; buckets dated in the future count
// now. Each window is filled from the saved window that measured the same
// span with the finest buckets, so a state saved under other alert windows
// still restores. Restore adds and never replaces: restoring one state twice
// counts its events twice. It unites the state's run-time corrections with
// the tracker's and merges a time-slice objective's slices, as persist.go
// describes; a correction or a bad slice is never counted twice. It refuses
// a state of another objective, or one [State.Validate] refuses, and then
// changes nothing.
func (t *Tracker) Restore(st *State) error {
	if st == nil {
		return nil
	}
	if st.Objective != t.key {
		return fmt.Errorf("slo: restore %q: the state is of objective %q", t.key, st.Objective)
	}
	if err := st.Validate(); err != nil {
		return fmt.Errorf("slo: restore %q: %w", t.key, err)
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync(now)
	skip := t.uncovered(st.Corrections, now)
	t.adopt(st.Corrections, now)
	for _, r := range t.rings {
		src := bestSource(st.Windows, r.window)
		if src == nil {
			continue
		}
		for _, b := range src.Buckets {
			start := b.Start.UnixNano()
			if skip.overlaps(start, start+int64(src.BucketWidth)) {
				continue
			}
			r.addAt(start, counts{good: b.Good, bad: b.Bad})
		}
	}
	if t.slices != nil {
		t.slices.merge(st.Slices, skip)
	}
	t.next.Store(t.nextBoundary(now))
	return nil
}

// bestSource picks the saved window to fill a window of length w: among
// those at least as long as w, the one with the finest buckets; when none
// is that long, the longest.
func bestSource(saved []WindowState, w time.Duration) *WindowState {
	var best *WindowState
	for i := range saved {
		s := &saved[i]
		switch {
		case best == nil:
			best = s
		case s.Window >= w && (best.Window < w || s.BucketWidth < best.BucketWidth):
			best = s
		case best.Window < w && s.Window > best.Window:
			best = s
		}
	}
	return best
}

// StoreStats counts a tracker's store operations.
type StoreStats struct {
	Saves, Failures uint64
	Failing         bool // the last operation failed
	// Loaded reports that the saved state has been restored (or that
	// there was none). Until then the tracker saves nothing and its
	// windows hold only what it counted itself.
	Loaded bool
}

// StoreStats returns the counts of the tracker's store operations; all zero
// without a store.
func (t *Tracker) StoreStats() StoreStats {
	if t.store == nil {
		return StoreStats{}
	}
	return StoreStats{
		Saves:    t.store.saves.Load(),
		Failures: t.store.failures.Load(),
		Failing:  t.store.failing.Load(),
		Loaded:   t.store.loaded.Load(),
	}
}

// storeLoop loads a tracker's saved state, then saves its state, in the
// background.
type storeLoop struct {
	t           *Tracker
	store       Store
	interval    time.Duration
	loadTimeout time.Duration
	log         *slog.Logger

	mu     sync.Mutex    // serializes load and save
	loaded atomic.Bool   // a load succeeded: saving may begin
	first  chan struct{} // closed when the first load attempt has ended

	saves, failures atomic.Uint64
	failing         atomic.Bool

	// ctx ends the background loop and cancels its operation in flight.
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

func startStore(t *Tracker, cfg config) *storeLoop {
	l := &storeLoop{
		t:           t,
		store:       cfg.store,
		interval:    cfg.flushInterval,
		loadTimeout: cfg.loadTimeout,
		log:         cfg.logger,
		first:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	l.ctx, l.stop = context.WithCancel(context.Background())
	go l.run()
	return l
}

// waitFirstLoad waits until the first load attempt has ended, ctx has
// ended or the load timeout has passed.
func (l *storeLoop) waitFirstLoad(ctx context.Context) {
	timer := time.NewTimer(l.loadTimeout)
	defer timer.Stop()
	select {
	case <-l.first:
	case <-ctx.Done():
	case <-timer.C:
	}
}

func (l *storeLoop) run() {
	defer close(l.done)
	if !l.loadUntilDone() {
		return
	}
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(l.ctx, l.interval)
			_ = l.flush(ctx) // reported and logged by flush
			cancel()
		}
	}
}

// loadUntilDone attempts to load until an attempt succeeds, backing off
// between attempts. It reports false if the loop was stopped first.
func (l *storeLoop) loadUntilDone() bool {
	wait := min(firstLoadRetry, l.interval)
	for attempt := 0; ; attempt++ {
		err := l.loadOnce()
		if attempt == 0 {
			close(l.first)
		}
		if err == nil {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case <-l.ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
		}
		wait = min(2*wait, l.interval)
	}
}

// loadOnce makes one load attempt, bounded by the load timeout.
func (l *storeLoop) loadOnce() error {
	ctx, cancel := context.WithTimeout(l.ctx, l.loadTimeout)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.load(ctx)
	l.report(err)
	return err
}

// close stops the loop, cancelling its operation in flight, and saves with
// ctx. It may be called again after a failure.
func (l *storeLoop) close(ctx context.Context) error {
	l.stop()
	select {
	case <-l.done:
	case <-ctx.Done():
		return fmt.Errorf("slo: close %q: %w", l.t.key, ctx.Err())
	}
	return l.flush(ctx)
}

// flush loads the saved state if that has not succeeded yet, then saves.
func (l *storeLoop) flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.load(ctx)
	if err == nil {
		err = l.store.Save(ctx, l.t.State())
		if err != nil {
			err = fmt.Errorf("slo: save %q: %w", l.t.key, err)
		} else {
			l.saves.Add(1)
		}
	}
	l.report(err)
	return err
}

// load restores the saved state once, adding it to what the tracker has
// counted. l.mu must be held.
func (l *storeLoop) load(ctx context.Context) error {
	if l.loaded.Load() {
		return nil
	}
	st, err := l.store.Load(ctx, l.t.key)
	if err != nil {
		return fmt.Errorf("slo: load %q: %w", l.t.key, err)
	}
	if err := l.t.Restore(st); err != nil {
		return err
	}
	l.loaded.Store(true)
	return nil
}

// report counts an operation's outcome and logs once per outage: the first
// failure, and the recovery.
func (l *storeLoop) report(err error) {
	switch {
	case err != nil:
		l.failures.Add(1)
		if !l.failing.Swap(true) {
			msg := "slo: store failing; counting continues in memory"
			if !l.loaded.Load() {
				msg = "slo: store failing; saved state not restored yet, will retry before saving"
			}
			l.log.Error(msg, append(l.t.logAttrs(), "err", err)...)
		}
	case l.failing.Swap(false):
		l.log.Info("slo: store recovered", l.t.logAttrs()...)
	}
}

// logAttrs names the tracker in log records: its objective, and a family
// member's labels.
func (t *Tracker) logAttrs() []any {
	if t.labels == nil {
		return []any{"objective", t.obj.Name}
	}
	return []any{"objective", t.obj.Name, "labels", t.labels}
}

// History returns the buckets of the SLO window, oldest first, empty ones
// included: the window's history at the resolution the tracker keeps (a
// 720th of the window), for burn-down charts. The last bucket is the
// current, partial one.
func (t *Tracker) History() []Bucket {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync(now)
	r := t.ringFor(t.obj.Window)
	h := make([]Bucket, 0, len(r.buckets))
	r.each(func(start int64, c counts) {
		h = append(h, Bucket{Start: time.Unix(0, start).UTC(), Good: c.good, Bad: c.bad})
	})
	return h
}
