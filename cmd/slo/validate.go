package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

const validateHelp = `
Check spec files (this tool's slo/v1 format, Sloth's prometheus/v1, OpenSLO
openslo/v1) and report every problem of every file, with its file, line, SLO
and field. Valid files are summed up on standard output, one line per SLO.
Objectives that make an alert tier unable to fire are warned about.

Exit status: 0 when every file is valid, 1 when any is not, 2 on bad usage
or a file that cannot be read.`

// loadSpec loads the spec file at path; when it is invalid it prints every
// problem, one a line, and returns false.
func loadSpec(path string, stderr io.Writer) (*spec.File, bool) {
	f, err := spec.Load(path)
	if err == nil {
		return f, true
	}
	var list spec.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
	} else {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
	}
	return nil, false
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "[-q] FILE...", validateHelp, stderr)
	quiet := fs.Bool("q", false, "print only problems and warnings")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "give one or more spec files")
	}
	if !checkFiles(fs, fs.Args()...) {
		return exitUsage
	}
	code := exitOK
	for _, path := range fs.Args() {
		f, ok := loadSpec(path, stderr)
		if !ok {
			code = exitFail
			continue
		}
		if !*quiet {
			fmt.Fprintf(stdout, "%s: %d SLOs\n", path, len(f.SLOs))
		}
		for _, s := range f.SLOs {
			o := s.Objective.WithDefaults()
			if !*quiet {
				fmt.Fprintf(stdout, "  %-32s %-12s %s over %s, SLI %s (%s)\n", s.Objective.Name, s.Service,
					formatPercent(o.Target), spec.FormatDuration(o.Window), s.SLI.Kind, s.Format)
			}
			for _, w := range tierWarnings(o.Target, o.Tiers) {
				fmt.Fprintf(stderr, "%s:%d: warning: slo %q: %s\n", path, s.Line, s.Objective.Name, w)
			}
		}
	}
	return code
}

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

// formatPercent writes a ratio as a percentage with the digits it needs:
// 0.999 is 99.9%, 0.99999 is 99.999%.
func formatPercent(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', -1, 64)
	// Float noise like 99.90000000000001: keep 10 significant digits.
	if len(s) > 12 {
		s = strconv.FormatFloat(r*100, 'g', 10, 64)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return s + "%"
}

// tierName names a tier like "page 1h/5m x14.4".
func tierName(t slo.AlertTier) string {
	return fmt.Sprintf("%s %s/%s x%g", t.Severity, spec.FormatDuration(t.LongWindow), spec.FormatDuration(t.ShortWindow), t.Factor)
}
