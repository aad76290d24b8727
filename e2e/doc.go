// Package e2e checks, against real servers (Prometheus 2 and 3,
// VictoriaMetrics with vmalert), that the in-process tracker and the rules
// `slo generate` writes tell the same truth: for an SLO with one budget
// (TestEnginesAgreeWithTracker) and for a grouped SLO, one budget per route
// with one route burning (TestEnginesAgreePerGroup), where the rules, an
// slo.Family and the truth must agree route by route and only the burning
// route's alerts fire; and for time-slice SLOs
// (TestEnginesAgreeOnTimeSlices), where the rules' slices, the tracker's
// and the truth's must hold the same events. It holds only tests; see
// docs/accuracy.md for what they measure and scripts/e2e.sh to run them by
// hand.
package e2e
