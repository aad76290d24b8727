package promrules

import (
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// functions242 are the PromQL functions of Prometheus 2.42, the oldest
// Prometheus the generated rules support (Debian 12 ships it). Queries that
// call anything newer are rejected at generation time instead of failing
// when Prometheus loads the file.
var functions242 = []string{
	"abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
	"count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
	"delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
	"increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
	"max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
	"present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn",
	"sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
	"sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
}

// promql parses with the upstream parser, limited to the functions of
// Prometheus 2.42.
var promql = func() parser.Parser {
	fns := map[string]*parser.Function{}
	for _, name := range functions242 {
		if f, ok := parser.Functions[name]; ok {
			fns[name] = f
		}
	}
	return parser.NewParser(parser.Options{Functions: fns})
}()

// matrixRanges returns the range of every range selector of expr.
func matrixRanges(expr parser.Expr) []time.Duration {
	var out []time.Duration
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if m, ok := n.(*parser.MatrixSelector); ok {
			out = append(out, m.Range)
		}
		return nil
	})
	return out
}
