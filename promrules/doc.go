// Package promrules turns service level objectives into Prometheus recording
// and alerting rules, and writes promtool unit tests for the rules it makes.
//
// For every SLO it records the error ratio over each alert-tier window
// (slo:sli_error:ratio_rate5m, ..._rate1h, ...), the error ratio over the
// whole SLO window (slo:sli_error:ratio_window), the budget left
// (slo:error_budget_remaining:ratio: 1 untouched, <= 0 exhausted), the burn
// rate over the window (slo:burn_rate:ratio_window) and metadata series
// (slo:objective:ratio, slo:error_budget:ratio, slo:window:seconds). Every
// series carries the labels slo and service and the SLO's own labels. It alerts
// with SLOErrorBudgetBurn (one rule per multiwindow, multi-burn-rate tier),
// SLOErrorBudgetExhausted and SLOMetricsAbsent.
//
// # The long window
//
// With [MethodExact], the default, the errors and the events of the SLI are
// recorded separately on a coarse grid that does not overlap
// (slo:sli_errors:increase5m and slo:sli_total:increase5m, in a group
// evaluated every 5 minutes) and the window's error ratio is the sum of one
// divided by the sum of the other. That is the traffic-weighted ratio, the one
// the budget is defined by. The cells are summed in blocks aligned to
// absolute time, at most 1/720 of the window (slo:sli_errors:increase1h for
// 30 days, one sample per block), plus the block under way
// (slo:sli_errors:increase1h_partial): an evaluation reads about 1,600
// samples for a 30- or 90-day window where the average of 1-minute ratios
// reads 43,200 or 129,600. The recent end of the window is exact to the
// grid; at the old end an event leaves up to one block late, the precision of
// the tracker's own buckets. [MethodGrid] sums every cell of the window
// instead (2 x 8,640 samples for 30 days), so events leave on time.
// [MethodRatioAverage] averages the 5-minute error ratio over the window
// instead, as many generators do; it weighs a quiet minute like a busy one
// and is only an approximation (docs/accuracy.md measures how far off it is).
//
// No recorded series is ever NaN or Inf, and none but the block sums (one
// sample per block) has gaps: no traffic is an error ratio of 0, and an error
// counter that does not exist yet counts 0.
//
// # Queries
//
// The rules are made from the SLOs of package spec ([spec.SLO]), the one
// model of an SLO: whatever [spec.Load] accepts, [Generate] accepts, and
// [Check] runs the same planning without writing (slo validate calls it).
// A [spec.SLI] gives PromQL templates in Sloth's style: the placeholder
// {{.window}} stands for a range such as 5m. The queries are per-second rates
// (for example sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))); only
// their ratio matters, except for [slo.Objective.MinEvents], which reads the
// total as a rate.
//
// # Grafana
//
// With [FormatGrafana], [Generate] writes a Grafana dashboard (JSON model)
// over the series the rules record instead of the rules: a row per SLO with
// the budget left, the burn rate over every alert window (the tiers' factors
// as thresholds), the error ratio and the firing alerts (ALERTS), every
// member of a grouped SLO shown apart, and service and slo variables that
// every query is filtered by.
//
// # Which Prometheus
//
// [Options.Target] says which engine the rules are for: [Prometheus2]
// (2.42 and later, the default), [Prometheus3] or [VictoriaMetrics] (1.79
// and later, with vmalert). A query calling a function the target lacks is
// an error naming the function and the target that has it. The rules for
// VictoriaMetrics read a grid cell or a time slice over the step itself
// (rate(x[5m]), where Prometheus gets rate(x[5m1ms])): MetricsQL's rate()
// adds the last sample before its range, so consecutive cells split a
// counter's increase exactly. promtool tests are for the Prometheus targets
// only ([GenerateTests] refuses VictoriaMetrics).
package promrules
