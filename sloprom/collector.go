package sloprom

import (
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// descs holds the descriptor of every metric the collector exports, by
// series.ID. A descriptor names a metric and its label names, never label
// values, so this fixed set describes the series of every objective,
// including those defined after the collector was registered: the collector
// is a regular, checked one.
var descs = func() (d [len(series.Metrics)]*prometheus.Desc) {
	for i, m := range series.Metrics {
		d[i] = prometheus.NewDesc(m.Name, m.Help, m.Labels, nil)
	}
	return d
}()

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
	for _, d := range descs {
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
	series.Each(s, st, func(id series.ID, v float64, labels []string) {
		typ := prometheus.GaugeValue
		if series.Metrics[id].Kind == series.Counter {
			typ = prometheus.CounterValue
		}
		send(ch, descs[id], typ, v, labels...)
	})
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
