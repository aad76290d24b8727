package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
)

func newClock() *slotest.Clock { return slotest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) }

var pageTier = slo.AlertTier{Severity: slo.SeverityPage, LongWindow: 5 * time.Minute, ShortWindow: time.Minute, Factor: 10}

// checkoutObjective has one page tier: 10x over 5m and 1m.
func checkoutObjective() slo.Objective {
	return slo.Objective{
		Name:            "checkout",
		Target:          0.99,
		Window:          time.Hour,
		BurnRateWindows: []time.Duration{5 * time.Minute},
		Tiers:           []slo.AlertTier{pageTier},
	}
}

// seen is an event as the tests compare it: when, what, about which signal.
func seen(start time.Time, e Event) string {
	s := fmt.Sprintf("%vm %s %s", e.Timestamp.Sub(start).Minutes(), e.Kind, e.Payload.SLOName)
	if e.Payload.Tier != nil {
		s += " " + e.Payload.Tier.String()
	} else {
		s += fmt.Sprintf(" window %v", e.Payload.Window)
	}
	return s
}

// replay records one minute of traffic per entry of errs (1000 events,
// errs[i] of them bad), advances the clock a minute and checks.
func replay(t testing.TB, c *slotest.Clock, tr *slo.Tracker, w *Watcher, start time.Time, errs []uint64) []string {
	var out []string
	for _, bad := range errs {
		tr.RecordN(1000-bad, bad)
		c.Advance(time.Minute)
		for _, e := range mustCheck(t, w) {
			out = append(out, seen(start, e))
		}
	}
	return out
}

// minutes returns n minutes at bad errors per thousand.
func minutes(n int, bad uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = bad
	}
	return out
}

func concat(parts ...[]uint64) []uint64 {
	var out []uint64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestWatcherSendsOneEventPerTransitionToTheReceiver(t *testing.T) {
	r := newReceiver(t, testToken)
	sink, _ := newTestSink(t, r, Config{})
	c := newClock()
	start := c.Now()
	reg := slo.NewRegistry(slo.WithClock(c.Now))
	tr, err := reg.Define(checkoutObjective())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(reg, sink, WithHoldDown(3*time.Minute))

	// 10 clean minutes, 5 at 20% errors (burn rate 20), then clean.
	got := replay(t, c, tr, w, start, concat(minutes(10, 0), minutes(5, 200), minutes(70, 0)))
	want := []string{
		"11m slo_budget_exhausted checkout window 1h0m0s",  // 200 failures > 1% of 11000
		"13m slo_burn_started checkout page 5m0s/1m0s x10", // 600/5000 over 5m, 200/1000 over 1m
		"19m slo_recovered checkout page 5m0s/1m0s x10",    // clear from 16m, held down 3m
		"76m slo_budget_restored checkout window 1h0m0s",   // under 1% of the hour from 73m, held down 3m
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	closeWithin(t, sink, 5*time.Second)
	stored := r.stored()
	if len(stored) != len(want) {
		t.Fatalf("the receiver stored %d events, want %d", len(stored), len(want))
	}
	kinds := []string{"slo_budget_exhausted", "slo_burn_started", "slo_recovered", "slo_budget_restored"}
	for i, e := range stored {
		if e.Kind != kinds[i] || e.Source != DefaultSource || e.Payload["slo_name"] != "checkout" {
			t.Errorf("stored event %d: %+v", i, e)
		}
	}
	started := stored[1]
	wantPayload := map[string]any{
		"slo_name": "checkout", "window_seconds": 300.0, "burn_rate": 12.0, "threshold": 10.0,
		"success_ratio": 0.88, "sample_count": 5000.0, "severity": "page", "long_window": "5m", "short_window": "1m",
	}
	for k, v := range wantPayload {
		if f, ok := v.(float64); ok {
			if g, _ := started.Payload[k].(float64); math.Abs(g-f) > 1e-9 {
				t.Errorf("slo_burn_started payload %s = %v, want %v", k, started.Payload[k], v)
			}
		} else if started.Payload[k] != v {
			t.Errorf("slo_burn_started payload %s = %v, want %v", k, started.Payload[k], v)
		}
	}
	// 13000 events, 600 failures: (130 - 600) / 130.
	if g := started.Payload["error_budget_remaining"].(float64); math.Abs(g-(130.0-600)/130) > 1e-9 {
		t.Errorf("error_budget_remaining %v", g)
	}
	if !started.Timestamp.Equal(start.Add(13 * time.Minute)) {
		t.Errorf("slo_burn_started timestamp %v, want the snapshot's time %v", started.Timestamp, start.Add(13*time.Minute))
	}
	exhausted := stored[0]
	if _, ok := exhausted.Payload["severity"]; ok || exhausted.Payload["window_seconds"] != 3600.0 || exhausted.Payload["threshold"] != 1.0 {
		t.Errorf("slo_budget_exhausted payload %v: want the whole window, threshold 1 and no tier", exhausted.Payload)
	}
}

func TestWatcherHoldDownKeepsAFlappingSignalFromFloodingTheStream(t *testing.T) {
	// Alternate a minute at 50% errors and a clean minute for 20 minutes:
	// the 1m short window makes the page tier fire and clear every minute.
	flaps := concat(minutes(10, 0))
	for range 10 {
		flaps = append(flaps, 600, 0) // any 5m with a bad minute burns at 12 or more
	}
	flaps = append(flaps, minutes(15, 0)...)
	for _, tc := range []struct {
		name     string
		holdDown time.Duration
		want     []string
	}{
		{
			name:     "a 5m hold-down sends one start and one recovery",
			holdDown: 5 * time.Minute,
			want: []string{
				"11m slo_burn_started checkout page 5m0s/1m0s x10",
				"35m slo_recovered checkout page 5m0s/1m0s x10", // last fired at 29m, clear from 30m
			},
		},
		{
			name:     "no hold-down sends a pair per flap",
			holdDown: 0,
			want: []string{
				"11m slo_burn_started checkout page 5m0s/1m0s x10", "12m slo_recovered checkout page 5m0s/1m0s x10",
				"13m slo_burn_started checkout page 5m0s/1m0s x10", "14m slo_recovered checkout page 5m0s/1m0s x10",
				"15m slo_burn_started checkout page 5m0s/1m0s x10", "16m slo_recovered checkout page 5m0s/1m0s x10",
				"17m slo_burn_started checkout page 5m0s/1m0s x10", "18m slo_recovered checkout page 5m0s/1m0s x10",
				"19m slo_burn_started checkout page 5m0s/1m0s x10", "20m slo_recovered checkout page 5m0s/1m0s x10",
				"21m slo_burn_started checkout page 5m0s/1m0s x10", "22m slo_recovered checkout page 5m0s/1m0s x10",
				"23m slo_burn_started checkout page 5m0s/1m0s x10", "24m slo_recovered checkout page 5m0s/1m0s x10",
				"25m slo_burn_started checkout page 5m0s/1m0s x10", "26m slo_recovered checkout page 5m0s/1m0s x10",
				"27m slo_burn_started checkout page 5m0s/1m0s x10", "28m slo_recovered checkout page 5m0s/1m0s x10",
				"29m slo_burn_started checkout page 5m0s/1m0s x10", "30m slo_recovered checkout page 5m0s/1m0s x10",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			tr, err := slo.NewTracker(checkoutObjective(), slo.WithClock(c.Now))
			if err != nil {
				t.Fatal(err)
			}
			w := NewWatcher(Trackers(tr), nil, WithHoldDown(tc.holdDown))
			var got []string // the budget, spent from 11m on, is not the point here
			for _, e := range replay(t, c, tr, w, c.Now(), flaps) {
				if !strings.Contains(e, "budget") {
					got = append(got, e)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestWatcherWatchesBurnRateWindowsWhenTheTierPolicyIsDisabled(t *testing.T) {
	c := newClock()
	start := c.Now()
	o := checkoutObjective()
	o.Tiers = []slo.AlertTier{} // the Python package's rule: each burn-rate window against the threshold
	o.BurnRateWindows = []time.Duration{2 * time.Minute, 10 * time.Minute}
	o.BurnRateThreshold = 8
	tr, err := slo.NewTracker(o, slo.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(Trackers(tr), nil, WithHoldDown(time.Minute))
	var events []Event
	// One minute of total failure: 50% over 2m (rate 50), 10% over 10m (10).
	for _, bad := range concat(minutes(9, 0), []uint64{1000}, minutes(15, 0)) {
		tr.RecordN(1000-bad, bad)
		c.Advance(time.Minute)
		events = append(events, mustCheck(t, w)...)
	}
	var got []string
	for _, e := range events {
		got = append(got, seen(start, e))
		if e.Payload.Tier != nil {
			t.Errorf("%s: a burn-rate window event carries a tier", e.Kind)
		}
	}
	want := []string{
		"10m slo_burn_started checkout window 2m0s",
		"10m slo_burn_started checkout window 10m0s",
		"10m slo_budget_exhausted checkout window 1h0m0s",
		"13m slo_recovered checkout window 2m0s",  // clear from 12m
		"21m slo_recovered checkout window 10m0s", // clear from 20m
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first := events[0].Payload
	if first.BurnRate != 50 || first.Threshold != 8 || first.SampleCount != 2000 || first.SuccessRatio != 0.5 || first.Window != 2*time.Minute {
		t.Errorf("the 2m window's payload %+v: want rate 50, threshold 8, 2000 events, success 0.5", first)
	}
}

func TestWatcherRunChecksEveryIntervalUntilCancelled(t *testing.T) {
	r := newReceiver(t, testToken)
	sink, _ := newTestSink(t, r, Config{})
	c := newClock()
	tr, err := slo.NewTracker(checkoutObjective(), slo.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(0, 1000)
	c.Advance(time.Second)
	w := NewWatcher(Trackers(tr), sink, WithInterval(5*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	eventually(t, 5*time.Second, "the watcher's events at the receiver", func() bool { return len(r.stored()) == 2 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	kinds := []string{r.stored()[0].Kind, r.stored()[1].Kind}
	if fmt.Sprint(kinds) != "[slo_burn_started slo_budget_exhausted]" {
		t.Errorf("kinds %v", kinds)
	}
}

func TestWatcherWithoutSinkRunReturnsAtOnce(t *testing.T) {
	tr, err := slo.NewTracker(checkoutObjective())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(Trackers(tr), nil)
	done := make(chan struct{})
	go func() { w.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run with a nil sink should return at once")
	}
}

func TestSignalUpdate(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at      time.Duration
		firing  bool
		started bool
		ended   bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a clear signal sends nothing", []step{{0, false, false, false}, {time.Hour, false, false, false}}},
		{"firing sends one start", []step{{0, true, true, false}, {time.Minute, true, false, false}}},
		{"the end waits for the hold-down", []step{
			{0, true, true, false}, {time.Minute, false, false, false}, {5 * time.Minute, false, false, false}, {6 * time.Minute, false, false, true},
		}},
		{"firing again restarts the hold-down", []step{
			{0, true, true, false}, {time.Minute, false, false, false}, {4 * time.Minute, true, false, false},
			{5 * time.Minute, false, false, false}, {9 * time.Minute, false, false, false}, {10 * time.Minute, false, false, true},
		}},
		{"after the end a new start is sent", []step{
			{0, true, true, false}, {time.Minute, false, false, false}, {6 * time.Minute, false, false, true}, {7 * time.Minute, true, true, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s signal
			for i, st := range tc.steps {
				started, ended := s.update(st.firing, t0.Add(st.at), 5*time.Minute)
				if started != st.started || ended != st.ended {
					t.Fatalf("step %d (%v, firing %v): started %v ended %v, want %v %v", i, st.at, st.firing, started, ended, st.started, st.ended)
				}
			}
		})
	}
}

// Each member of a family is watched apart: the burning route's events
// carry its labels, the healthy route sends none, and a second route
// starting to burn gets events of its own.
func TestWatcherWatchesEachFamilyMemberWithItsLabels(t *testing.T) {
	c := newClock()
	start := c.Now()
	reg := slo.NewRegistry(slo.WithClock(c.Now))
	f, err := reg.DefineFamily(checkoutObjective(), []string{"route"})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(reg, nil, WithHoldDown(3*time.Minute))
	var got []string
	step := func(pay, search uint64) {
		f.With("/pay").RecordN(1000-pay, pay)
		f.With("/search").RecordN(1000-search, search)
		c.Advance(time.Minute)
		for _, e := range mustCheck(t, w) {
			got = append(got, fmt.Sprintf("%s %v", seen(start, e), e.Payload.Labels))
		}
	}
	for range 10 {
		step(0, 0)
	}
	for range 3 {
		step(200, 0) // /pay burns
	}
	for range 3 {
		step(200, 200) // /search too
	}
	want := []string{
		"11m slo_budget_exhausted checkout window 1h0m0s map[route:/pay]",
		"13m slo_burn_started checkout page 5m0s/1m0s x10 map[route:/pay]",
		"14m slo_budget_exhausted checkout window 1h0m0s map[route:/search]",
		"16m slo_burn_started checkout page 5m0s/1m0s x10 map[route:/search]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	b, err := json.Marshal(Event{Kind: BurnStarted, Payload: Payload{SLOName: "checkout", Labels: map[string]string{"route": "/pay"}}})
	if err != nil || !strings.Contains(string(b), `"labels":{"route":"/pay"}`) {
		t.Errorf("wire form %s (err %v) lacks the labels", b, err)
	}
	if b, _ := json.Marshal(Event{Kind: BurnStarted, Payload: Payload{SLOName: "checkout"}}); strings.Contains(string(b), "labels") {
		t.Errorf("an objective of its own has labels on the wire: %s", b)
	}
}
