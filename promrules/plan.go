package promrules

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/slo-budget-tracker/slo"
)

// sliKind is the shape of an SLI.
type sliKind int

const (
	kindErrors sliKind = iota // ErrorQuery / TotalQuery
	kindGood                  // GoodQuery / TotalQuery
	kindRatio                 // ErrorRatioQuery
)

// plan is everything needed to write the rules of one SLO, validated.
type plan struct {
	name, service string
	labels        map[string]string // every label of every series: spec labels, slo, service
	selector      string            // {slo="...",service="...",...}: the SLO's recorded series
	obj           slo.Objective     // defaults applied
	budget        float64           // 1 - target
	method        Method            // effective method
	grid          time.Duration     // MethodExact's grid step
	gridSteps     int               // grid steps in the long window
	windows       []time.Duration   // ratio windows: the grid step and every tier window
	alertFor      time.Duration

	kind                    sliKind
	errQ, goodQ, totalQ, rQ *template.Template
	errSel, totalSel        string // canonical selectors, or ""
	sli                     SLI
	alerting                Alerting
}

// newPlan validates s and returns its plan and warnings.
func newPlan(s SLO, opts Options) (*plan, []string, error) {
	p := &plan{name: s.displayName(), service: s.Service, method: opts.Method, alertFor: opts.For, sli: s.SLI}
	var warnings []string
	if p.name == "" {
		return nil, nil, errors.New("name: must not be empty")
	}
	if !utf8.ValidString(p.name) {
		return nil, nil, errors.New("name: not valid UTF-8")
	}
	if p.service == "" {
		return nil, nil, errors.New("service: must not be empty")
	}
	if !utf8.ValidString(p.service) {
		return nil, nil, fmt.Errorf("service %q: not valid UTF-8", p.service)
	}
	p.labels = map[string]string{}
	for _, k := range sortedKeys(s.Labels) {
		v := s.Labels[k]
		switch {
		case !validLabelName(k):
			return nil, nil, fmt.Errorf("labels: %q is not a label name (want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", k)
		case slices.Contains(reservedLabels, k):
			return nil, nil, fmt.Errorf("labels: %q is set by the generator; choose another name", k)
		case v == "":
			return nil, nil, fmt.Errorf("labels: %q has an empty value, which Prometheus treats as no label", k)
		case !utf8.ValidString(v):
			return nil, nil, fmt.Errorf("labels: the value of %q is not valid UTF-8", k)
		}
		p.labels[k] = v
	}
	p.labels["slo"] = p.name
	p.labels["service"] = p.service
	p.selector = selector("", p.labels)
	if err := checkAlerting(s.Alerting); err != nil {
		return nil, nil, err
	}
	p.alerting = s.Alerting

	o := s.Objective
	o.Name = p.name
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, nil, fmt.Errorf("objective: %w", err)
	}
	p.obj = o
	p.budget = 1 - o.Target
	if err := wholeMillis("window", o.Window); err != nil {
		return nil, nil, err
	}
	for i, t := range o.Tiers {
		if err := wholeMillis(fmt.Sprintf("tiers[%d].long_window", i), t.LongWindow); err != nil {
			return nil, nil, err
		}
		if err := wholeMillis(fmt.Sprintf("tiers[%d].short_window", i), t.ShortWindow); err != nil {
			return nil, nil, err
		}
		if t.Severity == "" || !utf8.ValidString(string(t.Severity)) {
			return nil, nil, fmt.Errorf("tiers[%d].severity %q: want a non-empty UTF-8 string such as page or ticket", i, t.Severity)
		}
		if t.Factor*p.budget > 1 {
			warnings = append(warnings, fmt.Sprintf("alert tier %s can never fire: a burn rate of %s needs an error ratio of %s, more than every event failing",
				t, formatFloat(t.Factor), formatFloat(t.Factor*p.budget)))
		}
	}

	if err := p.parseSLI(s.SLI); err != nil {
		return nil, nil, err
	}
	if p.kind == kindRatio {
		if p.method == MethodExact {
			warnings = append(warnings, "the SLI gives only an error ratio query, so errors and events cannot be weighted: the long window falls back to the average of 5-minute ratios (method ratio-average), an approximation")
		}
		p.method = MethodRatioAverage
		if o.MinEvents > 0 {
			warnings = append(warnings, "min_events is ignored: an error ratio query does not count events")
		}
	}

	p.grid = opts.Grid
	if p.grid == 0 {
		p.grid = defaultGrid(o.Window)
	}
	p.gridSteps = int(o.Window / p.grid)
	if p.gridSteps < 1 {
		return nil, nil, fmt.Errorf("grid %s is longer than the window %s", promDuration(p.grid), promDuration(o.Window))
	}
	if p.method == MethodExact && time.Duration(p.gridSteps)*p.grid != o.Window {
		warnings = append(warnings, fmt.Sprintf("the window %s is not a multiple of the grid %s: the long window covers %s",
			promDuration(o.Window), promDuration(p.grid), promDuration(time.Duration(p.gridSteps)*p.grid)))
	}
	ws := []time.Duration{p.grid}
	for _, t := range o.Tiers {
		ws = append(ws, t.LongWindow, t.ShortWindow)
	}
	slices.Sort(ws)
	p.windows = slices.Compact(ws)
	return p, warnings, nil
}

// defaultGrid is 5m, coarser for windows over 30 days so that a window holds
// at most 8,640 steps, finer for windows under an hour so it holds 12.
func defaultGrid(window time.Duration) time.Duration {
	g := 5 * time.Minute
	if steps := 8640 * g; window > steps {
		g = (window + 8640*time.Minute - 1) / (8640 * time.Minute) * time.Minute
	}
	if window < 12*g {
		g = max((window / 12).Truncate(time.Second), time.Second)
	}
	return g
}

func wholeMillis(field string, d time.Duration) error {
	if d <= 0 || d%time.Millisecond != 0 {
		return fmt.Errorf("%s %v: want a positive whole number of milliseconds", field, d)
	}
	return nil
}

// parseSLI checks the queries of an SLI and compiles their templates.
func (p *plan) parseSLI(sli SLI) error {
	var err error
	switch {
	case sli.ErrorRatioQuery != "":
		if sli.ErrorQuery != "" || sli.GoodQuery != "" || sli.TotalQuery != "" {
			return errors.New("sli: error_ratio_query excludes the other queries")
		}
		p.kind = kindRatio
		p.rQ, err = compileQuery("sli.error_ratio_query", sli.ErrorRatioQuery)
	case sli.TotalQuery == "":
		return errors.New("sli: want error and total queries, good and total queries, or an error ratio query")
	case sli.ErrorQuery != "" && sli.GoodQuery != "":
		return errors.New("sli: give an error query or a good query, not both")
	case sli.ErrorQuery != "":
		p.kind = kindErrors
		if p.errQ, err = compileQuery("sli.error_query", sli.ErrorQuery); err == nil {
			p.totalQ, err = compileQuery("sli.total_query", sli.TotalQuery)
		}
	case sli.GoodQuery != "":
		p.kind = kindGood
		if p.goodQ, err = compileQuery("sli.good_query", sli.GoodQuery); err == nil {
			p.totalQ, err = compileQuery("sli.total_query", sli.TotalQuery)
		}
	default:
		return errors.New("sli: a total query needs an error query or a good query")
	}
	if err != nil {
		return err
	}
	if (sli.ErrorSelector == "") != (sli.TotalSelector == "") {
		return errors.New("sli: give both error_selector and total_selector, or neither")
	}
	if sli.ErrorSelector != "" {
		if p.kind == kindRatio {
			return errors.New("sli: selectors cannot be combined with an error ratio query")
		}
		if p.errSel, err = canonicalSelector("sli.error_selector", sli.ErrorSelector); err != nil {
			return err
		}
		if p.totalSel, err = canonicalSelector("sli.total_selector", sli.TotalSelector); err != nil {
			return err
		}
	}
	return nil
}

// compileQuery parses a query template and checks that it has the window
// placeholder and renders PromQL returning an instant vector.
func compileQuery(field, text string) (*template.Template, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%s: not valid UTF-8", field)
	}
	t, err := template.New(field).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid template: %w", field, err)
	}
	a, err := execQuery(t, "5m")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	b, err := execQuery(t, "7m")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if a == b {
		return nil, fmt.Errorf("%s %q: has no {{.window}} placeholder, so every window would give the same ratio", field, text)
	}
	expr, err := promql.ParseExpr(a)
	if err != nil {
		return nil, fmt.Errorf("%s %q: not valid PromQL with {{.window}} = 5m: %w", field, text, err)
	}
	if expr.Type() != parser.ValueTypeVector {
		return nil, fmt.Errorf("%s %q: returns a %s, want an instant vector", field, text, expr.Type())
	}
	return t, nil
}

func execQuery(t *template.Template, window string) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, map[string]string{"window": window}); err != nil {
		return "", fmt.Errorf("expanding the template: %w", err)
	}
	return b.String(), nil
}

// canonicalSelector parses a plain series selector and prints it back.
func canonicalSelector(field, text string) (string, error) {
	expr, err := promql.ParseExpr(text)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", field, text, err)
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok || vs.OriginalOffset != 0 || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		return "", fmt.Errorf("%s %q: want a plain series selector such as http_requests_total{code=~\"5..\"}", field, text)
	}
	return vs.String(), nil
}

// query renders a template for a window; templates were checked by
// compileQuery, so an error here is a bug.
func query(t *template.Template, w time.Duration) string {
	s, err := execQuery(t, promWindow(w))
	if err != nil {
		panic(fmt.Sprintf("promrules: template checked earlier failed: %v", err))
	}
	return s
}

// selector returns name{k="v",...} with the labels sorted and their values
// quoted as PromQL (and Prometheus itself) quote them.
func selector(name string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, k := range sortedKeys(labels) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// promDuration formats d in the largest unit that divides it: 5m, 1h, 3d,
// 70s, 1008m, 1500ms. Such names stay valid in metric names and readable.
func promDuration(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}}
	for _, u := range units {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}

// promWindow formats the range of a selector: in one unit when a whole
// number of seconds or larger units, else compound (5m1ms).
func promWindow(d time.Duration) string {
	if d%time.Second == 0 {
		return promDuration(d)
	}
	return promRange(d)
}

// promRange formats d as a compound duration, largest unit first: 29d23h57m30s.
func promRange(d time.Duration) string {
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.d
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// formatFloat prints a float the way the rules show it: decimal, rounded to
// 12 significant digits so that 1 - 0.999 reads 0.001 and 2592000 stays so.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', 12, 64)
	g, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(g, 'f', -1, 64)
}

// checkAlerting validates the alert metadata of an SLO.
func checkAlerting(a Alerting) error {
	if a.Name != "" && !validLabelName(a.Name) {
		return fmt.Errorf("alerting.name: %q is not a valid alert name (want [a-zA-Z_][a-zA-Z0-9_]*)", a.Name)
	}
	for _, m := range []struct {
		field        string
		values       map[string]string
		label, sevOK bool
	}{
		{"alerting.labels", a.Labels, true, false},
		{"alerting.page_labels", a.PageLabels, true, true},
		{"alerting.ticket_labels", a.TicketLabels, true, true},
		{"alerting.annotations", a.Annotations, false, false},
		{"alerting.page_annotations", a.PageAnnotations, false, false},
		{"alerting.ticket_annotations", a.TicketAnnotations, false, false},
	} {
		for _, k := range sortedKeys(m.values) {
			v := m.values[k]
			switch {
			case !validLabelName(k):
				return fmt.Errorf("%s: %q is not a valid name (want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", m.field, k)
			case m.label && slices.Contains(reservedLabels, k) && !(m.sevOK && k == "severity"):
				return fmt.Errorf("%s: %q is set by the generator; choose another name", m.field, k)
			case m.label && v == "":
				return fmt.Errorf("%s: %q has an empty value, which Prometheus treats as no label", m.field, k)
			case !utf8.ValidString(v):
				return fmt.Errorf("%s: the value of %q is not valid UTF-8", m.field, k)
			}
		}
	}
	return nil
}

// alertName is the name of an alert of the SLO: the spec's name for the
// burn alerts when it gives one.
func (p *plan) alertName(kind string) string {
	if kind == AlertBurn && p.alerting.Name != "" {
		return p.alerting.Name
	}
	return kind
}

// alertLabels returns every label of an alert of the given kind: the SLO's
// labels, the generator's (tier and severity in extra; ticket for the
// exhausted and absent alerts), then the spec's alert labels, the ones of
// the burn alert's severity last.
func (p *plan) alertLabels(kind string, extra map[string]string) map[string]string {
	ls := maps.Clone(p.labels)
	maps.Copy(ls, extra)
	if kind != AlertBurn {
		ls["severity"] = string(slo.SeverityTicket)
	}
	maps.Copy(ls, p.alerting.Labels)
	if kind == AlertBurn {
		switch slo.Severity(extra["severity"]) {
		case slo.SeverityPage:
			maps.Copy(ls, p.alerting.PageLabels)
		case slo.SeverityTicket:
			maps.Copy(ls, p.alerting.TicketLabels)
		}
	}
	return ls
}

// alertAnnotations returns the generated annotations of an alert with the
// spec's on top, the ones of the burn alert's severity last.
func (p *plan) alertAnnotations(kind string, severity slo.Severity, generated map[string]string) map[string]string {
	as := maps.Clone(generated)
	maps.Copy(as, p.alerting.Annotations)
	if kind == AlertBurn {
		switch severity {
		case slo.SeverityPage:
			maps.Copy(as, p.alerting.PageAnnotations)
		case slo.SeverityTicket:
			maps.Copy(as, p.alerting.TicketAnnotations)
		}
	}
	return as
}
