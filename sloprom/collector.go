package sloprom

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slo-budget-tracker/slo"
)

// The descriptors of every metric the collector exports. A descriptor names
// a metric and its label names, never label values, so this fixed set
// describes the series of every objective, including those defined after
// the collector was registered: the collector is a regular, checked one.
var (
	sloLabel = []string{"slo"}

	targetDesc = prometheus.NewDesc("slo_target",
		"Target of the objective: the share of events that must be good over the window.",
		sloLabel, nil)
	windowDesc = prometheus.NewDesc("slo_window_seconds",
		"Rolling window of the objective, in seconds.",
		sloLabel, nil)
	windowEventsDesc = prometheus.NewDesc("slo_window_events",
		"Events in the objective's window as seen by this process (the Python exporter's slo_total).",
		sloLabel, nil)
	windowFailuresDesc = prometheus.NewDesc("slo_window_failures",
		"Bad events in the objective's window as seen by this process (the Python exporter's slo_failures_total).",
		sloLabel, nil)
	successRatioDesc = prometheus.NewDesc("slo_success_ratio",
		"Share of good events over the objective's window as seen by this process (1 without events).",
		sloLabel, nil)
	budgetRemainingDesc = prometheus.NewDesc("slo_error_budget_remaining",
		"Share of the window's error budget not yet spent: 1 untouched, 0 spent, negative overspent.",
		sloLabel, nil)
	burnRateDesc = prometheus.NewDesc("slo_burn_rate",
		"Error ratio over a burn-rate window divided by the allowed error ratio (1 spends the budget exactly over the objective's window).",
		[]string{"slo", "window_seconds"}, nil)
	breachedDesc = prometheus.NewDesc("slo_breached",
		"1 while the success ratio over the window is below the target, else 0.",
		sloLabel, nil)
	exhaustionDesc = prometheus.NewDesc("slo_time_to_exhaustion_seconds",
		"Seconds until the error budget is spent at the pace of the first burn-rate window; 0 when spent, absent while the budget is not burning.",
		sloLabel, nil)
	alertFiringDesc = prometheus.NewDesc("slo_alert_firing",
		"1 while a multiwindow, multi-burn-rate alert tier fires (both its windows burn at or above its factor), else 0.",
		[]string{"slo", "severity", "long_window", "short_window"}, nil)
	eventsDesc = prometheus.NewDesc("slo_events_total",
		"Events counted for the objective since the process started, by outcome (good or bad).",
		[]string{"slo", "outcome"}, nil)
	storeSavesDesc = prometheus.NewDesc("slo_store_saves_total",
		"Successful saves of the objective's state to its store since the process started.",
		sloLabel, nil)
	storeFailuresDesc = prometheus.NewDesc("slo_store_failures_total",
		"Failed loads and saves of the objective's state since the process started.",
		sloLabel, nil)
	storeFailingDesc = prometheus.NewDesc("slo_store_failing",
		"1 while the last store operation of the objective failed, else 0.",
		sloLabel, nil)

	allDescs = []*prometheus.Desc{
		targetDesc, windowDesc, windowEventsDesc, windowFailuresDesc, successRatioDesc, budgetRemainingDesc, burnRateDesc,
		breachedDesc, exhaustionDesc, alertFiringDesc, eventsDesc,
		storeSavesDesc, storeFailuresDesc, storeFailingDesc,
	}
)

// NewCollector returns a collector of the objectives of r. It holds no
// state of its own: each Collect takes a fresh snapshot of every tracker
// in r, so objectives defined after registration appear at the next scrape.
// A nil r collects nothing.
//
// Describe sends the fixed descriptors of the metrics listed in the package
// documentation, whatever objectives r holds, so the registry checks every
// collected series against them. The alternatives are worse: an unchecked
// collector skips those checks, and prometheus.DescribeByCollect describes
// only the series present at registration (none before the first Define,
// no time to exhaustion while nothing burns), so registration cannot check
// the others for conflicts and a pedantic registry rejects them.
func NewCollector(r *slo.Registry) prometheus.Collector {
	return &collector{reg: r}
}

type collector struct {
	reg *slo.Registry
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.reg == nil {
		return
	}
	for _, t := range c.reg.Trackers() {
		collectTracker(ch, t.Snapshot(), t.StoreStats())
	}
}

// collectTracker sends the series of one objective.
func collectTracker(ch chan<- prometheus.Metric, s slo.Snapshot, st slo.StoreStats) {
	name := s.Name
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		send(ch, d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		send(ch, d, prometheus.CounterValue, v, append([]string{name}, labels...)...)
	}

	gauge(targetDesc, s.Target)
	gauge(windowDesc, s.Window.Seconds())
	gauge(windowEventsDesc, float64(s.Total))
	gauge(windowFailuresDesc, float64(s.Failures))
	gauge(successRatioDesc, s.SuccessRatio)
	gauge(budgetRemainingDesc, s.ErrorBudgetRemaining)
	gauge(breachedDesc, boolValue(s.Breached))
	if s.TimeToExhaustion != slo.Forever {
		gauge(exhaustionDesc, s.TimeToExhaustion.Seconds())
	}

	// Validation keeps burn-rate windows distinct, but two windows a
	// nanosecond apart may print alike; a series is sent once.
	var seen []string
	for _, b := range s.BurnRates {
		w := strconv.FormatFloat(b.Window.Seconds(), 'f', -1, 64)
		if slices.Contains(seen, w) {
			continue
		}
		seen = append(seen, w)
		gauge(burnRateDesc, b.BurnRate, w)
	}

	// Two tiers may share severity and windows (with different factors),
	// or have windows that print alike: their series fires if either does.
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
		gauge(alertFiringDesc, boolValue(firing[i]), k.severity, k.long, k.short)
	}

	counter(eventsDesc, float64(s.Good), "good")
	counter(eventsDesc, float64(s.Bad), "bad")
	counter(storeSavesDesc, float64(st.Saves))
	counter(storeFailuresDesc, float64(st.Failures))
	gauge(storeFailingDesc, boolValue(st.Failing))
}

// send sends one constant metric, or an invalid metric naming the problem
// when the value is not finite or a label value is not valid UTF-8, so a
// bad series is reported by the registry instead of exported.
func send(ch chan<- prometheus.Metric, d *prometheus.Desc, typ prometheus.ValueType, v float64, labels ...string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		ch <- prometheus.NewInvalidMetric(d, fmt.Errorf("sloprom: value %v of %v is not finite", v, labels))
		return
	}
	m, err := prometheus.NewConstMetric(d, typ, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, fmt.Errorf("sloprom: %w", err))
	}
	ch <- m
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
