package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/promrules"
	"github.com/slo-budget-tracker/slo/spec"
)

const validateHelp = `
Check spec files (this tool's slo/v1 format, Sloth's prometheus/v1, OpenSLO
openslo/v1) and report every problem of every file, with its file, line, SLO
and field. Valid files are summed up on standard output, one line per SLO.
It runs every check of slo generate: what one accepts, the other accepts.
Objectives that make an alert tier unable to fire are warned about, and so
are ranges the rules read with rate() that are shorter than two scrape
intervals (-scrape-interval, default 15s; see slo generate -h).

Exit status: 0 when every file is valid, 1 when any is not, 2 on bad usage
or a file that cannot be read.`

// loadSpecs loads the spec files at paths, as slo validate does; when any
// is invalid it prints every problem, one a line, and returns false.
func loadSpecs(paths []string, stderr io.Writer) ([]spec.SLO, bool) {
	var slos []spec.SLO
	ok := true
	for _, path := range paths {
		f, fok := loadSpec(path, stderr)
		if !fok {
			ok = false
			continue
		}
		slos = append(slos, f.SLOs...)
	}
	return slos, ok
}

// loadSpec loads the spec file at path; when it is invalid it prints every
// problem, one a line, and returns false.
func loadSpec(path string, stderr io.Writer) (*spec.File, bool) {
	f, err := spec.Load(path)
	if err != nil {
		printProblems(path, err, stderr)
		return nil, false
	}
	return f, true
}

// printProblems prints the problems of err one a line: every entry of a
// spec.ErrorList, which names its file and line, or err after prefix.
func printProblems(prefix string, err error, stderr io.Writer) {
	var list spec.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		return
	}
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
}

// printWarnings prints the warnings of promrules, which name their file
// and line, one a line.
func printWarnings(warnings []string, stderr io.Writer) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "[-q] [-target T] [-scrape-interval D] FILE...", validateHelp, stderr)
	quiet := fs.Bool("q", false, "print only problems and warnings")
	engine := engineFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "give one or more spec files")
	}
	if !checkFiles(fs, fs.Args()...) {
		return exitUsage
	}
	// Every file that loads is summed up and goes through the checks of
	// slo generate: whatever one accepts, the other accepts.
	code := exitOK
	var slos []spec.SLO
	for _, path := range fs.Args() {
		f, ok := loadSpec(path, stderr)
		if !ok {
			code = exitFail
			continue
		}
		slos = append(slos, f.SLOs...)
		if *quiet {
			continue
		}
		fmt.Fprintf(stdout, "%s: %d SLOs\n", path, len(f.SLOs))
		for _, s := range f.SLOs {
			o := s.Objective.WithDefaults()
			sli := string(s.SLI.Kind)
			if s.GroupBy != nil {
				sli += " by " + strings.Join(s.GroupBy, ", ")
			}
			fmt.Fprintf(stdout, "  %-32s %-12s %s over %s, SLI %s (%s)\n", s.Objective.Name, s.Service,
				formatPercent(o.Target), windowName(o), sli, s.Format)
		}
	}
	warnings, err := promrules.Check(slos, engine())
	if err != nil {
		printProblems("slo validate", err, stderr)
		return exitFail
	}
	printWarnings(warnings, stderr)
	return code
}

// formatPercent writes a ratio as a percentage with the digits it needs:
// 0.999 is 99.9%, 0.99999 is 99.999%.
func formatPercent(r float64) string { return spec.FormatFloat(r*100) + "%" }

// tierWarnings explains the tiers that an objective makes unable to fire:
// a tier fires at an error ratio of factor x (1 - target), which cannot
// exceed 1.
func tierWarnings(target float64, tiers []slo.AlertTier) []string {
	budget := 1 - target
	var out []string
	for _, t := range tiers {
		need := t.Factor * budget
		switch {
		case need > 1:
			out = append(out, fmt.Sprintf("the %s tier can never fire: it needs an error ratio of %s (%g x the %s budget), more than every event failing; raise the objective or lower the factor",
				tierName(t), formatPercent(need), t.Factor, formatPercent(budget)))
		case need == 1:
			out = append(out, fmt.Sprintf("the %s tier fires only when every event fails (%g x the %s budget = 100%%)", tierName(t), t.Factor, formatPercent(budget)))
		}
	}
	return out
}

// tierName names a tier like "page 1h/5m x14.4".
func tierName(t slo.AlertTier) string {
	return fmt.Sprintf("%s %s/%s x%g", t.Severity, series.FormatDuration(t.LongWindow), series.FormatDuration(t.ShortWindow), t.Factor)
}
