package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/slo-budget-tracker/slo/internal/demo"
	"github.com/slo-budget-tracker/slo/spec"
)

const demoHelp = `
Run a sample shop instrumented with slohttp, with a load generator, and watch
its error budgets move in the dashboard. It serves the dashboard at /slo/ui/,
the JSON report at /slo and Prometheus metrics at /metrics, and prints the
URLs at start.

Inject faults from the dashboard's buttons or with
    curl -X POST 'http://127.0.0.1:8080/demo/fault?error_rate=0.3&latency=400ms'
(error_rate=0&latency=0 heals). With -speed N the SLO clock runs N times
faster than real time, so a 30-day budget burns in minutes and the burn-rate
alerts can be watched.

The budgets are saved under -data-dir and restored at the next start, or
saved to Redis with -redis, one state per -instance; the dashboard and /slo
then show the budgets of every instance summed (the fleet's, the same on
every replica), and /slo/local this replica's own. AUDIT_STREAM_URL sends burn and budget
events to an audit stream. Ctrl-C stops the demo and saves the budgets.

With -spec, the SLOs come from a spec file: latency SLIs are fed by request
latency against their threshold (in seconds), every other SLO by whether
requests succeed.`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "[flags]", demoHelp, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the shop, the dashboard and the metrics on")
	rps := fs.Float64("rps", 20, "requests a second from the built-in load generator (0 for none)")
	speed := fs.Float64("speed", 1, "how many times faster than real time the SLO clock runs")
	dataDir := fs.String("data-dir", demo.DefaultDataDir(), `directory to save the budgets in ("" to keep them in memory only)`)
	redisURL := fs.String("redis", "", "save the budgets to Redis instead, e.g. redis://127.0.0.1:6379/0, and show the fleet's on the dashboard and /slo")
	instance := fs.String("instance", "", "this replica's name in Redis (default: the host name)")
	specFile := fs.String("spec", "", "load the SLOs from this spec file instead of the built-in ones")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fs, "unexpected arguments %q", fs.Args())
	case *speed <= 0 || *rps < 0:
		return usageError(fs, "-speed must be positive and -rps not negative")
	case *specFile != "" && !checkFiles(fs, *specFile):
		return exitUsage
	}
	cfg := demo.Config{
		Addr:     *addr,
		RPS:      *rps,
		Speed:    *speed,
		DataDir:  *dataDir,
		RedisURL: *redisURL,
		Instance: *instance,
		Log:      slog.New(slog.NewTextHandler(stderr, nil)),
		Out:      stdout,
	}
	if *specFile != "" {
		f, ok := loadSpec(*specFile, stderr)
		if !ok {
			return exitFail
		}
		cfg.Objectives = demoObjectives(f)
	}
	if err := demo.Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "slo demo: %v\n", err)
		return exitFail
	}
	return exitOK
}

// demoObjectives feeds a spec's SLOs from the demo's traffic: latency SLIs
// by request latency against their threshold, read as seconds, every other
// SLO by whether requests succeed.
func demoObjectives(f *spec.File) []demo.Objective {
	objectives := make([]demo.Objective, 0, len(f.SLOs))
	for _, s := range f.SLOs {
		o := demo.Objective{Objective: s.Objective}
		if s.SLI.Kind == spec.KindLatency {
			o.Latency = time.Duration(s.SLI.Threshold * float64(time.Second))
		}
		objectives = append(objectives, o)
	}
	return objectives
}
