package promrules

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// A Target is the engine and version the generated rules are for. The
// queries of a spec may call only the PromQL functions the target has; any
// other is an error naming the function and the version that has it.
type Target string

// The targets.
const (
	// Prometheus2 is Prometheus 2.x from 2.42 on, the oldest version the
	// generated rules are tested against (Debian 12 ships it). It is the
	// default.
	Prometheus2 Target = "prometheus-2"
	// Prometheus3 is Prometheus 3.x: the stable functions of the PromQL
	// parser in go.mod. Experimental functions, which need a feature flag,
	// are refused.
	Prometheus3 Target = "prometheus-3"
	// VictoriaMetrics is VictoriaMetrics with vmalert, from 1.79 on: the
	// functions of Prometheus 2.42 it has (see missingVM179). Its rate()
	// reads a range and the last sample before it, so the rules read a grid
	// cell or a slice over the step itself (see plan.rangeOf).
	VictoriaMetrics Target = "victoriametrics"
)

// Targets lists the targets, the default first.
func Targets() []Target { return []Target{Prometheus2, Prometheus3, VictoriaMetrics} }

// functions242 are the PromQL functions of Prometheus 2.42, as its promtool
// knows them.
var functions242 = []string{
	"abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
	"count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
	"delta", "deriv", "exp", "floor", "histogram_count", "histogram_fraction",
	"histogram_quantile", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate",
	"label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "max_over_time",
	"min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
	"quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
	"sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh",
	"time", "timestamp", "vector", "year",
}

// missingVM179 are the functions of Prometheus 2.42 that VictoriaMetrics
// 1.79 does not know (its query API answers "unknown func").
var missingVM179 = []string{"day_of_year", "histogram_count", "histogram_fraction", "histogram_sum"}

// has reports whether the target has the function name, stable.
func (t Target) has(name string) bool {
	switch t {
	case Prometheus2:
		return slices.Contains(functions242, name)
	case VictoriaMetrics:
		return slices.Contains(functions242, name) && !slices.Contains(missingVM179, name)
	}
	f, ok := parser.Functions[name]
	return ok && !f.Experimental
}

// describe names the target's version for messages.
func (t Target) describe() string {
	switch t {
	case Prometheus2:
		return "Prometheus 2.42 (target " + string(t) + ")"
	case VictoriaMetrics:
		return "VictoriaMetrics 1.79 (target " + string(t) + ")"
	}
	return "Prometheus 3 (target " + string(t) + ")"
}

// checkFunctions returns an error naming the first function of expr that
// the target lacks, and a target or feature that has it. Functions that
// Prometheus 3 removed (holt_winters) are unknown to the parser in go.mod,
// so no query reaches this check with them.
func (t Target) checkFunctions(expr parser.Expr) error {
	var err error
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		call, ok := n.(*parser.Call)
		if !ok || call.Func == nil || err != nil || t.has(call.Func.Name) {
			return nil
		}
		name := call.Func.Name
		if call.Func.Experimental {
			err = fmt.Errorf("function %s is not in %s: it is experimental in Prometheus 3 and needs --enable-feature=promql-experimental-functions, which the rules do not assume", name, t.describe())
		} else {
			err = fmt.Errorf("function %s is not in %s; %s has it", name, t.describe(), Prometheus3.describe())
		}
		return nil
	})
	return err
}
