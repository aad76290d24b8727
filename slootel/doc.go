// Package slootel exports the objectives of an [slo.Source] (usually the
// process's [slo.Registry]) through the OpenTelemetry metrics API, computed
// from fresh snapshots at every collection: the signals of package sloprom for a service that exports its
// metrics with OpenTelemetry instead of client_golang.
//
// [Register] creates observable instruments on a metric.MeterProvider and
// registers one callback that observes every objective. Every series carries
// the objective's name as the attribute slo:
//
//	instrument                      kind     unit       attributes
//	slo_target                      gauge               slo
//	slo_window_seconds              gauge    s          slo
//	slo_success_ratio               gauge               slo
//	slo_error_budget_remaining      gauge               slo
//	slo_burn_rate                   gauge               slo, window_seconds
//	slo_breached                    gauge               slo
//	slo_time_to_exhaustion_seconds  gauge    s          slo
//	slo_alert_firing                gauge               slo, severity, long_window, short_window
//	slo_events_total                counter  {event}    slo, outcome
//	slo_store_saves_total           counter  {save}     slo
//	slo_store_failures_total        counter  {failure}  slo
//	slo_store_failing               gauge               slo
//	slo_family_folded_total         counter  {value}    slo
//	slo_source_up                   gauge               (none; a Source other than a Registry)
//
// The series of a member of an [slo.Family] carry the member's labels as
// attributes besides slo (e.g. route); slo_family_folded_total is the
// family's own.
//
// The meanings, values and attribute spellings are sloprom's (see its
// package documentation): both packages read one list of series. Counters
// are cumulative float64 sums, monotonic, restarting from zero with the
// process.
//
// # Names in Prometheus
//
// The names are chosen so that Prometheus's OTLP receiver stores every
// series under sloprom's name, whatever its otlp.translation_strategy:
// counters already end in _total, which the strategies that add suffixes
// (UnderscoreEscapingWithSuffixes, the default, and
// NoUTF8EscapingWithSuffixes) do not repeat and the others
// (UnderscoreEscapingWithoutSuffixes, NoTranslation) keep as is; the two
// gauges in seconds already end in _seconds, the suffix unit s would add;
// ratios and flags have no unit, since the dimensionless unit 1 would make
// the suffix strategies append _ratio (slo_target_ratio); and the
// {annotation} units of counters add no suffix. A query, dashboard or
// alert written against sloprom's series therefore works unchanged. The
// receiver derives job and instance from the resource attributes
// service.namespace, service.name and service.instance.id, where a scrape
// would take them from its target. See docs/opentelemetry.md for the
// translation strategies and the resource attributes to set.
//
// A callback that returns an error makes the SDK's periodic reader drop
// the whole collection. A value that cannot be exported (not finite, which
// a snapshot never holds) is therefore left out and reported to the
// OpenTelemetry error handler (otel.Handle), and the rest is observed.
//
// The SDK limits each instrument to 2000 attribute sets by default
// (sdk/metric.WithCardinalityLimit): slo_alert_firing has one per
// objective and alert tier, so a registry of more than 500 objectives with
// four tiers each needs a higher limit.
package slootel
