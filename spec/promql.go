package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// WindowPlaceholder stands for a range, like 5m or 30d, in SLI query
// templates. It is the placeholder Sloth's specs use.
const WindowPlaceholder = "{{.window}}"

// checkWindow is the range put in place of WindowPlaceholder to check
// that a template parses.
const checkWindow = "5m"

// Expand returns the query template with every WindowPlaceholder replaced
// by window, a PromQL duration like "5m" or "30d".
func Expand(template, window string) string {
	return strings.ReplaceAll(template, WindowPlaceholder, window)
}

// promql is the one PromQL parser of the module: the upstream parser with
// every stable function of the Prometheus version in go.mod. Package
// promrules narrows it to the functions of the version it targets.
var promql = parser.NewParser(parser.Options{})

// ParseQuery parses q, a PromQL expression (not a template), with the
// parser every spec query goes through.
func ParseQuery(q string) (parser.Expr, error) {
	expr, err := promql.ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("not valid PromQL: %w", err)
	}
	return expr, nil
}

// placeholderRE matches the window placeholder however it is spaced.
var placeholderRE = regexp.MustCompile(`\{\{-?\s*\.window\s*-?\}\}`)

// NormalizeTemplate checks a query template and returns it normalized:
// only the window placeholder may appear (spaced in any way, as in
// "{{ .window }}"; it is returned as WindowPlaceholder), it must appear,
// and with a window put in its place the query must parse as PromQL and
// give an instant vector. Errors read as the end of a sentence whose
// subject is the query.
func NormalizeTemplate(q string) (string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return "", fmt.Errorf("is empty; give a PromQL query using %s for the range", WindowPlaceholder)
	}
	if len(q) > maxQueryLen {
		return "", fmt.Errorf("is %d bytes long; the limit is %d", len(q), maxQueryLen)
	}
	q = placeholderRE.ReplaceAllString(q, WindowPlaceholder)
	rest := strings.ReplaceAll(q, WindowPlaceholder, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return "", fmt.Errorf("uses a template action other than %s, the only one allowed", WindowPlaceholder)
	}
	if rest == q {
		return "", fmt.Errorf("does not use %s: the query must take its range from it, like rate(x[%s])", WindowPlaceholder, WindowPlaceholder)
	}
	if err := checkQuery(Expand(q, checkWindow)); err != nil {
		return "", fmt.Errorf("is not valid PromQL (with %s set to %s): %w", WindowPlaceholder, checkWindow, err)
	}
	return q, nil
}

// checkQuery parses q and checks that it gives an instant vector.
func checkQuery(q string) error {
	expr, err := promql.ParseExpr(q)
	if err != nil {
		return err
	}
	if expr == nil {
		return fmt.Errorf("is empty")
	}
	if t := expr.Type(); t != parser.ValueTypeVector {
		return fmt.Errorf("gives a %s; want an instant vector", t)
	}
	return nil
}

// A selector is a plain PromQL series selector: a metric name and label
// matchers, no range, offset or @ modifier.
type selector struct {
	name     string // may be empty when the selector has no name
	matchers []*labels.Matcher
}

// parseSelector reads a plain series selector like
// http_requests_total{job="api",code=~"5.."}.
func parseSelector(s string) (selector, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return selector{}, fmt.Errorf("is empty; give a series selector like http_requests_total{job=\"api\"}")
	}
	if len(s) > maxQueryLen {
		return selector{}, fmt.Errorf("is %d bytes long; the limit is %d", len(s), maxQueryLen)
	}
	if strings.Contains(s, "{{") {
		return selector{}, fmt.Errorf("is a plain series selector, which the tool wraps in rate(): it takes no %s", WindowPlaceholder)
	}
	expr, err := promql.ParseExpr(s)
	if err != nil {
		return selector{}, fmt.Errorf("is not a valid series selector: %w", err)
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok {
		return selector{}, fmt.Errorf("%q is not a plain series selector like http_requests_total{job=\"api\"}: functions, operators and ranges are added by the tool", s)
	}
	if vs.OriginalOffset != 0 || vs.OriginalOffsetExpr != nil || vs.Timestamp != nil || vs.StartOrEnd != 0 || vs.Anchored || vs.Smoothed {
		return selector{}, fmt.Errorf("%q has a modifier (offset, @, anchored or smoothed); give a plain series selector", s)
	}
	sel := selector{name: vs.Name}
	for _, m := range vs.LabelMatchers {
		if m == nil {
			continue
		}
		if m.Name == metricNameLabel && m.Type == labels.MatchEqual && m.Value == vs.Name {
			sel.name = m.Value
			continue
		}
		if m.Name != metricNameLabel && !validLabelName(m.Name) {
			return selector{}, fmt.Errorf("label name %q needs quoting, which is not supported; use letters, digits and _", m.Name)
		}
		sel.matchers = append(sel.matchers, m)
	}
	if sel.name != "" && !validMetricName(sel.name) {
		return selector{}, fmt.Errorf("metric name %q needs quoting, which is not supported; use letters, digits, _ and colons", sel.name)
	}
	return sel, nil
}

// String renders the selector with every label value quoted, so that no
// user string can change the query's structure.
func (s selector) String() string {
	var b strings.Builder
	b.WriteString(s.name)
	if len(s.matchers) > 0 || s.name == "" {
		b.WriteByte('{')
		for i, m := range s.matchers {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m.Name)
			b.WriteString(m.Type.String())
			b.WriteString(strconv.Quote(m.Value))
		}
		b.WriteByte('}')
	}
	return b.String()
}

// with returns a copy of s with the given name and an extra matcher.
func (s selector) with(name string, extra ...*labels.Matcher) selector {
	out := selector{name: name}
	out.matchers = append(append(out.matchers, s.matchers...), extra...)
	return out
}

// rateTemplate wraps a counter selector into the sum of its per-second
// rate over the window, by the group labels when there are any.
func rateTemplate(sel string, by []string) string {
	if len(by) == 0 {
		return "sum(rate(" + sel + "[" + WindowPlaceholder + "]))"
	}
	return "sum by (" + strings.Join(by, ", ") + ") (rate(" + sel + "[" + WindowPlaceholder + "]))"
}

// leRegexp returns a regular expression that matches every way the
// exposition formats in use write the bucket boundary v in an le label:
// plain decimals with any number of leading or trailing zeros ("0.3",
// "0.30", "1", "1.0" - Prometheus 3 writes "1.0" where Prometheus 2 kept
// "1") and scientific notation ("1e-05" from Go and Python clients,
// "1.0E-5" from Java's). It matches no other number, so the selector picks
// exactly the one bucket whatever the client library and Prometheus
// version. v must be finite and positive.
func leRegexp(v float64) string {
	// Plain decimal: integer and fraction digits of the shortest exact form.
	plain := strconv.FormatFloat(v, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(plain, ".")
	var alts []string
	if intPart == "0" {
		intPart = ""
	}
	if frac == "" {
		alts = append(alts, "0*"+intPart+`(\.0*)?`)
	} else {
		alts = append(alts, "0*"+intPart+`\.`+frac+"0*")
	}
	// Scientific: mantissa digits and exponent of the shortest exact form.
	sci := strconv.FormatFloat(v, 'e', -1, 64) // like 3e-01 or 2.5e+00
	mant, exp, _ := strings.Cut(sci, "e")
	first, rest, _ := strings.Cut(mant, ".")
	m := first
	if rest == "" {
		m += `(\.0*)?`
	} else {
		m += `\.` + rest + "0*"
	}
	e, _ := strconv.Atoi(exp)
	switch {
	case e < 0:
		m += "[eE]-0*" + strconv.Itoa(-e)
	case e > 0:
		m += `[eE]\+?0*` + strconv.Itoa(e)
	default:
		m += "[eE][-+]?0+"
	}
	alts = append(alts, m)
	return strings.Join(alts, "|")
}

// metricNameLabel is the label that holds a series' metric name.
const metricNameLabel = "__name__"
