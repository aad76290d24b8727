package sloprom

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

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

// NewCollector returns a collector of the objectives of r, family members
// included. It holds no state of its own: each Collect takes a fresh
// snapshot of every tracker in r, so objectives and families defined after
// registration appear at the next scrape. A nil r collects nothing.
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
func NewCollector(r *slo.Registry) prometheus.Collector {
	return &collector{reg: r}
}

type collector struct {
	reg *slo.Registry
}

// Describe implements prometheus.Collector; it sends nothing, which makes
// the collector unchecked (see NewCollector).
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.reg == nil {
		return
	}
	for _, t := range c.reg.Trackers() {
		collectTracker(ch, t.Snapshot(), t.StoreStats())
	}
	for _, f := range c.reg.Families() {
		series.EachFamily(f, func(id series.ID, v float64, names, values []string) {
			collectSeries(ch, id, v, names, values)
		})
	}
}

// collectTracker sends the series of one objective.
func collectTracker(ch chan<- prometheus.Metric, s slo.Snapshot, st slo.StoreStats) {
	series.Each(s, st, func(id series.ID, v float64, names, values []string) {
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
