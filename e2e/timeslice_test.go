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
	"github.com/slo-budget-tracker/slo/sloprom"
	"github.com/slo-budget-tracker/slo/spec"
)

// The time-slice scenario: two days of traffic, 1-minute slices, a 1-day
// window compared over the second day (the window is full), every
// sliceEvery.
const (
	sliceDays   = 2
	sliceWindow = 24 * time.Hour
	sliceWidth  = time.Minute
	sliceEvery  = 15 * time.Minute
	// sliceProbe is the series the offset probe records.
	sliceProbe = "e2e_slice_probe"
)

const sliceSpecText = `version: slo/v1
service: e2e
window: 1d
slos:
  - name: e2e-slices
    description: Minutes of the e2e service with at least 95% good requests.
    objective: 97%
    time_slices:
      window: 1m
      target: 95%
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
  - name: e2e-slice-ratio
    description: The average success ratio of the e2e service's minutes.
    objective: 99.5%
    time_slices:
      window: 1m
      average: true
    sli:
      in_process: {}
    alerting:
      tiers:
        - severity: page
          long_window: 1h
          short_window: 5m
          factor: 14.4
`

// sliceSLOs are the SLOs of sliceSpecText, as the truth counts them.
var sliceSLOs = []struct {
	name      string
	objective float64
	slices    slo.TimeSlices
}{
	{"e2e-slices", 0.97, slo.TimeSlices{Window: sliceWidth, Target: 0.95}},
	{"e2e-slice-ratio", 0.995, slo.TimeSlices{Window: sliceWidth, Average: true}},
}

// sliceErrRate is the traffic's error ratio: 0.05% in the background, an
// outage at 30% errors for 15 minutes at 22:00 on the first day (it leaves
// the window at 22:15 on the second), one at 20% for 20 minutes at 09:00 on
// the second day, and half an hour at 4.7% from 15:00 on the second day, a
// little under the 95% slice target, where chance decides each minute's
// verdict.
func sliceErrRate(day int, hour float64) float64 {
	switch {
	case day == 0 && hour >= 22 && hour < 22.25:
		return 0.30
	case day == 1 && hour >= 9 && hour < 9+20.0/60:
		return 0.20
	case day == 1 && hour >= 15 && hour < 15.5:
		return 0.047
	}
	return 0.0005
}

// sliceScenario is what every engine is checked against: the traffic, on
// whole minutes (the tracker's slices start on the Unix epoch), its slices,
// the tracker's snapshots and the rules `slo generate` writes.
type sliceScenario struct {
	dir              string
	start, from, end time.Time
	slots            []slot
	perSlice         map[time.Time]sliceEvents // events of the slice that ends at the key
	rulesPath        string
	rules, vmRules   ruleFile          // for Prometheus, and for VictoriaMetrics (-target victoriametrics)
	groups           map[string]string // SLO -> the name of its slice rule group
	snaps            map[string]map[time.Time]slo.Snapshot
}

// sliceEvents are the events of a slice.
type sliceEvents struct{ total, bad uint64 }

// sliceRow is what an engine computed for one SLO.
type sliceRow struct {
	offset                   time.Duration // where the engine evaluates the slice group, past the minute
	worstRules, worstTracker float64       // largest errors, in shares of the budget
	rulesAtEnd               float64
	verdicts, mismatched     int // slices judged bad by the rules, and those the truth judges otherwise
}

// TestEnginesAgreeOnTimeSlices runs time-slice SLOs end to end: two days
// of traffic with two outages in a real Prometheus 2 and 3 and
// VictoriaMetrics, the slice rule group `slo generate` writes for a
// Timeslices and a RatioTimeslices SLO evaluated over it (for
// VictoriaMetrics with -target victoriametrics), the same events recorded
// in trackers made from the same spec, and the remaining budget of both
// compared with the truth (good slices over slices, counted from the raw
// events) every 15 minutes of the second day: within 1% of the budget,
// never NaN, and every slice judged as the truth judges it.
//
// The rules decide a slice when their group is evaluated, at an offset of
// the minute each engine picks for the group (Prometheus from a hash of
// the file and group name), while the tracker's slices start on the Unix
// epoch. A probe measures the engine's offset first, recording vector(1)
// in a group of the same name in the same file, and the engine's copy of
// the traffic is written that much later: each engine slice then holds the
// same events as the tracker's, and an instant t of the tracker is t +
// offset in the engine.
func TestEnginesAgreeOnTimeSlices(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a minute of work per engine")
	}
	sc := newSliceScenario(t)
	trackerErr := sc.checkTracker(t)
	rows := map[string]map[string]sliceRow{}
	offsets := map[string]map[string]time.Duration{} // engine -> SLO -> offset
	run := engineRun{name: "slices", rulesPath: sc.rulesPath, rules: sc.rules, vmRules: sc.vmRules,
		start: sc.start, end: sc.end.Add(2 * time.Minute),
		// The probe goes through the file the rules will, an hour before
		// the traffic; the counters are written that engine's offset later.
		prepare: func(t *testing.T, engine string, api *queryAPI, format counterFormat, load ruleLoader) []string {
			at := sc.start.Add(-time.Hour)
			load(sc.probeRules(), at, at.Add(10*time.Minute))
			offsets[engine] = sc.offsets(t, api, at.Add(10*time.Minute))
			return sc.writeCounters(t, format, offsets[engine])
		}}
	onEveryEngine(t, run, func(t *testing.T, engine string, api *queryAPI) {
		rows[engine] = sc.check(t, api, offsets[engine], trackerErr)
	})

	var b strings.Builder
	b.WriteString("| engine | SLO | slice group offset | true remaining at the end | tracker | rules | worst error, tracker | worst error, rules | bad slices, rules (disagreeing with the truth) |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range engineNames() {
		for _, s := range sliceSLOs {
			row, ok := rows[e][s.name]
			if !ok {
				continue
			}
			verdicts := "-"
			if !s.slices.Average {
				verdicts = fmt.Sprintf("%d (%d)", row.verdicts, row.mismatched)
			}
			fmt.Fprintf(&b, "| %s | %s | %v | %.4f | %.4f | %.4f | %.4f | %.4f | %s |\n", e, s.name, row.offset,
				remaining(sc.perSlice, s.name, sc.end), sc.snaps[s.name][sc.end].ErrorBudgetRemaining, row.rulesAtEnd,
				row.worstTracker, row.worstRules, verdicts)
		}
	}
	t.Logf("remaining budget, in shares of the budget, every %v of the second day:\n%s", sliceEvery, b.String())
	if len(rows) == len(engineNames()) && !t.Failed() && os.Getenv("SLO_E2E_UPDATE_DOC") != "" {
		updateDocSection(t, "../docs/accuracy.md", "e2e-slices", b.String())
	}
}

// newSliceScenario generates the traffic, counts its slices, generates
// the rules of the spec with `slo generate` and records the events in
// trackers made from the same spec.
func newSliceScenario(t *testing.T) *sliceScenario {
	t.Helper()
	sc := &sliceScenario{dir: t.TempDir(), snaps: map[string]map[time.Time]slo.Snapshot{}, groups: map[string]string{}}
	sc.end = alignUp(time.Now().Add(-3*time.Hour - align))
	sc.start = sc.end.Add(-sliceDays * 24 * time.Hour)
	sc.from = sc.start.Add(sliceWindow) // the window is full
	sc.slots = trafficWith(sc.start, sliceDays, step, 5, sliceErrRate)
	sc.perSlice = slicesOf(sc.slots)

	specPath := filepath.Join(sc.dir, "slices.yaml")
	if err := os.WriteFile(specPath, []byte(sliceSpecText), 0o644); err != nil {
		t.Fatal(err)
	}
	sc.rulesPath = filepath.Join(sc.dir, "slices.rules.yml")
	sc.rules, sc.vmRules = generateRules(t, buildCLI(t, sc.dir), specPath, sc.rulesPath)
	for _, s := range sliceSLOs {
		for _, g := range sc.rules.Groups {
			if strings.HasSuffix(g.Name, ":slices") && strings.Contains(g.Name, ":"+s.name+":") {
				sc.groups[s.name] = g.Name
			}
		}
		if sc.groups[s.name] == "" {
			t.Fatalf("the rules have no slice group for %s", s.name)
		}
	}

	file, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	reg := slo.NewRegistry()
	if err := file.Define(reg, slo.WithClock(func() time.Time { return clock })); err != nil {
		t.Fatal(err)
	}
	for _, s := range sliceSLOs {
		tr := reg.Tracker(s.name)
		if tr == nil {
			t.Fatalf("the spec defines no SLO %q", s.name)
		}
		clock = sc.start
		sc.snaps[s.name] = replay(tr, &clock, sc.slots, sc.start, sc.from, sc.end)
	}
	return sc
}

// probeRules is a rule file with one group named as each SLO's slice
// group, recording vector(1) labelled with the SLO: backfilled through the
// file the rules will be, each group is evaluated at the instants of the
// slice group it is named after.
func (sc *sliceScenario) probeRules() ruleFile {
	var f ruleFile
	for _, s := range sliceSLOs {
		f.Groups = append(f.Groups, ruleGroup{Name: sc.groups[s.name], Interval: sloprom.FormatDuration(sliceWidth),
			Rules: []map[string]any{{"record": sliceProbe, "expr": "vector(1)", "labels": map[string]string{"slo": s.name}}}})
	}
	return f
}

// offsets reads when the engine evaluated each probe group last before at
// and returns, per SLO, how far past the start of a slice that is.
func (sc *sliceScenario) offsets(t *testing.T, api *queryAPI, at time.Time) map[string]time.Duration {
	t.Helper()
	out := map[string]time.Duration{}
	for _, s := range sliceSLOs {
		_, evaluated := promSample(t, api, fmt.Sprintf("%s{slo=%q}", sliceProbe, s.name), at)
		// The API gives seconds as a float: round to the millisecond.
		out[s.name] = time.Duration(evaluated.Round(time.Millisecond).UnixMilli()%sliceWidth.Milliseconds()) * time.Millisecond
		t.Logf("%s: the engine evaluates the slice group %v past the minute (the probe at %v)", s.name, out[s.name], evaluated)
	}
	return out
}

// writeCounters writes the traffic as the counters of every SLO, each
// sample later than the slot it ends by the SLO's offset, and returns the
// files.
func (sc *sliceScenario) writeCounters(t *testing.T, format counterFormat, offsets map[string]time.Duration) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, s := range sliceSLOs {
		shifted := make([]slot, len(sc.slots))
		for j, m := range sc.slots {
			shifted[j] = slot{at: m.at.Add(offsets[s.name]), good: m.good, bad: m.bad}
		}
		path := filepath.Join(dir, fmt.Sprintf("events%d.%d", i, format))
		if err := writeCounters(path, format, fmt.Sprintf("slo=%q", s.name), sc.start.Add(offsets[s.name]), shifted); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// slicesOf counts the events of each slice of slots, by the time the
// slice ends.
func slicesOf(slots []slot) map[time.Time]sliceEvents {
	out := map[time.Time]sliceEvents{}
	for _, m := range slots {
		// A slot (at - step, at] belongs to the slice ending at or after at.
		end := m.at.Add(sliceWidth - time.Nanosecond).Truncate(sliceWidth)
		c := out[end]
		out[end] = sliceEvents{c.total + m.good + m.bad, c.bad + m.bad}
	}
	return out
}

// spend is what the slice c spends of an SLO: 1 for a bad slice and 0 for
// a good one, or with averaged slices its error ratio; a slice without
// events spends nothing.
func spend(slices slo.TimeSlices, c sliceEvents) float64 {
	if c.total == 0 {
		return 0
	}
	ratio := float64(c.bad) / float64(c.total)
	if slices.Average {
		return ratio
	}
	if ratio > slo.SliceErrorThreshold(slices.Target) {
		return 1
	}
	return 0
}

// remaining is the true remaining budget of the SLO name at at, a whole
// minute: the window's last completed slices, each judged from its events
// in perSlice.
func remaining(perSlice map[time.Time]sliceEvents, name string, at time.Time) float64 {
	for _, s := range sliceSLOs {
		if s.name != name {
			continue
		}
		n := int(sliceWindow / sliceWidth)
		var spent float64
		for j := range n {
			spent += spend(s.slices, perSlice[at.Add(-time.Duration(j)*sliceWidth)])
		}
		return 1 - spent/float64(n)/(1-s.objective)
	}
	return math.NaN()
}

// instants are the compared instants of the tracker: every sliceEvery
// from the first full window to the end.
func (sc *sliceScenario) instants() []time.Time {
	var out []time.Time
	for at := sc.from; !at.After(sc.end); at = at.Add(sliceEvery) {
		out = append(out, at)
	}
	return out
}

// checkTracker compares each tracker's remaining budget with the truth at
// every compared instant and returns the worst error per SLO.
func (sc *sliceScenario) checkTracker(t *testing.T) map[string]float64 {
	t.Helper()
	worst := map[string]float64{}
	for _, s := range sliceSLOs {
		for _, at := range sc.instants() {
			got := sc.snaps[s.name][at].ErrorBudgetRemaining
			if math.IsNaN(got) {
				t.Errorf("%s: the tracker's remaining budget at %v is NaN", s.name, at)
			}
			worst[s.name] = math.Max(worst[s.name], math.Abs(got-remaining(sc.perSlice, s.name, at)))
		}
		if worst[s.name] > 0.01 {
			t.Errorf("%s: the tracker is %.4f of the budget away from the truth at worst; want at most 0.01", s.name, worst[s.name])
		}
	}
	t.Logf("worst errors of the trackers, in shares of the budget: %v", worst)
	return worst
}

// check compares the rules an engine evaluated, offset later than the
// tracker's instants, with the truth and returns what it found per SLO:
// the rules must be within 1% of the budget of the truth counted from
// slices, and judge every slice as the truth does.
func (sc *sliceScenario) check(t *testing.T, api *queryAPI, offsets map[string]time.Duration, trackerErr map[string]float64) map[string]sliceRow {
	t.Helper()
	rows := map[string]sliceRow{}
	for _, s := range sliceSLOs {
		offset := offsets[s.name]
		row := sliceRow{offset: offset, worstTracker: trackerErr[s.name]}
		for _, at := range sc.instants() {
			// The API takes whole seconds: the first at or after the
			// evaluation is still before the next.
			v, evaluated := promSample(t, api, fmt.Sprintf("slo:error_budget_remaining:ratio{slo=%q}", s.name), at.Add(ceilSecond(offset)))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: the remaining budget at %v is %v", s.name, at, v)
				continue
			}
			if d := evaluated.Sub(at.Add(offset)); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("%s: the remaining budget at %v was evaluated at %v, not on the slice's end %v", s.name, at, evaluated, at.Add(offset))
			}
			// The API gives seconds as a float: round to the millisecond.
			slice := evaluated.Add(-offset).Round(time.Millisecond).Truncate(sliceWidth)
			truth := remaining(sc.perSlice, s.name, slice)
			if d := math.Abs(v - truth); d > row.worstRules {
				row.worstRules = d
				if d > 0.01 {
					t.Logf("%s: at %v the rules say %.4f, the truth %.4f", s.name, slice, v, truth)
				}
			}
			row.rulesAtEnd = v
		}
		if row.worstRules > 0.01 {
			t.Errorf("%s: the rules are %.4f of the budget away from the truth at worst; want at most 0.01", s.name, row.worstRules)
		}
		if !s.slices.Average {
			row.verdicts, row.mismatched = sc.checkVerdicts(t, api, s.name, s.slices, offset, sc.perSlice)
			if row.mismatched > 0 {
				t.Errorf("%s: the rules judge %d slices otherwise than the truth", s.name, row.mismatched)
			}
		}
		rows[s.name] = row
	}
	return rows
}

// checkVerdicts compares the rules' verdict on every slice of the traffic
// with the truth's and returns the slices the rules judged bad and those
// where the two disagree. The range query's instants are whole seconds, so
// they are taken at the first whole second at or after each evaluation:
// still before the next.
func (sc *sliceScenario) checkVerdicts(t *testing.T, api *queryAPI, name string, slices slo.TimeSlices, offset time.Duration, perSlice map[time.Time]sliceEvents) (bad, mismatched int) {
	t.Helper()
	up := ceilSecond(offset)
	from := sc.start.Add(sliceWidth)
	got := api.queryRangeTimes(fmt.Sprintf("slo:sli_slice_error:ratio%s{slo=%q} > 0", sloprom.FormatDuration(sliceWidth), name), nil, from.Add(up), sc.end.Add(up), sliceWidth)
	for at := from; !at.After(sc.end); at = at.Add(sliceWidth) {
		rules, truth := got[at.Add(up)], spend(slices, perSlice[at]) == 1
		if rules {
			bad++
		}
		if rules != truth {
			mismatched++
			if mismatched <= 5 {
				c := perSlice[at]
				t.Logf("%s: the slice ending at %v (%d events, %d bad) is bad for the rules: %v, for the truth: %v", name, at, c.total, c.bad, rules, truth)
			}
		}
	}
	t.Logf("%s: the rules judge %d slices bad, %d of them or of the others otherwise than the truth", name, bad, mismatched)
	return bad, mismatched
}

// ceilSecond rounds d up to a whole second.
func ceilSecond(d time.Duration) time.Duration {
	up := d.Truncate(time.Second)
	if up < d {
		up += time.Second
	}
	return up
}
