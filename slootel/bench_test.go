package slootel

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// BenchmarkCollect measures one collection of n objectives (default windows
// and tiers, 19 series each) through a ManualReader, beside sloprom's
// Gather of the same registry and the snapshots both must take.
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{1, 100} {
		reg := slo.NewRegistry()
		for i := range n {
			tr, err := reg.Define(slo.Objective{Name: fmt.Sprintf("objective-%03d", i), Target: 0.999})
			if err != nil {
				b.Fatal(err)
			}
			tr.RecordN(10000, 3)
		}
		b.Run(fmt.Sprintf("slos=%d/snapshots", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range reg.Trackers() {
					_ = t.Snapshot()
					_ = t.StoreStats()
				}
			}
		})
		b.Run(fmt.Sprintf("slos=%d/sloprom-gather", n), func(b *testing.B) {
			promReg := prometheus.NewRegistry()
			promReg.MustRegister(sloprom.NewCollector(reg))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := promReg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("slos=%d/slootel-collect", n), func(b *testing.B) {
			r := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
			defer mp.Shutdown(context.Background())
			if _, err := Register(mp, reg); err != nil {
				b.Fatal(err)
			}
			var rm metricdata.ResourceMetrics
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Collect(context.Background(), &rm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
