package slohttp_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// A RemoteSource reads another process's /slo report as snapshots, as
// `slo gate -url` does.
func ExampleNewRemoteSource() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	defer reg.Close(context.Background())
	checkout, _ := reg.Define(slo.Objective{Name: "checkout", Target: 0.99})
	checkout.RecordN(995, 5)
	srv := httptest.NewServer(slohttp.SnapshotHandler(reg))
	defer srv.Close()

	src, err := slohttp.NewRemoteSource(srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	snaps, err := src.Snapshots(context.Background())
	if err != nil {
		fmt.Println(err) // a 503 from a source that failed, a body that is not a report...
		return
	}
	for _, s := range snaps {
		fmt.Printf("%s: %d events, %.0f%% of the budget left, exhausted: %v\n",
			s.Name, s.Total, 100*s.ErrorBudgetRemaining, s.IsBudgetExhausted())
	}
	// Output:
	// checkout: 1000 events, 50% of the budget left, exhausted: false
}
