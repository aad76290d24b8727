package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// CheckKeepsGroups returns an error when the query expr may give series
// without one of the group labels by: an aggregation that does not keep
// them all (sum(...), sum by (code), sum without (route)), a one-to-one
// vector match on labels without them (on (code), ignoring (route)), or a
// selector whose matchers exclude the label (route=""). A selector that
// pins a group label to a value keeps it. Parts of the query that only
// filter or give a scalar (the right side of and or unless, an argument
// of scalar()) may drop the labels.
func CheckKeepsGroups(expr parser.Expr, by []string) error {
	if len(by) == 0 || expr == nil {
		return nil
	}
	return keepsGroups(expr, by)
}

func keepsGroups(expr parser.Expr, by []string) error {
	switch e := expr.(type) {
	case *parser.VectorSelector:
		for _, m := range e.LabelMatchers {
			if m != nil && slices.Contains(by, m.Name) && excludes(m) {
				return fmt.Errorf("the selector %s excludes group label %q: its series have no %s", e, m.Name, m.Name)
			}
		}
		return nil
	case *parser.MatrixSelector:
		return keepsGroups(e.VectorSelector, by)
	case *parser.ParenExpr:
		return keepsGroups(e.Expr, by)
	case *parser.UnaryExpr:
		return keepsGroups(e.Expr, by)
	case *parser.StepInvariantExpr:
		return keepsGroups(e.Expr, by)
	case *parser.SubqueryExpr:
		return keepsGroups(e.Expr, by)
	case *parser.AggregateExpr:
		switch e.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
			// These select series and keep their labels.
		default:
			for _, l := range by {
				if slices.Contains(e.Grouping, l) == e.Without {
					return fmt.Errorf("%s aggregates away group label %q; keep it with by (%s)", shortAgg(e), l, strings.Join(by, ", "))
				}
			}
		}
		return keepsGroups(e.Expr, by)
	case *parser.BinaryExpr:
		lhsVec := e.LHS.Type() == parser.ValueTypeVector
		rhsVec := e.RHS.Type() == parser.ValueTypeVector
		if lhsVec && rhsVec && e.VectorMatching != nil && !e.Op.IsSetOperator() && e.VectorMatching.Card == parser.CardOneToOne {
			for _, l := range by {
				if slices.Contains(e.VectorMatching.MatchingLabels, l) != e.VectorMatching.On {
					kw := "ignoring"
					if e.VectorMatching.On {
						kw = "on"
					}
					return fmt.Errorf("the match %s (%s) aggregates away group label %q", kw, strings.Join(e.VectorMatching.MatchingLabels, ", "), l)
				}
			}
		}
		if err := keepsVector(e.LHS, by); err != nil {
			return err
		}
		if e.Op == parser.LAND || e.Op == parser.LUNLESS {
			return nil // the right side only filters
		}
		return keepsVector(e.RHS, by)
	case *parser.Call:
		if e.Func != nil && e.Func.Name == "scalar" {
			return nil
		}
		for _, a := range e.Args {
			if err := keepsVector(a, by); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

// keepsVector checks an operand that gives a vector or a range; scalars
// and strings carry no labels.
func keepsVector(expr parser.Expr, by []string) error {
	if t := expr.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeMatrix {
		return nil
	}
	return keepsGroups(expr, by)
}

// excludes reports whether m matches only series without its label.
func excludes(m *labels.Matcher) bool {
	return m.Matches("") && !m.Matches("x") && !m.Matches("/") && !m.Matches("0")
}

// shortAgg prints an aggregation's operator and grouping, like sum by
// (code), or the whole aggregation when it has no grouping.
func shortAgg(e *parser.AggregateExpr) string {
	if len(e.Grouping) == 0 && !e.Without {
		return e.String()
	}
	kw := "by"
	if e.Without {
		kw = "without"
	}
	return fmt.Sprintf("%s %s (%s)", e.Op, kw, strings.Join(e.Grouping, ", "))
}
