package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// load loads a spec given as a string and fails the test on error.
func load(t *testing.T, src string) *File {
	t.Helper()
	f, err := LoadBytes("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	return f
}

// problems loads src and returns its errors, failing when it loads.
func problems(t *testing.T, src string) ErrorList {
	t.Helper()
	f, err := LoadBytes("bad.yaml", []byte(src))
	if err == nil {
		t.Fatalf("LoadBytes succeeded with %d SLOs; want errors", len(f.SLOs))
	}
	if f != nil {
		t.Errorf("LoadBytes returned a file with its errors")
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T is not an ErrorList: %v", err, err)
	}
	return list
}

func TestExamplesLoadAndEveryQueryParses(t *testing.T) {
	paths, err := filepath.Glob("../examples/specs/*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("example specs: %v %v", paths, err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range f.SLOs {
				if err := s.Objective.Validate(); err != nil {
					t.Errorf("%s: %v", s.Objective.Name, err)
				}
				if s.Service == "" || s.SLI.Kind == "" {
					t.Errorf("%s: service %q, SLI kind %q", s.Objective.Name, s.Service, s.SLI.Kind)
				}
				queries := 0
				for _, q := range []string{s.SLI.ErrorQuery, s.SLI.GoodQuery, s.SLI.TotalQuery, s.SLI.ErrorRatioQuery} {
					if q == "" {
						continue
					}
					queries++
					for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d", "1h30m"} {
						if err := checkQuery(Expand(q, w)); err != nil {
							t.Errorf("%s: %q with %s: %v", s.Objective.Name, q, w, err)
						}
					}
				}
				if queries == 0 {
					t.Errorf("%s: no query", s.Objective.Name)
				}
				if s.Objective.Name == "checkout-latency" && s.SLI.Threshold != 0.3 {
					t.Errorf("%s: threshold %v, want 0.3", s.Objective.Name, s.SLI.Threshold)
				}
				if s.SLI.Kind != KindLatency && s.SLI.Threshold != 0 {
					t.Errorf("%s: a %s SLI with threshold %v", s.Objective.Name, s.SLI.Kind, s.SLI.Threshold)
				}
			}
		})
	}
}

func TestNativeReadsEveryField(t *testing.T) {
	f := load(t, `
version: slo/v1
service: shop
labels: {team: web, tier: "1"}
window: 7d
slos:
  - name: api
    description: API requests succeed.
    objective: 99.95%
    labels: {tier: "2"}
    sli:
      ratio:
        good: http_requests_total{job="api",code!~"5.."}
        total: http_requests_total{job="api"}
    alerting:
      min_events: 50
      burn_rate_windows: [5m, 1h]
      burn_rate_threshold: 10
      tiers:
        - {severity: page, long_window: 1h, short_window: 5m, factor: 14.4}
      labels: {route: pager}
      annotations: {runbook_url: "https://example.com/api"}
  - name: api-30d
    objective: 0.999
    window: 30d
    sli: {in_process: }
    alerting: {tiers: []}
`)
	if len(f.SLOs) != 2 {
		t.Fatalf("got %d SLOs", len(f.SLOs))
	}
	a, b := f.SLOs[0], f.SLOs[1]
	wantObj := slo.Objective{
		Name: "api", Description: "API requests succeed.", Target: 0.9995, Window: 7 * 24 * time.Hour,
		BurnRateWindows: []time.Duration{5 * time.Minute, time.Hour}, BurnRateThreshold: 10,
		Tiers:     []slo.AlertTier{{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}},
		MinEvents: 50,
	}
	if !reflect.DeepEqual(a.Objective, wantObj) {
		t.Errorf("objective\n got %+v\nwant %+v", a.Objective, wantObj)
	}
	if want := map[string]string{"team": "web", "tier": "2"}; !reflect.DeepEqual(a.Labels, want) {
		t.Errorf("labels %v, want %v (the SLO's win)", a.Labels, want)
	}
	if a.Service != "shop" || a.Format != Native || a.Line != 7 || a.File != "test.yaml" {
		t.Errorf("service %q format %q file %q line %d", a.Service, a.Format, a.File, a.Line)
	}
	wantSLI := SLI{
		Kind:          KindRatio,
		GoodQuery:     `sum(rate(http_requests_total{job="api",code!~"5.."}[{{.window}}]))`,
		TotalQuery:    `sum(rate(http_requests_total{job="api"}[{{.window}}]))`,
		GoodSelector:  `http_requests_total{job="api",code!~"5.."}`,
		TotalSelector: `http_requests_total{job="api"}`,
	}
	if a.SLI != wantSLI {
		t.Errorf("SLI\n got %+v\nwant %+v", a.SLI, wantSLI)
	}
	if a.Alerting.Labels["route"] != "pager" || a.Alerting.Annotations["runbook_url"] != "https://example.com/api" {
		t.Errorf("alerting %+v", a.Alerting)
	}
	if b.Objective.Target != 0.999 || b.Objective.Window != 30*24*time.Hour {
		t.Errorf("second SLO: %+v", b.Objective)
	}
	if b.Objective.Tiers == nil || len(b.Objective.Tiers) != 0 {
		t.Errorf("tiers: [] must disable every tier (empty, non-nil), got %#v", b.Objective.Tiers)
	}
	if want := `sum(rate(slo_events_total{slo="api-30d",outcome="bad"}[{{.window}}]))`; b.SLI.ErrorQuery != want {
		t.Errorf("in-process error query %s, want %s", b.SLI.ErrorQuery, want)
	}
}

func TestObjectiveForms(t *testing.T) {
	for _, tc := range []struct {
		name, objective string
		want            float64
	}{
		{"percent", `"99.9%"`, 0.999},
		{"percent unquoted", `99.9%`, 0.999},
		{"percent exact decimal", `99.99%`, 0.9999},
		{"ratio", `0.995`, 0.995},
		{"ratio quoted", `"0.9"`, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := load(t, "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: "+tc.objective+"\n  sli: {in_process: {}}\n")
			if got := f.SLOs[0].Objective.Target; got != tc.want {
				t.Errorf("target %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSlothIsReadAsSlothMeansIt(t *testing.T) {
	f := load(t, `
version: "prometheus/v1"
service: "k8s-apiserver"
labels: {cluster: "valhalla"}
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(apiserver_request_total{code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(apiserver_request_total[{{ .window }}]))
    alerting:
      name: K8sApiserverAvailabilityAlert
      page_alert: {labels: {severity: critical}}
      ticket_alert: {disable: true}
`)
	s := f.SLOs[0]
	if s.Objective.Target != 0.999 || s.Objective.Window != slo.DefaultWindow || s.Format != Sloth {
		t.Errorf("objective %+v format %q", s.Objective, s.Format)
	}
	if want := `sum(rate(apiserver_request_total[{{.window}}]))`; s.SLI.TotalQuery != want {
		t.Errorf("total query %q, want the placeholder normalized: %q", s.SLI.TotalQuery, want)
	}
	for _, tier := range s.Objective.Tiers {
		if tier.Severity != slo.SeverityPage {
			t.Errorf("ticket_alert.disable left tier %v", tier)
		}
	}
	if len(s.Objective.Tiers) != 2 || s.Alerting.Name != "K8sApiserverAvailabilityAlert" || s.Alerting.PageLabels["severity"] != "critical" {
		t.Errorf("tiers %v alerting %+v", s.Objective.Tiers, s.Alerting)
	}
}

func TestOpenSLOMapsRatioMetrics(t *testing.T) {
	f, err := Load("../examples/specs/openslo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.SLOs) != 2 {
		t.Fatalf("got %d SLOs", len(f.SLOs))
	}
	avail, lat := f.SLOs[0], f.SLOs[1]
	if avail.Objective.Target != 0.995 || avail.Objective.Window != 28*24*time.Hour {
		t.Errorf("availability: %+v", avail.Objective)
	}
	if want := `sum(rate(http_requests_total{code!~"5..",component="web"}[{{.window}}]))`; avail.SLI.GoodQuery != want {
		t.Errorf("sum(selector) became %q, want %q", avail.SLI.GoodQuery, want)
	}
	if avail.SLI.TotalSelector != `http_requests_total{component="web"}` || avail.Labels["env"] != "prod" {
		t.Errorf("SLI %+v labels %v", avail.SLI, avail.Labels)
	}
	if lat.Objective.Target != 0.99 {
		t.Errorf("latency: %v", lat.Objective.Target)
	}
	if lat.SLI.Kind != KindEvents || lat.SLI.ErrorSelector != "" || lat.SLI.ErrorQuery == "" {
		t.Errorf("templated queries: %+v", lat.SLI)
	}
}

func TestOpenSLORawRatio(t *testing.T) {
	f := load(t, `
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: raw}
  spec:
    service: web
    indicator:
      spec:
        ratioMetric:
          rawType: success
          raw:
            metricSource:
              type: Prometheus
              spec: {query: "avg_over_time(up[{{.window}}])"}
    timeWindow: [{duration: 1w, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.99}]
`)
	if got, want := f.SLOs[0].SLI.ErrorRatioQuery, "1 - (avg_over_time(up[{{.window}}]))"; got != want {
		t.Errorf("error ratio %q, want %q", got, want)
	}
}

func TestEveryErrorNamesLineFieldAndProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []Error // Problem holds a substring
	}{
		{
			name: "unknown field with suggestion",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  sli: {in_process: {}}\n  alertng: {}\n",
			want: []Error{{Line: 7, SLO: "a", Field: "slos[0].alertng", Problem: `unknown field (did you mean "alerting"?)`}},
		},
		{
			name: "ambiguous objective",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99.9\n  sli: {in_process: {}}\n",
			want: []Error{{Line: 5, SLO: "a", Field: "slos[0].objective", Problem: `ambiguous: write "99.9%" for a percentage`}},
		},
		{
			name: "every error of the file at once",
			src: `version: slo/v1
service: s
slos:
- name: a
  objective: 100%
  window: 30days
  sli:
    ratio:
      errors: sum(http_requests_total)
      total: http_requests_total{job="x"}
- name: b
  objective: 0.99
  sli:
    latency: {histogram: 'latency_seconds_bucket{job="x"}', threshold: 0.3}
`,
			want: []Error{
				{Line: 5, SLO: "a", Field: "slos[0].objective", Problem: "outside the allowed range"},
				{Line: 6, SLO: "a", Field: "slos[0].window", Problem: `unknown unit "days"`},
				{Line: 9, SLO: "a", Field: "slos[0].sli.ratio.errors", Problem: "not a plain series selector"},
				{Line: 14, SLO: "b", Field: "slos[1].sli.latency.histogram", Problem: `give its base name "latency_seconds"`},
			},
		},
		{
			name: "reserved and invalid labels",
			src:  "version: slo/v1\nservice: s\nlabels: {service: x, 1bad: y}\nslos:\n- name: a\n  objective: 99%\n  sli: {in_process: {}}\n",
			want: []Error{
				{Line: 3, Field: "labels.service", Problem: "reserved"},
				{Line: 3, Field: "labels.1bad", Problem: "not a valid label name"},
			},
		},
		{
			name: "in_process matchers reserve slo and outcome, not service",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  sli: {in_process: {matchers: {outcome: bad, service: x}}}\n",
			want: []Error{{Line: 6, SLO: "a", Field: "slos[0].sli.in_process.matchers.outcome", Problem: `"outcome" is reserved`}},
		},
		{
			name: "missing fields",
			src:  "version: slo/v1\nslos:\n- objective: 99%\n",
			want: []Error{
				{Line: 1, Field: "service", Problem: "is missing"},
				{Line: 3, Field: "slos[0].name", Problem: "is missing"},
				{Line: 3, Field: "slos[0].sli", Problem: "is missing"},
			},
		},
		{
			name: "tier checked by the objective's own validation",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  window: 1d\n  sli: {in_process: {}}\n  alerting:\n    tiers:\n    - severity: page\n      long_window: 5m\n      short_window: 1h\n      factor: 2\n",
			want: []Error{{Line: 12, SLO: "a", Field: "slos[0].alerting.tiers[0].short_window", Problem: "not shorter than LongWindow"}},
		},
		{
			name: "window too short",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  window: 30s\n  sli: {in_process: {}}\n",
			want: []Error{{Line: 6, SLO: "a", Field: "slos[0].window", Problem: "30s is outside [1m0s"}},
		},
		{
			name: "duplicate key and duplicate name",
			src:  "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  objective: 98%\n  sli: {in_process: {}}\n- name: a\n  objective: 99%\n  sli: {in_process: {}}\n",
			want: []Error{
				{Line: 6, SLO: "a", Field: "slos[0].objective", Problem: "given twice"},
				{Line: 8, SLO: "a", Problem: "already has an SLO of this name, at line 4"},
			},
		},
		{
			name: "yaml syntax error",
			src:  "version: slo/v1\nservice: s\nslos:\n  - name: a\n   objective: [\n",
			want: []Error{{Line: 5, Problem: "invalid YAML"}},
		},
		{
			name: "unknown format",
			src:  "version: prometheus/v2\nservice: s\n",
			want: []Error{{Line: 1, Field: "version", Problem: `"prometheus/v2" is not supported; allowed: slo/v1`}},
		},
		{
			name: "no version",
			src:  "service: s\n",
			want: []Error{{Line: 1, Problem: "has no version"}},
		},
		{
			name: "sloth query without window and with bad promql",
			src: `version: prometheus/v1
service: s
slos:
- name: a
  objective: 99.9
  sli:
    events:
      error_query: sum(rate(errors_total[5m]))
      total_query: sum(rate(total[{{.window}}])
`,
			want: []Error{
				{Line: 8, SLO: "a", Field: "slos[0].sli.events.error_query", Problem: "does not use {{.window}}"},
				{Line: 9, SLO: "a", Field: "slos[0].sli.events.total_query", Problem: "is not valid PromQL"},
			},
		},
		{
			name: "sloth template action other than window",
			src:  "version: prometheus/v1\nservice: s\nslos:\n- name: a\n  objective: 99\n  sli: {raw: {error_ratio_query: 'x[{{.window}}] / {{.other}}'}}\n",
			want: []Error{{Line: 6, SLO: "a", Field: "slos[0].sli.raw.error_ratio_query", Problem: "template action other than {{.window}}"}},
		},
		{
			name: "sloth plugins",
			src:  "version: prometheus/v1\nservice: s\nslo_plugins: {chain: []}\nslos:\n- name: a\n  objective: 99\n  sli: {plugin: {id: x}}\n",
			want: []Error{
				{Line: 3, Field: "slo_plugins", Problem: "not supported: slo_plugins"},
				{Line: 7, SLO: "a", Field: "slos[0].sli.plugin", Problem: "not supported: SLI plugins"},
			},
		},
		{
			name: "openslo unsupported features",
			src: `apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: web
  indicator:
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: x}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2022-01-01 00:00:00", timeZone: UTC}
  budgetingMethod: Timeslices
  objectives: [{target: 0.99, timeSliceTarget: 0.9}]
  alertPolicies: [p]
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: p}
spec: {}
`,
			want: []Error{
				{Line: 19, Field: "kind", Problem: "not supported: kind AlertPolicy"},
				{Line: 16, SLO: "a", Field: "spec.alertPolicies", Problem: "not supported: alertPolicies"},
				{Line: 15, SLO: "a", Field: "spec.objectives[0].timeSliceWindow", Problem: "is missing; budgetingMethod Timeslices needs the width of a slice"},
				{Line: 8, SLO: "a", Field: "spec.indicator.spec.thresholdMetric", Problem: "not supported: thresholdMetric"},
			},
		},
		{
			name: "openslo query that cannot be a counter rate",
			src: `apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: web
  indicatorRef: missing
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: b}
spec:
  service: web
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'max(x)'}}}
        total: {metricSource: {type: Datadog, spec: {query: 'y'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99}]
`,
			want: []Error{
				{Line: 6, SLO: "a", Field: "spec.indicatorRef", Problem: `refers to SLI "missing"`},
				{Line: 20, SLO: "b", Field: "spec.indicator.spec.ratioMetric.good.metricSource.spec.query", Problem: "not supported"},
				{Line: 21, SLO: "b", Field: "spec.indicator.spec.ratioMetric.total.metricSource.type", Problem: `not supported: metric source "Datadog"`},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.src)
			for _, w := range tc.want {
				found := false
				for _, e := range got {
					if e.Line == w.Line && e.SLO == w.SLO && e.Field == w.Field && strings.Contains(e.Problem, w.Problem) && e.File == "bad.yaml" {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("missing error %+v in\n%v", w, got)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%v", len(got), len(tc.want), got)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.yaml", Line: 3, SLO: "api", Field: "slos[0].objective", Problem: "is missing"}
	if got, want := e.Error(), `a.yaml:3: slo "api": slos[0].objective: is missing`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &Error{File: "a.yaml", Problem: "the file defines no SLO"}
	if got, want := e.Error(), "a.yaml: the file defines no SLO"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLabelValuesCannotBreakOutOfTheirQuotes(t *testing.T) {
	name := `a"}) or vector(1) #`
	job := "x\"} or up{a=\"\n"
	f := load(t, `
version: slo/v1
service: s
slos:
  - name: "a\"}) or vector(1) #"
    objective: 99%
    sli:
      in_process:
        matchers: {job: "x\"} or up{a=\"\n"}
`)
	s := f.SLOs[0]
	if s.Objective.Name != name {
		t.Fatalf("name %q, want %q", s.Objective.Name, name)
	}
	for _, q := range []string{s.SLI.ErrorQuery, s.SLI.TotalQuery} {
		expr, err := promql.ParseExpr(Expand(q, "5m"))
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		var sels []*parser.VectorSelector
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				sels = append(sels, vs)
			}
			return nil
		})
		if len(sels) != 1 {
			t.Fatalf("%s: %d selectors, want 1: a label value changed the query", expr, len(sels))
		}
		got := map[string]string{}
		for _, m := range sels[0].LabelMatchers {
			got[m.Name] = m.Value
		}
		if got["slo"] != name || got["job"] != job {
			t.Errorf("matchers %v; want slo=%q job=%q", got, name, job)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	for _, src := range []string{"", "---\n---\n", "# only a comment\n"} {
		list := problems(t, src)
		if len(list) != 1 || !strings.Contains(list[0].Problem, "defines no SLO") {
			t.Errorf("%q: %v", src, list)
		}
	}
	big := make([]byte, maxFileSize+1)
	if list := problems(t, string(big)); !strings.Contains(list[0].Problem, "larger than") {
		t.Errorf("big file: %v", list)
	}
}

func TestAliasesAndMergeKeys(t *testing.T) {
	f := load(t, `
version: slo/v1
service: s
slos:
  - &base
    name: a
    objective: 99%
    sli: {in_process: {}}
    labels: &labels {team: x}
  - <<: *base
    name: b
    labels: *labels
`)
	if len(f.SLOs) != 2 || f.SLOs[1].Objective.Name != "b" || f.SLOs[1].Objective.Target != 0.99 || f.SLOs[1].Labels["team"] != "x" {
		t.Errorf("got %+v", f.SLOs)
	}
}

func TestAliasBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: slo/v1\nservice: s\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("slos:\n- <<: [*a9]\n  name: x\n")
	start := time.Now()
	problems(t, b.String())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour}, {"1w", 7 * 24 * time.Hour}, {"1h30m", 90 * time.Minute},
		{"250ms", 250 * time.Millisecond}, {"1.5h", 90 * time.Minute}, {"1d12h", 36 * time.Hour},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseDuration(sloprom.FormatDuration(got)); err != nil || back != got {
			t.Errorf("sloprom.FormatDuration(%v) = %q does not read back: %v %v", got, sloprom.FormatDuration(got), back, err)
		}
	}
	for _, bad := range []string{"", "30", "1M", "-5m", "0s", "5x", "h", "1e9999d", "9999999999999d"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v; want an error", bad, d)
		}
	}
}

// TestOpenSLOAnnotationsGoOnTheAlerts checks that an OpenSLO SLO's
// metadata.annotations are used (on every alert), not read and dropped,
// and that a name Prometheus cannot carry is refused.
func TestOpenSLOAnnotationsGoOnTheAlerts(t *testing.T) {
	doc := func(key string) string {
		return `apiVersion: openslo/v1
kind: SLO
metadata:
  name: a
  annotations:
    ` + key + `: https://example.com/runbook
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  indicator:
    metadata: {name: a}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: good_total}}}
        total: {metricSource: {type: Prometheus, spec: {query: total_total}}}
  objectives: [{target: 0.99}]
`
	}
	f, err := LoadBytes("o.yaml", []byte(doc("runbook_url")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.SLOs[0].Alerting.Annotations["runbook_url"]; got != "https://example.com/runbook" {
		t.Errorf("alert annotations %v, want runbook_url", f.SLOs[0].Alerting.Annotations)
	}
	_, err = LoadBytes("o.yaml", []byte(doc("example.com/runbook")))
	if err == nil || !strings.Contains(err.Error(), `o.yaml:6: slo "a": metadata.annotations.example.com/runbook: "example.com/runbook" is not a valid annotation name`) {
		t.Errorf("got %v, want the annotation name refused", err)
	}
}
