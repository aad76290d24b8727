package slootel

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// burningRegistry holds two objectives: "checkout" (target 93.75%, so the
// allowed error ratio is exactly 1/16) after an hour at 50% errors, a burn
// rate of 8; and "search" (99%, 7 days, one 5m burn-rate window) without
// events. Its clock stops after the hour, so every snapshot is the same.
func burningRegistry(t testing.TB) *slo.Registry {
	t.Helper()
	c := slotest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
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

// A point is one exported series: its value, and how its metric was
// described.
type point struct {
	value float64
	kind  string // "gauge" or "counter"
	help  string
	unit  string
}

// seriesKey spells a series as the Prometheus text format does, labels
// sorted by name: slo_burn_rate{slo="checkout",window_seconds="3600"}.
func seriesKey(name string, labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%q", n, labels[n])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func attrMap(s attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// collect reads one collection of mp's manual reader into points. Every
// counter must be a monotonic, cumulative sum; any other aggregation fails
// the test.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	got := map[string]point{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, ScopeName)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, dp := range d.DataPoints {
					got[seriesKey(m.Name, attrMap(dp.Attributes))] = point{dp.Value, "gauge", m.Description, m.Unit}
				}
			case metricdata.Sum[float64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: monotonic %v, temporality %v; want a monotonic cumulative sum", m.Name, d.IsMonotonic, d.Temporality)
				}
				for _, dp := range d.DataPoints {
					got[seriesKey(m.Name, attrMap(dp.Attributes))] = point{dp.Value, "counter", m.Description, m.Unit}
				}
			default:
				t.Errorf("%s: aggregation %T", m.Name, m.Data)
			}
		}
	}
	return got
}

// gatherSloprom returns what sloprom's collector exports for reg, each
// series with the extra labels added (those a scrape would add).
func gatherSloprom(t *testing.T, reg *slo.Registry, extra map[string]string) map[string]point {
	t.Helper()
	promReg := prometheus.NewPedanticRegistry()
	promReg.MustRegister(sloprom.NewCollector(reg))
	mfs, err := promReg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]point{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := maps.Clone(extra)
			if labels == nil {
				labels = map[string]string{}
			}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			p := point{kind: strings.ToLower(mf.GetType().String()), help: mf.GetHelp()}
			if m.Counter != nil {
				p.value = m.Counter.GetValue()
			} else {
				p.value = m.Gauge.GetValue()
			}
			want[seriesKey(mf.GetName(), labels)] = p
		}
	}
	return want
}

func newProvider(t *testing.T) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, r
}

func register(t *testing.T, mp *sdkmetric.MeterProvider, reg *slo.Registry) {
	t.Helper()
	if _, err := Register(mp, reg); err != nil {
		t.Fatalf("Register: %v", err)
	}
}

// The expected values follow from the scenario, not from the code: 960
// events, half bad, against a budget of 960/16 = 60 failures leave
// (60-480)/60 = -7 of the budget; every burn rate is 0.5/(1/16) = 8, so the
// page tier at 14.4 stays quiet and the tiers at 6, 3 and 1 fire.
func TestRegisterObservesTheScenario(t *testing.T) {
	mp, r := newProvider(t)
	register(t, mp, burningRegistry(t))
	got := collect(t, r)
	want := map[string]float64{
		`slo_target{slo="checkout"}`:                                                            0.9375,
		`slo_window_seconds{slo="search"}`:                                                      604800,
		`slo_success_ratio{slo="checkout"}`:                                                     0.5,
		`slo_error_budget_remaining{slo="checkout"}`:                                            -7,
		`slo_error_budget_remaining{slo="search"}`:                                              1,
		`slo_burn_rate{slo="checkout",window_seconds="3600"}`:                                   8,
		`slo_burn_rate{slo="checkout",window_seconds="21600"}`:                                  8,
		`slo_burn_rate{slo="search",window_seconds="300"}`:                                      0,
		`slo_breached{slo="checkout"}`:                                                          1,
		`slo_time_to_exhaustion_seconds{slo="checkout"}`:                                        0,
		`slo_alert_firing{long_window="1h",severity="page",short_window="5m",slo="checkout"}`:   0,
		`slo_alert_firing{long_window="6h",severity="page",short_window="30m",slo="checkout"}`:  1,
		`slo_alert_firing{long_window="3d",severity="ticket",short_window="6h",slo="checkout"}`: 1,
		`slo_events_total{outcome="bad",slo="checkout"}`:                                        480,
		`slo_events_total{outcome="good",slo="checkout"}`:                                       480,
		`slo_events_total{outcome="bad",slo="search"}`:                                          0,
	}
	for k, v := range want {
		if p, ok := got[k]; !ok || p.value != v {
			t.Errorf("%s = %v (present %v), want %v", k, p.value, ok, v)
		}
	}
	if p, ok := got[`slo_time_to_exhaustion_seconds{slo="search"}`]; ok {
		t.Errorf("time to exhaustion of an objective without events is exported: %v", p.value)
	}
	if p := got[`slo_window_seconds{slo="search"}`]; p.unit != "s" {
		t.Errorf("slo_window_seconds has unit %q, want s", p.unit)
	}
	if p := got[`slo_target{slo="checkout"}`]; p.unit != "" {
		t.Errorf("slo_target has unit %q, want none (1 would append _ratio)", p.unit)
	}
}

// Every series sloprom exports, and only those, with the same labels,
// value, kind and help text.
func TestRegisterExportsWhatSlopromExports(t *testing.T) {
	reg := burningRegistry(t)
	if _, err := reg.Define(slo.Objective{Name: "tiers alike", Target: 0.9375, Tiers: []slo.AlertTier{
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 100},
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 2},
	}}); err != nil {
		t.Fatal(err)
	}
	// A family past its cap: two members, the overflow and a folded count.
	f, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.99}, []string{"route", "tenant"}, slo.WithMaxMembers(1))
	if err != nil {
		t.Fatal(err)
	}
	f.With("/pay", "acme").RecordN(9, 1)
	f.With("/other", "acme").RecordFailure()
	mp, r := newProvider(t)
	register(t, mp, reg)
	got := collect(t, r)
	for _, k := range []string{
		`slo_events_total{outcome="bad",route="/pay",slo="api",tenant="acme"}`,
		`slo_events_total{outcome="bad",route="__overflow__",slo="api",tenant="__overflow__"}`,
		`slo_family_folded_total{slo="api"}`,
	} {
		if p, ok := got[k]; !ok || p.value != 1 {
			t.Errorf("%s = %v (present %v), want 1", k, p.value, ok)
		}
	}
	want := gatherSloprom(t, reg, nil)
	if len(want) < 30 {
		t.Fatalf("sloprom exported only %d series", len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing %s", k)
		case g.value != w.value || g.kind != w.kind || g.help != w.help:
			t.Errorf("%s = %v %s %q, sloprom exports %v %s %q", k, g.value, g.kind, g.help, w.value, w.kind, w.help)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra series %s", k)
		}
	}
}

func TestRegisterObservesObjectivesDefinedLater(t *testing.T) {
	reg := slo.NewRegistry()
	mp, r := newProvider(t)
	register(t, mp, reg)
	if got := collect(t, r); len(got) != 0 {
		t.Fatalf("empty registry: %d series, want 0", len(got))
	}
	tr, err := reg.Define(slo.Objective{Name: "late", Target: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordFailure()
	got := collect(t, r)
	if p := got[`slo_events_total{outcome="bad",slo="late"}`]; p.value != 1 {
		t.Errorf("bad events = %v, want 1", p.value)
	}
	// 5 plain gauges, time to exhaustion, 2 burn rates, 4 tiers, 2 event
	// counters and 3 store series, as in sloprom.
	if len(got) != 19 {
		t.Errorf("one objective: %d series, want 19", len(got))
	}
}

func TestUnregisterStopsObserving(t *testing.T) {
	mp, r := newProvider(t)
	reg, err := Register(mp, burningRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, r); len(got) == 0 {
		t.Fatal("no series before Unregister")
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, r); len(got) != 0 {
		t.Errorf("%d series after Unregister, want 0", len(got))
	}
}

func TestRegisterRejectsNil(t *testing.T) {
	mp, _ := newProvider(t)
	if _, err := Register(nil, slo.NewRegistry()); err == nil || !strings.Contains(err.Error(), "MeterProvider") {
		t.Errorf("nil provider: err = %v, want one naming the MeterProvider", err)
	}
	if _, err := Register(mp, nil); err == nil || !strings.Contains(err.Error(), "Source") {
		t.Errorf("nil source: err = %v, want one naming the Source", err)
	}
	var reg *slo.Registry
	if _, err := Register(mp, reg); err == nil || !strings.Contains(err.Error(), "Source") {
		t.Errorf("nil registry: err = %v, want one naming the Source", err)
	}
}

// fixedSource is a Source other than a Registry, like a Redis fleet: its
// snapshots, or its error.
type fixedSource struct {
	snaps []slo.Snapshot
	err   error
}

func (f *fixedSource) Snapshots(context.Context) ([]slo.Snapshot, error) { return f.snaps, f.err }

// Any Source is observed like sloprom collects it: its snapshots' series
// without one process's counters, and slo_source_up; a source that cannot
// be read gives slo_source_up 0 and no budget at all.
func TestRegisterObservesAnySource(t *testing.T) {
	tr, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(90, 10)
	src := &fixedSource{snaps: []slo.Snapshot{tr.Snapshot()}}
	mp, r := newProvider(t)
	if _, err := Register(mp, src); err != nil {
		t.Fatal(err)
	}
	got := collect(t, r)
	if p, ok := got[`slo_source_up{}`]; !ok || p.value != 1 {
		t.Errorf("slo_source_up = %+v (present %v), want 1", p, ok)
	}
	if p := got[`slo_error_budget_remaining{slo="checkout"}`]; p.value != tr.Snapshot().ErrorBudgetRemaining {
		t.Errorf("budget %v, want the snapshot's %v", p.value, tr.Snapshot().ErrorBudgetRemaining)
	}
	for k := range got {
		if strings.HasPrefix(k, "slo_events_total") || strings.HasPrefix(k, "slo_store_") {
			t.Errorf("per-process series %s exported for a source", k)
		}
	}

	src.err = errors.New("redis down")
	got = collect(t, r)
	if p := got[`slo_source_up{}`]; p.value != 0 {
		t.Errorf("slo_source_up = %v with the source down, want 0", p.value)
	}
	if _, ok := got[`slo_error_budget_remaining{slo="checkout"}`]; ok {
		t.Error("a budget exported while the source cannot be read")
	}
}

// errorRecorder is an otel.ErrorHandler that keeps what it is given.
type errorRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorRecorder) Handle(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, err)
}

// A value that is not finite (which no snapshot holds, so the snapshot is
// made by hand) is left out and reported; the other series are observed.
func TestObserveLeavesOutValuesThatAreNotFinite(t *testing.T) {
	rec := &errorRecorder{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(rec)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	mp, r := newProvider(t)
	meter := mp.Meter(ScopeName)
	insts, err := newInstruments(meter)
	if err != nil {
		t.Fatal(err)
	}
	s := slo.Snapshot{Name: "odd", Target: math.NaN(), SuccessRatio: math.Inf(1), ErrorBudgetRemaining: 0.5,
		TimeToExhaustion: slo.Forever}
	if _, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		series.Each(s, slo.StoreStats{}, insts.observer(o))
		return nil
	}, insts.observables()...); err != nil {
		t.Fatal(err)
	}
	got := collect(t, r)
	for _, k := range []string{`slo_target{slo="odd"}`, `slo_success_ratio{slo="odd"}`} {
		if _, ok := got[k]; ok {
			t.Errorf("%s exported", k)
		}
	}
	if p, ok := got[`slo_error_budget_remaining{slo="odd"}`]; !ok || p.value != 0.5 {
		t.Errorf("slo_error_budget_remaining = %v (present %v), want 0.5", p.value, ok)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) != 2 {
		t.Fatalf("reported %d errors, want 2: %v", len(rec.errs), errors.Join(rec.errs...))
	}
	for i, name := range []string{"slo_target", "slo_success_ratio"} {
		if msg := rec.errs[i].Error(); !strings.Contains(msg, name) || !strings.Contains(msg, "not finite") {
			t.Errorf("error %d = %q, want one naming %s as not finite", i, msg, name)
		}
	}
}
