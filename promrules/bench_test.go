package promrules

import (
	"fmt"
	"testing"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// fleet returns n SLOs of the shapes specs give, with distinct names.
func fleet(n int) []spec.SLO {
	shapes := []spec.SLO{availability, latency, slothRatio, selectors, complement}
	slos := make([]spec.SLO, n)
	for i := range slos {
		s := shapes[i%len(shapes)]
		s.Objective.Name = fmt.Sprintf("%s-%d", s.Objective.Name, i)
		slos[i] = s
	}
	return slos
}

// BenchmarkGenerate1000SLOs generates (and, as Generate always does, parses
// every expression of) the rules of 1,000 SLOs.
func BenchmarkGenerate1000SLOs(b *testing.B) {
	slos := fleet(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(slos, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// fleetGroups returns the rule groups of fleet(n), built once.
func fleetGroups(b *testing.B, n int) ([]ruleGroup, Options) {
	opts, _ := Options{}.withDefaults()
	plans, _, err := planAll(fleet(n), opts)
	if err != nil {
		b.Fatal(err)
	}
	var groups []ruleGroup
	for _, p := range plans {
		gs, err := p.groups()
		if err != nil {
			b.Fatal(err)
		}
		groups = append(groups, gs...)
	}
	return groups, opts
}

// BenchmarkBaselineYAML1000SLOs is the baseline of the writing step:
// encoding the rules of 1,000 SLOs, already built and parsed, with yaml.v3.
func BenchmarkBaselineYAML1000SLOs(b *testing.B) {
	groups, opts := fleetGroups(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render(groups, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite1000SLOs writes the same rules with the ruleWriter, which
// Generate streams them through.
func BenchmarkWrite1000SLOs(b *testing.B) {
	groups, opts := fleetGroups(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		w := newRuleWriter(opts, false, 1000*bytesPerSLO)
		for _, g := range groups {
			w.group(g)
		}
		if w.odd {
			b.Fatal("the writer left the document to yaml.v3")
		}
		w.finish()
	}
}

// BenchmarkGenerateAndPromtoolCheck1000SLOs adds the real promtool check
// rules (Prometheus 2's) on the generated file: the validation a CI job
// would run.
func BenchmarkGenerateAndPromtoolCheck1000SLOs(b *testing.B) {
	slos := fleet(1000)
	for b.Loop() {
		res, err := Generate(slos, Options{})
		if err != nil {
			b.Fatal(err)
		}
		checkRulesWith(b, testdeps.Engines[0], res.Rules, FormatRules)
	}
}
