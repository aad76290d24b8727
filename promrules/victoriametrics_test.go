package promrules

import (
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

// The rules for VictoriaMetrics are those for Prometheus with the counters
// of a grid cell or a slice read over the step itself, not the step and a
// millisecond: MetricsQL's rate() adds the sample before its range, so
// [1m1ms] would reach one scrape into the cell before.
func TestVictoriaMetricsTargetReadsCellsAndSlicesOverTheStep(t *testing.T) {
	cases := []struct {
		name  string
		slos  []spec.SLO
		ms, s string // the range for Prometheus, and for VictoriaMetrics
	}{
		{"exact, 30 days", []spec.SLO{availability}, "[5m1ms]", "[5m]"},
		{"exact, selectors", []spec.SLO{selectors}, "[5m1ms]", "[5m]"},
		{"1m slices", []spec.SLO{sliced(daily(availability), time.Minute, 0.95)}, "[1m1ms]", "[1m]"},
		{"30s slices averaged, good and total", []spec.SLO{sliced(daily(latency), 30*time.Second, 0)}, "[30s1ms]", "[30s]"},
		{"grid, per route", []spec.SLO{groupedAvailability}, "[5m1ms]", "[5m]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{}
			if strings.HasPrefix(c.name, "grid") {
				opts.Method = MethodGrid
			}
			prom := mustGenerate(t, c.slos, opts).Rules
			opts.Target = VictoriaMetrics
			vm := mustGenerate(t, c.slos, opts).Rules
			if !strings.Contains(string(prom), c.ms) {
				t.Fatalf("the Prometheus rules read nothing over %s:\n%s", c.ms, prom)
			}
			if strings.Contains(string(vm), "1ms]") {
				t.Errorf("the VictoriaMetrics rules read a range of a step and a millisecond:\n%s", vm)
			}
			if want := strings.ReplaceAll(string(prom), c.ms, c.s); string(vm) != want {
				t.Errorf("the VictoriaMetrics rules are not the Prometheus rules with %s read over %s:\n%s", c.ms, c.s, vm)
			}
		})
	}
}

func TestVictoriaMetricsTargetRefusesWhatVictoriaMetricsLacks(t *testing.T) {
	for _, query := range []string{
		`sum(rate(x[{{.window}}])) * day_of_year()`,
		`sum(histogram_count(rate(x[{{.window}}])))`,
		`sum(histogram_avg(rate(x[{{.window}}])))`,
	} {
		s := availability
		s.SLI.ErrorQuery = query
		_, err := Generate([]spec.SLO{s}, Options{Target: VictoriaMetrics})
		if err == nil || !strings.Contains(err.Error(), "is not in VictoriaMetrics 1.79 (target victoriametrics)") {
			t.Errorf("%s: err = %v, want the function named as not in VictoriaMetrics 1.79", query, err)
		}
	}
	s := availability
	s.SLI.ErrorQuery = `sum(rate(x[{{.window}}])) * day_of_month()`
	mustGenerate(t, []spec.SLO{s}, Options{Target: VictoriaMetrics})
}

// promtool evaluates rules with Prometheus's rate(): the tests of rules
// for VictoriaMetrics would test semantics the rules are not written for.
func TestVictoriaMetricsTargetHasNoPromtoolTests(t *testing.T) {
	_, err := GenerateTests([]spec.SLO{availability}, "rules.yml", Options{Target: VictoriaMetrics})
	if err == nil || !strings.Contains(err.Error(), "promtool") {
		t.Fatalf("err = %v, want a refusal naming promtool", err)
	}
}
