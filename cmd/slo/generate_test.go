package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

const smallSpec = `version: slo/v1
service: shop
window: 1d
slos:
  - name: shop-availability
    objective: 99%
    sli:
      ratio:
        errors: http_requests_total{job="shop",code=~"5.."}
        total: http_requests_total{job="shop"}
`

// promtoolRun runs the promtool of every engine with args in dir, in a
// subtest per engine, the engines at once, and fails the subtest when
// promtool fails.
func promtoolRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, e.Promtool(t), args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
}

// TestGenerateRulesAndTestsPassPromtool generates rules and their unit
// tests from a spec and runs the real promtool on both.
func TestGenerateRulesAndTestsPassPromtool(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(specPath, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, tests := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "rules.tests.yml")
	if code, _, stderr := cli(t, "generate", "-o", rules, "-tests", tests, specPath); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	promtoolRun(t, dir, "check", "rules", rules)
	promtoolRun(t, dir, "test", "rules", tests)

	// The same input gives the same bytes, on standard output too.
	first, _ := os.ReadFile(rules)
	code, stdout, _ := cli(t, "generate", specPath)
	if code != exitOK || !bytes.Equal([]byte(stdout), first) {
		t.Errorf("generate to stdout differs from -o (exit %d)", code)
	}
}

// TestGenerateEveryExampleSpec generates rules for every example spec, in
// both methods and both formats, and checks the rule files with promtool.
func TestGenerateEveryExampleSpec(t *testing.T) {
	specs, _ := filepath.Glob("../../examples/specs/*.yaml")
	if len(specs) < 3 {
		t.Fatalf("example specs: %v", specs)
	}
	dir := t.TempDir()
	for _, method := range []string{"exact", "ratio-average"} {
		out := filepath.Join(dir, method+".yml")
		code, _, stderr := cli(t, append([]string{"generate", "-method", method, "-o", out}, specs...)...)
		if code != exitOK {
			t.Fatalf("generate -method %s: exit %d: %s", method, code, stderr)
		}
		promtoolRun(t, dir, "check", "rules", out)
	}
	code, stdout, stderr := cli(t, append([]string{"generate", "-format", "prometheus-operator", "-name", "shop-slos", "-namespace", "monitoring"}, specs...)...)
	if code != exitOK || !strings.Contains(stdout, "kind: PrometheusRule") || !strings.Contains(stdout, "namespace: monitoring") {
		t.Errorf("prometheus-operator format: exit %d, %s\n%.500s", code, stderr, stdout)
	}
}

// TestGeneratedTestsOfEveryExampleSpecPass generates the rules and the
// promtool tests of each example spec, the files users start from, and runs
// the tests on every promtool: every window kind, grouping, correction and
// slice method the examples show must pass its own tests. Each engine's
// promtool replays every spec's tests in one run, the engines at once, and
// each spec's report is a subtest of its engine's, named after the spec.
func TestGeneratedTestsOfEveryExampleSpecPass(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays every example spec's tests in promtool, minutes")
	}
	specs, _ := filepath.Glob("../../examples/specs/*.yaml")
	if len(specs) < 3 {
		t.Fatalf("example specs: %v", specs)
	}
	dir := t.TempDir()
	files := make([]string, len(specs))
	for i, path := range specs {
		name := filepath.Base(path)
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		files[i] = filepath.Join(name, "rules.tests.yml")
		rules := filepath.Join(dir, name, "rules.yml")
		if code, _, stderr := cli(t, "generate", "-o", rules, "-tests", filepath.Join(dir, files[i]), path); code != exitOK {
			t.Fatalf("generate %s: exit %d: %s", name, code, stderr)
		}
	}
	testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
		for i, r := range e.TestRules(t, dir, files...) {
			t.Run(filepath.Base(specs[i]), func(t *testing.T) {
				if !r.Passed {
					t.Errorf("promtool test rules %s failed:\n%s", r.File, r.Output)
				}
			})
		}
	})
}

func TestGenerateRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: slo/v1\nservice: x\nslos:\n  - name: a\n    objective: 120%\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate"}, exitUsage, "give one or more spec files"},
		{[]string{"generate", bad}, exitFail, "bad.yaml:5"},
		{[]string{"generate", "-method", "median", good}, exitFail, "median"},
		{[]string{"generate", "-format", "json", good}, exitFail, "json"},
		{[]string{"generate", "-tests", filepath.Join(dir, "t.yml"), good}, exitUsage, "-tests needs -o"},
	} {
		code, _, stderr := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("slo %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// TestGenerateCarriesSlothAlerting generates rules for Sloth's example spec:
// its alert name, labels and annotations reach the alerts, per severity,
// and the generated unit tests (which expect them) pass promtool.
func TestGenerateCarriesSlothAlerting(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "sloth.yaml")
	src, err := os.ReadFile("../../examples/specs/sloth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Keep the first SLO: the second is a raw ratio, which the generated
	// tests cannot feed.
	text := string(src)
	text = text[:strings.Index(text, "\n  - name: \"requests-latency-raw\"")] + "\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, tests := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "rules.tests.yml")
	if code, _, stderr := cli(t, "generate", "-o", rules, "-tests", tests, spec); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	out, _ := os.ReadFile(rules)
	for _, want := range []string{
		"alert: MyServiceHighErrorRate", "routing_key: myteam", "severity: pageteam",
		"slack_channel: '#alerts-myteam'", "severity: slack", "summary: High error rate on 'myservice' requests responses",
		"alert: SLOErrorBudgetExhausted",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rules lack %q", want)
		}
	}
	if strings.Contains(string(out), "alert: SLOErrorBudgetBurn") {
		t.Error("the burn alerts kept the default name")
	}
	promtoolRun(t, dir, "check", "rules", rules)
	// The tests are those of the whole example spec, which
	// TestGeneratedTestsOfEveryExampleSpecPass replays in promtool against
	// its rules: the same test groups, against rules holding these groups.
	sameTestsAsTheExample(t, "../../examples/specs/sloth.yaml", rules, tests)
}

// sameTestsAsTheExample checks that the generated test file tests, of the
// rule file rules, holds the test groups that slo generate writes for the
// example spec, and that every rule group of rules is in the example's rules
// unchanged: the example's replay in promtool then checks what replaying
// tests would.
func sameTestsAsTheExample(t *testing.T, example, rules, tests string) {
	t.Helper()
	dir := t.TempDir()
	exRules, exTests := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "rules.tests.yml")
	if code, _, stderr := cli(t, "generate", "-o", exRules, "-tests", exTests, example); code != exitOK {
		t.Fatalf("generate %s: exit %d: %s", example, code, stderr)
	}
	load := func(path string, v any) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var got, want struct {
		EvaluationInterval string `yaml:"evaluation_interval"`
		Tests              []any  `yaml:"tests"`
	}
	load(tests, &got)
	load(exTests, &want)
	if len(got.Tests) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("the tests differ from the tests of %s", example)
	}
	var ours, theirs struct {
		Groups []map[string]any `yaml:"groups"`
	}
	load(rules, &ours)
	load(exRules, &theirs)
	for _, g := range ours.Groups {
		found := false
		for _, h := range theirs.Groups {
			found = found || reflect.DeepEqual(g, h)
		}
		if !found {
			t.Errorf("rule group %v is not in the rules of %s", g["name"], example)
		}
	}
}

// TestGenerateTestsOfAWeekPassPromtool generates rules and tests from the
// example OpenSLO spec with 7-day windows: its tests check, at the end of
// the window, that errors spent budget and that errors leaving the window
// give it back, where range selectors that include their start
// (Prometheus 2) and those that do not (Prometheus 3) differ.
func TestGenerateTestsOfAWeekPassPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays a week of tiers in promtool per engine")
	}
	src, err := os.ReadFile("../../examples/specs/openslo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("duration: 28d", "duration: 7d", "duration: 2w", "duration: 7d").Replace(string(src))
	if strings.Count(text, "duration: 7d") != 2 {
		t.Fatalf("the example spec no longer has two windows to shorten:\n%s", text)
	}
	dir := t.TempDir()
	spec := filepath.Join(dir, "week.yaml")
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, tests := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "rules.tests.yml")
	if code, _, stderr := cli(t, "generate", "-o", rules, "-tests", tests, spec); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	promtoolRun(t, dir, "test", "rules", tests)
}
