package sloprom

import (
	"time"

	"github.com/slo-budget-tracker/slo/internal/series"
)

// FormatDuration spells d as a Prometheus duration in the largest unit that
// divides it exactly, among d, h, m, s and ms: 5m, 1h, 3d, 7d, 70s, 90m,
// 1008m, 1500ms. Below the millisecond, which Prometheus cannot express,
// d is truncated; "0s" is zero.
//
// It is the spelling of package promrules, whose recording rules are named
// after their windows (slo:sli_error:ratio_rate5m) and whose alerts carry
// the same long_window and short_window labels as slo_alert_firing, so the
// two can be matched on those labels. Every result parses back with
// Prometheus's duration parser.
func FormatDuration(d time.Duration) string {
	return series.FormatDuration(d)
}
