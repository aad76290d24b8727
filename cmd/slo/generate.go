package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/slo-budget-tracker/slo/promrules"
)

const generateHelp = `
Generate Prometheus recording and alerting rules from spec files: the SLI's
error ratio over every alert window, the error ratio and the budget left over
the SLO window, burn rates, and the multiwindow, multi-burn-rate alerts
SLOErrorBudgetBurn, SLOErrorBudgetExhausted and SLOMetricsAbsent.

The long window is computed with -method exact (the default): errors and
events are recorded on a coarse grid that does not overlap and summed, which
weighs every event alike; the grid's cells are summed in blocks of 1/720 of
the window, so an evaluation reads about 1,600 samples for 30 or 90 days, and
an event leaves the window up to one block late. -method grid sums every
cell instead (events leave on time, 17,280 samples for 30 days).
-method ratio-average averages the 5m error ratio instead, as other
generators do: an approximation, biased whenever traffic varies. SLOs whose
spec only gives an error ratio always use the average (with a warning).

-target victoriametrics writes the rules for VictoriaMetrics (vmalert),
whose rate() adds the sample before its range: a grid cell or a time slice
is read over the step itself (rate(x[1m])) instead of the step and a
millisecond (rate(x[1m1ms])), so it holds the events of the step and no
more.

-tests FILE also writes a promtool unit-test file that proves the alerts
fire: run it with "promtool test rules FILE". The output is the same bytes
for the same input. promtool runs Prometheus's PromQL, so -tests goes with
the Prometheus targets only.

-scrape-interval (default 15s) is how often the SLI's counters are scraped.
A range the rules read with rate() (an alert window, the grid step, a time
slice) shorter than two scrape intervals holds at most one sample, so
Prometheus records no result over it: it is warned about (not for
victoriametrics, whose rate() also reads the sample before the range).

-format grafana writes a Grafana dashboard (JSON, for Grafana 11 and 12)
over the series the rules record instead of the rules: a row per SLO with
the budget left, the burn rate over every alert window, the error ratio and
the firing alerts, and service and slo variables.`

func runGenerate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("generate", "[flags] FILE...", generateHelp, stderr)
	out := fs.String("o", "", "write the rules to this file instead of standard output")
	engine := engineFlags(fs)
	method := fs.String("method", string(promrules.MethodExact), "long-window method: exact, grid or ratio-average")
	format := fs.String("format", string(promrules.FormatRules), "output format: rules (a Prometheus rule file), prometheus-operator (a PrometheusRule resource) or grafana (a dashboard over the recorded series)")
	tests := fs.String("tests", "", "also write a promtool unit-test file for the rules to this file (needs -o)")
	forDuration := fs.Duration("for", 0, "for: duration of the SLOErrorBudgetBurn alerts")
	name := fs.String("name", "", "metadata.name of the PrometheusRule resource")
	namespace := fs.String("namespace", "", "metadata.namespace of the PrometheusRule resource")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "give one or more spec files")
	}
	if *tests != "" && *out == "" {
		return usageError(fs, "-tests needs -o: the test file names the rule file")
	}
	if *tests != "" && promrules.Format(*format) == promrules.FormatGrafana {
		return usageError(fs, "-tests goes with rules, not with -format grafana")
	}
	opts := engine()
	if *tests != "" && opts.Target == promrules.VictoriaMetrics {
		return usageError(fs, "-tests goes with the Prometheus targets: promtool runs the rules with Prometheus's rate(), not VictoriaMetrics'")
	}
	if !checkFiles(fs, fs.Args()...) {
		return exitUsage
	}
	opts.Method = promrules.Method(*method)
	opts.Format = promrules.Format(*format)
	opts.For = *forDuration
	opts.Name, opts.Namespace = *name, *namespace

	slos, ok := loadSpecs(fs.Args(), stderr)
	if !ok {
		return exitFail
	}
	res, err := promrules.Generate(slos, opts)
	if err != nil {
		printProblems("slo generate", err, stderr)
		return exitFail
	}
	printWarnings(res.Warnings, stderr)
	if *out == "" {
		if _, err := stdout.Write(res.Rules); err != nil {
			fmt.Fprintf(stderr, "slo generate: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	if err := writeFile(*out, res.Rules); err != nil {
		fmt.Fprintf(stderr, "slo generate: %v\n", err)
		return exitFail
	}
	if *tests == "" {
		return exitOK
	}
	// promtool reads plain rule files only: the tests of an operator
	// resource point at the same rules written as a plain file beside it.
	ruleFile := *out
	if opts.Format == promrules.FormatPrometheusOperator {
		plain := opts
		plain.Format = promrules.FormatRules
		pres, err := promrules.Generate(slos, plain)
		if err != nil {
			fmt.Fprintf(stderr, "slo generate: %v\n", err)
			return exitFail
		}
		ruleFile = *tests + ".rules.yml"
		if err := writeFile(ruleFile, pres.Rules); err != nil {
			fmt.Fprintf(stderr, "slo generate: %v\n", err)
			return exitFail
		}
	}
	rel, err := filepath.Rel(filepath.Dir(*tests), ruleFile)
	if err != nil {
		rel = ruleFile
	}
	tres, err := promrules.GenerateTests(slos, rel, opts)
	if err != nil {
		fmt.Fprintf(stderr, "slo generate: tests: %v\n", err)
		return exitFail
	}
	for _, w := range tres.Warnings {
		fmt.Fprintf(stderr, "warning: tests: %s\n", w)
	}
	if err := writeFile(*tests, tres.Tests); err != nil {
		fmt.Fprintf(stderr, "slo generate: %v\n", err)
		return exitFail
	}
	return exitOK
}

// engineFlags defines the flags of generate and validate that say where
// the rules run: -target, the engine, and -scrape-interval, how often the
// SLI's counters are scraped. It returns the options they set, once the
// flags are parsed.
func engineFlags(fs *flag.FlagSet) func() promrules.Options {
	target := fs.String("target", string(promrules.Prometheus2), "engine the rules are for: prometheus-2 (2.42 and later), prometheus-3 or victoriametrics (1.79 and later, with vmalert)")
	scrape := fs.Duration("scrape-interval", promrules.DefaultScrapeInterval, "how often the SLI's counters are scraped: a range rate() reads (an alert window, the grid step, a time slice) shorter than two of them is warned about")
	return func() promrules.Options {
		return promrules.Options{Target: promrules.Target(*target), ScrapeInterval: *scrape}
	}
}

// writeFile writes data to path through a temporary file and a rename, so a
// reader never sees half a rule file.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
