package sloprom_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// Register the collector with the registry a service already serves; SLO
// series then appear beside the service's own metrics.
func ExampleNewCollector() {
	objectives := slo.NewRegistry()
	checkout, err := objectives.Define(slo.Objective{Name: "checkout", Target: 0.999})
	if err != nil {
		panic(err)
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(sloprom.NewCollector(objectives))

	checkout.RecordN(999, 1)
	err = testutil.GatherAndCompare(metrics, strings.NewReader(`
# HELP slo_events_total Events counted for the objective since the process started, by outcome (good or bad).
# TYPE slo_events_total counter
slo_events_total{outcome="bad",slo="checkout"} 1
slo_events_total{outcome="good",slo="checkout"} 999
`), "slo_events_total")
	fmt.Println("events exported:", err == nil)
	// Output:
	// events exported: true
}

// Handler serves the objectives alone, the way the Python package's exporter.render()
// did; mount it on /metrics.
func ExampleHandler() {
	objectives := slo.NewRegistry()
	search, _ := objectives.Define(slo.Objective{Name: "search", Target: 0.99, Window: 7 * 24 * time.Hour})
	search.RecordN(100, 0)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", sloprom.Handler(objectives))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "slo_target") || strings.HasPrefix(line, "slo_alert_firing") {
			fmt.Println(line)
		}
	}
	// Output:
	// slo_alert_firing{long_window="1008m",severity="ticket",short_window="84m",slo="search"} 0
	// slo_alert_firing{long_window="14m",severity="page",short_window="70s",slo="search"} 0
	// slo_alert_firing{long_window="336m",severity="ticket",short_window="28m",slo="search"} 0
	// slo_alert_firing{long_window="84m",severity="page",short_window="7m",slo="search"} 0
	// slo_target{slo="search"} 0.99
}

func ExampleFormatDuration() {
	for _, d := range []time.Duration{5 * time.Minute, time.Hour, 90 * time.Minute, 70 * time.Second, 24 * time.Hour, 7 * 24 * time.Hour} {
		fmt.Println(sloprom.FormatDuration(d))
	}
	// Output:
	// 5m
	// 1h
	// 90m
	// 70s
	// 1d
	// 7d
}
