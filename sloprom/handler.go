package sloprom

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slo-budget-tracker/slo"
)

// Handler returns an HTTP handler that serves the metrics of r, and only
// those, in the Prometheus exposition format. It gathers from a
// prometheus.Registry of its own, so it adds nothing to the default
// registry; to serve SLO metrics beside others, register [NewCollector]
// with the registry you serve instead.
//
// A series that cannot be exported is left out and the rest is served.
func Handler(r *slo.Registry) http.Handler {
	reg := prometheus.NewRegistry()
	// Registering the fixed, valid descriptors with a fresh registry cannot
	// fail, whatever r holds.
	reg.MustRegister(NewCollector(r))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
