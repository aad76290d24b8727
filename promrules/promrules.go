package promrules

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// An SLO is one objective to generate rules for.
type SLO struct {
	// Name is the value of the slo label. Empty means Objective.Name.
	Name string
	// Service is the value of the service label; it must not be empty.
	Service string
	// Labels are added to every series and alert of the SLO. Their names
	// must be valid Prometheus label names and must not be one of the
	// labels the generator sets (slo, service, severity, long_window,
	// short_window, alertname).
	Labels map[string]string
	// Objective gives the target, the window, the alert tiers and the
	// minimum event count. Defaults are applied as by
	// [slo.Objective.WithDefaults].
	Objective slo.Objective
	// SLI says how to count errors and events.
	SLI SLI
	// Alerting adds names, labels and annotations to the SLO's alerts.
	Alerting Alerting
}

// Alerting is the alert metadata a spec gives (Sloth's alerting section).
// Label and annotation names must be valid label names; the labels may not
// be one the generator sets, except severity in the per-severity maps.
type Alerting struct {
	// Name replaces SLOErrorBudgetBurn as the name of the burn alerts.
	Name string
	// Labels and Annotations go on every alert of the SLO.
	Labels, Annotations map[string]string
	// PageLabels and PageAnnotations go on the burn alerts of page tiers,
	// TicketLabels and TicketAnnotations on those of ticket tiers; they
	// win over Labels and Annotations.
	PageLabels, PageAnnotations     map[string]string
	TicketLabels, TicketAnnotations map[string]string
}

// An SLI gives the queries of a service level indicator as PromQL templates
// in which {{.window}} stands for a range such as 5m. Exactly one of these
// shapes must be given: ErrorQuery and TotalQuery, GoodQuery and TotalQuery,
// or ErrorRatioQuery alone. Each query must return at most one series (the
// generator sums it, so labels it keeps do not leak into the rules).
type SLI struct {
	ErrorQuery      string // errors per second, e.g. sum(rate(x{code=~"5.."}[{{.window}}]))
	GoodQuery       string // good events per second
	TotalQuery      string // events per second
	ErrorRatioQuery string // errors / events; exact long windows are impossible with it

	// ErrorSelector and TotalSelector are optional plain counter selectors
	// (such as http_requests_total{code=~"5.."}) that count errors and
	// events. When both are given, the grid records increase(selector[5m])
	// directly and SLOMetricsAbsent watches TotalSelector itself.
	ErrorSelector string
	TotalSelector string
}

// A Method is how the error ratio over the whole SLO window is computed.
type Method string

// The methods for the long window.
const (
	// MethodExact sums errors and events recorded on a non-overlapping
	// grid and divides the sums: the traffic-weighted ratio.
	MethodExact Method = "exact"
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
)

// Options tune the generated rules. The zero value is usable.
type Options struct {
	// Method computes the long window; empty means MethodExact.
	Method Method
	// Format of the output; empty means FormatRules.
	Format Format
	// Grid is the step of the non-overlapping grid of MethodExact. Zero
	// picks 5m, coarser for windows longer than 30 days (so a window never
	// holds more than 8,640 steps) and finer for windows shorter than an
	// hour (so it holds at least 12).
	Grid time.Duration
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
	// Rules is the YAML file.
	Rules []byte
	// Warnings are problems that do not stop generation, such as a tier
	// that can never fire or an SLI that allows only the average method.
	Warnings []string
}

// absentFor is how long SLOMetricsAbsent waits before firing: long enough
// to ride out a missed scrape, short enough to notice a renamed metric.
const absentFor = 10 * time.Minute

// reservedLabels are set by the generator or by Prometheus.
var reservedLabels = []string{"alertname", "alertstate", "long_window", "service", "severity", "short_window", "slo"}

// Generate returns the recording and alerting rules for slos, in their
// order. The same input gives the same bytes. Every expression is parsed by
// the upstream PromQL parser before it is written; an SLO that cannot be
// represented is an error naming the SLO and the field.
func Generate(slos []SLO, opts Options) (*Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	plans, warnings, err := planAll(slos, opts)
	if err != nil {
		return nil, err
	}
	var groups []ruleGroup
	for _, p := range plans {
		gs, err := p.groups()
		if err != nil {
			return nil, fmt.Errorf("SLO %q: %w", p.name, err)
		}
		groups = append(groups, gs...)
	}
	out, err := render(groups, opts)
	if err != nil {
		return nil, err
	}
	return &Result{Rules: out, Warnings: warnings}, nil
}

func (o Options) withDefaults() (Options, error) {
	switch o.Method {
	case "":
		o.Method = MethodExact
	case MethodExact, MethodRatioAverage:
	default:
		return o, fmt.Errorf("method %q: want %q or %q", o.Method, MethodExact, MethodRatioAverage)
	}
	switch o.Format {
	case "":
		o.Format = FormatRules
	case FormatRules, FormatPrometheusOperator:
	default:
		return o, fmt.Errorf("format %q: want %q or %q", o.Format, FormatRules, FormatPrometheusOperator)
	}
	if o.Grid < 0 || (o.Grid > 0 && o.Grid%time.Second != 0) {
		return o, fmt.Errorf("grid %v: want a positive whole number of seconds", o.Grid)
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

// planAll validates every SLO and works out what to generate for it.
func planAll(slos []SLO, opts Options) ([]*plan, []string, error) {
	var (
		plans    []*plan
		warnings []string
		errs     []error
		seen     = map[[2]string]int{}
	)
	for i, s := range slos {
		p, w, err := newPlan(s, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLO #%d (%q): %w", i+1, s.displayName(), err))
			continue
		}
		key := [2]string{p.service, p.name}
		if j, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("SLO #%d (%q): service %q already has an SLO of this name (#%d)", i+1, p.name, p.service, j+1))
			continue
		}
		seen[key] = i
		plans = append(plans, p)
		for _, msg := range w {
			warnings = append(warnings, fmt.Sprintf("SLO %q of service %q: %s", p.name, p.service, msg))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return plans, warnings, nil
}

func (s SLO) displayName() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Objective.Name
}

// render writes the groups as a rule file or a PrometheusRule resource.
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
	buf.WriteString("# Generated by slo generate (package promrules). Do not edit.\n")
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

// validLabelName reports whether s is a label name Prometheus 2 accepts.
func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return !strings.HasPrefix(s, "__")
}
