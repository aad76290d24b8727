package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// The grouped scenario: one SLO grouped by route, 99% over a day, two days
// of traffic on three routes, compared over the second day (the window is
// full). The tiers are given so that every window holds at least 20
// samples of 15 seconds and every bucket width of the tracker divides
// align.
const (
	groupSLO     = "e2e-routes"
	groupTarget  = 0.99
	groupWindow  = 24 * time.Hour
	groupDays    = 2
	burningRoute = "/pay"
	// groupEvery is how often the remaining budget is compared.
	groupEvery = 15 * time.Minute
)

const groupSpecText = `version: slo/v1
service: e2e
window: 1d
slos:
  - name: e2e-routes
    description: Requests of the e2e service per route, counted in process.
    objective: 99%
    group_by: [route]
    sli:
      in_process: {}
    alerting:
      tiers:
        - severity: page
          long_window: 1h
          short_window: 5m
          factor: 14.4
        - severity: ticket
          long_window: 6h
          short_window: 30m
          factor: 3
`

// groupRoutes are the routes of the grouped scenario: /pay fails 20% of its
// requests for two hours from 07:00 on the second day, as traffic rises
// (both tiers fire; at those hours one 15-second sample of the incident,
// which an engine's rate() may place on either side of a grid cell's edge,
// costs under 0.3% of the budget, a third of what it would at noon),
// /cart and /search stay healthy (0.05% and 0.2% errors, and a nightly
// batch failing 10% of /cart's few requests between 03:00 and 03:30).
var groupRoutes = []struct {
	route   string
	seed    uint64
	errRate func(day int, hour float64) float64
}{
	{"/cart", 1, func(_ int, hour float64) float64 {
		if hour >= 3 && hour < 3.5 {
			return 0.10
		}
		return 0.0005
	}},
	{burningRoute, 2, func(day int, hour float64) float64 {
		if day == 1 && hour >= 7 && hour < 9 {
			return 0.20
		}
		return 0.0005
	}},
	{"/search", 3, func(int, float64) float64 { return 0.002 }},
}

// groupScenario is what every engine is checked against in the grouped
// scenario, per route: the traffic, the tracker's view of it, and the rules
// `slo generate` writes for the grouped spec.
type groupScenario struct {
	start, from, end time.Time
	slots            map[string][]slot
	openMetrics      map[string]string // the counters, for promtool tsdb create-blocks-from
	promText         map[string]string // the counters, for VictoriaMetrics' import
	rulesPath        string
	rules, vmRules   ruleFile // for Prometheus, and for VictoriaMetrics (-target victoriametrics)
	snaps            map[string]map[time.Time]slo.Snapshot
}

// groupRow is what an engine computed for one route.
type groupRow struct {
	worstRules, worstTracker  float64 // largest errors, in shares of the budget
	rulesAtEnd                float64 // the remaining budget the rules recorded last
	pageMinutes, trackerPages int     // minutes the page tier fires in the engine and the tracker
}

// TestEnginesAgreePerGroup runs a grouped SLO end to end: traffic on three
// routes in a real Prometheus 2 and 3 and VictoriaMetrics, the rules `slo
// generate` writes for `group_by: [route]` evaluated over it, the same
// events recorded in an slo.Family made from the same spec, and per route
// the rules, the family's member and the truth counted from the raw events
// compared: the remaining budget and the burn rates within 1% of the
// budget, never NaN, and the alerts firing for the burning route only,
// labelled with it.
func TestEnginesAgreePerGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a minute of work per engine")
	}
	gs := newGroupScenario(t)
	trackerErr := gs.checkTracker(t)
	rows := map[string]map[string]groupRow{}
	run := engineRun{name: "grouped", rulesPath: gs.rulesPath, rules: gs.rules, vmRules: gs.vmRules, start: gs.start, end: gs.end}
	for _, r := range groupRoutes {
		run.openMetrics = append(run.openMetrics, gs.openMetrics[r.route])
		run.promText = append(run.promText, gs.promText[r.route])
	}
	onEveryEngine(t, run, func(t *testing.T, engine string, api *queryAPI) {
		rows[engine] = gs.check(t, api, trackerErr)
	})

	var b strings.Builder
	b.WriteString("| engine | route | true remaining at the end | tracker | rules | worst error, tracker | worst error, rules | page tier firing (minutes), engine / tracker |\n|---|---|---|---|---|---|---|---|\n")
	for _, e := range engineNames() {
		for _, r := range groupRoutes {
			row, ok := rows[e][r.route]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %.4f | %.4f | %.4f | %.4f | %.4f | %d / %d |\n", e, r.route,
				trueRemaining(gs.slots[r.route], gs.end, groupWindow, groupTarget),
				gs.snaps[r.route][gs.end].ErrorBudgetRemaining, row.rulesAtEnd, row.worstTracker, row.worstRules, row.pageMinutes, row.trackerPages)
		}
	}
	t.Logf("per route, in shares of the budget:\n%s", b.String())
}

// newGroupScenario generates the traffic of every route, writes it for the
// engines, generates the rules of the grouped spec with `slo generate` and
// records the events in a family made from the same spec.
func newGroupScenario(t *testing.T) *groupScenario {
	t.Helper()
	dir := t.TempDir()
	gs := &groupScenario{
		slots: map[string][]slot{}, openMetrics: map[string]string{}, promText: map[string]string{},
		snaps: map[string]map[time.Time]slo.Snapshot{},
	}
	gs.end = alignUp(time.Now().Add(-3*time.Hour - align))
	gs.start = gs.end.Add(-groupDays * 24 * time.Hour)
	gs.from = gs.start.Add(groupWindow + time.Hour) // the window is full
	for i, r := range groupRoutes {
		gs.slots[r.route] = trafficWith(gs.start, groupDays, step, r.seed, r.errRate)
		gs.openMetrics[r.route] = filepath.Join(dir, fmt.Sprintf("events%d.om", i))
		gs.promText[r.route] = filepath.Join(dir, fmt.Sprintf("events%d.prom", i))
		labels := fmt.Sprintf("route=%q,slo=%q", r.route, groupSLO)
		for path, format := range map[string]counterFormat{gs.openMetrics[r.route]: openMetrics, gs.promText[r.route]: promText} {
			if err := writeCounters(path, format, labels, gs.start, gs.slots[r.route]); err != nil {
				t.Fatal(err)
			}
		}
	}

	specPath := filepath.Join(dir, "grouped.yaml")
	if err := os.WriteFile(specPath, []byte(groupSpecText), 0o644); err != nil {
		t.Fatal(err)
	}
	gs.rulesPath = filepath.Join(dir, "grouped.rules.yml")
	gs.rules, gs.vmRules = generateRules(t, buildCLI(t, dir), specPath, gs.rulesPath)

	// The same events through the family the spec defines, on an
	// injected clock. Each member replays its route's days in turn: a
	// member reads the clock only when used, so each sees time advance.
	file, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	reg := slo.NewRegistry()
	if err := file.Define(reg, slo.WithClock(func() time.Time { return clock })); err != nil {
		t.Fatal(err)
	}
	fam := reg.Family(groupSLO)
	if fam == nil {
		t.Fatalf("the spec defines no family %q", groupSLO)
	}
	for _, r := range groupRoutes {
		clock = gs.start
		gs.snaps[r.route] = replay(fam.With(r.route), &clock, gs.slots[r.route], gs.start, gs.from, gs.end)
	}
	if n := len(fam.Members()); n != len(groupRoutes) {
		t.Errorf("the family has %d members, want one per route (%d)", n, len(groupRoutes))
	}
	return gs
}

// checkTracker compares each member's remaining budget with the truth
// every minute from the first full window on, and its page tier with the
// route: it must fire for the burning route only. It returns the worst
// error per route.
func (gs *groupScenario) checkTracker(t *testing.T) map[string]float64 {
	t.Helper()
	worst := map[string]float64{}
	for _, r := range groupRoutes {
		for at, s := range gs.snaps[r.route] {
			if got := s.Labels["route"]; got != r.route {
				t.Fatalf("the member of %s has labels %v", r.route, s.Labels)
			}
			d := math.Abs(s.ErrorBudgetRemaining - trueRemaining(gs.slots[r.route], at, groupWindow, groupTarget))
			worst[r.route] = math.Max(worst[r.route], d)
		}
		if worst[r.route] > 0.01 {
			t.Errorf("route %s: the tracker is %.4f of the budget away from the truth at worst; want at most 0.01", r.route, worst[r.route])
		}
	}
	return worst
}

// check compares the rules an engine evaluated with the truth and the
// tracker, route by route, and returns what it found per route.
func (gs *groupScenario) check(t *testing.T, api *queryAPI, trackerErr map[string]float64) map[string]groupRow {
	t.Helper()
	rows := map[string]groupRow{}
	for _, r := range groupRoutes {
		var row groupRow
		row.worstTracker = trackerErr[r.route]
		sel := fmt.Sprintf("slo=%q,route=%q", groupSLO, r.route)
		// The remaining budget, against the truth at the instant the
		// engine evaluated it.
		for at := gs.from; !at.After(gs.end); at = at.Add(groupEvery) {
			v, evaluated := promSample(t, api, "slo:error_budget_remaining:ratio{"+sel+"}", at)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("route %s: the remaining budget at %v is %v", r.route, at, v)
			}
			row.worstRules = math.Max(row.worstRules, math.Abs(v-trueRemaining(gs.slots[r.route], evaluated, groupWindow, groupTarget)))
			row.rulesAtEnd = v
		}
		if row.worstRules > 0.01 {
			t.Errorf("route %s: the rules are %.4f of the budget away from the truth at worst; want at most 0.01", r.route, row.worstRules)
		}
		checkBurnRates(t, api, sel, groupTarget, gs.slots[r.route], gs.snaps[r.route], alignUp(gs.from), gs.end)
		// The alerts of the route fire when its member's tiers do.
		minutes := checkAlerts(t, api, gs.rules, map[string]string{"route": r.route}, gs.snaps[r.route], gs.from, gs.end)
		row.pageMinutes = minutes["1h"]
		for _, s := range gs.snaps[r.route] {
			for _, tier := range s.Tiers {
				if tier.Firing && tier.Severity == slo.SeverityPage {
					row.trackerPages++
				}
			}
		}
		if burning := r.route == burningRoute; burning != (row.pageMinutes > 0) || burning != (row.trackerPages > 0) {
			t.Errorf("route %s: the page tier fires %d minutes in the engine, %d in the tracker; want it to fire for %s only", r.route, row.pageMinutes, row.trackerPages, burningRoute)
		}
		rows[r.route] = row
	}
	gs.checkAlertLabels(t, api)
	return rows
}

// checkAlertLabels evaluates every SLOErrorBudgetBurn rule's expression
// where it holds and checks that each result is the burning route's: an
// alert carries the labels of its expression's result and those of its
// rule, which must leave route alone.
func (gs *groupScenario) checkAlertLabels(t *testing.T, api *queryAPI) {
	t.Helper()
	for _, g := range gs.rules.Groups {
		for _, r := range g.Rules {
			if r["alert"] != "SLOErrorBudgetBurn" {
				continue
			}
			if labels, _ := r["labels"].(map[string]any); labels["route"] != nil {
				t.Errorf("an alert rule sets route itself: %v", labels)
			}
			expr := fmt.Sprint(r["expr"])
			for at := range api.queryRangeTimes(expr, nil, gs.from, gs.end, time.Minute) {
				for _, s := range api.query(expr, at).Samples {
					if s.Labels["route"] != burningRoute {
						t.Errorf("at %v the alert %s holds for labels %v; want route %q only", at, expr, s.Labels, burningRoute)
					}
				}
			}
		}
	}
}
