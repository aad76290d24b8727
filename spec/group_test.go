package spec

import (
	"reflect"
	"strings"
	"testing"
)

func TestGroupByIsReadForEveryNativeKind(t *testing.T) {
	f := load(t, `
version: slo/v1
service: shop
slos:
  - name: ratio
    objective: 99%
    group_by: [route, tenant]
    sli:
      ratio:
        errors: http_requests_total{job="api",code=~"5.."}
        total: http_requests_total{job="api"}
  - name: latency
    objective: 99%
    group_by: [route]
    sli:
      latency: {histogram: 'http_request_duration_seconds{job="api"}', threshold: 0.3}
  - name: in-process
    objective: 99%
    group_by: [route]
    sli: {in_process: }
  - name: plain
    objective: 99%
    sli: {in_process: }
`)
	r, l, ip, plain := f.SLOs[0], f.SLOs[1], f.SLOs[2], f.SLOs[3]
	if want := []string{"route", "tenant"}; !reflect.DeepEqual(r.GroupBy, want) {
		t.Errorf("GroupBy = %q, want %q", r.GroupBy, want)
	}
	for _, c := range []struct{ got, want string }{
		{r.SLI.ErrorQuery, `sum by (route, tenant) (rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))`},
		{r.SLI.TotalQuery, `sum by (route, tenant) (rate(http_requests_total{job="api"}[{{.window}}]))`},
		{l.SLI.TotalQuery, `sum by (route) (rate(http_request_duration_seconds_count{job="api"}[{{.window}}]))`},
		{ip.SLI.ErrorQuery, `sum by (route) (rate(slo_events_total{slo="in-process",outcome="bad"}[{{.window}}]))`},
		{plain.SLI.ErrorQuery, `sum(rate(slo_events_total{slo="plain",outcome="bad"}[{{.window}}]))`},
	} {
		if c.got != c.want {
			t.Errorf("query\n got %s\nwant %s", c.got, c.want)
		}
	}
	if r.SLI.ErrorSelector != `http_requests_total{job="api",code=~"5.."}` {
		t.Errorf("selector changed: %s", r.SLI.ErrorSelector)
	}
	if plain.GroupBy != nil {
		t.Errorf("ungrouped SLO has GroupBy %q", plain.GroupBy)
	}
}

func TestGroupByErrorsNameTheField(t *testing.T) {
	head := "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n"
	for _, tc := range []struct {
		name, src, field, problem string
	}{
		{"empty list", head + "  group_by: []\n  sli: {in_process: }\n", "slos[0].group_by", "is empty"},
		{"not a list", head + "  group_by: route\n  sli: {in_process: }\n", "slos[0].group_by", "want a list"},
		{"duplicate", head + "  group_by: [route, route]\n  sli: {in_process: }\n", "slos[0].group_by[1]", `"route" is given twice`},
		{"reserved", head + "  group_by: [service]\n  sli: {in_process: }\n", "slos[0].group_by[0]", `"service" is reserved`},
		{"double underscore", head + "  group_by: [__name__]\n  sli: {in_process: }\n", "slos[0].group_by[0]", "reserved"},
		{"invalid name", head + "  group_by: [a-b]\n  sli: {in_process: }\n", "slos[0].group_by[0]", "not a valid label name"},
		{"also a fixed label", head + "  labels: {route: x}\n  group_by: [route]\n  sli: {in_process: }\n", "slos[0].group_by[0]", "also a fixed label"},
		{"selector excludes it", head + "  group_by: [route]\n  sli: {ratio: {errors: 'e{route=\"\"}', total: t}}\n", "slos[0].group_by", "excludes"},
		{"le of a latency SLI", head + "  group_by: [le]\n  sli: {latency: {histogram: h, threshold: 1}}\n", "slos[0].group_by[0]", "le"},
		{"outcome of an in-process SLI", head + "  group_by: [outcome]\n  sli: {in_process: }\n", "slos[0].group_by[0]", "outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := problems(t, tc.src)
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Problem, tc.problem) {
					return
				}
			}
			t.Errorf("errors %v; want one at %s containing %q", errs, tc.field, tc.problem)
		})
	}
}

func TestCheckKeepsGroups(t *testing.T) {
	by := []string{"route"}
	for _, tc := range []struct {
		q       string
		problem string // "" when the query keeps route
	}{
		{`sum by (route) (rate(x[5m]))`, ""},
		{`sum by (route, code) (rate(x[5m]))`, ""},
		{`rate(x[5m])`, ""},
		{`sum without (code) (rate(x[5m]))`, ""},
		{`sum by (route) (rate(x{route="/pay"}[5m]))`, ""},
		{`sum by (route) (rate(e[5m])) / sum by (route) (rate(t[5m]))`, ""},
		{`sum by (route) (rate(e[5m])) / on (route) sum by (route) (rate(t[5m]))`, ""},
		{`sum by (route) (rate(x[5m])) or vector(0)`, ""},
		{`sum by (route) (rate(x[5m])) > scalar(sum(rate(y[5m])))`, ""},
		{`topk(3, rate(x[5m]))`, ""},
		{`sum(rate(x[5m]))`, "sum(rate(x[5m]))"},
		{`sum by (code) (rate(x[5m]))`, "sum by (code)"},
		{`sum without (route) (rate(x[5m]))`, "sum without (route)"},
		{`sum(rate(e[5m])) / sum(rate(t[5m]))`, "sum(rate(e[5m]))"},
		{`sum by (route) (rate(e[5m])) / on (code) sum by (route, code) (rate(t[5m]))`, "on (code)"},
		{`rate(e[5m]) / ignoring (route) rate(t[5m])`, "ignoring (route)"},
		{`sum by (route) (sum by (code) (rate(x[5m])))`, "sum by (code)"},
		{`rate(x{route=""}[5m])`, "excludes"},
		{`1 - max by (route) (avg_over_time(up[5m]))`, ""},
	} {
		expr, err := ParseQuery(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		err = CheckKeepsGroups(expr, by)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s: %v", tc.q, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem) || !strings.Contains(err.Error(), `"route"`)):
			t.Errorf("%s: error %v, want one naming \"route\" and %q", tc.q, err, tc.problem)
		}
	}
}

func TestCheckGroupBy(t *testing.T) {
	if _, err := CheckGroupBy([]string{"route", "tenant"}); err != nil {
		t.Errorf("valid list: %v", err)
	}
	for _, by := range [][]string{{}, {"route", "route"}, {"slo"}, {"severity"}, {"alertname"}, {"long_window"}, {"__x"}, {"9x"}} {
		if _, err := CheckGroupBy(by); err == nil {
			t.Errorf("CheckGroupBy(%q) accepted", by)
		}
	}
}
