package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/slo-budget-tracker/slo/promsource"
	"github.com/slo-budget-tracker/slo/slohttp"
)

const serveHelp = `
Serve every SLO of every service, read from the series that the rules of
"slo generate" record in Prometheus:

	/      a dashboard: every SLO sorted by remaining budget (worst first),
	       filters by service and firing severity, each SLO's burn-down over
	       its window (a time-slice SLO's in slices), burn rates per window
	       and firing alert tiers; it refreshes itself every -refresh (15s:
	       the recorded series change once per rule evaluation)
	/slo   the JSON report of slohttp.SnapshotHandler, one entry per SLO (per
	       member of a grouped SLO), so "slo gate -url http://ADDR/slo" gates
	       on the whole fleet

With -spec, the SLOs (their descriptions, targets, windows and alert tiers)
come from the spec files; without, they are discovered from the recorded
series' slo and service labels, and an SLO's tiers are shown while they fire.
An SLO whose series are missing (rules not yet evaluated, no traffic) shows as
"no data yet". Each reading sends one query per metric for all SLOs, each
within -timeout. While Prometheus cannot be read, /slo answers 503 and the
dashboard says so in a banner; both recover by themselves.

Examples:

	slo serve -prometheus http://prometheus:9090
	slo serve -prometheus http://prometheus:9090 -spec checkout.yaml -spec search.yaml -addr :8080`

// defaultServeRefresh is how often the dashboard of slo serve reads the
// SLOs again: the series it shows change once per rule evaluation,
// usually every 15s to 1m.
const defaultServeRefresh = 15 * time.Second

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "-prometheus URL [-spec FILE]... [-addr ADDR] [-timeout 10s] [-refresh 15s] [-at TIME]", serveHelp, stderr)
	promURL := fs.String("prometheus", "", "the base URL of the Prometheus server, like http://prometheus:9090")
	var specs stringList
	fs.Var(&specs, "spec", "a spec file whose SLOs to show (repeat, or separate with commas); default: every SLO found in Prometheus")
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the dashboard and /slo on")
	timeout := fs.Duration("timeout", promsource.DefaultTimeout, "how long each query to Prometheus may take")
	refresh := fs.Duration("refresh", defaultServeRefresh, "how often the dashboard reads the SLOs again; about the rules' evaluation interval")
	at := fs.String("at", "", "show the SLOs as of this instant (RFC 3339, like 2026-01-02T15:04:05Z) instead of now")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fs, "unexpected arguments %q", fs.Args())
	case *promURL == "":
		return usageError(fs, "-prometheus is required")
	case *timeout <= 0:
		return usageError(fs, "-timeout %v is not positive", *timeout)
	case *refresh <= 0:
		return usageError(fs, "-refresh %v is not positive", *refresh)
	}
	opts, code, ok := promOptions(fs, *timeout, *at, specs, exitFail, stderr)
	if !ok {
		return code
	}
	src, err := promsource.New(*promURL, opts)
	if err != nil {
		return usageError(fs, "%v", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/slo", slohttp.SnapshotHandler(src))
	mux.Handle("/", slohttp.DashboardHandler(src, slohttp.WithTitle("SLO error budgets"), slohttp.WithRefresh(*refresh)))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "slo serve: %v\n", err)
		return exitFail
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "dashboard: %s/\nreport:    %s/slo\nreading:   %s\n", base, base, *promURL)
	done := make(chan error, 1)
	go func() { done <- server.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "slo serve: %v\n", err)
		return exitFail
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "slo serve: stopping: %v\n", err)
		return exitFail
	}
	return exitOK
}
