package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/audit"
)

// stream is a minimal audit-stream receiver: it prints what it is sent.
func stream() (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct {
			Kind    string         `json:"kind"`
			Payload map[string]any `json:"payload"`
		}
		if r.URL.Path != "/events" || r.Header.Get("Authorization") != "Bearer example-token" || json.NewDecoder(r.Body).Decode(&e) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %v %v", e.Kind, e.Payload["slo_name"], e.Payload["severity"]))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return got }
}

func ExampleNewFromEnv() {
	os.Unsetenv("AUDIT_STREAM_URL")
	sink, err := audit.NewFromEnv(audit.Config{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("enabled:", sink != nil)
	sink.Enqueue(audit.Event{Kind: audit.BurnStarted}) // a nil sink does nothing
	fmt.Println(sink.Close(context.Background()))
	// Output:
	// enabled: false
	// <nil>
}

func ExampleWatcher() {
	srv, received := stream()
	defer srv.Close()
	sink, err := audit.New(audit.Config{URL: srv.URL, Token: "example-token"})
	if err != nil {
		log.Fatal(err)
	}
	prometheus.NewRegistry().MustRegister(sink) // slo_audit_events_sent_total and co.

	// A tracker on a replayable clock, watched by hand; in a service, run
	// go watcher.Run(ctx) instead.
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	reg := slo.NewRegistry(slo.WithClock(clock))
	tr, err := reg.Define(slo.Objective{
		Name:   "checkout",
		Target: 0.99,
		Window: time.Hour,
		Tiers:  []slo.AlertTier{{Severity: slo.SeverityPage, LongWindow: 5 * time.Minute, ShortWindow: time.Minute, Factor: 10}},
	})
	if err != nil {
		log.Fatal(err)
	}
	watcher := audit.NewWatcher(reg, sink, audit.WithHoldDown(3*time.Minute))

	minute := func(good, bad uint64) {
		tr.RecordN(good, bad)
		now = now.Add(time.Minute)
		if _, err := watcher.Check(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	for range 5 {
		minute(1000, 0)
	}
	for range 5 {
		minute(500, 500) // an outage
	}
	for range 10 {
		minute(1000, 0)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sink.Close(ctx); err != nil {
		log.Fatal(err)
	}
	for _, e := range received() {
		fmt.Println(e)
	}
	fmt.Printf("%+v\n", sink.Stats())
	// Output:
	// slo_burn_started checkout page
	// slo_budget_exhausted checkout <nil>
	// slo_recovered checkout page
	// {Sent:3 Failed:0 Retried:0 Dropped:0 Queued:0}
}

func ExampleSink_Enqueue() {
	srv, received := stream()
	defer srv.Close()
	sink, err := audit.New(audit.Config{URL: srv.URL, Token: "example-token", QueueSize: 100})
	if err != nil {
		log.Fatal(err)
	}
	// Enqueue returns at once, whatever the audit stream does.
	sink.Enqueue(audit.Event{
		Kind:    audit.BudgetExhausted,
		Payload: audit.Payload{SLOName: "search", Window: 30 * 24 * time.Hour, BurnRate: 1.2, Threshold: 1, SuccessRatio: 0.9988},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sink.Close(ctx); err != nil { // delivers what is queued
		log.Fatal(err)
	}
	fmt.Println(received())
	// Output:
	// [slo_budget_exhausted search <nil>]
}
