package audit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// Defaults of a Watcher.
const (
	DefaultInterval = 10 * time.Second
	DefaultHoldDown = 5 * time.Minute
)

// Trackers returns an [slo.Source] over the given trackers, for a program
// that keeps its trackers outside a Registry.
func Trackers(ts ...*slo.Tracker) slo.Source {
	return trackers(ts)
}

type trackers []*slo.Tracker

func (ts trackers) Snapshots(context.Context) ([]slo.Snapshot, error) {
	out := make([]slo.Snapshot, len(ts))
	for i, t := range ts {
		out[i] = t.Snapshot()
	}
	return out, nil
}

// A WatchOption configures a Watcher.
type WatchOption func(*Watcher)

// WithInterval sets how often Run checks; the default is DefaultInterval.
// A check takes a snapshot of each objective, which costs a few hundred
// nanoseconds per window.
func WithInterval(d time.Duration) WatchOption {
	return func(w *Watcher) {
		if d > 0 {
			w.interval = d
		}
	}
}

// WithHoldDown sets how long a signal must stay clear before its end event
// (slo_recovered, slo_budget_restored) is sent; the default is
// DefaultHoldDown. Zero sends it at the first check that finds the signal
// clear, as the Python package did, and lets a flapping signal send a pair of events
// per flap.
func WithHoldDown(d time.Duration) WatchOption {
	return func(w *Watcher) {
		if d >= 0 {
			w.holdDown = d
		}
	}
}

// A Watcher turns the snapshots of an [slo.Source] (a Registry, a Redis
// fleet, any other) into edge-triggered events for
// a Sink. Each objective has one signal per alert tier (or, when its tier
// policy is disabled, per burn-rate window) and one for its budget:
//
//   - a signal that fires sends its start event (slo_burn_started,
//     slo_budget_exhausted) at the first check that sees it firing;
//   - a signal that fired sends its end event (slo_recovered,
//     slo_budget_restored) once it has been found clear at every check for
//     the hold-down period; firing again before then sends nothing.
//
// So a signal sends at most one start and one end event per hold-down
// period, however it flaps. Time is the snapshots' (the trackers' clock),
// so a tracker made with slo.WithClock replays deterministically. The first
// check takes every signal as clear: a signal already firing then sends its
// start event, also after a restart.
//
// A check whose source cannot be read (a fleet's Redis down) sends nothing
// and changes nothing: a signal seen firing before the outage ends only
// after the source is back and the signal has been seen clear for the
// hold-down. Run logs such an outage once, through the sink's logger, and
// once more when the source is readable again.
//
// A Watcher is safe for concurrent use.
type Watcher struct {
	src      slo.Source
	sink     *Sink
	interval time.Duration
	holdDown time.Duration

	mu    sync.Mutex
	state map[string]*objectiveState // by slo.MemberKey: each family member apart
}

// objectiveState is the watcher's memory of one objective.
type objectiveState struct {
	tiers   bool     // signals are tiers, not burn-rate windows
	signals []signal // index-aligned with Snapshot.Tiers or BurnRates
	budget  signal
}

// A signal is the edge detector of one alert signal.
type signal struct {
	active     bool      // its start event was sent, its end event not yet
	clearSince time.Time // the first check that found it clear, while active
}

// update feeds the signal one check and reports the event to send, if any.
func (s *signal) update(firing bool, now time.Time, holdDown time.Duration) (started, ended bool) {
	switch {
	case firing:
		s.clearSince = time.Time{}
		if !s.active {
			s.active = true
			return true, false
		}
	case s.active:
		if s.clearSince.IsZero() {
			s.clearSince = now
		}
		if now.Sub(s.clearSince) >= holdDown {
			*s = signal{}
			return false, true
		}
	}
	return false, false
}

// NewWatcher returns a watcher that sends the transitions of src's
// objectives to sink. With a nil sink, Run returns at once.
func NewWatcher(src slo.Source, sink *Sink, opts ...WatchOption) *Watcher {
	w := &Watcher{
		src:      src,
		sink:     sink,
		interval: DefaultInterval,
		holdDown: DefaultHoldDown,
		state:    make(map[string]*objectiveState),
	}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Run checks every interval until ctx ends, each check bounded by the
// interval. It returns at once when the watcher's sink is nil, so a
// disabled audit stream costs nothing.
func (w *Watcher) Run(ctx context.Context) {
	if w.sink == nil {
		return
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			checkCtx, cancel := context.WithTimeout(ctx, w.interval)
			_, err := w.Check(checkCtx)
			cancel()
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil && !failing:
				failing = true
				w.sink.cfg.Logger.Error("audit: cannot read the SLOs; no events until they can be read", "error", err)
			case err == nil && failing:
				failing = false
				w.sink.cfg.Logger.Info("audit: the SLOs are readable again")
			}
		}
	}
}

// Check evaluates every objective of the source now, enqueues the events
// of the transitions it finds and returns them, in objective order (the
// source's), each objective's signals first and its budget last. When the
// source cannot be read, Check returns its error, sends nothing and keeps
// every signal as it was.
func (w *Watcher) Check(ctx context.Context) ([]Event, error) {
	snaps, err := w.src.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: reading the SLOs: %w", err)
	}
	w.mu.Lock()
	var events []Event
	for _, s := range snaps {
		events = w.check(s, events)
	}
	w.mu.Unlock()
	for _, e := range events {
		w.sink.Enqueue(e)
	}
	return events, nil
}

func (w *Watcher) check(s slo.Snapshot, events []Event) []Event {
	key := slo.MemberKey(s.Name, s.Labels)
	st := w.state[key]
	tiers := len(s.Tiers) > 0
	n := len(s.BurnRates)
	if tiers {
		n = len(s.Tiers)
	}
	if st == nil || st.tiers != tiers || len(st.signals) != n {
		st = &objectiveState{tiers: tiers, signals: make([]signal, n), budget: ifSame(st)}
		w.state[key] = st
	}
	emit := func(started, ended bool, start, end Kind, p Payload) {
		switch {
		case started:
			events = append(events, Event{Kind: start, Timestamp: s.Time, Payload: p})
		case ended:
			events = append(events, Event{Kind: end, Timestamp: s.Time, Payload: p})
		}
	}
	if tiers {
		for i, t := range s.Tiers {
			started, ended := st.signals[i].update(t.Firing, s.Time, w.holdDown)
			emit(started, ended, BurnStarted, Recovered, tierPayload(s, t))
		}
	} else {
		firing := make(map[time.Duration]bool, len(s.BurnRates))
		for _, a := range s.BurnRateAlerts() {
			firing[a.Window] = true
		}
		for i, b := range s.BurnRates {
			started, ended := st.signals[i].update(firing[b.Window], s.Time, w.holdDown)
			emit(started, ended, BurnStarted, Recovered, windowPayload(s, b))
		}
	}
	started, ended := st.budget.update(s.IsBudgetExhausted(), s.Time, w.holdDown)
	emit(started, ended, BudgetExhausted, BudgetRestored, budgetPayload(s))
	return events
}

// ifSame keeps the budget signal of an objective whose alert signals
// changed shape.
func ifSame(st *objectiveState) signal {
	if st == nil {
		return signal{}
	}
	return st.budget
}

func tierPayload(s slo.Snapshot, t slo.TierState) Payload {
	tier := t.AlertTier
	return Payload{
		SLOName:              s.Name,
		Labels:               s.Labels,
		Window:               t.LongWindow,
		BurnRate:             t.LongBurnRate,
		Threshold:            t.Factor,
		SuccessRatio:         min(max(1-t.LongBurnRate*(1-s.Target), 0), 1),
		SampleCount:          t.LongTotal,
		ErrorBudgetRemaining: s.ErrorBudgetRemaining,
		Tier:                 &tier,
	}
}

func windowPayload(s slo.Snapshot, b slo.BurnRateSample) Payload {
	ratio := 1.0
	if b.Total > 0 {
		ratio = float64(b.Total-b.Failures) / float64(b.Total)
	}
	return Payload{
		SLOName:              s.Name,
		Labels:               s.Labels,
		Window:               b.Window,
		BurnRate:             b.BurnRate,
		Threshold:            s.BurnRateThreshold,
		SuccessRatio:         ratio,
		SampleCount:          b.Total,
		ErrorBudgetRemaining: s.ErrorBudgetRemaining,
	}
}

func budgetPayload(s slo.Snapshot) Payload {
	return Payload{
		SLOName:              s.Name,
		Labels:               s.Labels,
		Window:               s.Window,
		BurnRate:             s.BurnRate,
		Threshold:            1,
		SuccessRatio:         s.SuccessRatio,
		SampleCount:          s.Total,
		ErrorBudgetRemaining: s.ErrorBudgetRemaining,
	}
}
