package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// syncBuffer collects output written by other goroutines.
type syncBuffer = slotest.Buffer

// start runs the service on a free loopback port until the test ends and
// returns its base URL.
func start(t *testing.T, args ...string) string {
	t.Helper()
	base := fmt.Sprintf("127.0.0.1:%d", testdeps.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", base}, args...), &out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the service did not stop")
		}
		if !strings.Contains(out.String(), "stopped") {
			t.Errorf("output lacks the clean stop:\n%s", out.String())
		}
	})
	url := "http://" + base
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case err := <-done:
			t.Fatalf("the service exited early: %v\n%s", err, out.String())
		default:
		}
		resp, err := http.Get(url + "/slo")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not answer: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "serving on "+url) {
		t.Errorf("output does not print the URL:\n%s", out.String())
	}
	return url
}

func do(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServiceCountsRoutedRequestsAndServesThem(t *testing.T) {
	url := start(t, "-latency-threshold", "200ms")

	requests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/search?q=shoes", 200},
		{"GET", "/search?q=socks", 200},
		{"GET", "/search?q=hats&fail=true", 503},
		{"GET", "/search?q=slow&delay=500ms", 200}, // over the latency threshold
		{"GET", "/search?delay=forever", 400},
		{"POST", "/checkout", 201},
		{"POST", "/checkout?fail=true", 503},
		{"GET", "/checkout", 405}, // not a route: not counted
		{"GET", "/nowhere", 404},  // not counted
		{"GET", "/metrics", 200},  // not counted
	}
	for _, r := range requests {
		if got, body := do(t, r.method, url+r.path); got != r.want {
			t.Fatalf("%s %s = %d (%s), want %d", r.method, r.path, got, body, r.want)
		}
	}

	code, body := do(t, "GET", url+"/slo")
	if code != 200 {
		t.Fatalf("/slo = %d", code)
	}
	var rep slohttp.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/slo is not a report: %v\n%s", err, body)
	}
	got := map[string][2]uint64{}
	for _, s := range rep.SLOs {
		got[s.Name] = [2]uint64{s.Total, s.Failures}
	}
	want := map[string][2]uint64{
		"search-availability":   {5, 1},
		"checkout-availability": {2, 1},
		"latency":               {7, 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("/slo totals and failures = %v, want %v", got, want)
	}

	code, metrics := do(t, "GET", url+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, line := range []string{
		`slo_events_total{outcome="bad",slo="search-availability"} 1`,
		`slo_events_total{outcome="good",slo="search-availability"} 4`,
		`slo_events_total{outcome="good",slo="checkout-availability"} 1`,
		`slo_events_total{outcome="bad",slo="latency"} 1`,
		`slo_target{slo="checkout-availability"} 0.9995`,
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func TestServiceRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-latency-threshold", "0s"},
		{"-latency-threshold", "soon"},
		{"-addr", "127.0.0.1:notaport"},
	} {
		var out syncBuffer
		if err := run(context.Background(), args, &out); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}
