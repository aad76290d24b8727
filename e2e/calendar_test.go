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

// The calendar scenario: a monthly SLO of 99% in Asia/Kolkata (+05:30, so
// the month starts at 18:30 UTC), 39 hours of traffic around the latest
// month start at least a day and a half old, 15 hours before it and 24
// after, so that the month starts at the traffic's afternoon peak (hours
// count from the traffic's start, not local time): the old month's hours
// carry an incident that overspends its budget, the new month's an
// incident inside a one-off correction, which spends nothing.
const (
	calSLO    = "e2e-monthly"
	calTarget = 0.99
	calZone   = "Asia/Kolkata"
	calDays   = 2
	calBefore = 15 * time.Hour // of the old month
	calAfter  = 24 * time.Hour // of the new month
	// calEvery is how often the remaining budget is compared, from
	// calSettle into the traffic on, when the old month's budget (the
	// events since the traffic's start) is no longer a handful of errors.
	calEvery  = 15 * time.Minute
	calSettle = 3 * time.Hour
)

const calSpecText = `version: slo/v1
service: e2e
slos:
  - name: e2e-monthly
    description: Requests of the e2e service, counted in process, per calendar month.
    objective: 99%%
    calendar:
      period: month
      time_zone: Asia/Kolkata
    corrections:
      - start: %s
        end: %s
        reason: an upstream outage, declared not ours
    sli:
      in_process: {}
`

// calErrRate is the error rate of the calendar scenario, by hours since the
// traffic's start: 3% errors from 11:00 to 14:00 on the first day, which
// overspends the old month's budget (the events since the traffic's start)
// twice: a 15-second sample of the incident, which an engine's rate() may
// count a few seconds early or late, costs under 0.4% of that budget,
// where at 30% it would cost 4%; 30% errors for half an hour from 12:00
// on the second day, inside the correction (11:30 to 13:00; without it,
// the new month would be overspent too); 0.05% otherwise.
func calErrRate(day int, hour float64) float64 {
	switch {
	case day == 0 && hour >= 11 && hour < 14:
		return 0.03
	case day == 1 && hour >= 12 && hour < 12.5:
		return 0.30
	}
	return 0.0005
}

// calScenario is the calendar scenario's traffic, spec, rules and tracker.
type calScenario struct {
	cal                  slo.Calendar
	start, end, boundary time.Time
	corrStart, corrEnd   time.Time
	slots                []slot
	openMetrics, promTxt string
	rulesPath            string
	rules, vmRules       ruleFile // for Prometheus, and for VictoriaMetrics (-target victoriametrics)
	snaps                map[time.Time]slo.Snapshot
}

// calRow is what one engine (or the tracker) computed.
type calRow struct {
	worst   float64 // largest error, in shares of the budget
	worstAt time.Time
	values  map[time.Time]float64 // the remaining budget at each compared instant
}

// TestEnginesAgreeOverAMonthBoundary runs a monthly calendar SLO with a
// one-off correction end to end: the rules `slo generate` writes,
// backfilled in Prometheus 2 and 3 and replayed by vmalert, and a tracker
// made from the same spec, against the truth counted from the raw events:
// the budget of the period so far, reset at the month start in the zone,
// leaving out the corrected events; within 1% of the budget, never NaN.
func TestEnginesAgreeOverAMonthBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a minute of work per engine")
	}
	cs := newCalScenario(t)
	rows := map[string]calRow{"tracker": cs.checkTracker(t)}
	run := engineRun{name: "calendar", openMetrics: []string{cs.openMetrics}, promText: []string{cs.promTxt},
		rulesPath: cs.rulesPath, rules: cs.rules, vmRules: cs.vmRules, start: cs.start, end: cs.end}
	onEveryEngine(t, run, func(t *testing.T, engine string, api *queryAPI) {
		rows[engine] = cs.check(t, api)
	})

	names := append([]string{"tracker"}, engineNames()...)
	var b strings.Builder
	b.WriteString("| instant (since the month start) | truth |")
	for _, name := range names {
		if _, ok := rows[name]; ok {
			fmt.Fprintf(&b, " %s |", name)
		}
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(rows)) + "\n")
	// The old month's end, the new month's start, the corrected incident's
	// end and the end.
	for _, d := range []time.Duration{-15 * time.Minute, 15 * time.Minute, cs.corrEnd.Sub(cs.boundary), calAfter} {
		at := cs.boundary.Add(d)
		fmt.Fprintf(&b, "| %v | %.4f |", d, cs.truth(at, at))
		for _, name := range names {
			if row, ok := rows[name]; ok {
				fmt.Fprintf(&b, " %.4f |", row.values[at])
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("| worst error (at) | |")
	for _, name := range names {
		if row, ok := rows[name]; ok {
			fmt.Fprintf(&b, " %.4f (%v) |", row.worst, row.worstAt.Sub(cs.boundary).Round(time.Second))
		}
	}
	t.Logf("the month's remaining budget, in shares of the budget:\n%s", b.String())
}

// newCalScenario picks the month start, generates the traffic, writes it
// for the engines, generates the rules with `slo generate` and records the
// events in a tracker made from the same spec.
func newCalScenario(t *testing.T) *calScenario {
	t.Helper()
	dir := t.TempDir()
	loc, err := time.LoadLocation(calZone)
	if err != nil {
		t.Fatal(err)
	}
	cs := &calScenario{cal: slo.Calendar{Period: slo.Month, Location: loc}}
	// The month start, more than calAfter before the newest data the
	// engines take (3 hours old).
	boundary, _ := cs.cal.Bounds(time.Now().Add(-3*time.Hour - calAfter - 6*time.Hour))
	cs.boundary = boundary.UTC() // in UTC, like the compared instants it keys
	cs.start = boundary.Add(-calBefore).UTC()
	cs.end = boundary.Add(calAfter).UTC()
	cs.corrStart = cs.start.Add(35*time.Hour + 30*time.Minute)
	cs.corrEnd = cs.start.Add(37 * time.Hour)
	cs.slots = trafficWith(cs.start, calDays, step, 5, calErrRate)[:(calBefore+calAfter)/step]
	cs.openMetrics = filepath.Join(dir, "events.om")
	cs.promTxt = filepath.Join(dir, "events.prom")
	for path, format := range map[string]counterFormat{cs.openMetrics: openMetrics, cs.promTxt: promText} {
		if err := writeCounters(path, format, fmt.Sprintf("slo=%q", calSLO), cs.start, cs.slots); err != nil {
			t.Fatal(err)
		}
	}

	specPath := filepath.Join(dir, "calendar.yaml")
	text := fmt.Sprintf(calSpecText, cs.corrStart.Format(time.RFC3339), cs.corrEnd.Format(time.RFC3339))
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cs.rulesPath = filepath.Join(dir, "calendar.rules.yml")
	cs.rules, cs.vmRules = generateRules(t, buildCLI(t, dir), specPath, cs.rulesPath)

	file, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	reg := slo.NewRegistry()
	if err := file.Define(reg, slo.WithClock(func() time.Time { return clock })); err != nil {
		t.Fatal(err)
	}
	tr := reg.Tracker(calSLO)
	if tr == nil {
		t.Fatalf("the spec defines no tracker %q", calSLO)
	}
	clock = cs.start
	cs.snaps = replay(tr, &clock, cs.slots, cs.start, cs.start.Add(calSettle), cs.end)

	// The story: the old month is overspent at its end, the new one
	// would be without the correction.
	if r := cs.truth(cellMiddle(boundary), boundary); r > 0 {
		t.Fatalf("the old month keeps %.3f of its budget at its end; the scenario wants it overspent", r)
	}
	total, bad := truth(cs.slots, cs.end, cs.end.Sub(boundary))
	if r := 1 - float64(bad)/(float64(total)*(1-calTarget)); r > 0 {
		t.Fatalf("without the correction the new month keeps %.3f of its budget; the scenario wants its incident to overspend it", r)
	}
	return cs
}

// truth is the remaining budget of the period holding the instant in at
// the instant at: its events up to at, without those of the correction.
// The tracker's period is the one holding at; the rules' is the one
// holding the middle of the grid cell that ends at at (see cellMiddle).
func (cs *calScenario) truth(in, at time.Time) float64 {
	start, _ := cs.cal.Bounds(in)
	var total, bad uint64
	for _, s := range cs.slots {
		if !s.at.After(start) || s.at.After(at) || (s.at.After(cs.corrStart) && !s.at.After(cs.corrEnd)) {
			continue
		}
		total += s.good + s.bad
		bad += s.bad
	}
	if total == 0 {
		return 1
	}
	return 1 - float64(bad)/(float64(total)*(1-calTarget))
}

// cellMiddle is the middle of the rules' 5-minute grid cell that ends at
// at, whose period the rules count it in.
func cellMiddle(at time.Time) time.Time { return at.Add(-150 * time.Second) }

// instants are the compared instants: every calEvery from calSettle into
// the traffic on.
func (cs *calScenario) instants() []time.Time {
	var out []time.Time
	for at := cs.start.Add(calSettle); !at.After(cs.end); at = at.Add(calEvery) {
		out = append(out, at)
	}
	return out
}

// checkTracker compares the tracker's remaining budget with the truth of
// the period holding each instant.
func (cs *calScenario) checkTracker(t *testing.T) calRow {
	t.Helper()
	return cs.compare(t, "the tracker", func(at time.Time) (float64, time.Time, time.Time) {
		return cs.snaps[at].ErrorBudgetRemaining, at, at
	})
}

// check compares the remaining budget the rules recorded with the truth at
// the instant the engine evaluated them, of the period the rules count
// their last cell in.
func (cs *calScenario) check(t *testing.T, api *queryAPI) calRow {
	t.Helper()
	return cs.compare(t, "the rules", func(at time.Time) (float64, time.Time, time.Time) {
		v, evaluated := promSample(t, api, fmt.Sprintf("slo:error_budget_remaining:ratio{slo=%q}", calSLO), at)
		return v, evaluated, cellMiddle(evaluated)
	})
}

// compare reads the remaining budget at every compared instant with value,
// which also says when it was computed and in which period, and compares
// it with the truth: within 0.01 of the budget, never NaN.
func (cs *calScenario) compare(t *testing.T, who string, value func(at time.Time) (v float64, computed, in time.Time)) calRow {
	t.Helper()
	row := calRow{values: map[time.Time]float64{}}
	for _, at := range cs.instants() {
		v, computed, in := value(at)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: the remaining budget at %v is %v", who, at, v)
		}
		if d := math.Abs(v - cs.truth(in, computed)); d > row.worst {
			row.worst, row.worstAt = d, computed
		}
		row.values[at] = v
	}
	if row.worst > 0.01 {
		t.Errorf("%s: %.4f of the budget away from the truth at worst; want at most 0.01", who, row.worst)
	}
	return row
}
