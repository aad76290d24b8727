package promrules

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo/spec"
)

// A Method is how the error ratio over the whole SLO window is computed.
type Method string

// The methods for the long window.
const (
	// MethodExact sums errors and events recorded on a non-overlapping
	// grid and divides the sums: the traffic-weighted ratio. The grid's
	// cells of the window's last block (1/720 of the window, a whole
	// number of cells: an hour of a 30-day window) are summed one by one;
	// older ones in blocks summed once when the block is complete, so an
	// evaluation reads about 2 x 720 samples, and an event leaves the
	// window up to one block late.
	MethodExact Method = "exact"
	// MethodGrid sums every grid cell of the window (2 x 8,640 samples per
	// evaluation for 30 days): events leave the window on time, and an
	// evaluation the server misses costs one cell, not a block.
	MethodGrid Method = "grid"
	// MethodRatioAverage averages the 5-minute error ratio over the
	// window with avg_over_time: an approximation that weighs every
	// minute alike, whatever its traffic.
	MethodRatioAverage Method = "ratio-average"
)

// A Format is the shape of the generated file.
type Format string

// The output formats.
const (
	// FormatRules is a Prometheus rule file (groups: ...).
	FormatRules Format = "rules"
	// FormatPrometheusOperator is a PrometheusRule custom resource of the
	// Prometheus Operator wrapping the same groups.
	FormatPrometheusOperator Format = "prometheus-operator"
	// FormatGrafana is a Grafana dashboard (its JSON model) over the series
	// the rules record: a row per SLO with the budget left, the burn rate
	// over every alert window, the error ratio and the firing alerts.
	FormatGrafana Format = "grafana"
)

// Options tune the generated rules. The zero value is usable.
type Options struct {
	// Target is the engine the rules are for; empty means Prometheus2.
	Target Target
	// Method computes the long window; empty means MethodExact.
	Method Method
	// Format of the output; empty means FormatRules.
	Format Format
	// Grid is the step of the non-overlapping grid of MethodExact and
	// MethodGrid. Zero
	// picks 5m, coarser for windows longer than 30 days (so a window never
	// holds more than 8,640 steps) and finer for windows shorter than an
	// hour (so it holds at least 12).
	Grid time.Duration
	// ScrapeInterval is how often the SLI's counters are scraped; zero
	// means DefaultScrapeInterval. A range the rules read with rate() that
	// is shorter than two scrape intervals (an alert window, the grid step
	// or a time slice) gets a warning: Prometheus has no result over it.
	ScrapeInterval time.Duration
	// For is the for: duration of the SLOErrorBudgetBurn alerts; zero
	// fires on the first evaluation that meets the condition.
	For time.Duration
	// Name and Namespace are the metadata of the PrometheusRule resource
	// (FormatPrometheusOperator only). Name defaults to "slo-rules".
	Name, Namespace string
	// ResourceLabels are the labels of the PrometheusRule resource, for
	// example the ones the operator's ruleSelector matches.
	ResourceLabels map[string]string
}

// A Result is a generated rule file and what the generator noticed.
type Result struct {
	// Rules is the generated file: YAML rules, or the dashboard's JSON
	// for FormatGrafana.
	Rules []byte
	// Warnings are problems that do not stop generation, such as a tier
	// that can never fire or an SLI that allows only the average method,
	// each naming the file, line and SLO like an error does.
	Warnings []string
}

// absentFor is how long SLOMetricsAbsent waits before firing: long enough
// to ride out a missed scrape, short enough to notice a renamed metric.
const absentFor = 10 * time.Minute

// Check plans the rules of slos as Generate does, without writing them:
// it accepts exactly what Generate accepts, with the same errors and
// warnings. slo validate runs it.
func Check(slos []spec.SLO, opts Options) (warnings []string, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	_, warnings, err = planAll(slos, opts)
	return warnings, err
}

// Generate returns the recording and alerting rules for slos, in their
// order. The same input gives the same bytes. Every expression is parsed by
// the upstream PromQL parser before it is written; an SLO that cannot be
// represented is a spec.ErrorList naming the file, line, SLO and field of
// every problem.
func Generate(slos []spec.SLO, opts Options) (*Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	plans, warnings, err := planAll(slos, opts)
	if err != nil {
		return nil, err
	}
	var out []byte
	if opts.Format == FormatGrafana {
		out, err = grafanaDashboard(plans)
	} else {
		out, err = write(plans, opts)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Rules: out, Warnings: warnings}, nil
}

// write builds the rules of each plan in turn and streams them out with a
// ruleWriter, so that only one SLO's rules are in memory at a time. When
// the writer meets a key or value it leaves to yaml.v3 (ruleWriter.odd),
// the whole document is encoded with yaml.v3 instead.
func write(plans []*plan, opts Options) ([]byte, error) {
	w := newRuleWriter(opts, len(plans) == 0, len(plans)*bytesPerSLO)
	for _, p := range plans {
		gs, err := p.groups()
		if err != nil {
			return nil, fmt.Errorf("SLO %q: %w", p.name, err)
		}
		for _, g := range gs {
			w.group(g)
		}
		if w.odd {
			break
		}
	}
	if !w.odd {
		return w.finish(), nil
	}
	var groups []ruleGroup
	for _, p := range plans {
		gs, err := p.groups()
		if err != nil {
			return nil, fmt.Errorf("SLO %q: %w", p.name, err)
		}
		groups = append(groups, gs...)
	}
	return render(groups, opts)
}

// bytesPerSLO is about the size of one SLO's rules, to size the output.
const bytesPerSLO = 24 << 10

func (o Options) withDefaults() (Options, error) {
	for _, err := range []error{
		oneOf("target", &o.Target, Targets()...),
		oneOf("method", &o.Method, MethodExact, MethodGrid, MethodRatioAverage),
		oneOf("format", &o.Format, FormatRules, FormatPrometheusOperator, FormatGrafana),
	} {
		if err != nil {
			return o, err
		}
	}
	if o.Grid < 0 || (o.Grid > 0 && o.Grid%time.Second != 0) {
		return o, fmt.Errorf("grid %v: want a positive whole number of seconds", o.Grid)
	}
	if o.ScrapeInterval < 0 {
		return o, fmt.Errorf("scrape interval %v: want a positive duration", o.ScrapeInterval)
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = DefaultScrapeInterval
	}
	if o.For < 0 || o.For%time.Millisecond != 0 {
		return o, fmt.Errorf("for %v: want a non-negative whole number of milliseconds", o.For)
	}
	if o.Name == "" {
		o.Name = "slo-rules"
	}
	if o.Format == FormatPrometheusOperator {
		if err := checkDNSName("name", o.Name); err != nil {
			return o, err
		}
		if o.Namespace != "" {
			if err := checkDNSName("namespace", o.Namespace); err != nil {
				return o, err
			}
		}
		for k, v := range o.ResourceLabels {
			if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
				return o, fmt.Errorf("resource label %q=%q: want non-empty UTF-8", k, v)
			}
		}
	}
	return o, nil
}

// oneOf sets an empty *v to the first allowed value, and returns an error
// naming field when *v is none of them.
func oneOf[T ~string](field string, v *T, allowed ...T) error {
	if *v == "" {
		*v = allowed[0]
	}
	if slices.Contains(allowed, *v) {
		return nil
	}
	want := make([]string, len(allowed))
	for i, a := range allowed {
		want[i] = strconv.Quote(string(a))
	}
	return fmt.Errorf("%s %q: want %s", field, *v, strings.Join(want, " or "))
}

// checkDNSName accepts a Kubernetes object name (RFC 1123 subdomain).
func checkDNSName(field, s string) error {
	ok := len(s) <= 253 && s != ""
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		edge := i == 0 || i == len(s)-1
		if !alnum && (edge || r != '-' && r != '.') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%s %q: want lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", field, s)
	}
	return nil
}

// planAll validates every SLO and works out what to generate for it. The
// errors are a spec.ErrorList, in the order of slos.
func planAll(slos []spec.SLO, opts Options) ([]*plan, []string, error) {
	var (
		plans    []*plan
		warnings []string
		errs     spec.ErrorList
		seen     = map[[2]string]spec.SLO{}
	)
	for _, s := range slos {
		at := func(field, problem string) *spec.Error {
			return &spec.Error{File: s.File, Line: s.Line, SLO: s.Objective.Name, Field: field, Problem: problem}
		}
		p, w, err := newPlan(s, opts)
		if err != nil {
			errs = append(errs, at(err.field, err.problem))
			continue
		}
		key := [2]string{p.service, p.name}
		if first, dup := seen[key]; dup {
			errs = append(errs, at("", fmt.Sprintf("service %q already has an SLO of this name, at %s; names must be unique within a service", p.service, place(first))))
			continue
		}
		seen[key] = s
		plans = append(plans, p)
		for _, msg := range w {
			warnings = append(warnings, at("", msg).Error())
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return plans, warnings, nil
}

// place names where an SLO was defined, like "checkout.yaml:12".
func place(s spec.SLO) string {
	return strings.TrimSuffix((&spec.Error{File: s.File, Line: s.Line}).Error(), ": ")
}

// render encodes the groups with yaml.v3 as a rule file or a
// PrometheusRule resource: the document a ruleWriter reproduces byte for
// byte, and what write falls back to.
func render(groups []ruleGroup, opts Options) ([]byte, error) {
	if groups == nil {
		groups = []ruleGroup{}
	}
	var doc any = ruleFile{Groups: groups}
	if opts.Format == FormatPrometheusOperator {
		meta := objectMeta{Name: opts.Name, Namespace: opts.Namespace}
		if len(opts.ResourceLabels) > 0 {
			meta.Labels = maps.Clone(opts.ResourceLabels)
		}
		doc = prometheusRule{
			APIVersion: "monitoring.coreos.com/v1",
			Kind:       "PrometheusRule",
			Metadata:   meta,
			Spec:       ruleFile{Groups: groups},
		}
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding rules: %w", err)
	}
	return buf.Bytes(), nil
}

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type prometheusRule struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       ruleFile   `yaml:"spec"`
}

type objectMeta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
