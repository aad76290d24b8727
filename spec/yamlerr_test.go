package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestYAMLSyntaxErrorsPointAtTheProblem checks the line and column of
// syntax errors against where a reader finds the mistake.
func TestYAMLSyntaxErrorsPointAtTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		line, col  int
		msgContain string
	}{
		{"unclosed flow mapping", "version: slo/v1\nservice: s\nslos:\n  - name: a\n    objective: 99%\n    labels: {team: x\n    sli: {in_process: }\n", 6, 13, "not closed"},
		{"unclosed flow sequence on line 2", "version: slo/v1\nservice: [a, b\n", 2, 10, "not closed"},
		{"unclosed flow mapping on line 1", "{version: slo/v1\n", 1, 1, "not closed"},
		{"misindented key in a list item", "version: slo/v1\nservice: s\nslos:\n  - name: a\n   objective: [\n", 5, 4, "did not find expected"},
		{"bad indentation", "version: slo/v1\nservice: s\n  bad: indent\n", 3, 0, "mapping values are not allowed"},
		{"tab in indentation", "version: slo/v1\nservice: s\n\tslos: x\n", 3, 1, "tab"},
		{"unterminated quote", "version: slo/v1\nservice: \"unterminated\n", 2, 10, "end of stream"},
		{"sequence item in a mapping", "version: slo/v1\nservice: s\n- c\n", 3, 1, "did not find expected key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("f.yaml", []byte(tc.in))
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("got %v, want one error", err)
			}
			e := list[0]
			if e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Problem, tc.msgContain) {
				t.Errorf("got %q (line %d, column %d), want line %d, column %d, mentioning %q", e, e.Line, e.Column, tc.line, tc.col, tc.msgContain)
			}
		})
	}
}

// TestOpenSLOAnnotationsGoOnTheAlerts checks that an OpenSLO SLO's
// metadata.annotations are used (on every alert), not read and dropped,
// and that a name Prometheus cannot carry is refused.
func TestOpenSLOAnnotationsGoOnTheAlerts(t *testing.T) {
	doc := func(key string) string {
		return `apiVersion: openslo/v1
kind: SLO
metadata:
  name: a
  annotations:
    ` + key + `: https://example.com/runbook
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  indicator:
    metadata: {name: a}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: good_total}}}
        total: {metricSource: {type: Prometheus, spec: {query: total_total}}}
  objectives: [{target: 0.99}]
`
	}
	f, err := LoadBytes("o.yaml", []byte(doc("runbook_url")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.SLOs[0].Alerting.Annotations["runbook_url"]; got != "https://example.com/runbook" {
		t.Errorf("alert annotations %v, want runbook_url", f.SLOs[0].Alerting.Annotations)
	}
	_, err = LoadBytes("o.yaml", []byte(doc("example.com/runbook")))
	if err == nil || !strings.Contains(err.Error(), `o.yaml:6: slo "a": metadata.annotations.example.com/runbook: "example.com/runbook" is not a valid annotation name`) {
		t.Errorf("got %v, want the annotation name refused", err)
	}
}
