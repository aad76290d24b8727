package slootel_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slootel"
)

// Register the objectives with the MeterProvider the service already
// exports through. Here a ManualReader stands in for its exporter, to show
// what a collection holds.
func ExampleRegister() {
	objectives := slo.NewRegistry()
	checkout, err := objectives.Define(slo.Objective{Name: "checkout", Target: 0.999})
	if err != nil {
		log.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if _, err := slootel.Register(provider, objectives); err != nil {
		log.Fatal(err)
	}

	checkout.RecordN(999, 1)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[float64]); ok && m.Name == "slo_events_total" {
			for _, dp := range sum.DataPoints {
				outcome, _ := dp.Attributes.Value("outcome")
				lines = append(lines, fmt.Sprintf("%s{outcome=%s} %v", m.Name, outcome.String(), dp.Value))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// slo_events_total{outcome=bad} 1
	// slo_events_total{outcome=good} 999
}

// A service that sends its metrics to an OTLP endpoint, such as Prometheus
// 3 started with --web.enable-otlp-receiver, registers the objectives with
// the provider it exports through; the exporter reads the endpoint from
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT.
func Example_otlpHTTP() {
	ctx := context.Background()
	objectives := slo.NewRegistry()
	if _, err := objectives.Define(slo.Objective{Name: "checkout", Target: 0.999}); err != nil {
		log.Fatal(err)
	}
	exporter, err := otlpmetrichttp.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exporter)))
	defer provider.Shutdown(ctx)
	if _, err := slootel.Register(provider, objectives); err != nil {
		log.Fatal(err)
	}
	// ... serve, recording into the trackers of objectives.
}
