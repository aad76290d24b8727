package promrules_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/promrules"
	"github.com/slo-budget-tracker/slo/spec"
)

func ExampleGenerate() {
	res, err := promrules.Generate([]spec.SLO{{
		Service:   "checkout",
		Objective: slo.Objective{Name: "availability", Target: 0.999}, // 30 days, the Workbook's four tiers
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))`,
			TotalQuery: `sum(rate(http_requests_total{job="checkout"}[{{.window}}]))`,
		},
	}}, promrules.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(res.Rules), "\n") {
		if strings.Contains(line, "record:") || strings.Contains(line, "alert:") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// - record: slo:sli_error:ratio_rate5m
	// - record: slo:sli_error:ratio_rate30m
	// - record: slo:sli_error:ratio_rate1h
	// - record: slo:sli_error:ratio_rate2h
	// - record: slo:sli_error:ratio_rate6h
	// - record: slo:sli_error:ratio_rate1d
	// - record: slo:sli_error:ratio_rate3d
	// - record: slo:objective:ratio
	// - record: slo:error_budget:ratio
	// - record: slo:window:seconds
	// - record: slo:sli_errors:increase5m
	// - record: slo:sli_total:increase5m
	// - record: slo:sli_errors:increase1h
	// - record: slo:sli_errors:increase1h_partial
	// - record: slo:sli_total:increase1h
	// - record: slo:sli_total:increase1h_partial
	// - record: slo:sli_error:ratio_window
	// - record: slo:error_budget_remaining:ratio
	// - record: slo:burn_rate:ratio_window
	// - alert: SLOErrorBudgetBurn
	// - alert: SLOErrorBudgetBurn
	// - alert: SLOErrorBudgetBurn
	// - alert: SLOErrorBudgetBurn
	// - alert: SLOErrorBudgetExhausted
	// - alert: SLOMetricsAbsent
}

func ExampleGenerate_ratioOnly() {
	// Sloth's raw error_ratio_query cannot be weighted by traffic.
	res, err := promrules.Generate([]spec.SLO{{
		Service:   "myservice",
		Objective: slo.Objective{Name: "requests", Target: 0.99},
		SLI:       spec.SLI{ErrorRatioQuery: `sum(rate(errors_total[{{.window}}])) / sum(rate(requests_total[{{.window}}]))`},
	}}, promrules.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Warnings[0])
	// Output:
	// slo "requests": the SLI gives only an error ratio query, so errors and events cannot be weighted: the long window falls back to the average of 5-minute ratios (method ratio-average), an approximation
}

func ExampleGenerateTests() {
	slos := []spec.SLO{{
		Service:   "checkout",
		Objective: slo.Objective{Name: "availability", Target: 0.999},
		SLI: spec.SLI{
			ErrorQuery: `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`,
			TotalQuery: `sum(rate(http_requests_total[{{.window}}]))`,
		},
	}}
	// Write rules.yml with Generate, then tests.yml next to it, and run
	// promtool test rules tests.yml.
	tests, err := promrules.GenerateTests(slos, "rules.yml", promrules.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Count(string(tests.Tests), "- name:"), "test groups")
	fmt.Println(tests.Warnings)
	// Output:
	// 12 test groups
	// [SLO "availability" of service "checkout": errors leaving the 30d window not tested: replaying it takes too long]
}
