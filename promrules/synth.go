package promrules

import (
	"errors"
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/slo-budget-tracker/slo/spec"
)

// traffic is how a generated test feeds an SLI: two counters whose values
// the rules' queries turn back into errors and events.
type traffic struct {
	counted labels.Labels // series counting errors (kindErrors) or good events (kindGood)
	rest    labels.Labels // the other series
	// restIsTotal: rest counts every event (a metric of its own); otherwise
	// rest counts the events that counted does not, and the SLI's total is
	// the sum of both.
	restIsTotal bool
	good        bool // counted counts good events
	// groups are the label values of a grouped SLO's two test groups: the
	// first burns as each test says, the second stays healthy. Nil for an
	// SLO with one budget.
	groups []map[string]string
}

// newTraffic finds two series that the SLI's queries read as intended.
func newTraffic(p *plan) (*traffic, error) {
	if p.kind == kindRatio {
		return nil, errors.New("an error ratio query cannot be fed synthetic counts")
	}
	total, err := onlySelector("total query", query(p.totalQ, p.grid))
	if err != nil {
		return nil, err
	}
	tr := &traffic{good: p.kind == kindGood}
	var counted []*labels.Matcher
	if tr.good {
		counted, err = onlySelector("good query", query(p.goodQ, p.grid))
	} else {
		counted, err = onlySelector("error query", query(p.errQ, p.grid))
	}
	if err != nil {
		return nil, err
	}
	c, ok := satisfy(counted, nil)
	if !ok {
		return nil, fmt.Errorf("no series matches %v", counted)
	}
	tr.counted = c
	r, ok := satisfy(total, counted)
	if !ok {
		return nil, fmt.Errorf("no series matches %v but not %v", total, counted)
	}
	tr.rest = r
	tr.restIsTotal = !matches(total, c)
	if p.by != nil {
		if tr.groups, err = groupValues(p.by, append(slices.Clone(counted), total...)); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// groupValues picks the label values of two test groups, "burning" and
// "healthy" where the matchers ms allow them.
func groupValues(by []string, ms []*labels.Matcher) ([]map[string]string, error) {
	groups := []map[string]string{{}, {}}
	for _, l := range by {
		var on []*labels.Matcher
		for _, m := range ms {
			if m.Name == l {
				on = append(on, m)
			}
		}
		for i, want := range []string{"burning", "healthy"} {
			v := want
			if !matchesAll(on, v) {
				var avoid *labels.Matcher
				if i == 1 {
					avoid = labels.MustNewMatcher(labels.MatchEqual, l, groups[0][l])
				}
				var ok bool
				if v, ok = pick(on, avoid, true); !ok {
					return nil, fmt.Errorf("the selectors leave group label %s one value: the tests need two groups", l)
				}
			}
			groups[i][l] = v
		}
	}
	return groups, nil
}

// matchesAll reports whether every matcher of ms accepts v.
func matchesAll(ms []*labels.Matcher, v string) bool {
	for _, m := range ms {
		if !m.Matches(v) {
			return false
		}
	}
	return true
}

// onlySelector returns the matchers of the one series selector of q.
func onlySelector(what, q string) ([]*labels.Matcher, error) {
	expr, err := spec.ParseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var sels []*parser.VectorSelector
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			sels = append(sels, vs)
		}
		return nil
	})
	if len(sels) != 1 {
		return nil, fmt.Errorf("%s reads %d series selectors; tests can be generated only for queries that read one", what, len(sels))
	}
	return sels[0].LabelMatchers, nil
}

func matches(ms []*labels.Matcher, lset labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

// satisfy returns a series matching every matcher of want and failing
// some matcher of avoid (when avoid is not nil).
func satisfy(want, avoid []*labels.Matcher) (labels.Labels, bool) {
	byName := map[string][]*labels.Matcher{}
	var names []string
	for _, m := range want {
		if _, ok := byName[m.Name]; !ok {
			names = append(names, m.Name)
		}
		byName[m.Name] = append(byName[m.Name], m)
	}
	slices.Sort(names)
	base := map[string]string{}
	for _, n := range names {
		v, ok := pick(byName[n], nil, n == metricNameLabel)
		if !ok {
			return labels.EmptyLabels(), false
		}
		base[n] = v
	}
	lset := labels.FromMap(base)
	if avoid == nil || !matches(avoid, lset) {
		return lset, matches(want, lset)
	}
	for _, a := range avoid {
		v, ok := pick(byName[a.Name], a, a.Name == metricNameLabel)
		if !ok {
			continue
		}
		alt := map[string]string{}
		for k, val := range base {
			alt[k] = val
		}
		alt[a.Name] = v
		if l := labels.FromMap(alt); matches(want, l) && !matches(avoid, l) {
			return l, true
		}
	}
	return labels.EmptyLabels(), false
}

// pick returns a value that every matcher of ms accepts and avoid (if not
// nil) rejects. The empty value means the label is not set.
func pick(ms []*labels.Matcher, avoid *labels.Matcher, nonEmpty bool) (string, bool) {
	candidates := []string{}
	for _, m := range ms {
		switch m.Type {
		case labels.MatchEqual:
			candidates = append(candidates, m.Value)
		case labels.MatchRegexp:
			if s, ok := regexSample(m.Value); ok {
				candidates = append(candidates, s)
			}
		}
	}
	candidates = append(candidates, "", "200", "ok", "x", "0", "500", "slo_synthetic")
	if avoid != nil && avoid.Type == labels.MatchNotEqual {
		candidates = append(candidates, avoid.Value)
	}
	for _, c := range candidates {
		if nonEmpty && c == "" {
			continue
		}
		ok := true
		for _, m := range ms {
			ok = ok && m.Matches(c)
		}
		if ok && (avoid == nil || !avoid.Matches(c)) {
			return c, true
		}
	}
	return "", false
}

// regexSample returns a string that the fully anchored regular expression
// re matches, when a short one is easy to find.
func regexSample(re string) (string, bool) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !sample(r.Simplify(), &b, 0) {
		return "", false
	}
	return b.String(), true
}

func sample(r *syntax.Regexp, b *strings.Builder, depth int) bool {
	if depth > 50 || b.Len() > 256 {
		return false
	}
	switch r.Op {
	case syntax.OpLiteral:
		b.WriteString(string(r.Rune))
	case syntax.OpCharClass:
		if len(r.Rune) == 0 {
			return false
		}
		b.WriteRune(r.Rune[0])
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpStar, syntax.OpQuest, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
	case syntax.OpCapture, syntax.OpPlus:
		return sample(r.Sub[0], b, depth+1)
	case syntax.OpRepeat:
		for range r.Min {
			if !sample(r.Sub[0], b, depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, s := range r.Sub {
			if !sample(s, b, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		for _, s := range r.Sub {
			mark := b.String()
			if sample(s, b, depth+1) {
				return true
			}
			b.Reset()
			b.WriteString(mark)
		}
		return false
	default:
		return false
	}
	return true
}

// A segment is a stretch of synthetic traffic: steps input steps with total
// events and errors per step; reset restarts the counters at its start.
type segment struct {
	steps         int
	total, errors float64 // events and errors per step
	reset         bool
}

// quantize rounds a per-step count to a multiple of 1/1024. Sums of such
// numbers are exact in float64, so promtool's expansion of a+bxn and ours
// agree to the bit: a counter written as rounded decimals could step back
// by 1e-9 where a segment ends, and rate() would take that for a reset and
// count the whole counter again.
func quantize(x float64) float64 { return math.Round(x*1024) / 1024 }

// values returns the notation of the series counting events of the given
// kind over segs; missing leaves the series out until it first grows.
func values(segs []segment, per func(segment) float64, missing bool) string {
	var b strings.Builder
	num := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	v := 0.0
	started := !missing
	pending := 0 // missing steps not yet written
	if started {
		b.WriteString("0")
	} else {
		pending = 1
	}
	for _, s := range segs {
		inc := quantize(per(s))
		if !started && inc == 0 && !s.reset {
			pending += s.steps
			continue
		}
		if !started {
			started = true
			if pending > 1 {
				b.WriteString("_x" + strconv.Itoa(pending-1) + " ")
			}
			// The counter appears at 0 one step before it grows, as a
			// client library exports it when the label set is first used.
			b.WriteString("0")
		}
		if s.reset {
			v = 0
		}
		b.WriteString(" " + num(v+inc) + "+" + num(inc) + "x" + strconv.Itoa(s.steps-1))
		v += float64(s.steps) * inc
	}
	if !started {
		b.WriteString("_x" + strconv.Itoa(pending))
	}
	return b.String()
}

// metricNameLabel is the label that holds a series' metric name.
const metricNameLabel = "__name__"
