package sloprom

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/internal/slotest"
)

func newClock() *slotest.Clock { return slotest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) }

// burningRegistry holds two objectives: "checkout" (target 93.75%, so the
// allowed error ratio is exactly 1/16) after an hour at 50% errors, a burn
// rate of 8; and "search" (99%, 7 days, one 5m burn-rate window) without
// events.
func burningRegistry(t *testing.T) *slo.Registry {
	t.Helper()
	c := newClock()
	reg := slo.NewRegistry(slo.WithClock(c.Now))
	checkout, err := reg.Define(slo.Objective{Name: "checkout", Target: 0.9375})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(slo.Objective{Name: "search", Target: 0.99, Window: 7 * 24 * time.Hour,
		BurnRateWindows: []time.Duration{5 * time.Minute}}); err != nil {
		t.Fatal(err)
	}
	for range 60 {
		checkout.RecordN(8, 8)
		c.Advance(time.Minute)
	}
	return reg
}

// The expected values follow from the scenario, not from the code: 960
// events in the window, 480 of them bad, against a budget of 960/16 = 60 failures leave
// (60-480)/60 = -7 of the budget; every burn rate is 0.5/(1/16) = 8, so the
// page tier at 14.4 stays quiet and the three tiers at 6, 3 and 1 fire. The
// 7-day objective's tiers are the 30-day ones scaled by 7/30.
func TestCollectorExportsSnapshotsOfEveryObjective(t *testing.T) {
	reg := burningRegistry(t)
	const want = `
# HELP slo_alert_firing 1 while a multiwindow, multi-burn-rate alert tier fires (both its windows burn at or above its factor), else 0.
# TYPE slo_alert_firing gauge
slo_alert_firing{long_window="1008m",severity="ticket",short_window="84m",slo="search"} 0
slo_alert_firing{long_window="14m",severity="page",short_window="70s",slo="search"} 0
slo_alert_firing{long_window="1d",severity="ticket",short_window="2h",slo="checkout"} 1
slo_alert_firing{long_window="1h",severity="page",short_window="5m",slo="checkout"} 0
slo_alert_firing{long_window="336m",severity="ticket",short_window="28m",slo="search"} 0
slo_alert_firing{long_window="3d",severity="ticket",short_window="6h",slo="checkout"} 1
slo_alert_firing{long_window="6h",severity="page",short_window="30m",slo="checkout"} 1
slo_alert_firing{long_window="84m",severity="page",short_window="7m",slo="search"} 0
# HELP slo_breached 1 while the success ratio over the window is below the target, else 0.
# TYPE slo_breached gauge
slo_breached{slo="checkout"} 1
slo_breached{slo="search"} 0
# HELP slo_burn_rate Error ratio over a burn-rate window divided by the allowed error ratio (1 spends the budget exactly over the objective's window).
# TYPE slo_burn_rate gauge
slo_burn_rate{slo="checkout",window_seconds="21600"} 8
slo_burn_rate{slo="checkout",window_seconds="3600"} 8
slo_burn_rate{slo="search",window_seconds="300"} 0
# HELP slo_error_budget_remaining Share of the window's error budget not yet spent: 1 untouched, 0 spent, negative overspent.
# TYPE slo_error_budget_remaining gauge
slo_error_budget_remaining{slo="checkout"} -7
slo_error_budget_remaining{slo="search"} 1
# HELP slo_events_total Events counted for the objective since the process started, by outcome (good or bad).
# TYPE slo_events_total counter
slo_events_total{outcome="bad",slo="checkout"} 480
slo_events_total{outcome="bad",slo="search"} 0
slo_events_total{outcome="good",slo="checkout"} 480
slo_events_total{outcome="good",slo="search"} 0
# HELP slo_success_ratio Share of good events over the objective's window as seen by this process (1 without events).
# TYPE slo_success_ratio gauge
slo_success_ratio{slo="checkout"} 0.5
slo_success_ratio{slo="search"} 1
# HELP slo_target Target of the objective: the share of events that must be good over the window.
# TYPE slo_target gauge
slo_target{slo="checkout"} 0.9375
slo_target{slo="search"} 0.99
# HELP slo_time_to_exhaustion_seconds Seconds until the error budget is spent at the pace of the first burn-rate window; 0 when spent, absent while the budget is not burning.
# TYPE slo_time_to_exhaustion_seconds gauge
slo_time_to_exhaustion_seconds{slo="checkout"} 0
# HELP slo_window_events Events in the objective's window as seen by this process (the Python exporter's slo_total).
# TYPE slo_window_events gauge
slo_window_events{slo="checkout"} 960
slo_window_events{slo="search"} 0
# HELP slo_window_failures Bad events in the objective's window as seen by this process (the Python exporter's slo_failures_total).
# TYPE slo_window_failures gauge
slo_window_failures{slo="checkout"} 480
slo_window_failures{slo="search"} 0
# HELP slo_window_seconds Rolling window of the objective, in seconds.
# TYPE slo_window_seconds gauge
slo_window_seconds{slo="checkout"} 2.592e+06
slo_window_seconds{slo="search"} 604800
`
	names := []string{"slo_alert_firing", "slo_breached", "slo_burn_rate", "slo_error_budget_remaining",
		"slo_events_total", "slo_success_ratio", "slo_target", "slo_time_to_exhaustion_seconds",
		"slo_window_events", "slo_window_failures", "slo_window_seconds"}
	if err := testutil.CollectAndCompare(NewCollector(reg), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestCollectorExportsTimeToExhaustionOnlyWhileBurning(t *testing.T) {
	tests := []struct {
		name      string
		good, bad uint64
		want      string // the series, "" when absent
	}{
		{"no events", 0, 0, ""},
		{"no failures", 1000, 0, ""},
		// 1% errors against 50% allowed: a burn rate of 1/50 over the
		// first burn-rate window (1h) spends the untouched remainder,
		// 1 - 10/500 = 0.98 of the budget, in 0.98 * 30d * 50 = 1470 days.
		{"burning slowly", 990, 10, "slo_time_to_exhaustion_seconds{slo=\"x\"} 1.27008e+08\n"},
		{"budget spent", 0, 1000, "slo_time_to_exhaustion_seconds{slo=\"x\"} 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			reg := slo.NewRegistry(slo.WithClock(c.Now))
			tr, err := reg.Define(slo.Objective{Name: "x", Target: 0.5})
			if err != nil {
				t.Fatal(err)
			}
			tr.RecordN(tt.good, tt.bad)
			c.Advance(time.Second)
			want := ""
			if tt.want != "" {
				want = "# HELP slo_time_to_exhaustion_seconds Seconds until the error budget is spent at the pace of the first burn-rate window; 0 when spent, absent while the budget is not burning.\n" +
					"# TYPE slo_time_to_exhaustion_seconds gauge\n" + tt.want
			}
			if err := testutil.CollectAndCompare(NewCollector(reg), strings.NewReader(want), "slo_time_to_exhaustion_seconds"); err != nil {
				t.Error(err)
			}
		})
	}
}

// memStore keeps saved states in memory; fail makes every call fail.
type memStore struct {
	mu     sync.Mutex
	fail   bool
	states map[string]*slo.State
}

func (s *memStore) Load(_ context.Context, name string) (*slo.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return nil, errors.New("store down")
	}
	return s.states[name], nil
}

func (s *memStore) Save(_ context.Context, st *slo.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("store down")
	}
	if s.states == nil {
		s.states = make(map[string]*slo.State)
	}
	s.states[st.Objective] = st
	return nil
}

func TestCollectorExportsStoreStats(t *testing.T) {
	reg := slo.NewRegistry(slo.WithFlushInterval(time.Hour), slo.WithLoadTimeout(time.Second),
		slo.WithLogger(slog.New(slog.DiscardHandler)))
	up, err := reg.Define(slo.Objective{Name: "up", Target: 0.99}, slo.WithStore(&memStore{}))
	if err != nil {
		t.Fatal(err)
	}
	down, err := reg.Define(slo.Objective{Name: "down", Target: 0.99}, slo.WithStore(&memStore{fail: true}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(slo.Objective{Name: "none", Target: 0.99}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := up.Close(ctx); err != nil {
		t.Fatalf("closing the working store: %v", err)
	}
	if err := down.Close(ctx); err == nil {
		t.Fatal("closing the failing store reported no error")
	}
	// "down" failed its first load in NewTracker and its load before the
	// final save in Close.
	const want = `
# HELP slo_store_failing 1 while the last store operation of the objective failed, else 0.
# TYPE slo_store_failing gauge
slo_store_failing{slo="down"} 1
slo_store_failing{slo="none"} 0
slo_store_failing{slo="up"} 0
# HELP slo_store_failures_total Failed loads and saves of the objective's state since the process started.
# TYPE slo_store_failures_total counter
slo_store_failures_total{slo="down"} 2
slo_store_failures_total{slo="none"} 0
slo_store_failures_total{slo="up"} 0
# HELP slo_store_saves_total Successful saves of the objective's state to its store since the process started.
# TYPE slo_store_saves_total counter
slo_store_saves_total{slo="down"} 0
slo_store_saves_total{slo="none"} 0
slo_store_saves_total{slo="up"} 1
`
	if err := testutil.CollectAndCompare(NewCollector(reg), strings.NewReader(want),
		"slo_store_failing", "slo_store_failures_total", "slo_store_saves_total"); err != nil {
		t.Error(err)
	}
}

// The descriptors do not depend on the objectives, so a registry that
// checks every series against them (the pedantic one) accepts objectives
// defined after the collector was registered.
func TestCollectorShowsObjectivesDefinedAfterRegistration(t *testing.T) {
	reg := slo.NewRegistry()
	promReg := prometheus.NewPedanticRegistry()
	if err := promReg.Register(NewCollector(reg)); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(promReg); err != nil || n != 0 {
		t.Fatalf("empty registry: %d series, err %v; want 0, nil", n, err)
	}
	tr, err := reg.Define(slo.Objective{Name: "late", Target: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordFailure()
	const want = `
# HELP slo_events_total Events counted for the objective since the process started, by outcome (good or bad).
# TYPE slo_events_total counter
slo_events_total{outcome="bad",slo="late"} 1
slo_events_total{outcome="good",slo="late"} 0
`
	if err := testutil.GatherAndCompare(promReg, strings.NewReader(want), "slo_events_total"); err != nil {
		t.Error(err)
	}
	// 1 objective: 7 plain gauges, time to exhaustion, 2 burn rates, 4
	// tiers, 2 event counters and 3 store series.
	if n, err := testutil.GatherAndCount(promReg); err != nil || n != 19 {
		t.Errorf("one objective: %d series, err %v; want 19, nil", n, err)
	}
}

// A family's members carry its labels; its label names are known only when
// it is defined, after the collector was registered here, and the pedantic
// registry accepts them all the same.
func TestCollectorExportsFamilyMembersWithTheirLabels(t *testing.T) {
	reg := slo.NewRegistry()
	promReg := prometheus.NewPedanticRegistry()
	if err := promReg.Register(NewCollector(reg)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(slo.Objective{Name: "plain", Target: 0.999}); err != nil {
		t.Fatal(err)
	}
	f, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.999}, []string{"route"}, slo.WithMaxMembers(2))
	if err != nil {
		t.Fatal(err)
	}
	f.With("/pay").RecordFailure()
	f.With("/search").RecordSuccess()
	f.With("/a").RecordSuccess()
	f.With("/b").RecordSuccess()
	const want = `
# HELP slo_events_total Events counted for the objective since the process started, by outcome (good or bad).
# TYPE slo_events_total counter
slo_events_total{outcome="bad",route="/pay",slo="api"} 1
slo_events_total{outcome="good",route="/pay",slo="api"} 0
slo_events_total{outcome="bad",route="/search",slo="api"} 0
slo_events_total{outcome="good",route="/search",slo="api"} 1
slo_events_total{outcome="bad",route="__overflow__",slo="api"} 0
slo_events_total{outcome="good",route="__overflow__",slo="api"} 2
slo_events_total{outcome="bad",slo="plain"} 0
slo_events_total{outcome="good",slo="plain"} 0
# HELP slo_family_folded_total Distinct combinations of label values of the family sent to its overflow member, past its cap or unable to name a member, since the process started.
# TYPE slo_family_folded_total counter
slo_family_folded_total{slo="api"} 2
`
	if err := testutil.GatherAndCompare(promReg, strings.NewReader(want), "slo_events_total", "slo_family_folded_total"); err != nil {
		t.Error(err)
	}
	// 4 trackers of 18 series each, time to exhaustion only for /pay
	// (the one burning), and the folded counter.
	if n, err := testutil.GatherAndCount(promReg); err != nil || n != 4*18+1+1 {
		t.Errorf("%d series, err %v; want %d, nil", n, err, 4*18+1+1)
	}
}

func TestCollectorOfNilRegistryCollectsNothing(t *testing.T) {
	if n := testutil.CollectAndCount(NewCollector(nil)); n != 0 {
		t.Errorf("collected %d series, want 0", n)
	}
}

// Two tiers with the same severity and windows (different factors) make one
// series, firing while either fires.
func TestCollectorMergesTiersWithTheSameLabels(t *testing.T) {
	c := newClock()
	reg := slo.NewRegistry(slo.WithClock(c.Now))
	tr, err := reg.Define(slo.Objective{Name: "x", Target: 0.9375, Tiers: []slo.AlertTier{
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 100},
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(8, 8) // a burn rate of 8
	c.Advance(time.Second)
	const want = `
# HELP slo_alert_firing 1 while a multiwindow, multi-burn-rate alert tier fires (both its windows burn at or above its factor), else 0.
# TYPE slo_alert_firing gauge
slo_alert_firing{long_window="1h",severity="page",short_window="5m",slo="x"} 1
`
	if err := testutil.CollectAndCompare(NewCollector(reg), strings.NewReader(want), "slo_alert_firing"); err != nil {
		t.Error(err)
	}
}

func TestSendRejectsValuesPrometheusCannotUse(t *testing.T) {
	tests := []struct {
		name   string
		v      float64
		labels []string
		ok     bool
	}{
		{"finite", 1.5, []string{"x"}, true},
		{"NaN", math.NaN(), []string{"x"}, false},
		{"+Inf", math.Inf(1), []string{"x"}, false},
		{"-Inf", math.Inf(-1), []string{"x"}, false},
		{"invalid UTF-8 label", 1, []string{"\xff"}, false},
		{"wrong label count", 1, []string{"x", "y"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promReg := prometheus.NewRegistry()
			promReg.MustRegister(sendOnce{tt.v, tt.labels})
			_, err := promReg.Gather()
			if (err == nil) != tt.ok {
				t.Errorf("Gather error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// sendOnce collects one slo_target series through send.
type sendOnce struct {
	v      float64
	labels []string
}

func (s sendOnce) Describe(ch chan<- *prometheus.Desc) { ch <- descs[series.Target] }

func (s sendOnce) Collect(ch chan<- prometheus.Metric) {
	send(ch, descs[series.Target], prometheus.GaugeValue, s.v, s.labels...)
}
