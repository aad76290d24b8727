package promrules

import (
	"bytes"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// daily returns s with a one-day window: the default tiers scale down with
// it (2m/10s x14.4 ... 144m/12m x1), so promtool replays them in seconds.
func daily(s spec.SLO) spec.SLO {
	s.Objective.Window = day
	s.Objective.Tiers = nil
	return s
}

var complement = spec.SLO{
	Service:   "web",
	Objective: slo.Objective{Name: "good-requests", Target: 0.995, Window: day},
	SLI: spec.SLI{
		GoodQuery:  `sum(rate(http_requests_total{job="web",code!~"5.."}[{{.window}}]))`,
		TotalQuery: `sum(rate(http_requests_total{job="web"}[{{.window}}]))`,
	},
}

func TestGeneratedTestsPassPromtool(t *testing.T) {
	cases := []struct {
		name string
		slo  spec.SLO
		opts Options
	}{
		{"errors and total of one counter", daily(availability), Options{}},
		{"errors and total, ratio-average", daily(availability), Options{Method: MethodRatioAverage}},
		{"errors and total, blocks of 3 cells", daily(availability), Options{Grid: 40 * time.Second}},
		{"good and total of two metrics, min events, for", daily(latency), Options{For: time.Minute}},
		{"good and total of one counter", complement, Options{}},
		{"selectors and a tier that can never fire", selectors, Options{}},
		{"default 30-day window", availability, Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.slo.Objective.Window == 0 {
				t.Skip("-short: the 30-day tiers replay 4 days")
			}
			rules := mustGenerate(t, []spec.SLO{c.slo}, c.opts)
			tests, err := GenerateTests([]spec.SLO{c.slo}, "rules.yml", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(tests.Warnings) > 0 && c.slo.Objective.Window != 0 {
				t.Errorf("warnings: %q", tests.Warnings)
			}
			passRules(t, rules.Rules, tests.Tests)
		})
	}
}

func TestGeneratedTestsCoverEveryTier(t *testing.T) {
	s := daily(availability)
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "availability-1d.tests.yml", tests.Tests)
	for _, tier := range slo.DefaultTiers(day) {
		for _, want := range []string{"burning 1.1x the factor fires", "burning 0.9x the factor never fires"} {
			name := string(tier.Severity) + " " + promDuration(tier.LongWindow) + "/" + promDuration(tier.ShortWindow)
			if !bytes.Contains(tests.Tests, []byte(name)) || !bytes.Contains(tests.Tests, []byte(want)) {
				t.Errorf("no test %q for tier %s", want, name)
			}
		}
	}
	for _, want := range []string{"no traffic, error counter never created", "counters reset", "SLOErrorBudgetExhausted fires", "SLOMetricsAbsent fires", "leave the 1d window"} {
		if !bytes.Contains(tests.Tests, []byte(want)) {
			t.Errorf("no test %q", want)
		}
	}
}

// The generated tests must fail on rules that are wrong: each mutation
// breaks one property of the rules and must make promtool fail.
func TestGeneratedTestsCatchBrokenRules(t *testing.T) {
	s := daily(availability)
	rules := mustGenerate(t, []spec.SLO{s}, Options{}).Rules
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		want           string // a failing test's name
	}{
		{"NaN on zero traffic", "> 0)) or vector(0)", "))", "no traffic"},
		{"gap while the error counter is missing", `code=~"5.."}[5m1ms])) or vector(0)) * 300`, `code=~"5.."}[5m1ms]))) * 300`, "no traffic"},
		{"page tier factor too high", ">= 14.3999999856", ">= 16", "burning 1.1x the factor fires"},
		{"page tier factor too low", ">= 14.3999999856", ">= 12", "burning 0.9x the factor never fires"},
		{"ticket tier ignores its short window", "/ 0.001 >= 0.999999999) and (sum(slo:sli_error:ratio_rate12m", "/ 0.001 >= 0.999999999) or (sum(slo:sli_error:ratio_rate12m", "burning 0.9x"},
		{"overlapping grid", "[23h57m30s]", "[1d5m]", "counters reset"},
		{"exhausted never fires", ") <= 0", ") <= -5", "SLOErrorBudgetExhausted fires"},
		{"absent never fires", "absent(sum(rate(http_requests_total{job=\"checkout\"}[5m1ms])))", "absent(vector(1))", "SLOMetricsAbsent fires"},
		{"wrong label on alerts", "severity: page", "severity: critical", "page"},
	}
	var ms []mutation
	for _, c := range cases {
		ms = append(ms, mutation{c.name, c.old, c.new})
	}
	checkBrokenRulesFail(t, rules, tests.Tests, ms...)
}

func TestGenerateTestsWarnsAboutWhatItCannotTest(t *testing.T) {
	thirty := availability
	thirty.Objective.Name = "thirty"
	ninety := availability
	ninety.Objective.Window = 90 * day
	res, err := GenerateTests([]spec.SLO{slothRatio, thirty, ninety}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"requests-availability" of service "myservice": not tested: an error ratio query`, `grid 15m differs`, "leaving the 30d window not tested"} {
		if !hasWarning(res.Warnings, want) {
			t.Errorf("no warning containing %q in %q", want, res.Warnings)
		}
	}
	if !bytes.Contains(res.Tests, []byte(`SLO \"thirty\"`)) && !bytes.Contains(res.Tests, []byte(`SLO "thirty"`)) {
		t.Errorf("the testable SLO is not tested:\n%s", res.Tests)
	}
}
