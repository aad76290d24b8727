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
	// DefaultLoadTimeout bounds the load NewTracker attempts at start.
	DefaultLoadTimeout = 5 * time.Second
)

// A Store saves tracker states and gives them back, so that a window
// survives restarts (store/filestore) or is shared by replicas
// (store/redisstore).
//
// A tracker calls its store only from NewTracker, from one background
// goroutine and from Close; recording never waits on a store. Save is given
// the tracker's whole state, absolute counts and not increments, so a
// retried or repeated Save never counts an event twice. Load returns what
// the last successful Save of that objective saved, or nil and no error
// when nothing was saved.
type Store interface {
	Load(ctx context.Context, objective string) (*State, error)
	Save(ctx context.Context, state *State) error
}

// WithStore makes the tracker restore its state from s when it is made and
// save it to s every flush interval and on Close. If the first load fails
// (say the store is unreachable), the tracker starts empty, logs the error
// and loads again before its next save, so it never overwrites a state it
// has not restored.
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

// WithLoadTimeout bounds the store load that NewTracker waits for; the
// default is [DefaultLoadTimeout]. A load that times out is retried in the
// background.
func WithLoadTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.loadTimeout = d
		}
	}
}

// A State is the persistent form of a tracker: the buckets of each of its
// windows, with absolute counts.
type State struct {
	Objective string
	Time      time.Time // when the state was taken
	Windows   []WindowState
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
	st := &State{Objective: t.obj.Name, Time: time.Unix(0, now).UTC()}
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
	return st
}

// Restore adds the counts of a saved state to the tracker's windows.
// Buckets older than a window are dropped; buckets dated in the future count
// now. Each window is filled from the saved window that measured the same
// span with the finest buckets, so a state saved under other alert windows
// still restores. Restore adds and never replaces: restoring one state twice
// counts its events twice.
func (t *Tracker) Restore(st *State) error {
	if st == nil {
		return nil
	}
	if st.Objective != t.obj.Name {
		return fmt.Errorf("slo: restore %q: the state is of objective %q", t.obj.Name, st.Objective)
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync(now)
	for _, r := range t.rings {
		src := bestSource(st.Windows, r.window)
		if src == nil {
			continue
		}
		for _, b := range src.Buckets {
			r.addAt(b.Start.UnixNano(), counts{good: b.Good, bad: b.Bad})
		}
	}
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
	}
}

// storeLoop saves a tracker's state in the background.
type storeLoop struct {
	t        *Tracker
	store    Store
	interval time.Duration
	log      *slog.Logger

	mu     sync.Mutex // serializes load and save
	loaded bool

	saves, failures atomic.Uint64
	failing         atomic.Bool

	// ctx ends the background loop and cancels its save in flight.
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

func startStore(t *Tracker, cfg config) *storeLoop {
	l := &storeLoop{
		t:        t,
		store:    cfg.store,
		interval: cfg.flushInterval,
		log:      cfg.logger,
		done:     make(chan struct{}),
	}
	l.ctx, l.stop = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), cfg.loadTimeout)
	l.mu.Lock()
	l.report(l.load(ctx))
	l.mu.Unlock()
	cancel()
	go l.run()
	return l
}

func (l *storeLoop) run() {
	defer close(l.done)
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

// close stops the loop, cancelling its save in flight, and saves with ctx.
// It may be called again after a failure.
func (l *storeLoop) close(ctx context.Context) error {
	l.stop()
	select {
	case <-l.done:
	case <-ctx.Done():
		return fmt.Errorf("slo: close %q: %w", l.t.obj.Name, ctx.Err())
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
			err = fmt.Errorf("slo: save %q: %w", l.t.obj.Name, err)
		} else {
			l.saves.Add(1)
		}
	}
	l.report(err)
	return err
}

// load restores the saved state once. l.mu must be held.
func (l *storeLoop) load(ctx context.Context) error {
	if l.loaded {
		return nil
	}
	st, err := l.store.Load(ctx, l.t.obj.Name)
	if err != nil {
		return fmt.Errorf("slo: load %q: %w", l.t.obj.Name, err)
	}
	if err := l.t.Restore(st); err != nil {
		return err
	}
	l.loaded = true
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
			if !l.loaded {
				msg = "slo: store failing; saved state not restored yet, will retry before saving"
			}
			l.log.Error(msg, "objective", l.t.obj.Name, "err", err)
		}
	case l.failing.Swap(false):
		l.log.Info("slo: store recovered", "objective", l.t.obj.Name)
	}
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
