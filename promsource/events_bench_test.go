package promsource_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
)

// BenchmarkDashboard500SLOsEvents reads the snapshots of 50 SLOs of 30-day
// windows whose exact rules record 5m cells and 1h blocks, from a real
// Prometheus, and reports the queries and the samples they read per
// refresh (stats=all): a tenth of 500 such SLOs, whose events read ten
// times as many.
func BenchmarkDashboard500SLOsEvents(b *testing.B) {
	f := promtest.NewFleet()
	for i := range 50 {
		ls := map[string]string{"slo": fmt.Sprintf("slo-%03d", i), "service": fmt.Sprintf("service-%d", i%10)}
		f.Meta(ls, 0.99, 30*24*time.Hour)
		f.Gauge("slo:error_budget_remaining:ratio", ls, 1-float64(i%3)/1000/0.01)
		f.Window(ls, 30*24*time.Hour, time.Hour, 1000, float64(i%3))
	}
	prom := promtest.Start(b, testdeps.Prometheus2, f.Series)
	var samples atomic.Int64
	var queries []string
	src, err := promsource.New(prom.URL, promsource.Options{Now: func() time.Time { return f.At }, Client: statsClient(&samples, &queries)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		snaps, err := src.Snapshots(context.Background())
		if err != nil || len(snaps) != 50 || snaps[0].Total != 8640*1000 {
			b.Fatalf("%d snapshots, the first of %d events: %v", len(snaps), snaps[0].Total, err)
		}
	}
	b.ReportMetric(float64(len(queries))/float64(b.N), "queries/op")
	b.ReportMetric(float64(samples.Load())/float64(b.N), "samples/op")
}
