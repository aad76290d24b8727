// Package series lists the series that describe an objective, with their
// names, help texts, kinds, units and labels, and computes their values from
// a snapshot. Package sloprom exports them through client_golang and package
// slootel through OpenTelemetry; both read this one list, so the two export
// the same names, labels and values.
package series

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// A Kind says how a series' value evolves.
type Kind uint8

const (
	// Gauge is a value that goes up and down.
	Gauge Kind = iota
	// Counter is a cumulative count since the process started.
	Counter
)

// A Metric describes a family of series: one per objective (and per member
// of an slo.Family) and per value of its labels beyond the first, which is
// always "slo". A family member's series carry its labels too (see Each).
type Metric struct {
	// Name is the Prometheus name, counters ending in _total.
	Name string
	// Help describes the metric in one sentence.
	Help string
	Kind Kind
	// Unit is the UCUM unit OpenTelemetry asks for: "s" for a name ending
	// in _seconds, a {annotation} for a count; "" for a ratio or a flag,
	// whose dimensionless unit "1" would make Prometheus's OTLP translation
	// append _ratio to the name.
	Unit string
	// Labels names the labels, "slo" first (none for SourceUp, which
	// describes the source, not an objective).
	Labels []string
}

// An ID names one of [Metrics].
type ID int

// The metrics, indexes of [Metrics].
const (
	Target ID = iota
	Window
	WindowEvents
	WindowFailures
	SuccessRatio
	BudgetRemaining
	BurnRate
	Breached
	TimeToExhaustion
	AlertFiring
	Events
	StoreSaves
	StoreFailures
	StoreFailing
	FamilyFolded
	SourceUp
	count
)

var sloLabel = []string{"slo"}

// Metrics describes every metric, indexed by [ID].
var Metrics = [count]Metric{
	Target: {Name: "slo_target", Kind: Gauge, Labels: sloLabel,
		Help: "Target of the objective: the share of events that must be good over the window."},
	Window: {Name: "slo_window_seconds", Kind: Gauge, Unit: "s", Labels: sloLabel,
		Help: "Rolling window of the objective, in seconds."},
	WindowEvents: {Name: "slo_window_events", Kind: Gauge, Unit: "{event}", Labels: sloLabel,
		Help: "Events in the objective's window as seen by this process (the Python exporter's slo_total)."},
	WindowFailures: {Name: "slo_window_failures", Kind: Gauge, Unit: "{event}", Labels: sloLabel,
		Help: "Bad events in the objective's window as seen by this process (the Python exporter's slo_failures_total)."},
	SuccessRatio: {Name: "slo_success_ratio", Kind: Gauge, Labels: sloLabel,
		Help: "Share of good events over the objective's window as seen by this process (1 without events)."},
	BudgetRemaining: {Name: "slo_error_budget_remaining", Kind: Gauge, Labels: sloLabel,
		Help: "Share of the window's error budget not yet spent: 1 untouched, 0 spent, negative overspent."},
	BurnRate: {Name: "slo_burn_rate", Kind: Gauge, Labels: []string{"slo", "window_seconds"},
		Help: "Error ratio over a burn-rate window divided by the allowed error ratio (1 spends the budget exactly over the objective's window)."},
	Breached: {Name: "slo_breached", Kind: Gauge, Labels: sloLabel,
		Help: "1 while the success ratio over the window is below the target, else 0."},
	TimeToExhaustion: {Name: "slo_time_to_exhaustion_seconds", Kind: Gauge, Unit: "s", Labels: sloLabel,
		Help: "Seconds until the error budget is spent at the pace of the first burn-rate window; 0 when spent, absent while the budget is not burning."},
	AlertFiring: {Name: "slo_alert_firing", Kind: Gauge, Labels: []string{"slo", "severity", "long_window", "short_window"},
		Help: "1 while a multiwindow, multi-burn-rate alert tier fires (both its windows burn at or above its factor), else 0."},
	Events: {Name: "slo_events_total", Kind: Counter, Unit: "{event}", Labels: []string{"slo", "outcome"},
		Help: "Events counted for the objective since the process started, by outcome (good or bad)."},
	StoreSaves: {Name: "slo_store_saves_total", Kind: Counter, Unit: "{save}", Labels: sloLabel,
		Help: "Successful saves of the objective's state to its store since the process started."},
	StoreFailures: {Name: "slo_store_failures_total", Kind: Counter, Unit: "{failure}", Labels: sloLabel,
		Help: "Failed loads and saves of the objective's state since the process started."},
	StoreFailing: {Name: "slo_store_failing", Kind: Gauge, Labels: sloLabel,
		Help: "1 while the last store operation of the objective failed, else 0."},
	FamilyFolded: {Name: "slo_family_folded_total", Kind: Counter, Unit: "{value}", Labels: sloLabel,
		Help: "Distinct combinations of label values of the family sent to its overflow member, past its cap or unable to name a member, since the process started."},
	SourceUp: {Name: "slo_source_up", Kind: Gauge,
		Help: "1 when the last collection read the SLO source (a Redis fleet, a remote report), 0 when it failed and no SLO series were exported."},
}

// Each calls f once per series of the objective s with store statistics st:
// the metric, the value, and the names and values of its labels: the
// metric's Labels, followed for a family member by the member's label names
// in sorted order (package slo keeps them apart from the metrics' own). names
// and values are reused between calls; f must copy what it keeps.
//
// slo_time_to_exhaustion_seconds is left out while the budget is not
// burning. Burn-rate windows or alert tiers whose labels print alike make
// one series: a burn rate is sent once, a tier's series fires while any of
// those tiers does. slo_family_folded_total is a family's, sent by
// EachFamily.
func Each(s slo.Snapshot, st slo.StoreStats, f func(id ID, value float64, names, values []string)) {
	member := slices.Sorted(maps.Keys(s.Labels))
	memberValues := make([]string, len(member))
	for i, l := range member {
		memberValues[i] = s.Labels[l]
	}
	values := make([]string, 1, 4+len(member))
	values[0] = s.Name
	var names []string
	send := func(id ID, v float64, rest ...string) {
		names = Metrics[id].Labels
		if len(member) > 0 {
			names = append(names[:len(names):len(names)], member...)
		}
		f(id, v, names, append(append(values[:1], rest...), memberValues...))
	}

	send(Target, s.Target)
	send(Window, s.Window.Seconds())
	send(WindowEvents, float64(s.Total))
	send(WindowFailures, float64(s.Failures))
	send(SuccessRatio, s.SuccessRatio)
	send(BudgetRemaining, s.ErrorBudgetRemaining)
	send(Breached, boolValue(s.Breached))
	if s.TimeToExhaustion != slo.Forever {
		send(TimeToExhaustion, s.TimeToExhaustion.Seconds())
	}

	// Validation keeps burn-rate windows distinct, but two windows a
	// nanosecond apart may print alike.
	var seen []string
	for _, b := range s.BurnRates {
		w := strconv.FormatFloat(b.Window.Seconds(), 'f', -1, 64)
		if slices.Contains(seen, w) {
			continue
		}
		seen = append(seen, w)
		send(BurnRate, b.BurnRate, w)
	}

	// Two tiers may share severity and windows (with different factors),
	// or have windows that print alike.
	type tierKey struct{ severity, long, short string }
	var keys []tierKey
	var firing []bool
	for _, ts := range s.Tiers {
		k := tierKey{string(ts.Severity), FormatDuration(ts.LongWindow), FormatDuration(ts.ShortWindow)}
		i := slices.Index(keys, k)
		if i < 0 {
			keys = append(keys, k)
			firing = append(firing, false)
			i = len(keys) - 1
		}
		firing[i] = firing[i] || ts.Firing
	}
	for i, k := range keys {
		send(AlertFiring, boolValue(firing[i]), k.severity, k.long, k.short)
	}

	send(Events, float64(s.Good), "good")
	send(Events, float64(s.Bad), "bad")
	send(StoreSaves, float64(st.Saves))
	send(StoreFailures, float64(st.Failures))
	send(StoreFailing, boolValue(st.Failing))
}

// EachFamily calls f once per series of the family fam itself, as Each does
// for an objective: slo_family_folded_total. Its members' series are Each's.
func EachFamily(fam *slo.Family, f func(id ID, value float64, names, values []string)) {
	f(FamilyFolded, float64(fam.Folded()), Metrics[FamilyFolded].Labels, []string{fam.Name()})
}

// FormatDuration spells d as a Prometheus duration in the largest unit that
// divides it exactly, among d, h, m, s and ms; below the millisecond d is
// truncated, and zero is "0s". It is the spelling of sloprom.FormatDuration.
func FormatDuration(d time.Duration) string {
	d = d.Truncate(time.Millisecond)
	if d == 0 {
		return "0s"
	}
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for _, u := range units {
		if d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// PerProcess reports whether the series id counts what one process saw
// since it started (its events, its store's saves, its families' folded
// values), rather than what a snapshot reports.
func PerProcess(id ID) bool {
	switch id {
	case Events, StoreSaves, StoreFailures, StoreFailing, FamilyFolded:
		return true
	}
	return false
}

// EachOf calls f once per series of every objective of src, the one rule
// every exporter follows. For an *slo.Registry, the process's own
// trackers, that is every series of Each and EachFamily. For any other
// source (a Redis fleet, another process's report, Prometheus) it is the
// series of its snapshots without the per-process ones (see PerProcess),
// which describe one process and not what the source reports, and
// SourceUp: 1 when src was read, 0 when it failed, and then no other
// series, so a source that cannot be read shows as such rather than as
// stale or empty budgets. A nil src, or a nil *slo.Registry, has no series.
// EachOf returns the source's error after reporting SourceUp 0.
func EachOf(ctx context.Context, src slo.Source, f func(id ID, value float64, names, values []string)) error {
	if reg, ok := src.(*slo.Registry); ok {
		if reg == nil {
			return nil
		}
		for _, t := range reg.Trackers() {
			Each(t.Snapshot(), t.StoreStats(), f)
		}
		for _, fam := range reg.Families() {
			EachFamily(fam, f)
		}
		return nil
	}
	if src == nil {
		return nil
	}
	snaps, err := src.Snapshots(ctx)
	if err != nil {
		f(SourceUp, 0, nil, nil)
		return err
	}
	f(SourceUp, 1, nil, nil)
	for _, s := range snaps {
		Each(s, slo.StoreStats{}, func(id ID, v float64, names, values []string) {
			if !PerProcess(id) {
				f(id, v, names, values)
			}
		})
	}
	return nil
}
