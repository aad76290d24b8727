// Package sloprom exports the objectives of an [slo.Source] (usually the
// process's [slo.Registry]) as Prometheus metrics, computed from fresh
// snapshots at every scrape.
//
// Register [NewCollector] with a prometheus.Registerer, or serve [Handler]
// on its own path. Every series carries the objective's name as the label
// slo:
//
//	slo_target                      gauge    the objective's target, e.g. 0.999
//	slo_window_seconds              gauge    the objective's rolling window
//	slo_window_events               gauge    events in the window
//	slo_window_failures             gauge    bad events in the window
//	slo_success_ratio               gauge    good / total events over the window (1 without events)
//	slo_error_budget_remaining      gauge    share of the budget left: 1 untouched, <= 0 spent
//	slo_burn_rate{window_seconds}   gauge    burn rate over each burn-rate window
//	slo_breached                    gauge    1 while the success ratio is below target
//	slo_time_to_exhaustion_seconds  gauge    how long the budget lasts at the current pace
//	slo_alert_firing{severity,long_window,short_window}
//	                                gauge    1 while a multiwindow alert tier fires
//	slo_events_total{outcome}       counter  good and bad events since the process started
//	slo_store_saves_total           counter  successful saves to the tracker's store
//	slo_store_failures_total        counter  failed loads and saves of the tracker's store
//	slo_store_failing               gauge    1 while the last store operation failed
//	slo_family_folded_total         counter  label values a family sent to its overflow member
//
// A member of an [slo.Family] exports every series of an objective, with
// the family's name as slo and the member's labels besides, e.g.
// slo_error_budget_remaining{slo="api",route="POST /pay"}; past the
// family's cap, new values share the member whose labels are
// "__overflow__", and slo_family_folded_total{slo} counts them.
//
// slo_window_events and slo_window_failures are the Python package's
// slo_total and slo_failures_total, renamed because Prometheus reserves the
// _total suffix for counters (promtool check metrics rejects it on a gauge):
// they fall as events leave the window.
//
// Any other Source (the Redis fleet of package store/redisstore, another
// process's report read by slohttp.NewRemoteSource) exports the series of
// its snapshots, without slo_events_total, slo_store_* and
// slo_family_folded_total (a process's own counters), and besides them
//
//	slo_source_up                   gauge    1 when the source was read, 0 when it failed
//
// A read that fails or outlasts the collector's timeout ([WithTimeout], 5s
// by default) exports slo_source_up 0 and no SLO series: Prometheus marks
// them stale rather than reading a stale or an empty budget, the rest of
// the scrape goes on, and `slo_source_up == 0` is the alert. The choice
// over an invalid metric is deliberate: an invalid metric fails the whole
// scrape of a registry served with promhttp's default error handling.
//
// The window gauges of a Registry describe this process's view of the window. To aggregate
// a fleet of replicas, let Prometheus compute ratios from slo_events_total
// with rate() or increase(): the counters are cumulative and restart from zero
// with the process, which those functions handle.
//
// No exported value is ever NaN or Inf. slo_time_to_exhaustion_seconds is
// therefore omitted while the budget is not burning (the tracker reports
// [slo.Forever]); it is 0 once the budget is spent. The label window_seconds
// is the window in seconds ("3600", "0.5"); the labels long_window and
// short_window are Prometheus durations in the largest unit that divides
// them, as printed by [FormatDuration] ("1h", "5m", "1d", "70s", "84m"):
// the spelling of package promrules in its rule names (ratio_rate5m) and in
// the same labels of its SLOErrorBudgetBurn alerts.
package sloprom
