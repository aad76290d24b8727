package spec

import (
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

func openSLOSlices(method, objective string) string {
	return `apiVersion: openslo/v1
kind: SLO
metadata: {name: uptime}
spec:
  service: web
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[{{.window}}]))'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: ` + method + `
  objectives: [` + objective + `]
`
}

func TestTimeSlicesAreReadInEveryFormat(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      slo.TimeSlices
		target    float64
	}{
		{"openslo Timeslices", openSLOSlices("Timeslices", "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}"),
			slo.TimeSlices{Window: time.Minute, Target: 0.95}, 0.99},
		{"openslo RatioTimeslices", openSLOSlices("RatioTimeslices", "{targetPercent: 99.5, timeSliceWindow: 5m}"),
			slo.TimeSlices{Window: 5 * time.Minute, Average: true}, 0.995},
		{"openslo Occurrences", openSLOSlices("Occurrences", "{target: 0.99}"), slo.TimeSlices{}, 0.99},
		{"native target", "version: slo/v1\nservice: web\nslos:\n- name: uptime\n  objective: 99%\n  time_slices: {window: 1m, target: 95%}\n  sli: {in_process: {}}\n",
			slo.TimeSlices{Window: time.Minute, Target: 0.95}, 0.99},
		{"native ratio target of 1", "version: slo/v1\nservice: web\nslos:\n- name: uptime\n  objective: 99%\n  time_slices: {window: 30s, target: 1}\n  sli: {in_process: {}}\n",
			slo.TimeSlices{Window: 30 * time.Second, Target: 1}, 0.99},
		{"native average", "version: slo/v1\nservice: web\nslos:\n- name: uptime\n  objective: 99%\n  time_slices: {window: 1m, average: true}\n  sli: {in_process: {}}\n",
			slo.TimeSlices{Window: time.Minute, Average: true}, 0.99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := load(t, tc.src)
			o := f.SLOs[0].Objective
			if o.Slices != tc.want || o.Target != tc.target {
				t.Errorf("slices %+v target %v, want %+v target %v", o.Slices, o.Target, tc.want, tc.target)
			}
		})
	}
}

func TestTimeSliceErrorsNameLineAndField(t *testing.T) {
	native := func(ts string) string {
		return "version: slo/v1\nservice: web\nslos:\n- name: a\n  objective: 99%\n  window: 1h\n  time_slices: " + ts + "\n  sli: {in_process: {}}\n"
	}
	for _, tc := range []struct {
		name, src, field, problem string
		line                      int
	}{
		{"openslo Timeslices without a target", openSLOSlices("Timeslices", "{target: 0.99, timeSliceWindow: 1m}"), "spec.objectives[0].timeSliceTarget", "is missing", 14},
		{"openslo Timeslices without a window", openSLOSlices("Timeslices", "{target: 0.99, timeSliceTarget: 0.9}"), "spec.objectives[0].timeSliceWindow", "is missing", 14},
		{"openslo RatioTimeslices with a target", openSLOSlices("RatioTimeslices", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 1m}"), "spec.objectives[0].timeSliceTarget", "only meaningful with budgetingMethod Timeslices", 14},
		{"openslo Occurrences with a window", openSLOSlices("Occurrences", "{target: 0.99, timeSliceWindow: 1m}"), "spec.objectives[0].timeSliceWindow", "not Occurrences", 14},
		{"openslo slice target above 1", openSLOSlices("Timeslices", "{target: 0.99, timeSliceTarget: 1.5, timeSliceWindow: 1m}"), "spec.objectives[0].timeSliceTarget", "outside (0, 1]", 14},
		{"openslo slice not dividing the window", openSLOSlices("Timeslices", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 11m}"), "spec.objectives[0].timeSliceWindow", "does not divide the window", 14},
		{"openslo unknown method", openSLOSlices("Slices", "{target: 0.99}"), "spec.budgetingMethod", "allowed: Occurrences, Timeslices, RatioTimeslices", 13},
		{"native without target", native("{window: 1m}"), "slos[0].time_slices.target", "is missing", 7},
		{"native without window", native("{target: 95%}"), "slos[0].time_slices.window", "is missing", 7},
		{"native bare 95", native("{window: 1m, target: 95}"), "slos[0].time_slices.target", `write "95%"`, 7},
		{"native slice longer than the window", native("{window: 2h, target: 95%}"), "slos[0].time_slices.window", "does not divide the window", 7},
		{"native average with target", native("{window: 1m, target: 95%, average: true}"), "slos[0].time_slices.target", "no slice target", 7},
		{"native unknown field", native("{window: 1m, traget: 95%}"), "slos[0].time_slices.traget", "unknown field", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.src)
			for _, e := range got {
				if e.Field == tc.field && strings.Contains(e.Problem, tc.problem) && e.Line == tc.line {
					return
				}
			}
			t.Errorf("want line %d %s: ...%s..., got\n%v", tc.line, tc.field, tc.problem, got)
		})
	}
}
