package promrules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// grouped returns s split into one budget per value of the labels by.
func grouped(s spec.SLO, by ...string) spec.SLO {
	s.GroupBy = by
	return s
}

// Grouped fixtures: every SLI shape, by route.
var (
	groupedAvailability = grouped(spec.SLO{
		Service:   "checkout",
		Labels:    map[string]string{"team": "payments"},
		Objective: slo.Objective{Name: "availability", Target: 0.999},
		SLI: spec.SLI{
			ErrorQuery: `sum by (route) (rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))`,
			TotalQuery: `sum by (route, code) (rate(http_requests_total{job="checkout"}[{{.window}}]))`,
		},
	}, "route")
	groupedSelectors = grouped(spec.SLO{
		Service:   "checkout",
		Objective: slo.Objective{Name: "jobs", Target: 0.99, Window: 7 * day},
		SLI: spec.SLI{
			GoodQuery:     `sum by (route, tenant) (rate(jobs_ok_total[{{.window}}]))`,
			TotalQuery:    `sum by (route, tenant) (rate(jobs_total[{{.window}}]))`,
			GoodSelector:  `jobs_ok_total`,
			TotalSelector: `jobs_total`,
		},
	}, "route", "tenant")
	groupedRatio = grouped(spec.SLO{
		Service:   "checkout",
		Objective: slo.Objective{Name: "ratio", Target: 0.99},
		SLI:       spec.SLI{ErrorRatioQuery: `sum by (route) (rate(e_total[{{.window}}])) / sum by (route) (rate(t_total[{{.window}}]))`},
	}, "route")
)

func TestGroupedRulesMatchGoldenFilesAndPromtoolAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		slos []spec.SLO
		opts Options
	}{
		{"grouped-30d", []spec.SLO{groupedAvailability, groupedSelectors, groupedRatio}, Options{}},
		{"grouped-30d-ratio-average", []spec.SLO{groupedAvailability}, Options{Method: MethodRatioAverage}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := mustGenerate(t, c.slos, c.opts)
			golden(t, c.name+".yml", res.Rules)
			checkRules(t, res.Rules, FormatRules)
		})
	}
}

// TestGroupedRulesKeepTheGroupLabels reads back the rules of every grouped
// SLI shape: every recorded series but the per-SLO metadata, and every
// alert but SLOMetricsAbsent, keeps the group labels, and none adds a
// series without them (vector(0)).
func TestGroupedRulesKeepTheGroupLabels(t *testing.T) {
	perSLO := map[string]bool{metricObjective: true, metricBudget: true, metricWindowSeconds: true, AlertAbsent: true}
	latencyByRoute := grouped(latency, "route")
	latencyByRoute.SLI = spec.SLI{
		GoodQuery:  `sum by (route) (rate(http_request_duration_seconds_bucket{job="search",le="0.3"}[{{.window}}]))`,
		TotalQuery: `sum by (route) (rate(http_request_duration_seconds_count{job="search"}[{{.window}}]))`,
	}
	selectorsByRoute := grouped(selectors, "route")
	selectorsByRoute.SLI.ErrorQuery = `sum by (route) (rate(jobs_failed_total[{{.window}}]))`
	selectorsByRoute.SLI.TotalQuery = `sum by (route) (rate(jobs_total[{{.window}}]))`
	for _, s := range []spec.SLO{groupedAvailability, groupedSelectors, groupedRatio, latencyByRoute, selectorsByRoute} {
		for _, m := range []Method{MethodExact, MethodRatioAverage} {
			res := mustGenerate(t, []spec.SLO{s}, Options{Method: m})
			var f ruleFile
			if err := yaml.Unmarshal(res.Rules, &f); err != nil {
				t.Fatal(err)
			}
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					if perSLO[r.Record] || perSLO[r.Alert] {
						continue
					}
					expr, err := spec.ParseQuery(r.Expr)
					if err != nil {
						t.Fatalf("%s%s: %v", r.Record, r.Alert, err)
					}
					if err := spec.CheckKeepsGroups(expr, s.GroupBy); err != nil || strings.Contains(r.Expr, "vector(0)") {
						t.Errorf("%s %s: %s%s drops the group labels %q (%v):\n%s", s.Objective.Name, m, r.Record, r.Alert, s.GroupBy, err, r.Expr)
					}
				}
			}
		}
	}
}

// TestGroupedBurnAlertFiresPerGroup replays, for two routes of one SLO,
// the traffic of TestBurnAlertAnnotationsRender: /pay burns at 15x while
// /a stays clean. Only /pay pages, its alert carries route="/pay", and its
// annotations give /pay's numbers (the time to exhaustion of /pay's
// budget, 33m 23s, computed there by hand).
func TestGroupedBurnAlertFiresPerGroup(t *testing.T) {
	s := spec.SLO{
		Service: "api",
		GroupBy: []string{"route"},
		Objective: slo.Objective{Name: "api-availability", Target: 0.99, Window: day, Tiers: []slo.AlertTier{
			{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}}},
		SLI: spec.SLI{
			ErrorQuery: `sum by (route) (rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum by (route) (rate(requests_total[{{.window}}]))`,
		},
	}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	tests := fmt.Sprintf(`rule_files: [rules.yml]
evaluation_interval: 5m
group_eval_order: ["slo:api:api-availability:sli", "slo:api:api-availability:window", "slo:api:api-availability:alerts"]
tests:
  - interval: 1m
    input_series:
      - series: 'requests_total{code="200",route="/pay"}'
        values: '0+1000x1320 1320850+850x60'
      - series: 'requests_total{code="500",route="/pay"}'
        values: '0x1320 150+150x60'
      - series: 'requests_total{code="200",route="/a"}'
        values: '0+1000x1380'
    alert_rule_test:
      - alertname: SLOErrorBudgetBurn
        eval_time: 21h
      - alertname: SLOErrorBudgetBurn
        eval_time: 23h
        exp_alerts:
          - exp_labels: {slo: api-availability, service: api, route: /pay, severity: page, long_window: 1h, short_window: 5m}
            exp_annotations:
              summary: SLO api-availability of api (route=/pay) burns its error budget 15.0x too fast
              description: The error budget of the 1d window burns 15.00 times as fast as it can be sustained over the last 1h, and at least 14.4 times over the last 5m. Burning at 14.4, this alert fires once 60%% of the budget is spent.
              burn_rate: "15.00"
              budget_share: 60%%
              time_to_exhaustion: 33m 23s
    promql_expr_test:
      - expr: round(slo:error_budget_remaining:ratio, 0.000001)
        eval_time: 23h
        exp_samples:
          - labels: '{slo="api-availability",service="api",route="/pay"}'
            value: 0.347826
          - labels: '{slo="api-availability",service="api",route="/a"}'
            value: 1
      - expr: slo:objective:ratio
        eval_time: 23h
        exp_samples:
          - labels: 'slo:objective:ratio{slo="api-availability",service="api"}'
            value: 0.99
`)
	passRules(t, rules.Rules, []byte(tests))
}

func TestGroupByErrorsNameTheField(t *testing.T) {
	with := func(by []string, f func(*spec.SLO)) []spec.SLO {
		s := groupedAvailability
		s.GroupBy = by
		f(&s)
		return []spec.SLO{s}
	}
	none := func(*spec.SLO) {}
	for _, c := range []struct {
		name string
		slos []spec.SLO
		want string
	}{
		{"empty list", with([]string{}, none), "group_by: is empty"},
		{"duplicate", with([]string{"route", "route"}, none), `group_by[1]: "route" is given twice`},
		{"reserved", with([]string{"slo"}, none), `group_by[0]: "slo" is reserved`},
		{"reserved by Prometheus", with([]string{"alertname"}, none), `group_by[0]: "alertname" is reserved`},
		{"invalid", with([]string{"a.b"}, none), `group_by[0]: "a.b" is not a valid label name`},
		{"also a fixed label", with([]string{"team"}, none), `group_by[0]: "team" is also a fixed label`},
		{"bare sum", with([]string{"route"}, func(s *spec.SLO) { s.SLI.ErrorQuery = `sum(rate(x[{{.window}}]))` }), `group_by: sli.error_query: sum(rate(x[5m])) aggregates away group label "route"`},
		{"by other labels", with([]string{"route"}, func(s *spec.SLO) { s.SLI.TotalQuery = `sum by (code) (rate(x[{{.window}}]))` }), `group_by: sli.total_query: sum by (code) aggregates away group label "route"`},
		{"without the label", with([]string{"route"}, func(s *spec.SLO) { s.SLI.TotalQuery = `sum without (route) (rate(x[{{.window}}]))` }), `sum without (route) aggregates away group label "route"`},
		{"ratio of aggregates", with([]string{"route"}, func(s *spec.SLO) {
			s.SLI = spec.SLI{ErrorRatioQuery: `sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))`}
		}), `group_by: sli.error_ratio_query: sum(rate(e[5m])) aggregates away group label "route"`},
		{"selector excludes it", with([]string{"route"}, func(s *spec.SLO) {
			s.SLI = spec.SLI{ErrorQuery: `sum by (route) (rate(e[{{.window}}]))`, TotalQuery: `sum by (route) (rate(t[{{.window}}]))`, ErrorSelector: `e{route=""}`, TotalSelector: "t"}
		}), `group_by: sli.error_selector: the selector e{route=""} excludes group label "route"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(c.slos, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if _, cerr := Check(c.slos, Options{}); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("Check says %v, Generate %v", cerr, err)
			}
		})
	}
}

// groupedNative is a grouped SLO as the loader makes it from a native
// spec: ratio selectors, summed by route.
func groupedNative(t *testing.T) spec.SLO {
	t.Helper()
	f, err := spec.LoadBytes("grouped.yaml", []byte(`version: slo/v1
service: shop
slos:
  - name: requests
    objective: 99.5%
    window: 1d
    group_by: [route]
    sli:
      ratio:
        errors: http_requests_total{job="shop",code=~"5.."}
        total: http_requests_total{job="shop"}
`))
	if err != nil {
		t.Fatal(err)
	}
	return f.SLOs[0]
}

func TestGroupedGeneratedTestsPassPromtool(t *testing.T) {
	latencyByRoute := daily(grouped(latency, "route"))
	latencyByRoute.SLI = spec.SLI{
		GoodQuery:  `sum by (route) (rate(http_request_duration_seconds_bucket{job="search",le="0.3"}[{{.window}}]))`,
		TotalQuery: `sum by (route) (rate(http_request_duration_seconds_count{job="search"}[{{.window}}]))`,
	}
	for _, c := range []struct {
		name string
		slo  spec.SLO
		opts Options
	}{
		{"native ratio selectors by route", groupedNative(t), Options{}},
		{"error and total queries by route", daily(groupedAvailability), Options{}},
		{"by route, ratio-average", daily(groupedAvailability), Options{Method: MethodRatioAverage}},
		{"good and total selectors by route and tenant", daily(groupedSelectors), Options{}},
		{"good and total of two metrics, min events, for", latencyByRoute, Options{For: time.Minute}},
		{"7-day window: tier inputs coarser than the grid", groupedSelectors, Options{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.slo.Objective.Window > day {
				t.Skip("-short: the 7-day tiers replay a day")
			}
			rules := mustGenerate(t, []spec.SLO{c.slo}, c.opts)
			tests, err := GenerateTests([]spec.SLO{c.slo}, "rules.yml", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(tests.Warnings) > 0 {
				t.Errorf("warnings: %q", tests.Warnings)
			}
			passRules(t, rules.Rules, tests.Tests)
		})
	}
}

// TestGroupedGeneratedTestsFeedTwoGroups checks that the tests of a grouped
// SLO feed a burning and a healthy group, and check both: the burning one
// fires, the healthy one stays quiet and keeps its whole budget.
func TestGroupedGeneratedTestsFeedTwoGroups(t *testing.T) {
	s := groupedNative(t)
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "grouped-1d.tests.yml", tests.Tests)
	var f testFile
	if err := yaml.Unmarshal(tests.Tests, &f); err != nil {
		t.Fatal(err)
	}
	quietHealthy, firingBurning, healthyBudget := 0, 0, 0
	for _, g := range f.Tests {
		routes := map[string]bool{}
		for _, in := range g.InputSeries {
			for _, r := range []string{"burning", "healthy"} {
				if strings.Contains(in.Series, `route="`+r+`"`) {
					routes[r] = true
				}
			}
		}
		if strings.Contains(g.Name, "SLOMetricsAbsent") {
			continue
		}
		if !routes["burning"] || !routes["healthy"] {
			t.Errorf("test %q does not feed both groups: %v", g.Name, g.InputSeries)
		}
		for _, e := range g.ExprTests {
			healthy := strings.Contains(e.Expr, `route="healthy"`)
			switch {
			case strings.HasPrefix(e.Expr, "ALERTS{") && healthy && len(e.ExpSamples) == 0:
				quietHealthy++
			case strings.HasPrefix(e.Expr, "ALERTS{") && strings.Contains(e.Expr, `route="burning"`) && len(e.ExpSamples) == 1:
				firingBurning++
			case strings.HasPrefix(e.Expr, metricBudgetRemaining) && healthy && len(e.ExpSamples) == 1 && e.ExpSamples[0].Value == 1:
				healthyBudget++
			}
		}
	}
	tiers := len(slo.DefaultTiers(day))
	if firingBurning < tiers+1 || quietHealthy < tiers+1 || healthyBudget < 2 {
		t.Errorf("burning group fires in %d checks, healthy group quiet in %d and at full budget in %d; want at least %d, %d and 2",
			firingBurning, quietHealthy, healthyBudget, tiers+1, tiers+1)
	}
}

// The grouped tests fail on rules that lose the groups.
func TestGroupedGeneratedTestsCatchRulesThatLoseTheGroups(t *testing.T) {
	s := groupedNative(t)
	rules := mustGenerate(t, []spec.SLO{s}, Options{}).Rules
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkBrokenRulesFail(t, rules, tests.Tests,
		mutation{"budget of all groups together", "1 - sum by (route) (slo:sli_error:ratio_window", "1 - sum(slo:sli_error:ratio_window"},
		mutation{"burn alerts of all groups together", "(sum by (route) (slo:sli_error:ratio_rate", "(sum(slo:sli_error:ratio_rate"},
		mutation{"grid of all groups together", "sum by (route) (rate(", "sum(rate("},
	)
}
