package promrules

import (
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// FuzzGenerate feeds arbitrary names, labels and queries to Generate and
// GenerateTests: they must return rules or an error, never panic, and every
// rule file they return must parse back with the labels intact.
func FuzzGenerate(f *testing.F) {
	f.Add("availability", "checkout", "team", "payments", `sum(rate(x{code=~"5.."}[{{.window}}]))`, `sum(rate(x[{{.window}}]))`, 0.999, int64(30*24))
	f.Add(`we"ird {{ .slo }}`, "svc\\x\n", "note", "}}{{", `rate(x[{{.window}}])`, `x`, 0.9, int64(1))
	f.Add("", "", "__name__", "", `{{.window}}`, `sum(rate(x[{{ .window }}]))`, 1.5, int64(0))
	f.Add("a", "b", "c", "d", `sum(rate(a[{{.window}}])) / sum(rate(b[{{.window}}]))`, "", 0.5, int64(24*7))
	f.Fuzz(func(t *testing.T, name, service, lname, lvalue, q1, q2 string, target float64, hours int64) {
		s := spec.SLO{
			Service:   service,
			Labels:    map[string]string{lname: lvalue},
			Objective: slo.Objective{Name: name, Target: target, Window: time.Duration(hours%(400*24)) * time.Hour},
			SLI:       spec.SLI{ErrorQuery: q1, TotalQuery: q2},
		}
		if q2 == "" {
			s.SLI = spec.SLI{ErrorRatioQuery: q1}
		}
		res, err := Generate([]spec.SLO{s}, Options{})
		if err != nil {
			return
		}
		if !strings.Contains(string(res.Rules), "slo:error_budget_remaining:ratio") {
			t.Fatalf("rules without the budget:\n%s", res.Rules)
		}
		if _, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{}); err != nil {
			t.Fatalf("Generate accepted what GenerateTests rejects: %v", err)
		}
		checkParses(t, res.Rules, s)
	})
}
