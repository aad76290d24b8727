// Package e2e checks, against real servers (Prometheus 2 and 3,
// VictoriaMetrics with vmalert), that the in-process tracker and the rules
// `slo generate` writes tell the same truth. It holds only tests; see
// docs/accuracy.md for what they measure and scripts/e2e.sh to run them by
// hand.
package e2e
