package slohttp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

func ExampleMiddleware() {
	reg := slo.NewRegistry()
	availability, _ := reg.Define(slo.Objective{Name: "api-availability", Target: 0.999})
	latency, _ := reg.Define(slo.Objective{Name: "api-latency", Target: 0.99})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
	})
	// One middleware feeds both objectives: availability (5xx and panics
	// are bad) and latency (slower than 300ms is bad).
	handler := slohttp.Middleware(availability, slohttp.WithLatency(latency, 300*time.Millisecond))(mux)

	for _, path := range []string{"/hello", "/hello", "/hello", "/broken", "/missing"} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for _, s := range reg.SnapshotAll() {
		fmt.Printf("%s: %d events, %d bad\n", s.Name, s.Total, s.Failures)
	}
	// Output:
	// api-availability: 5 events, 1 bad
	// api-latency: 5 events, 0 bad
}

func ExampleWithRoutes() {
	reg := slo.NewRegistry()
	routes, _ := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.999}, []string{"route"})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})

	// Each route gets its own budget of the "api" objective. With no
	// default tracker (nil), unknown paths are not counted; /healthz is
	// skipped.
	handler := slohttp.Middleware(nil, slohttp.WithRoutes(routes), slohttp.SkipRoutes("GET /healthz"))(mux)

	for _, req := range []struct{ method, path string }{
		{"POST", "/checkout"}, {"GET", "/search"}, {"GET", "/search?q=x"}, {"GET", "/healthz"}, {"GET", "/admin"},
	} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	for _, s := range reg.SnapshotAll() {
		fmt.Printf("%s %s: %d events, %d bad\n", s.Name, s.Labels["route"], s.Total, s.Failures)
	}
	// Output:
	// api GET /search: 2 events, 2 bad
	// api POST /checkout: 1 events, 0 bad
}

func ExampleWithClassifier() {
	tracker, _ := slo.NewTracker(slo.Objective{Name: "api", Target: 0.999})
	// Shedding load with 429 spends budget too; 501 is a client asking for
	// something we never offered.
	classify := func(status int, panicValue any) slohttp.Outcome {
		switch status {
		case http.StatusTooManyRequests:
			return slohttp.Bad
		case http.StatusNotImplemented:
			return slohttp.Ignore
		}
		return slohttp.DefaultClassifier(status, panicValue)
	}
	handler := slohttp.Middleware(tracker, slohttp.WithClassifier(classify))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.URL.Query().Get("code"), &code)
		w.WriteHeader(code)
	}))
	for _, code := range []string{"200", "429", "501", "500", "404"} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/?code="+code, nil))
	}
	s := tracker.Snapshot()
	fmt.Printf("%d events, %d bad\n", s.Total, s.Failures)
	// Output:
	// 4 events, 2 bad
}

func ExampleSnapshotHandler() {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := start
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	tracker, _ := reg.Define(slo.Objective{
		Name:            "api",
		Target:          0.99,
		Window:          24 * time.Hour,
		BurnRateWindows: []time.Duration{time.Hour},
		Tiers:           []slo.AlertTier{{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 10}},
	})
	tracker.RecordN(9950, 50) // 0.5% errors: half the budget
	now = start.Add(time.Minute)

	// In a service: mux.Handle("GET /slo", slohttp.SnapshotHandler(reg))
	w := httptest.NewRecorder()
	slohttp.SnapshotHandler(reg).ServeHTTP(w, httptest.NewRequest("GET", "/slo", nil))
	os.Stdout.Write(w.Body.Bytes())

	// A client reads it back with the same types.
	var report slohttp.Report
	json.Unmarshal(w.Body.Bytes(), &report)
	fmt.Printf("%s: %.0f%% of the budget left, exhausted in %v\n", report.SLOs[0].Name,
		100*report.SLOs[0].ErrorBudgetRemaining, time.Duration(*report.SLOs[0].TimeToExhaustionSeconds)*time.Second)
	// Output:
	// {
	//   "slos": [
	//     {
	//       "name": "api",
	//       "target": 0.99,
	//       "window_seconds": 86400,
	//       "time": "2026-11-01T00:01:00Z",
	//       "total": 10000,
	//       "failures": 50,
	//       "success_ratio": 0.995,
	//       "error_budget_remaining": 0.5,
	//       "burn_rate": 0.5,
	//       "breached": false,
	//       "is_budget_exhausted": false,
	//       "time_to_exhaustion_seconds": 86400,
	//       "burn_rate_threshold": 14.4,
	//       "burn_rates": [
	//         {
	//           "window_seconds": 3600,
	//           "burn_rate": 0.5,
	//           "total": 10000,
	//           "failures": 50
	//         }
	//       ],
	//       "tiers": [
	//         {
	//           "severity": "page",
	//           "long_window_seconds": 3600,
	//           "short_window_seconds": 300,
	//           "factor": 10,
	//           "long_burn_rate": 0.5,
	//           "short_burn_rate": 0.5,
	//           "long_total": 10000,
	//           "short_total": 10000,
	//           "firing": false
	//         }
	//       ],
	//       "cumulative_good": 9950,
	//       "cumulative_bad": 50
	//     }
	//   ]
	// }
	// api: 50% of the budget left, exhausted in 24h0m0s
}
