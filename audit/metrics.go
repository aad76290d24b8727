package audit

import "github.com/prometheus/client_golang/prometheus"

var (
	sentDesc = prometheus.NewDesc("slo_audit_events_sent_total",
		"Audit events accepted by the audit stream.", nil, nil)
	failedDesc = prometheus.NewDesc("slo_audit_events_failed_total",
		"Audit events given up: rejected by the audit stream, out of attempts, or undelivered at shutdown.", nil, nil)
	droppedDesc = prometheus.NewDesc("slo_audit_events_dropped_total",
		"Audit events dropped from a full queue (the oldest first) or enqueued after shutdown.", nil, nil)
	retriedDesc = prometheus.NewDesc("slo_audit_retries_total",
		"Delivery attempts of audit events after a failed attempt.", nil, nil)
	queuedDesc = prometheus.NewDesc("slo_audit_queue_events",
		"Audit events waiting for delivery.", nil, nil)
)

// Describe implements prometheus.Collector: the sink exports its Stats as
// slo_audit_events_sent_total, slo_audit_events_failed_total,
// slo_audit_events_dropped_total, slo_audit_retries_total and the gauge
// slo_audit_queue_events. A nil sink describes and collects nothing.
func (s *Sink) Describe(ch chan<- *prometheus.Desc) {
	if s == nil {
		return
	}
	for _, d := range []*prometheus.Desc{sentDesc, failedDesc, droppedDesc, retriedDesc, queuedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector, reading the counters at scrape
// time.
func (s *Sink) Collect(ch chan<- prometheus.Metric) {
	if s == nil {
		return
	}
	st := s.Stats()
	ch <- prometheus.MustNewConstMetric(sentDesc, prometheus.CounterValue, float64(st.Sent))
	ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.CounterValue, float64(st.Failed))
	ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(st.Dropped))
	ch <- prometheus.MustNewConstMetric(retriedDesc, prometheus.CounterValue, float64(st.Retried))
	ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(st.Queued))
}

var _ prometheus.Collector = (*Sink)(nil)
