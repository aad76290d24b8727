package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// engineRun is what a scenario loads into every engine: its counters, its
// rules and the span to evaluate them over.
type engineRun struct {
	name        string   // the scenario's name, in logs and file names
	openMetrics []string // the counters, for promtool tsdb create-blocks-from
	promText    []string // the counters, for VictoriaMetrics' import
	rulesPath   string
	rules       ruleFile
	start, end  time.Time
}

// onEveryEngine loads run into a real Prometheus 2 and 3 (the counters and
// the rules backfilled level by level) and VictoriaMetrics (the counters
// imported, the rules replayed by vmalert level by level), each in a
// subtest named after the engine, and calls check with each engine's query
// API. A missing engine fails under CI.
func onEveryEngine(t *testing.T, run engineRun, check func(t *testing.T, engine string, api *queryAPI)) {
	t.Helper()
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		began := time.Now()
		prom := newPromServer(t, e)
		for _, path := range run.openMetrics {
			promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", path, prom.dataDir)
		}
		prom.start()
		promtool(t, e, "check", "rules", run.rulesPath)
		backfillRules(t, prom, t.TempDir(), run.name, run.rules, run.start, run.end)
		check(t, e.Name, &prom.queryAPI)
		t.Logf("%s: the %s scenario took %v", e.Name, run.name, time.Since(began).Round(time.Second))
	})
	t.Run(vmName, func(t *testing.T) {
		began := time.Now()
		vm := newVMServer(t)
		for _, path := range run.promText {
			vm.importText(path)
		}
		dir := t.TempDir()
		for l, part := range ruleLevels(t, run.rules) {
			vm.replay(writeRuleFile(t, filepath.Join(dir, fmt.Sprintf("%s.level%d.yml", run.name, l)), part), run.start, run.end)
		}
		check(t, vmName, &vm.queryAPI)
		t.Logf("%s: the %s scenario took %v", vmName, run.name, time.Since(began).Round(time.Second))
	})
}
