package promrules

import (
	"fmt"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// TestBurnAlertAnnotationsRender replays 22 clean hours and one hour at a
// burn rate of 15 for a 1-day, 99% objective and checks, in promtool, the
// page alert's labels and every annotation: burn rate 15, the tier's 60%
// budget share (14.4 x 1h of 24h), and the time to exhaustion, computed by
// hand: 1,380,000 events, 9,000 errors leave 1 - 9000/1380000/0.01 =
// 0.3478 of the budget, which lasts 0.3478 x 86400s / 15 = 2003.5s.
func TestBurnAlertAnnotationsRender(t *testing.T) {
	s := spec.SLO{
		Service: "api",
		Objective: slo.Objective{Name: "api-availability", Target: 0.99, Window: day, Tiers: []slo.AlertTier{
			{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}}},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total[{{.window}}]))`,
		},
	}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	tests := fmt.Sprintf(`rule_files: [rules.yml]
evaluation_interval: 5m
group_eval_order: ["slo:api:api-availability:sli", "slo:api:api-availability:window", "slo:api:api-availability:alerts"]
tests:
  - interval: 1m
    input_series:
      - series: 'requests_total{code="200"}'
        values: '0+1000x1320 1320850+850x60'
      - series: 'requests_total{code="500"}'
        values: '0x1320 150+150x60'
    alert_rule_test:
      - alertname: SLOErrorBudgetBurn
        eval_time: 21h
      - alertname: SLOErrorBudgetBurn
        eval_time: 23h
        exp_alerts:
          - exp_labels: {slo: api-availability, service: api, severity: page, long_window: 1h, short_window: 5m}
            exp_annotations:
              summary: SLO api-availability of api burns its error budget 15.0x too fast
              description: The error budget of the 1d window burns 15.00 times as fast as it can be sustained over the last 1h, and at least 14.4 times over the last 5m. Burning at 14.4, this alert fires once 60%% of the budget is spent.
              burn_rate: "15.00"
              budget_share: 60%%
              time_to_exhaustion: 33m 23s
`)
	passRules(t, rules.Rules, []byte(tests))
}

// TestRatioOnlySLIStaysFinite feeds an error ratio query 0/0 (no traffic,
// NaN) and x/0 (errors counted before events, +Inf): the recorded ratio is
// 0 and 1, never NaN or Inf, and the budget stays a number.
func TestRatioOnlySLIStaysFinite(t *testing.T) {
	s := slothRatio
	s.Objective = slo.Objective{Name: s.Objective.Name, Target: 0.99, Window: day, Tiers: []slo.AlertTier{}}
	s.SLI.ErrorRatioQuery = `sum(rate(errors_total{case=~"{{.window}}|.*"}[{{.window}}])) / sum(rate(requests_total[{{.window}}]))`
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	sel := func(m string) string {
		return selector(m, map[string]string{"slo": s.Objective.Name, "service": s.Service})
	}
	group := testGroup{Interval: "1m", InputSeries: []inputSeries{
		{Series: `errors_total{case="nan"}`, Values: "0+0x60"},
		{Series: `requests_total`, Values: "0+0x60"},
	}}
	for _, c := range []struct {
		metric string
		want   float64
	}{{ratioMetric(5 * time.Minute), 0}, {metricRatioWindow, 0}, {metricBudgetRemaining, 1}, {metricBurnRateWindow, 0}} {
		group.ExprTests = append(group.ExprTests, exprTest{Expr: sel(c.metric), EvalTime: "30m", ExpSamples: []expSample{{Labels: sel(c.metric), Value: c.want}}})
	}
	inf := testGroup{Interval: "1m", InputSeries: []inputSeries{
		{Series: `errors_total{case="inf"}`, Values: "0+1x60"},
		{Series: `requests_total`, Values: "0+0x60"},
	}, ExprTests: []exprTest{{Expr: sel(ratioMetric(5 * time.Minute)), EvalTime: "30m", ExpSamples: []expSample{{Labels: sel(ratioMetric(5 * time.Minute)), Value: 1}}}}}
	tests, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "1m", Tests: []testGroup{group, inf}})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, rules.Rules, tests)
}

// TestAlertsKeepUserStringsVerbatim checks, in promtool, that names and
// labels that look like templates reach alert labels and annotations as
// they were written (Prometheus expands both as templates).
func TestAlertsKeepUserStringsVerbatim(t *testing.T) {
	s := availability
	s.Objective.Name = `we"ird {{ .slo }} name`
	s.Service = "svc\\with\nnewline"
	s.Labels = map[string]string{"note": "}}{{ template \"x\" }}`'\t\u00e9"}
	s.Objective = slo.Objective{Name: s.Objective.Name, Target: 0.99, Window: day, Tiers: []slo.AlertTier{}}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	type expAlert struct {
		Labels      map[string]string `yaml:"exp_labels"`
		Annotations map[string]string `yaml:"exp_annotations"`
	}
	type alertTest struct {
		Alertname string     `yaml:"alertname"`
		EvalTime  string     `yaml:"eval_time"`
		ExpAlerts []expAlert `yaml:"exp_alerts"`
	}
	type group struct {
		Interval    string        `yaml:"interval"`
		InputSeries []inputSeries `yaml:"input_series"`
		AlertTests  []alertTest   `yaml:"alert_rule_test"`
	}
	labels := map[string]string{"slo": s.Objective.Name, "service": s.Service, "note": s.Labels["note"], "severity": "ticket"}
	file := map[string]any{
		"rule_files":          []string{"rules.yml"},
		"evaluation_interval": "5m",
		"tests": []group{{
			Interval:    "1m",
			InputSeries: []inputSeries{{Series: `http_requests_total{job="checkout",code="500"}`, Values: "0+10x60"}},
			AlertTests: []alertTest{{Alertname: AlertExhausted, EvalTime: "30m", ExpAlerts: []expAlert{{
				Labels: labels,
				Annotations: map[string]string{
					// Every event failed: 1 - 1/0.01 = -99 budgets left.
					"summary":     "SLO " + s.Objective.Name + " of " + s.Service + " has spent its error budget",
					"description": "-9900% of the error budget of the 1d window is left.",
				},
			}}}},
		}},
	}
	tests, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, rules.Rules, tests)
}

// TestExhaustedAlertSeesTheWindowGroup runs the alerts group before the
// window group at every instant, as happens live when the window group (run
// once a grid step, 5m, the lookback of an instant selector) is late or
// runs at the same instant: the budget it reads is then 5m old, which
// Prometheus 3 does not see. SLOErrorBudgetExhausted must fire anyway.
func TestExhaustedAlertSeesTheWindowGroup(t *testing.T) {
	s := spec.SLO{
		Service:   "api",
		Objective: slo.Objective{Name: "api-availability", Target: 0.99, Window: day, Tiers: []slo.AlertTier{}},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total[{{.window}}]))`,
		},
	}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	tests := `rule_files: [rules.yml]
evaluation_interval: 5m
group_eval_order: ["slo:api:api-availability:alerts", "slo:api:api-availability:sli", "slo:api:api-availability:window"]
tests:
  - interval: 1m
    input_series:
      - series: 'requests_total{code="200"}'
        values: '0+900x120'
      - series: 'requests_total{code="500"}'
        values: '0+100x120'
    alert_rule_test:
      - alertname: SLOErrorBudgetExhausted
        eval_time: 1h
        exp_alerts:
          - exp_labels: {slo: api-availability, service: api, severity: ticket}
            exp_annotations:
              summary: SLO api-availability of api has spent its error budget
              description: -900% of the error budget of the 1d window is left.
`
	passRules(t, rules.Rules, []byte(tests))
}
