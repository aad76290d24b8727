package sloprom

import (
	"strconv"
	"time"
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
