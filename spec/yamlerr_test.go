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
