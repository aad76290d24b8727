package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// An sloSelector picks the SLOs the gate checks: those of a name, or with
// label matchers as PromQL writes them, checkout{route="/pay"}, the
// members of a grouped SLO whose labels match.
type sloSelector struct {
	text     string
	name     string
	matchers []*labels.Matcher
}

// selectorParser parses the label matchers of a selector.
var selectorParser = parser.NewParser(parser.Options{})

// parseSLOSelector reads an SLO name, optionally followed by label
// matchers in braces.
func parseSLOSelector(text string) (sloSelector, error) {
	name, rest, braces := strings.Cut(text, "{")
	name = strings.TrimSpace(name)
	sel := sloSelector{text: text, name: name}
	if name == "" {
		return sel, errors.New("no SLO name before the labels")
	}
	if braces {
		ms, err := selectorParser.ParseMetricSelector("{" + rest)
		if err != nil {
			return sel, fmt.Errorf("the labels %s: %w", "{"+rest, err)
		}
		sel.matchers = ms
	}
	return sel, nil
}

// matches reports whether the selector picks s.
func (sel sloSelector) matches(s budgetState) bool {
	if s.SLO != sel.name {
		return false
	}
	for _, m := range sel.matchers {
		if !m.Matches(s.Labels[m.Name]) {
			return false
		}
	}
	return true
}

// sloSelectors is the -slo flag: repeated, or separated with commas that
// are not within a selector's braces.
type sloSelectors []sloSelector

func (l *sloSelectors) String() string {
	texts := make([]string, len(*l))
	for i, s := range *l {
		texts[i] = s.text
	}
	return strings.Join(texts, ",")
}

func (l *sloSelectors) Set(s string) error {
	for _, part := range splitSelectors(s) {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sel, err := parseSLOSelector(part)
		if err != nil {
			return err
		}
		*l = append(*l, sel)
	}
	return nil
}

// splitSelectors splits s at the commas outside braces and quoted label
// values.
func splitSelectors(s string) []string {
	var parts []string
	depth, start := 0, 0
	var quote rune
	escaped := false
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case quote != 0:
			if r == '\\' && quote != '`' {
				escaped = true
			} else if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			if depth > 0 {
				quote = r
			}
		case r == '{':
			depth++
		case r == '}':
			depth = max(depth-1, 0)
		case r == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
