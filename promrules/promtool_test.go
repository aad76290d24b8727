package promrules

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// promtool runs the real promtool of engine e with args in dir and returns
// its output and whether it succeeded.
func promtool(t testing.TB, e testdeps.Engine, dir string, args ...string) (string, bool) {
	t.Helper()
	bin := e.Promtool(t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running promtool: %v", err)
		}
	}
	return string(out), err == nil
}

// checkRules runs promtool check rules of every engine on a generated file
// in either format, in a subtest per engine, the engines at once.
func checkRules(t *testing.T, rules []byte, format Format) {
	t.Helper()
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) { checkRulesWith(t, e, rules, format) })
}

// checkRulesWith runs promtool check rules of engine e on a generated file
// in either format.
func checkRulesWith(t testing.TB, e testdeps.Engine, rules []byte, format Format) {
	t.Helper()
	if format == FormatPrometheusOperator {
		var cr struct {
			Kind string   `yaml:"kind"`
			Spec ruleFile `yaml:"spec"`
		}
		if err := yaml.Unmarshal(rules, &cr); err != nil {
			t.Fatalf("PrometheusRule does not parse: %v", err)
		}
		if cr.Kind != "PrometheusRule" || len(cr.Spec.Groups) == 0 {
			t.Fatalf("not a PrometheusRule with groups: %s", rules)
		}
		var err error
		if rules, err = yaml.Marshal(cr.Spec); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeFile(t, dir, "rules.yml", rules)
	if out, ok := promtool(t, e, dir, "check", "rules", "rules.yml"); !ok {
		t.Fatalf("promtool check rules failed:\n%s", out)
	}
}

// testRules writes rules and tests to a directory and runs promtool test
// rules of engine e on them. It returns promtool's report of the tests and
// whether they passed.
func testRules(t *testing.T, e testdeps.Engine, rules, tests []byte) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "rules.yml", rules)
	writeFile(t, dir, "tests.yml", tests)
	r := e.TestRules(t, dir, "tests.yml")[0]
	return r.Output, r.Passed
}

// passRules runs promtool test rules of every engine on rules and tests, in
// a subtest per engine, the engines at once, and fails the subtest when a
// test fails.
func passRules(t *testing.T, rules, tests []byte) {
	t.Helper()
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		if out, ok := testRules(t, e, rules, tests); !ok {
			t.Fatalf("promtool test rules failed:\n%s", out)
		}
	})
}

func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustGenerate generates rules and fails the test on error.
func mustGenerate(t testing.TB, slos []spec.SLO, opts Options) *Result {
	t.Helper()
	res, err := Generate(slos, opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return res
}

func hasWarning(warnings []string, substr string) bool {
	for _, w := range warnings {
		if strings.Contains(w, substr) {
			return true
		}
	}
	return false
}

// checkParses reads a generated rule file back and checks every expression
// parses and every rule carries the SLO's labels unchanged.
func checkParses(t *testing.T, rules []byte, s spec.SLO) {
	t.Helper()
	var f ruleFile
	if err := yaml.Unmarshal(rules, &f); err != nil {
		t.Fatalf("rules do not parse as YAML: %v\n%s", err, rules)
	}
	name := s.Objective.Name
	if name == "" {
		name = s.Objective.Name
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if _, err := spec.ParseQuery(r.Expr); err != nil {
				t.Fatalf("%s%s: %v", r.Record, r.Alert, err)
			}
			want := map[string]string{"slo": name, "service": s.Service}
			for k, v := range s.Labels {
				want[k] = v
			}
			for k, v := range want {
				got := r.Labels[k]
				if r.Alert != "" {
					got = strings.TrimSuffix(strings.TrimPrefix(got, "{{ "), " }}")
					if uq, err := strconv.Unquote(got); err == nil && strings.Contains(v, "{{") {
						got = uq
					}
				}
				if got != v {
					t.Fatalf("%s%s: label %s = %q, want %q", r.Record, r.Alert, k, got, v)
				}
			}
		}
	}
}

// A mutation breaks one property of generated rules: it replaces old,
// which the rules must contain, with new.
type mutation struct{ name, old, new string }

// checkBrokenRulesFail runs the generated tests against the rules broken by
// each mutation, and fails unless promtool fails a test of each. Every
// engine replays all the broken rule files in one promtool run, the engines
// at once, and reports each mutation in a subtest of its engine's.
func checkBrokenRulesFail(t *testing.T, rules, tests []byte, ms ...mutation) {
	t.Helper()
	dir := t.TempDir()
	files := make([]string, len(ms))
	for i, m := range ms {
		if !bytes.Contains(rules, []byte(m.old)) {
			t.Fatalf("%s: rules lack %q:\n%s", m.name, m.old, rules)
		}
		sub := strconv.Itoa(i)
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, sub), "rules.yml", bytes.ReplaceAll(rules, []byte(m.old), []byte(m.new)))
		writeFile(t, filepath.Join(dir, sub), "tests.yml", tests)
		files[i] = filepath.Join(sub, "tests.yml")
	}
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		for i, r := range e.TestRules(t, dir, files...) {
			t.Run(ms[i].name, func(t *testing.T) {
				if r.Passed {
					t.Fatalf("promtool test rules passed on broken rules (%s)", ms[i].name)
				}
				if !strings.Contains(r.Output, "FAILED") {
					t.Fatalf("promtool failed without a failing test:\n%s", r.Output)
				}
			})
		}
	})
}
