package promrules

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

var fleetDir = flag.String("fleet-dir", "", "write the Sloth fleet specs (sloth-1000.yml, sloth-10000.yml) to this directory, for timing slo generate against sloth generate")

// slothFleet returns a Sloth prometheus/v1 spec of n availability SLOs of
// one service, each reading its own job with its own objective, labels and
// alert routing, as a large fleet's spec does.
func slothFleet(n int) []byte {
	var b strings.Builder
	b.WriteString("version: \"prometheus/v1\"\nservice: \"fleet\"\nlabels:\n  owner: \"platform\"\n  repo: \"myorg/fleet\"\nslos:\n")
	objectives := []string{"99.9", "99.5", "99.95", "99", "99.99"}
	for i := range n {
		job := fmt.Sprintf("api-%d", i)
		fmt.Fprintf(&b, `  - name: "requests-availability-%d"
    objective: %s
    description: "Availability of the HTTP requests of %s."
    labels:
      category: availability
      team: "team-%d"
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job=%q,code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job=%q}[{{.window}}]))
    alerting:
      name: "HighErrorRate"
      labels:
        category: "availability"
      annotations:
        summary: "High error rate on '%s' requests responses"
      page_alert:
        labels:
          severity: "pageteam"
          routing_key: "team-%d"
      ticket_alert:
        labels:
          severity: "slack"
          slack_channel: "#alerts-team-%d"
`, i, objectives[i%len(objectives)], job, i%50, job, job, job, i%50, i%50)
	}
	return []byte(b.String())
}

// loadFleet loads slothFleet(n) as slo generate does.
func loadFleet(tb testing.TB, n int) []spec.SLO {
	tb.Helper()
	f, err := spec.LoadBytes(fmt.Sprintf("sloth-%d.yml", n), slothFleet(n))
	if err != nil {
		tb.Fatal(err)
	}
	if len(f.SLOs) != n {
		tb.Fatalf("loaded %d SLOs, want %d", len(f.SLOs), n)
	}
	return f.SLOs
}

// TestSlothFleet loads the fleet spec and, with -fleet-dir, writes it out
// for timing the two tools on the same file:
//
//	go test -run TestSlothFleet ./promrules -args -fleet-dir=/tmp/fleet
func TestSlothFleet(t *testing.T) {
	loadFleet(t, 1000)
	if *fleetDir == "" {
		return
	}
	for _, n := range []int{1000, 10000} {
		path := filepath.Join(*fleetDir, fmt.Sprintf("sloth-%d.yml", n))
		if err := os.WriteFile(path, slothFleet(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// benchFleet loads the Sloth fleet spec of n SLOs and generates its rules,
// as slo generate does. Besides time and allocations per run it reports
// them per SLO: ns/SLO and B/SLO (bytes allocated).
func benchFleet(b *testing.B, n int) {
	data := slothFleet(n)
	name := fmt.Sprintf("sloth-%d.yml", n)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	runs := 0
	for b.Loop() {
		runs++
		f, err := spec.LoadBytes(name, data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(f.SLOs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	slos := float64(runs * n)
	b.ReportMetric(float64(elapsed.Nanoseconds())/slos, "ns/SLO")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/slos, "B/SLO")
}

// BenchmarkSlothFleet1000 is slo generate on a Sloth spec of 1,000
// availability SLOs: loading, planning, parsing every expression, writing.
func BenchmarkSlothFleet1000(b *testing.B) { benchFleet(b, 1000) }

// BenchmarkSlothFleet10000 is the same for 10,000 SLOs.
func BenchmarkSlothFleet10000(b *testing.B) { benchFleet(b, 10000) }
