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
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/slohttp"
)

const gateHelp = `
Fail when an SLO's error budget is exhausted, or below a floor: a deploy
gate for pipelines ("freeze deploys while the budget is spent").

It reads the budgets either from a service's /slo JSON endpoint (-url, as
served by slohttp.SnapshotHandler) or from a Prometheus server's HTTP API
(-prometheus), querying slo:error_budget_remaining:ratio, the series that
"slo generate" records (labelled slo and service).

The gate is closed for an SLO whose remaining budget is at or below 0 (1 is
untouched), or below -min-remaining when that is set. An SLO with no events
yet has its whole budget.

A grouped SLO (group_by) has a budget per group, and the gate checks each:
it names a group by the SLO's name and the group's labels as PromQL writes
them, checkout{route="/pay"} (with -prometheus, every label of the series
besides slo and service), in the text and in the "labels" of -o json.
-slo NAME checks every group of NAME.

Exit status:
	0  every checked SLO has budget: deploy
	1  the gate is closed: some SLO's budget is exhausted or below the floor
	2  bad usage, or the budgets could not be fetched or read (including a
	   named SLO that is missing, or no SLO at all): do not deploy blindly

Examples:

	slo gate -url http://checkout:8080/slo
	slo gate -prometheus http://prometheus:9090 -service checkout -slo checkout-availability -min-remaining 10%`

// remainingMetric is the recording rule the rules generator writes.
const remainingMetric = "slo:error_budget_remaining:ratio"

// maxResponse bounds the response gate reads.
const maxResponse = 32 << 20

// A budgetState is one SLO's remaining budget, whatever the source.
type budgetState struct {
	SLO     string `json:"slo"`
	Service string `json:"service,omitempty"`
	// Labels tell a member of a grouped SLO (an slo.Family) apart: its
	// labels in the /slo report, or with -prometheus every label of the
	// series besides slo and service.
	Labels    map[string]string `json:"labels,omitempty"`
	Remaining float64           `json:"error_budget_remaining"`
	Total     *uint64           `json:"total,omitempty"` // events in the window, when known
	Exhausted bool              `json:"exhausted"`
	Closed    bool              `json:"closed"`
	Reason    string            `json:"reason,omitempty"`
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
	fs := newFlagSet("gate", "(-url URL | -prometheus URL) [-slo NAME]... [-service NAME] [-min-remaining R] [-timeout 10s] [-o text|json]", gateHelp, stderr)
	sloURL := fs.String("url", "", "the URL of a service's /slo JSON endpoint")
	promURL := fs.String("prometheus", "", "the base URL of a Prometheus server, like http://prometheus:9090")
	var names stringList
	fs.Var(&names, "slo", "an SLO to check (repeat, or separate with commas); default: every SLO found")
	service := fs.String("service", "", "with -prometheus, check only the SLOs of this service")
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
	case *service != "" && *promURL == "":
		return fail("-service works with -prometheus; a /slo endpoint serves one service")
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
		states, err = fetchPrometheus(ctx, *promURL, *service)
	}
	if err != nil {
		return fail("%v", err)
	}
	states, err = selectSLOs(states, names)
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
			if s.Closed {
				status = "CLOSED: " + s.Reason
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

// selectSLOs keeps the named SLOs, in the order named, failing on a name
// that is missing; without names it keeps every SLO. No SLO at all is an
// error: a gate that sees nothing must not open.
func selectSLOs(states []budgetState, names []string) ([]budgetState, error) {
	if len(names) == 0 {
		if len(states) == 0 {
			return nil, errors.New("the source reports no SLO; check the URL (and -service)")
		}
		return states, nil
	}
	var out []budgetState
	for _, n := range names {
		found := false
		for _, s := range states {
			if s.SLO == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			var have []string
			for _, s := range states {
				have = append(have, strconv.Quote(s.SLO))
			}
			slices.Sort(have)
			return nil, fmt.Errorf("SLO %q is not in the answer; it has: %s", n, strings.Join(slices.Compact(have), ", "))
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

// promResponse is the envelope of Prometheus's HTTP API.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func fetchPrometheus(ctx context.Context, base, service string) ([]budgetState, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-prometheus %q is not an http(s) URL", base)
	}
	query := remainingMetric
	if service != "" {
		query += "{service=" + strconv.Quote(service) + "}"
	}
	u = u.JoinPath("api", "v1", "query")
	u.RawQuery = url.Values{"query": {query}}.Encode()
	body, err := get(ctx, u.String())
	var resp promResponse
	if jerr := json.Unmarshal(body, &resp); jerr == nil && resp.Status == "error" {
		return nil, fmt.Errorf("the Prometheus server refused the query %s: %s: %s", query, resp.ErrorType, resp.Error)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", u.Redacted(), err)
	}
	if resp.Status != "success" || resp.Data.ResultType != "vector" {
		return nil, fmt.Errorf("unexpected answer from %s: status %q, result type %q", u.Redacted(), resp.Status, resp.Data.ResultType)
	}
	var out []budgetState
	for _, r := range resp.Data.Result {
		name := r.Metric["slo"]
		if name == "" {
			return nil, fmt.Errorf("a %s series has no slo label: %v", remainingMetric, r.Metric)
		}
		text, ok := r.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if !ok || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("slo %q: the remaining budget %v is not a number", name, r.Value[1])
		}
		out = append(out, budgetState{SLO: name, Service: r.Metric["service"], Labels: groupLabels(r.Metric), Remaining: v, Exhausted: v <= 0})
	}
	slices.SortFunc(out, func(a, b budgetState) int {
		if c := strings.Compare(a.SLO, b.SLO); c != 0 {
			return c
		}
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.name(), b.name())
	})
	return out, nil
}

// groupLabels returns the labels of a series of remainingMetric besides
// its name, slo and service: those that tell the groups of a grouped SLO
// apart (and the SLO's fixed labels); nil when there are none.
func groupLabels(metric map[string]string) map[string]string {
	var out map[string]string
	for k, v := range metric {
		if k != "__name__" && k != "slo" && k != "service" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// name is how the gate names the SLO: its name, and for a member of a
// grouped SLO its labels as PromQL writes them, checkout{route="/pay"}.
func (s budgetState) name() string {
	if len(s.Labels) == 0 {
		return s.SLO
	}
	return series.Selector(s.SLO, s.Labels)
}

// get fetches url and returns its body; a status other than 2xx is an
// error, returned with the body.
func get(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "slo-gate/"+version())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", req.URL.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		return body, fmt.Errorf("%s answered %s: %.200s", req.URL.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
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
