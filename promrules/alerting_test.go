package promrules

import (
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

func TestAlertingMetadataIsValidated(t *testing.T) {
	base := spec.SLO{Service: "svc", Objective: slo.Objective{Name: "a", Target: 0.99},
		SLI: spec.SLI{ErrorQuery: "sum(rate(e[{{.window}}]))", TotalQuery: "sum(rate(t[{{.window}}]))"}}
	for _, tc := range []struct {
		alerting spec.Alerting
		want     string
	}{
		{spec.Alerting{Name: "bad name"}, "alerting.name"},
		{spec.Alerting{Name: "Bad-Name"}, `alerting.name: "Bad-Name" is not a valid alert name`},
		{spec.Alerting{Labels: map[string]string{"slo": "x"}}, `alerting.labels: "slo" is reserved`},
		{spec.Alerting{Labels: map[string]string{"alertstate": "x"}}, `alerting.labels: "alertstate" is reserved`},
		{spec.Alerting{PageLabels: map[string]string{"team": ""}}, "empty value"},
		{spec.Alerting{TicketAnnotations: map[string]string{"0bad": "x"}}, "alerting.ticket_annotations"},
	} {
		s := base
		s.Alerting = tc.alerting
		if _, err := Generate([]spec.SLO{s}, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.alerting, err, tc.want)
		}
	}
	s := base
	s.Alerting = spec.Alerting{Name: "Custom:Burn", PageLabels: map[string]string{"severity": "critical"},
		Annotations: map[string]string{"runbook": "https://example.test/runbook"}}
	res, err := Generate([]spec.SLO{s}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Rules)
	for _, want := range []string{"alert: Custom:Burn", "severity: critical", "runbook: https://example.test/runbook", "alert: SLOErrorBudgetExhausted"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules lack %q", want)
		}
	}
}

// TestGoodSelectorFeedsTheGrid checks that a good selector is used, not
// dropped: the grid counts errors as the increase of total minus good.
func TestGoodSelectorFeedsTheGrid(t *testing.T) {
	s := spec.SLO{Service: "svc", Objective: slo.Objective{Name: "a", Target: 0.99},
		SLI: spec.SLI{
			GoodQuery:     `sum(rate(good_total[{{.window}}]))`,
			TotalQuery:    `sum(rate(all_total[{{.window}}]))`,
			GoodSelector:  `good_total`,
			TotalSelector: `all_total`,
		}}
	res := mustGenerate(t, []spec.SLO{s}, Options{})
	want := `clamp_min((sum(rate(all_total[5m1ms])) * 300 or vector(0)) - (sum(rate(good_total[5m1ms])) * 300 or vector(0)), 0)`
	if !strings.Contains(string(res.Rules), want) {
		t.Errorf("the grid does not count errors from the selectors; want %s in\n%s", want, res.Rules)
	}
	checkRules(t, res.Rules, FormatRules)
}
