package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// problems keeps the lines of a command's standard error that report a
// problem, leaving out warnings and usage.
func problems(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if line == "" || strings.Contains(line, "warning:") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// agree runs validate and generate on path with the extra flags and fails
// the test unless both accept it, or both reject it with the same lines.
// It returns whether they accepted it.
func agree(t *testing.T, path string, flags ...string) bool {
	t.Helper()
	vcode, _, verr := cli(t, append(append([]string{"validate", "-q"}, flags...), path)...)
	gcode, _, gerr := cli(t, append(append([]string{"generate", "-o", filepath.Join(t.TempDir(), "rules.yml")}, flags...), path)...)
	if vcode != gcode {
		t.Errorf("%s %v: validate exits %d, generate exits %d\nvalidate: %s\ngenerate: %s", path, flags, vcode, gcode, verr, gerr)
		return false
	}
	if vp, gp := problems(verr), problems(gerr); strings.Join(vp, "\n") != strings.Join(gp, "\n") {
		t.Errorf("%s %v: validate and generate report different problems\nvalidate:\n%s\ngenerate:\n%s", path, flags, strings.Join(vp, "\n"), strings.Join(gp, "\n"))
	}
	return vcode == exitOK
}

// rawSpec is a Sloth spec whose SLI is the error ratio query q.
func rawSpec(q string) string {
	return `version: prometheus/v1
service: shop
slos:
  - name: a
    objective: 99
    sli:
      raw:
        error_ratio_query: ` + q + "\n"
}

// groupedSpec is a native spec whose SLO has the group_by line by and the
// ratio SLI with the errors selector errs.
func groupedSpec(by, errs string) string {
	return `version: slo/v1
service: shop
labels:
  team: web
slos:
  - name: a
    objective: 99%
    group_by: ` + by + `
    sli:
      ratio:
        errors: ` + errs + `
        total: t_total
`
}

// TestValidateAgreesWithGenerate runs both commands on specs that the two
// used to judge differently.
func TestValidateAgreesWithGenerate(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		flags      []string
		ok         bool
		problem    string // a problem line must contain it
	}{
		{
			name: "label alertstate is reserved",
			spec: `version: slo/v1
service: shop
labels:
  alertstate: x
slos:
  - name: a
    objective: 99%
    sli:
      ratio:
        errors: e_total
        total: t_total
`,
			problem: `agree.yaml:4: labels.alertstate: "alertstate" is reserved`,
		},
		{
			name: "Sloth alert name with a colon",
			spec: `version: prometheus/v1
service: shop
slos:
  - name: a
    objective: 99
    sli:
      events:
        error_query: sum(rate(e_total[{{.window}}]))
        total_query: sum(rate(t_total[{{.window}}]))
    alerting:
      name: Shop:Burn
`,
			ok: true,
		},
		{
			name: "histogram_fraction is in Prometheus 2.42",
			spec: rawSpec(`1 - histogram_fraction(0, 0.3, sum(rate(d[{{.window}}])))`),
			ok:   true,
		},
		{
			name:    "histogram_avg is not in Prometheus 2",
			spec:    rawSpec("histogram_avg(sum(rate(d[{{.window}}])))"),
			problem: `agree.yaml:4: slo "a": sli.error_ratio_query: function histogram_avg is not in Prometheus 2.42 (target prometheus-2); Prometheus 3 (target prometheus-3) has it`,
		},
		{
			name:  "histogram_avg with target prometheus-3",
			spec:  rawSpec("histogram_avg(sum(rate(d[{{.window}}])))"),
			flags: []string{"-target", "prometheus-3"},
			ok:    true,
		},
		{
			name:    "holt_winters is gone from Prometheus 3",
			spec:    rawSpec(`holt_winters(sum(rate(d[{{.window}}]))[1h:], 0.5, 0.5)`),
			flags:   []string{"--target", "prometheus-3"},
			problem: `unknown function with name "holt_winters"`,
		},
		{
			name: "grouped by route and tenant",
			spec: groupedSpec("[route, tenant]", `e_total{code=~"5.."}`),
			ok:   true,
		},
		{
			name:    "group label aggregated away: the selector excludes it",
			spec:    groupedSpec("[route]", `e_total{route=""}`),
			problem: `agree.yaml:8: slo "a": slos[0].group_by: the selector e_total{route=""} excludes group label "route"`,
		},
		{
			name:    "empty group_by",
			spec:    groupedSpec("[]", "e_total"),
			problem: `agree.yaml:8: slo "a": slos[0].group_by: is empty`,
		},
		{
			name:    "duplicate group label",
			spec:    groupedSpec("[route, route]", "e_total"),
			problem: `agree.yaml:8: slo "a": slos[0].group_by[1]: "route" is given twice`,
		},
		{
			name:    "reserved group label",
			spec:    groupedSpec("[severity]", "e_total"),
			problem: `agree.yaml:8: slo "a": slos[0].group_by[0]: "severity" is reserved`,
		},
		{
			name:    "group label that is also a fixed label",
			spec:    groupedSpec("[team]", "e_total"),
			problem: `agree.yaml:8: slo "a": slos[0].group_by[0]: "team" is also a fixed label`,
		},
		{
			name: "RatioTimeslices validates and generates",
			spec: `apiVersion: openslo/v1
kind: SLO
metadata:
  name: a
spec:
  service: shop
  budgetingMethod: RatioTimeslices
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: a
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: good_total
        total:
          metricSource:
            type: Prometheus
            spec:
              query: total_total
  objectives:
    - target: 0.99
      timeSliceWindow: 5m
`,
			ok: true,
		},
		{
			name:    "time slices that do not divide the window",
			spec:    "version: slo/v1\nservice: shop\nslos:\n  - name: a\n    objective: 99%\n    window: 1h\n    time_slices: {window: 7m, target: 95%}\n    sli: {in_process: {}}\n",
			problem: `agree.yaml:7: slo "a": slos[0].time_slices.window: 7m0s does not divide the window 1h0m0s into whole slices`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agree.yaml")
			if err := os.WriteFile(path, []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			ok := agree(t, path, tc.flags...)
			if ok != tc.ok {
				t.Errorf("accepted = %v, want %v", ok, tc.ok)
			}
			if tc.problem != "" {
				_, _, stderr := cli(t, append(append([]string{"validate"}, tc.flags...), path)...)
				if !strings.Contains(stderr, tc.problem) {
					t.Errorf("validate says:\n%s\nwant a line containing %q", stderr, tc.problem)
				}
			}
		})
	}
}

// TestValidateAgreesWithGenerateOnEveryCorpusFile runs both commands, for
// both targets, on every example spec and every spec of the test corpora.
func TestValidateAgreesWithGenerateOnEveryCorpusFile(t *testing.T) {
	paths, err := filepath.Glob("../../examples/specs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example specs: %v", err)
	}
	more, _ := filepath.Glob("../../spec/testdata/*.yaml")
	paths = append(paths, more...)
	corpus, _ := filepath.Glob("../../spec/testdata/fuzz/FuzzLoad/*")
	if len(corpus) == 0 {
		t.Fatal("no fuzz corpus")
	}
	dir := t.TempDir()
	for _, c := range corpus {
		data, err := readCorpusEntry(c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		p := filepath.Join(dir, filepath.Base(c)+".yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	accepted := 0
	for _, p := range paths {
		for _, target := range []string{"prometheus-2", "prometheus-3", "victoriametrics"} {
			if agree(t, p, "-target", target) {
				accepted++
			}
		}
	}
	if accepted == 0 {
		t.Error("no file was accepted: the test checks nothing")
	}
}

// readCorpusEntry reads a Go fuzz corpus file holding one []byte value.
func readCorpusEntry(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitN(strings.TrimSpace(string(data)), "\n", 2)
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil, os.ErrInvalid
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	return []byte(s), err
}

// TestValidateSumsUpTheGroups checks that the summary of a grouped SLO
// names its group labels.
func TestValidateSumsUpTheGroups(t *testing.T) {
	code, stdout, stderr := cli(t, "validate", "../../examples/specs/grouped.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"SLI ratio by route (slo/v1)", "SLI latency by route, tenant (slo/v1)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate says:\n%s\nwant a line containing %q", stdout, want)
		}
	}
}
