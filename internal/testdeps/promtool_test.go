package testdeps

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTestRulesReportsEachFile runs one promtool of every engine on three
// test files, the middle one failing, and checks that each file gets its
// own report and the failing one names its failing expression.
func TestTestRulesReportsEachFile(t *testing.T) {
	dir := t.TempDir()
	rules := "groups:\n- name: g\n  rules:\n  - record: x\n    expr: vector(1)\n"
	tests := func(expr string, want int) string {
		return "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series: []\n  promql_expr_test:\n  - expr: " +
			expr + "\n    eval_time: 1m\n    exp_samples: [{value: " + strconv.Itoa(want) + "}]\n"
	}
	for file, text := range map[string]string{
		"a/rules.yml": rules, "a/tests.yml": tests("x * 1", 1),
		"b/rules.yml": rules, "b/tests.yml": tests("x * 10", 11),
		"c/rules.yml": rules, "c/tests.yml": tests("x * 2", 2),
	} {
		path := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{"a/tests.yml", "b/tests.yml", "c/tests.yml"}
	ForEachEngineAtOnce(t, func(t *testing.T, e Engine) {
		reports := e.TestRules(t, dir, files...)
		if len(reports) != len(files) {
			t.Fatalf("%d reports of %d files", len(reports), len(files))
		}
		for i, r := range reports {
			if r.File != files[i] {
				t.Errorf("report %d is of %s, want %s", i, r.File, files[i])
			}
			if want := i != 1; r.Passed != want {
				t.Errorf("%s: passed %v, want %v:\n%s", r.File, r.Passed, want, r.Output)
			}
		}
		if out := reports[1].Output; !strings.Contains(out, `"x * 10"`) || !strings.Contains(out, "FAILED") {
			t.Errorf("the failing file's report does not name its failing expression:\n%s", out)
		}
		if out := reports[0].Output + reports[2].Output; strings.Contains(out, "x * 10") || strings.Contains(out, "FAILED") {
			t.Errorf("the passing files' reports show a failure:\n%s", out)
		}
	})
}
