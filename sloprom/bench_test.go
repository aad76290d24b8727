package sloprom

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slo-budget-tracker/slo"
)

// benchRegistry defines n objectives with default windows and tiers, each
// with some events.
func benchRegistry(b *testing.B, n int) *slo.Registry {
	b.Helper()
	reg := slo.NewRegistry()
	for i := range n {
		tr, err := reg.Define(slo.Objective{Name: fmt.Sprintf("objective-%03d", i), Target: 0.999})
		if err != nil {
			b.Fatal(err)
		}
		tr.RecordN(10000, 3)
	}
	return reg
}

// BenchmarkScrape measures one scrape of n objectives. Two baselines: the
// snapshots alone (what any exporter must compute) and a Gather of plain
// client_golang gauges holding as many series as the collector exports (19
// per objective with default windows and tiers). Then a Gather of the
// collector, and a full text rendering through Handler.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{1, 100} {
		reg := benchRegistry(b, n)
		b.Run(fmt.Sprintf("slos=%d/snapshots", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range reg.Trackers() {
					_ = t.Snapshot()
					_ = t.StoreStats()
				}
			}
		})
		b.Run(fmt.Sprintf("slos=%d/gather-plain-gauges", n), func(b *testing.B) {
			promReg := prometheus.NewRegistry()
			g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "plain", Help: "Baseline."}, []string{"slo", "series"})
			promReg.MustRegister(g)
			for i := range n {
				for j := range 19 {
					g.WithLabelValues(fmt.Sprintf("objective-%03d", i), fmt.Sprint(j)).Set(float64(j))
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := promReg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("slos=%d/gather", n), func(b *testing.B) {
			promReg := prometheus.NewRegistry()
			promReg.MustRegister(NewCollector(reg))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := promReg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("slos=%d/handler", n), func(b *testing.B) {
			h := Handler(reg)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
				_, _ = io.Copy(io.Discard, rec.Body)
			}
		})
	}
}
