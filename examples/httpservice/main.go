// Command httpservice is a small HTTP service measured against three
// service level objectives with slohttp:
//
//   - search-availability: 99.9% of GET /search requests succeed
//   - checkout-availability: 99.95% of POST /checkout requests succeed
//   - latency: 99% of those requests finish within -latency-threshold
//
// It serves the objectives as Prometheus metrics on /metrics (beside the Go
// runtime's) and as JSON on /slo. Requests to /metrics, /slo and unknown
// paths are not counted.
//
//	go run ./examples/httpservice -addr 127.0.0.1:8080
//	curl -s 'localhost:8080/search?q=shoes'
//	curl -s 'localhost:8080/search?q=shoes&fail=true'    # a simulated backend failure (503)
//	curl -s 'localhost:8080/search?q=shoes&delay=400ms'  # a simulated slow backend
//	curl -s -X POST localhost:8080/checkout
//	curl -s localhost:8080/slo
//	curl -s localhost:8080/metrics | grep ^slo_
//
// It stops cleanly on Ctrl-C or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/sloprom"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "httpservice:", err)
		os.Exit(1)
	}
}

// maxDelay bounds the simulated slowness a request may ask for.
const maxDelay = 5 * time.Second

// run serves until ctx is done, then shuts the server down and returns.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("httpservice", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	threshold := fs.Duration("latency-threshold", 300*time.Millisecond, "requests slower than this spend the latency budget")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *threshold <= 0 {
		return fmt.Errorf("-latency-threshold must be positive, got %v", *threshold)
	}

	reg := slo.NewRegistry()
	defer reg.Close(context.Background())
	define := func(o slo.Objective) (*slo.Tracker, error) {
		t, err := reg.Define(o)
		if err != nil {
			return nil, fmt.Errorf("defining objective %q: %w", o.Name, err)
		}
		return t, nil
	}
	search, err := define(slo.Objective{Name: "search-availability", Description: "GET /search succeeds", Target: 0.999})
	if err != nil {
		return err
	}
	checkout, err := define(slo.Objective{Name: "checkout-availability", Description: "POST /checkout succeeds", Target: 0.9995})
	if err != nil {
		return err
	}
	latency, err := define(slo.Objective{Name: "latency", Description: fmt.Sprintf("requests finish within %v", *threshold), Target: 0.99})
	if err != nil {
		return err
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(
		sloprom.NewCollector(reg),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	// Each route's handler is wrapped in a middleware that feeds the
	// route's availability objective and the shared latency objective;
	// /metrics, /slo and unknown paths are not counted.
	instrument := func(t *slo.Tracker, h http.HandlerFunc) http.Handler {
		return slohttp.Middleware(t, slohttp.WithLatency(latency, *threshold))(h)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /search", instrument(search, handleSearch))
	mux.Handle("POST /checkout", instrument(checkout, handleCheckout))
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}))
	mux.Handle("GET /slo", slohttp.SnapshotHandler(reg))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "serving on %s\n  %s/search?q=shoes\n  %s/checkout (POST)\n  %s/slo\n  %s/metrics\n", base, base, base, base, base)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

// simulate applies the simulation knobs of a request: delay=DURATION waits
// (at most maxDelay, or until the client goes away) and fail=true answers
// 503 as a failing backend would. It reports whether it answered.
func simulate(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	if d := q.Get("delay"); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil || delay < 0 || delay > maxDelay {
			http.Error(w, fmt.Sprintf("delay must be a duration between 0 and %v, got %q", maxDelay, d), http.StatusBadRequest)
			return true
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return true
		}
	}
	if q.Get("fail") == "true" {
		http.Error(w, "backend unavailable (simulated)", http.StatusServiceUnavailable)
		return true
	}
	return false
}

func handleSearch(w http.ResponseWriter, r *http.Request) {
	if simulate(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": r.URL.Query().Get("q"), "results": []string{"red shoes", "blue shoes"}})
}

func handleCheckout(w http.ResponseWriter, r *http.Request) {
	if simulate(w, r) {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"order": "accepted"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
