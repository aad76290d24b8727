package spec

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

func TestNativeCalendar(t *testing.T) {
	f := load(t, `
version: slo/v1
service: shop
window: 7d
slos:
  - name: monthly
    objective: 99.9%
    calendar: {period: month, time_zone: Europe/Berlin}
    sli: {in_process: {}}
  - name: quarterly
    objective: 99%
    calendar: {period: quarter}
    sli: {in_process: {}}
`)
	m, q := f.SLOs[0].Objective, f.SLOs[1].Objective
	if m.Calendar.Period != slo.Month || m.Calendar.Location.String() != "Europe/Berlin" || m.Window != m.Calendar.Longest() {
		t.Errorf("monthly: calendar %v, window %v", m.Calendar, m.Window)
	}
	if q.Calendar.Period != slo.Quarter || q.Calendar.Location != nil {
		t.Errorf("quarterly: calendar %v, want a quarter in UTC", q.Calendar)
	}
	if _, err := slo.NewTracker(m); err != nil {
		t.Errorf("the tracker refuses the spec's objective: %v", err)
	}
}

func TestOpenSLOCalendar(t *testing.T) {
	doc := func(window string) string {
		return `apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: web
  indicator:
    metadata: {name: a-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'good_total'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'all_total'}}}
  timeWindow: [` + window + `]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`
	}
	for _, tc := range []struct {
		window string
		want   slo.Period
		zone   string
	}{
		{`{duration: 1M, isRolling: false, calendar: {startTime: "2022-01-01 00:00:00", timeZone: America/New_York}}`, slo.Month, "America/New_York"},
		{`{duration: 1w, isRolling: false, calendar: {startTime: "2024-01-01 00:00:00", timeZone: UTC}}`, slo.Week, "UTC"},
		{`{duration: 1Q, isRolling: false, calendar: {startTime: "2026-07-01 00:00:00", timeZone: Asia/Tokyo}}`, slo.Quarter, "Asia/Tokyo"},
		{`{duration: 1M, isRolling: false}`, slo.Month, ""},
	} {
		f, err := LoadBytes("cal.yaml", []byte(doc(tc.window)))
		if err != nil {
			t.Errorf("%s: %v", tc.window, err)
			continue
		}
		c := f.SLOs[0].Objective.Calendar
		zone := ""
		if c.Location != nil {
			zone = c.Location.String()
		}
		if c.Period != tc.want || zone != tc.zone {
			t.Errorf("%s: calendar %v, want %s in %q", tc.window, c, tc.want, tc.zone)
		}
	}
}

func TestCalendarErrorsNameLineAndField(t *testing.T) {
	native := "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  sli: {in_process: {}}\n"
	openslo := "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: web\n  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true, good: {metricSource: {type: Prometheus, spec: {query: g}}}, total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n  timeWindow:\n"
	for _, tc := range []struct {
		name, src string
		want      Error
	}{
		{"native unknown period", native + "  calendar: {period: fortnight}\n", Error{Line: 7, SLO: "a", Field: "slos[0].calendar.period", Problem: `"fortnight" is not a calendar period`}},
		{"native unknown zone", native + "  calendar: {period: month, time_zone: Mars/Olympus}\n", Error{Line: 7, SLO: "a", Field: "slos[0].calendar.time_zone", Problem: `"Mars/Olympus" is not an IANA time zone`}},
		{"native machine zone", native + "  calendar: {period: month, time_zone: Local}\n", Error{Line: 7, SLO: "a", Field: "slos[0].calendar.time_zone", Problem: `"Local" is not a time zone`}},
		{"native period missing", native + "  calendar: {time_zone: UTC}\n", Error{Line: 7, SLO: "a", Field: "slos[0].calendar.period", Problem: "is missing"}},
		{"native window and calendar", native + "  window: 28d\n  calendar: {period: month}\n", Error{Line: 7, SLO: "a", Field: "slos[0].window", Problem: "is given with a calendar"}},
		{"openslo 2 months", openslo + "    - {duration: 2M, isRolling: false}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].duration", Problem: `"2M" is not supported for a calendar window`}},
		{"openslo start at noon", openslo + "    - {duration: 1M, isRolling: false, calendar: {startTime: \"2022-01-01 12:00:00\", timeZone: UTC}}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].calendar.startTime", Problem: "does not start a month: this tool's periods start at 00:00 on the 1st of a month; give, e.g., 2022-01-01 00:00:00"}},
		{"openslo week from a Sunday", openslo + "    - {duration: 1w, isRolling: false, calendar: {startTime: \"2023-12-31 00:00:00\", timeZone: UTC}}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].calendar.startTime", Problem: "on a Monday"}},
		{"openslo bad start", openslo + "    - {duration: 1Q, isRolling: false, calendar: {startTime: yesterday, timeZone: UTC}}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].calendar.startTime", Problem: `"yesterday" is not a date and time`}},
		{"openslo bad zone", openslo + "    - {duration: 1Q, isRolling: false, calendar: {timeZone: Europe/Nowhere}}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].calendar.timeZone", Problem: `"Europe/Nowhere" is not an IANA time zone`}},
		{"openslo calendar on a rolling window", openslo + "    - {duration: 28d, isRolling: true, calendar: {timeZone: UTC}}\n", Error{Line: 10, SLO: "a", Field: "spec.timeWindow[0].calendar", Problem: "set isRolling: false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.src)
			if len(got) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(got), got)
			}
			e, w := got[0], tc.want
			if e.Line != w.Line || e.SLO != w.SLO || e.Field != w.Field || !strings.Contains(e.Problem, w.Problem) || e.File != "bad.yaml" {
				t.Errorf("got %+v, want %+v", *e, w)
			}
		})
	}
}

// TestCalendarStartTimeInItsZone: a startTime is read in the calendar's
// zone, so midnight in New York on the 1st starts a month there.
func TestCalendarStartTimeInItsZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "x"}
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: "2026-03-01 00:00:00", Line: 1}
	if !d.calendarStart(node, "startTime", slo.Calendar{Period: slo.Month, Location: ny}) || len(d.errs) != 0 {
		t.Errorf("midnight on 1 March in New York does not start a New York month: %v", d.errs)
	}
}
