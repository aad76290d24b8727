package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/spec"
)

const gateHelp = `
Fail when an SLO's error budget is exhausted, or below a floor: a deploy
gate for pipelines ("freeze deploys while the budget is spent").

It reads the budgets either from a service's /slo JSON endpoint (-url, as
served by slohttp.SnapshotHandler) or from the series that the rules of
"slo generate" record in a Prometheus server (-prometheus), read as "slo
serve" reads them: with -spec, the SLOs of the spec files; without, every
SLO whose series are recorded, by their slo and service labels. -at reads
them as of an instant instead of now.

The gate is closed for an SLO whose remaining budget is at or below 0 (1 is
untouched), or below -min-remaining when that is set. An SLO with no events
yet, or whose rules have not recorded its budget yet, has its whole budget
("ok (no data yet)"); a gate that finds no SLO at all does not open.

A grouped SLO (group_by) has a budget per group, and the gate checks each:
it names a group by the SLO's name and its group labels as PromQL writes
them, checkout{route="/pay"}, in the text and in the "labels" of -o json
(an SLO's fixed labels, the spec's labels, are not group labels). -slo NAME
checks every group of NAME; -slo 'NAME{route="/pay"}' the groups whose
labels match, with PromQL's matchers (=, !=, =~, !~).

Exit status:
	0  every checked SLO has budget: deploy
	1  the gate is closed: some SLO's budget is exhausted or below the floor
	2  bad usage, or the budgets could not be fetched or read (including a
	   named SLO that is missing, or no SLO at all): do not deploy blindly

Examples:

	slo gate -url http://checkout:8080/slo
	slo gate -prometheus http://prometheus:9090 -service checkout -slo checkout-availability -min-remaining 10%
	slo gate -prometheus http://prometheus:9090 -spec checkout.yaml -slo 'checkout-availability{route="/pay"}'`

// A budgetState is one SLO's remaining budget, whatever the source.
type budgetState struct {
	SLO     string `json:"slo"`
	Service string `json:"service,omitempty"`
	// Labels tell a member of a grouped SLO (an slo.Family) apart: its
	// group labels, as the source's snapshots carry them.
	Labels    map[string]string `json:"labels,omitempty"`
	Remaining float64           `json:"error_budget_remaining"`
	Total     *uint64           `json:"total,omitempty"` // events in the window, when known
	Exhausted bool              `json:"exhausted"`
	// NoData marks an SLO whose source has no reading yet (no events, or
	// rules not yet evaluated): it has its whole budget.
	NoData bool   `json:"no_data,omitempty"`
	Closed bool   `json:"closed"`
	Reason string `json:"reason,omitempty"`
}

// stringList is a flag that may be repeated and takes comma-separated lists.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

func runGate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("gate", "(-url URL | -prometheus URL [-spec FILE]... [-service NAME] [-at TIME]) [-slo NAME]... [-min-remaining R] [-timeout 10s] [-o text|json]", gateHelp, stderr)
	sloURL := fs.String("url", "", "the URL of a service's /slo JSON endpoint")
	promURL := fs.String("prometheus", "", "the base URL of a Prometheus server, like http://prometheus:9090")
	var specs stringList
	fs.Var(&specs, "spec", "with -prometheus, a spec file whose SLOs to check (repeat, or separate with commas); default: every SLO found in Prometheus")
	var selectors sloSelectors
	fs.Var(&selectors, "slo", `an SLO to check, or members of a grouped one, like 'checkout{route="/pay"}' (repeat, or separate with commas); default: every SLO found`)
	service := fs.String("service", "", "with -prometheus, check only the SLOs of this service")
	at := fs.String("at", "", "with -prometheus, check the budgets as of this instant (RFC 3339, like 2026-01-02T15:04:05Z) instead of now")
	minRemaining := fs.String("min-remaining", "0", "the floor: close the gate when the remaining budget is below it, as a ratio (0.1) or a percentage (10%)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	output := fs.String("o", "text", "output format: text or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int { return usageError(fs, format, a...) }
	switch {
	case fs.NArg() > 0:
		return fail("unexpected arguments %q", fs.Args())
	case (*sloURL == "") == (*promURL == ""):
		return fail("give exactly one of -url or -prometheus")
	case *promURL == "" && (*service != "" || *at != "" || len(specs) > 0):
		return fail("-service, -spec and -at work with -prometheus; a /slo endpoint serves one service, now")
	case *timeout <= 0:
		return fail("-timeout %v is not positive", *timeout)
	case *output != "text" && *output != "json":
		return fail("-o %q: allowed: text, json", *output)
	}
	floor, err := parseFloor(*minRemaining)
	if err != nil {
		return fail("-min-remaining: %v", err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var states []budgetState
	if *sloURL != "" {
		states, err = fetchSLOEndpoint(ctx, *sloURL)
	} else {
		opts, code, ok := promOptions(fs, *timeout, *at, specs, exitUsage, stderr)
		if !ok {
			return code
		}
		// A spec's SLO that Prometheus records nothing of cannot be
		// checked: its rules are not loaded there (or it is the wrong
		// server). Opening the gate as "no data yet" would be blind.
		opts.RequireRules = true
		if *service != "" && opts.SLOs != nil {
			opts.SLOs = slices.DeleteFunc(opts.SLOs, func(s spec.SLO) bool { return s.Service != *service })
		}
		states, err = fetchPrometheus(ctx, *promURL, opts, *service)
	}
	if err != nil {
		fmt.Fprintf(stderr, "slo gate: cannot read the budgets (do not deploy blindly): %v\n", err)
		return exitUsage
	}
	states, err = selectSLOs(states, selectors)
	if err != nil {
		return fail("%v", err)
	}
	closed := 0
	for i := range states {
		s := &states[i]
		switch {
		case s.Exhausted:
			s.Closed, s.Reason = true, "budget exhausted"
		case floor > 0 && s.Remaining < floor:
			s.Closed, s.Reason = true, "below the floor of "+formatPercent(floor)
		}
		if s.Closed {
			closed++
		}
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Open         bool          `json:"open"`
			MinRemaining float64       `json:"min_remaining"`
			SLOs         []budgetState `json:"slos"`
		}{closed == 0, floor, states})
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SLO\tSERVICE\tREMAINING\tSTATUS")
		for _, s := range states {
			status := "ok"
			switch {
			case s.Closed:
				status = "CLOSED: " + s.Reason
			case s.NoData:
				status = "ok (no data yet)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", printable(s.name()), printable(s.Service), formatRemaining(s.Remaining), status)
		}
		tw.Flush()
	}
	if closed > 0 {
		fmt.Fprintf(stderr, "slo gate: closed: %d of %d SLOs have no budget to spend\n", closed, len(states))
		return exitFail
	}
	fmt.Fprintf(stderr, "slo gate: open: %d SLOs have budget\n", len(states))
	return exitOK
}

// selectSLOs keeps the SLOs that sels pick, in the order of sels, failing
// on a selector that picks none; without selectors it keeps every SLO. No
// SLO at all is an error: a gate that sees nothing must not open.
func selectSLOs(states []budgetState, sels []sloSelector) ([]budgetState, error) {
	if len(sels) == 0 {
		if len(states) == 0 {
			return nil, errors.New("the source reports no SLO; check the URL (and -service or -spec)")
		}
		return states, nil
	}
	var out []budgetState
	picked := make([]bool, len(states))
	for _, sel := range sels {
		found := false
		for i, s := range states {
			if sel.matches(s) {
				found = true
				if !picked[i] {
					picked[i] = true
					out = append(out, s)
				}
			}
		}
		if !found {
			var have []string
			for _, s := range states {
				have = append(have, strconv.Quote(s.SLO))
			}
			slices.Sort(have)
			return nil, fmt.Errorf("SLO %q is not in the answer; it has: %s", sel.text, strings.Join(slices.Compact(have), ", "))
		}
	}
	return out, nil
}

// fetchSLOEndpoint reads the report slohttp.SnapshotHandler serves at
// rawURL through an slohttp.RemoteSource (docs/json.md).
func fetchSLOEndpoint(ctx context.Context, rawURL string) ([]budgetState, error) {
	src, err := slohttp.NewRemoteSource(rawURL, http.DefaultClient)
	if err != nil {
		return nil, err
	}
	return sourceStates(ctx, src.WithUserAgent("slo-gate/"+version()))
}

// name is how the gate names the SLO: its name, and for a member of a
// grouped SLO its labels as PromQL writes them, checkout{route="/pay"}.
func (s budgetState) name() string {
	if len(s.Labels) == 0 {
		return s.SLO
	}
	return series.Selector(s.SLO, s.Labels)
}

// parseFloor reads a ratio like 0.1 or a percentage like 10%.
func parseFloor(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, isPercent := strings.CutSuffix(s, "%")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number; give a ratio like 0.1 or a percentage like 10%%", s)
	}
	if isPercent {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is outside 0 to 1 (0%% to 100%%)", s)
	}
	return f, nil
}

func formatRemaining(r float64) string {
	return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
}

// printable quotes names holding control characters, so that an SLO name
// cannot move the cursor or forge lines in a pipeline's log.
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return strconv.Quote(s)
		}
	}
	return s
}

var _ flag.Value = (*stringList)(nil)
