package sloprom

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// descs holds the descriptor of every metric the collector exports for an
// objective of its own, by series.ID.
var descs = func() (d [len(series.Metrics)]*prometheus.Desc) {
	for i, m := range series.Metrics {
		d[i] = prometheus.NewDesc(m.Name, m.Help, m.Labels, nil)
	}
	return d
}()

// memberDescs holds the descriptors of family members' series, whose label
// names are the metric's and the family's: one per metric and set of label
// names, keyed by descKey, made on first use.
var memberDescs sync.Map

// desc returns the descriptor of metric id with label names names.
func desc(id series.ID, names []string) *prometheus.Desc {
	if len(names) == len(series.Metrics[id].Labels) {
		return descs[id]
	}
	key := descKey(id, names)
	if d, ok := memberDescs.Load(key); ok {
		return d.(*prometheus.Desc)
	}
	m := series.Metrics[id]
	d, _ := memberDescs.LoadOrStore(key, prometheus.NewDesc(m.Name, m.Help, slices.Clone(names), nil))
	return d.(*prometheus.Desc)
}

// descKey names a metric and a set of label names; label names hold no
// comma.
func descKey(id series.ID, names []string) string {
	return strconv.Itoa(int(id)) + ":" + strings.Join(names, ",")
}

// DefaultTimeout bounds the read of a collector's source at each scrape
// (see [WithTimeout]): below Prometheus's default scrape timeout of 10s.
const DefaultTimeout = 5 * time.Second

// A CollectorOption configures [NewCollector] and [Handler].
type CollectorOption func(*collector)

// WithTimeout sets how long each scrape waits for the source; the default
// is [DefaultTimeout]. d <= 0 keeps the default.
func WithTimeout(d time.Duration) CollectorOption {
	return func(c *collector) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// NewCollector returns a collector of the objectives of src, family
// members included. It holds no state of its own: each Collect reads src
// afresh, so objectives and families defined after registration appear at
// the next scrape. A nil src, or a nil *slo.Registry, collects nothing.
//
// For an *slo.Registry, the process's own trackers, it exports every series
// of the package documentation. For any other [slo.Source] (a Redis fleet,
// another process's report) it exports the series of its snapshots and
// leaves out the process's own counters (slo_events_total, slo_store_*,
// slo_family_folded_total), which describe one process, not what the
// source reports; besides, it exports slo_source_up: 1 when the source was
// read, 0 when it failed or did not answer within the timeout (see
// [WithTimeout]), and then no SLO series at all, so that a fleet that
// cannot be read shows as such (alert on slo_source_up == 0) rather than
// as stale or empty budgets, while the rest of the scrape goes on.
//
// The collector is an unchecked one: its Describe sends nothing. A
// descriptor fixes a metric's label names, and a family's members carry
// label names known only once the family is defined, possibly after the
// collector was registered, when no descriptor can be added; a checked
// collector would have its members' series rejected by a pedantic registry.
// Every series still goes through the registry's consistency checks at each
// gather (one type and help text per metric name, no duplicate series,
// valid label names and values); what registration no longer does is
// compare the metric names with other collectors' up front.
func NewCollector(src slo.Source, opts ...CollectorOption) prometheus.Collector {
	c := &collector{src: src, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	return c
}

type collector struct {
	src     slo.Source
	timeout time.Duration
}

// Describe implements prometheus.Collector; it sends nothing, which makes
// the collector unchecked (see NewCollector).
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	// A failing source is reported by slo_source_up 0, not by an error
	// that would fail the whole scrape.
	_ = series.EachOf(ctx, c.src, func(id series.ID, v float64, names, values []string) {
		collectSeries(ch, id, v, names, values)
	})
}

// collectSeries sends one series.
func collectSeries(ch chan<- prometheus.Metric, id series.ID, v float64, names, values []string) {
	typ := prometheus.GaugeValue
	if series.Metrics[id].Kind == series.Counter {
		typ = prometheus.CounterValue
	}
	send(ch, desc(id, names), typ, v, values...)
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
