package promsource_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promsource"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// benchFleet is 500 SLOs of 1h windows in 10 services, every tenth spent.
func benchFleet() *promtest.Fleet {
	f := promtest.NewFleet()
	for i := range 500 {
		ls := map[string]string{"slo": fmt.Sprintf("slo-%03d", i), "service": fmt.Sprintf("service-%d", i%10)}
		f.Meta(ls, 0.99, time.Hour)
		bad := float64(i % 3)
		if i%10 == 0 {
			bad = 20
		}
		f.Budget(ls, 0.99, 1000, bad)
	}
	return f
}

// BenchmarkDashboard500SLOs serves the dashboard's data (what the page
// fetches every refresh: snapshots and burn-down charts) of 500 SLOs from a
// real Prometheus, and reports the queries each refresh sends.
func BenchmarkDashboard500SLOs(b *testing.B) {
	f := benchFleet()
	prom := promtest.Start(b, testdeps.Prometheus2, f.Series)
	for _, bc := range []struct {
		name string
		path string
	}{{"data.json", "/data.json"}, {"slo", "/slo"}} {
		b.Run(bc.name, func(b *testing.B) {
			var queries atomic.Int64
			src, err := promsource.New(prom.URL, promsource.Options{Now: func() time.Time { return f.At }, Client: countingClient(&queries)})
			if err != nil {
				b.Fatal(err)
			}
			h := slohttp.DashboardHandler(src)
			if bc.name == "slo" {
				h = slohttp.SnapshotHandler(src)
			}
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.path, nil))
				if rec.Code != http.StatusOK || rec.Body.Len() < 500*100 {
					b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
				}
			}
			b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
		})
	}
}
