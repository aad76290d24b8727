package promrules

import (
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
)

func TestAlertingMetadataIsValidated(t *testing.T) {
	base := SLO{Service: "svc", Objective: slo.Objective{Name: "a", Target: 0.99},
		SLI: SLI{ErrorQuery: "sum(rate(e[{{.window}}]))", TotalQuery: "sum(rate(t[{{.window}}]))"}}
	for _, tc := range []struct {
		alerting Alerting
		want     string
	}{
		{Alerting{Name: "bad name"}, "alerting.name"},
		{Alerting{Labels: map[string]string{"slo": "x"}}, `alerting.labels: "slo" is set by the generator`},
		{Alerting{Labels: map[string]string{"severity": "x"}}, `alerting.labels: "severity" is set by the generator`},
		{Alerting{PageLabels: map[string]string{"team": ""}}, "empty value"},
		{Alerting{TicketAnnotations: map[string]string{"0bad": "x"}}, "alerting.ticket_annotations"},
	} {
		s := base
		s.Alerting = tc.alerting
		if _, err := Generate([]SLO{s}, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.alerting, err, tc.want)
		}
	}
	s := base
	s.Alerting = Alerting{Name: "CustomBurn", PageLabels: map[string]string{"severity": "critical"},
		Annotations: map[string]string{"runbook": "https://example.test/runbook"}}
	res, err := Generate([]SLO{s}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Rules)
	for _, want := range []string{"alert: CustomBurn", "severity: critical", "runbook: https://example.test/runbook", "alert: SLOErrorBudgetExhausted"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules lack %q", want)
		}
	}
}
