package promrules

import (
	"fmt"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// TestBurnAlertFiresAtExactlyTheFactorLikeTheTracker replays, in promtool,
// 144 failures in every 10,000 events against a 99.9% objective: a burn
// rate of exactly 14.4, which float arithmetic computes as
// 14.399999999999999. The tracker fires its 14.4x tier on these counts, so
// the generated page alert must fire too; 143 failures in 10,000 (14.3x)
// must not fire either.
func TestBurnAlertFiresAtExactlyTheFactorLikeTheTracker(t *testing.T) {
	obj := slo.Objective{Name: "exact", Target: 0.999, Window: day, Tiers: []slo.AlertTier{
		{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}}}

	// The tracker, on the same counts.
	for _, c := range []struct {
		failures uint64
		fires    bool
	}{{144, true}, {143, false}} {
		tr, err := slo.NewTracker(obj, slo.WithClock(func() time.Time { return time.Unix(0, 0) }))
		if err != nil {
			t.Fatal(err)
		}
		tr.RecordN(10000-c.failures, c.failures)
		if got := tr.Snapshot().Tiers[0].Firing; got != c.fires {
			t.Fatalf("tracker, %d failures in 10000: firing %v, want %v", c.failures, got, c.fires)
		}
	}

	s := spec.SLO{
		Service: "api", Objective: obj,
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(requests_total{code="500"}[{{.window}}]))`,
			TotalQuery: `sum(rate(requests_total[{{.window}}]))`,
		},
	}
	rules := mustGenerate(t, []spec.SLO{s}, Options{})
	const firing = `sum(ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing"}) or vector(0)`
	var groups []testGroup
	for _, c := range []struct {
		failures int
		want     float64
	}{{144, 1}, {143, 0}} {
		groups = append(groups, testGroup{
			Name:     fmt.Sprintf("%d failures in 10000 events", c.failures),
			Interval: "1m",
			InputSeries: []inputSeries{
				{Series: `requests_total{code="200"}`, Values: fmt.Sprintf("0+%dx120", 10000-c.failures)},
				{Series: `requests_total{code="500"}`, Values: fmt.Sprintf("0+%dx120", c.failures)},
			},
			ExprTests: []exprTest{{Expr: firing, EvalTime: "90m", ExpSamples: []expSample{{Labels: "{}", Value: c.want}}}},
		})
	}
	tests, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "1m",
		GroupEvalOrder: []string{"slo:api:exact:sli", "slo:api:exact:window", "slo:api:exact:alerts"}, Tests: groups})
	if err != nil {
		t.Fatal(err)
	}
	passRules(t, rules.Rules, tests)
}
