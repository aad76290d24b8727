package sloprom

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slo-budget-tracker/slo"
)

// Handler returns an HTTP handler that serves the metrics of src (see
// [NewCollector], which opts configure), and only those, in the Prometheus exposition format. It gathers from a
// prometheus.Registry of its own, so it adds nothing to the default
// registry; to serve SLO metrics beside others, register [NewCollector]
// with the registry you serve instead.
//
// A series that cannot be exported is left out and the rest is served.
func Handler(src slo.Source, opts ...CollectorOption) http.Handler {
	reg := prometheus.NewRegistry()
	// Registering the fixed, valid descriptors with a fresh registry cannot
	// fail, whatever src holds.
	reg.MustRegister(NewCollector(src, opts...))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
