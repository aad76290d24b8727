package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer = slotest.Buffer

// TestDemoCommand runs `slo demo` on a free port, with the SLOs of a spec,
// reads its report, and stops it as Ctrl-C would.
func TestDemoCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		names []string
	}{
		{"built-in", nil, []string{"api-availability", "api-latency", "route-availability", "route-availability", "route-availability"}},
		{"spec", []string{"--spec=../../examples/specs/checkout.yaml"}, []string{"checkout-availability", "checkout-latency", "checkout-payments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr lockedBuffer
			args := append([]string{"demo", "-addr", "127.0.0.1:0", "-rps", "100", "-data-dir", t.TempDir()}, tc.args...)
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, &stdout, &stderr) }()

			url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
			var base string
			for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
				base = url.FindString(stdout.String())
				if time.Now().After(deadline) {
					t.Fatalf("no URL printed:\n%s\n%s", stdout.String(), stderr.String())
				}
			}
			var report slohttp.Report
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				res, err := http.Get(base + "/slo")
				if err != nil {
					t.Fatal(err)
				}
				err = json.NewDecoder(res.Body).Decode(&report)
				res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if len(report.SLOs) == len(tc.names) && report.SLOs[0].Total > 10 && report.SLOs[1].Total > 10 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no traffic counted: %+v", report)
				}
			}
			for i, name := range tc.names {
				if report.SLOs[i].Name != name {
					t.Errorf("SLO %d is %q, want %q", i, report.SLOs[i].Name, name)
				}
			}
			cancel()
			select {
			case code := <-done:
				if code != exitOK {
					t.Errorf("exit code %d after Ctrl-C:\n%s", code, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("demo did not stop within 30s")
			}
		})
	}
	if code, _, stderr := cli(t, "demo", "-speed", "0"); code != exitUsage || !strings.Contains(stderr, "-speed") {
		t.Errorf("demo -speed 0: exit %d, %q", code, stderr)
	}
}
