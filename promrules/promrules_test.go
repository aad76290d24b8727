package promrules

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const day = 24 * time.Hour

// Fixtures: the SLI shapes a spec can give.
var (
	availability = spec.SLO{
		Service:   "checkout",
		Labels:    map[string]string{"team": "payments", "tier": "1"},
		Objective: slo.Objective{Name: "availability", Target: 0.999},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))`,
			TotalQuery: `sum(rate(http_requests_total{job="checkout"}[{{.window}}]))`,
		},
	}
	latency = spec.SLO{
		Service:   "search",
		Objective: slo.Objective{Name: "latency", Target: 0.99, Window: 7 * day, MinEvents: 500},
		SLI: spec.SLI{
			GoodQuery:  `sum(rate(http_request_duration_seconds_bucket{job="search",le="0.3"}[{{ .window }}]))`,
			TotalQuery: `sum(rate(http_request_duration_seconds_count{job="search"}[{{ .window }}]))`,
		},
	}
	slothRatio = spec.SLO{
		Service:   "myservice",
		Objective: slo.Objective{Name: "requests-availability", Target: 0.995},
		SLI:       spec.SLI{ErrorRatioQuery: `sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}])) / sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))`},
	}
	selectors = spec.SLO{
		Service: "batch",
		Labels:  map[string]string{"owner": `ops "night" \ shift`},
		Objective: slo.Objective{Name: "jobs", Target: 0.9, Window: day, Tiers: []slo.AlertTier{
			{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4},
			{Severity: slo.SeverityTicket, LongWindow: 6 * time.Hour, ShortWindow: 30 * time.Minute, Factor: 2},
		}},
		SLI: spec.SLI{
			ErrorQuery:    `sum(rate(jobs_failed_total[{{.window}}]))`,
			TotalQuery:    `sum(rate(jobs_total[{{.window}}]))`,
			ErrorSelector: `jobs_failed_total`,
			TotalSelector: `jobs_total{}`,
		},
	}
)

func TestGenerateMatchesGoldenFilesAndPromtoolAccepts(t *testing.T) {
	cases := []struct {
		name     string
		slos     []spec.SLO
		opts     Options
		warnings []string
	}{
		{name: "availability-30d", slos: []spec.SLO{availability}},
		{name: "availability-30d-ratio-average", slos: []spec.SLO{availability}, opts: Options{Method: MethodRatioAverage}},
		{name: "latency-7d-min-events-for", slos: []spec.SLO{latency}, opts: Options{For: 2 * time.Minute}},
		{name: "sloth-ratio-only", slos: []spec.SLO{slothRatio}, warnings: []string{"falls back to the average of 5-minute ratios"}},
		{name: "selectors-impossible-tier", slos: []spec.SLO{selectors}, warnings: []string{"alert tier page 1h/5m x14.4 can never fire"}},
		{name: "operator", slos: []spec.SLO{availability, latency}, opts: Options{Format: FormatPrometheusOperator, Namespace: "monitoring", ResourceLabels: map[string]string{"release": "kube-prometheus"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustGenerate(t, c.slos, c.opts)
			golden(t, c.name+".yml", res.Rules)
			if len(res.Warnings) != len(c.warnings) {
				t.Errorf("warnings = %q, want %d matching %q", res.Warnings, len(c.warnings), c.warnings)
			}
			for _, w := range c.warnings {
				if !hasWarning(res.Warnings, w) {
					t.Errorf("no warning containing %q in %q", w, res.Warnings)
				}
			}
			checkRules(t, res.Rules, c.opts.Format)
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated file (run go test -update and review the diff):\n%s", path, got)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	slos := []spec.SLO{availability, latency, slothRatio, selectors}
	first := mustGenerate(t, slos, Options{})
	for range 20 {
		// Maps iterate in a new order every time.
		if again := mustGenerate(t, slos, Options{}); !bytes.Equal(first.Rules, again.Rules) {
			t.Fatal("two runs on the same input gave different bytes")
		}
	}
}

func TestGenerateNamesScaledWindowsReadably(t *testing.T) {
	res := mustGenerate(t, []spec.SLO{latency}, Options{})
	for _, name := range []string{
		"slo:sli_error:ratio_rate70s", "slo:sli_error:ratio_rate14m", "slo:sli_error:ratio_rate84m",
		"slo:sli_error:ratio_rate1008m", "slo:sli_errors:increase5m", "long_window: 14m", "short_window: 70s",
	} {
		if !bytes.Contains(res.Rules, []byte(name)) {
			t.Errorf("rules lack %q", name)
		}
	}
	res = mustGenerate(t, []spec.SLO{availability}, Options{})
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"} {
		if !bytes.Contains(res.Rules, []byte("record: slo:sli_error:ratio_rate"+w+"\n")) {
			t.Errorf("rules lack slo:sli_error:ratio_rate%s", w)
		}
	}
}

func TestGenerateRejectsWhatCannotBeRepresented(t *testing.T) {
	with := func(f func(*spec.SLO)) []spec.SLO {
		s := availability
		s.Labels = map[string]string{"team": "payments"}
		f(&s)
		return []spec.SLO{s}
	}
	cases := []struct {
		name string
		slos []spec.SLO
		opts Options
		want string
	}{
		{"no service", with(func(s *spec.SLO) { s.Service = "" }), Options{}, "service: must not be empty"},
		{"no name", with(func(s *spec.SLO) { s.Objective.Name = "" }), Options{}, "name: must not be empty"},
		{"invalid UTF-8 in a label value", with(func(s *spec.SLO) { s.Labels["team"] = "\xff" }), Options{}, `labels.team: is not valid UTF-8`},
		{"bad label name", with(func(s *spec.SLO) { s.Labels["team-name"] = "x" }), Options{}, `"team-name" is not a valid label name`},
		{"reserved label", with(func(s *spec.SLO) { s.Labels["severity"] = "x" }), Options{}, `"severity" is reserved`},
		{"label Prometheus sets on alerts", with(func(s *spec.SLO) { s.Labels["alertstate"] = "x" }), Options{}, `"alertstate" is reserved`},
		{"double underscore label", with(func(s *spec.SLO) { s.Labels["__name__"] = "x" }), Options{}, "names starting with __ are Prometheus's own"},
		{"empty label value", with(func(s *spec.SLO) { s.Labels["team"] = "" }), Options{}, "labels.team: is empty"},
		{"target out of range", with(func(s *spec.SLO) { s.Objective.Target = 1.5 }), Options{}, "objective:"},
		{"no placeholder", with(func(s *spec.SLO) { s.SLI.TotalQuery = `sum(rate(x[5m]))` }), Options{}, "sli.total_query"},
		{"not PromQL", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(rate(x[{{.window}}])` }), Options{}, "sli.error_query"},
		{"scalar query", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `scalar(sum(rate(x[{{.window}}])))` }), Options{}, "want an instant vector"},
		{"function newer than Prometheus 2.42", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(histogram_avg(rate(x[{{.window}}])))` }), Options{}, "sli.error_query: function histogram_avg is not in Prometheus 2.42 (target prometheus-2); Prometheus 3 (target prometheus-3) has it"},
		{"experimental function", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(mad_over_time(x[{{.window}}]))` }), Options{Target: Prometheus3}, "sli.error_query"},
		{"unknown target", with(func(*spec.SLO) {}), Options{Target: "prometheus-1"}, `target "prometheus-1"`},
		{"bad template", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(rate(x[{{.window]))` }), Options{}, "template action other than"},
		{"unknown template field", with(func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(rate(x[{{.range}}]))` }), Options{}, "sli.error_query"},
		{"error and good", with(func(s *spec.SLO) { s.SLI.GoodQuery = s.SLI.TotalQuery }), Options{}, "not both"},
		{"no total", with(func(s *spec.SLO) { s.SLI.TotalQuery = "" }), Options{}, "want error and total queries"},
		{"ratio and total", with(func(s *spec.SLO) { s.SLI.ErrorRatioQuery = s.SLI.TotalQuery }), Options{}, "excludes the other queries"},
		{"one selector", with(func(s *spec.SLO) { s.SLI.ErrorSelector = "x" }), Options{}, "both error_selector and total_selector"},
		{"good selector with an error query", with(func(s *spec.SLO) { s.SLI.GoodSelector, s.SLI.TotalSelector = "x", "y" }), Options{}, "both error_selector and total_selector"},
		{"selector with a function", with(func(s *spec.SLO) { s.SLI.ErrorSelector, s.SLI.TotalSelector = "rate(x[5m])", "y" }), Options{}, "plain series selector"},
		{"duplicate", append(with(func(*spec.SLO) {}), with(func(*spec.SLO) {})...), Options{}, "already has an SLO of this name"},
		{"unknown method", with(func(*spec.SLO) {}), Options{Method: "median"}, `method "median"`},
		{"unknown format", with(func(*spec.SLO) {}), Options{Format: "json"}, `format "json"`},
		{"grid longer than the window", with(func(s *spec.SLO) { s.Objective.Window = time.Hour; s.Objective.Tiers = []slo.AlertTier{} }), Options{Grid: 2 * time.Hour}, "longer than the window"},
		{"bad resource name", with(func(*spec.SLO) {}), Options{Format: FormatPrometheusOperator, Name: "My Rules"}, `name "My Rules"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Generate(c.slos, c.opts)
			if err == nil {
				t.Fatalf("Generate succeeded, want an error containing %q:\n%s", c.want, res.Rules)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestGenerateQuotesEveryUserString(t *testing.T) {
	s := availability
	s.Objective.Name = `we"ird {{ .slo }} name`
	s.Service = "svc\\with\nnewline"
	s.Labels = map[string]string{"note": "}}{{ template \"x\" }}`'\t\u00e9\u2028"}
	res := mustGenerate(t, []spec.SLO{s}, Options{})
	checkRules(t, res.Rules, FormatRules)
	// The generated tests select and compare these labels in promtool, so
	// passing them proves the values went through YAML and PromQL intact.
	s.Objective = slo.Objective{Name: s.Objective.Name, Target: 0.99, Window: day, Tiers: []slo.AlertTier{
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}}}
	res = mustGenerate(t, []spec.SLO{s}, Options{})
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, res.Rules, tests.Tests)
}

func TestGenerateWarnsWhenATierCanNeverFire(t *testing.T) {
	s := availability
	s.Objective.Target = 0.95 // budget 5%: 14.4 x 5% = 72% still possible
	if res := mustGenerate(t, []spec.SLO{s}, Options{}); len(res.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", res.Warnings)
	}
	s.Objective.Target = 0.9 // 14.4 x 10% > 1: the page tier is dead
	res := mustGenerate(t, []spec.SLO{s}, Options{})
	if len(res.Warnings) != 1 || !hasWarning(res.Warnings, "page 1h/5m x14.4 can never fire") {
		t.Errorf("warnings = %q, want one about the 14.4 tier", res.Warnings)
	}
}
