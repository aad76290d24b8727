package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
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
	// vmRules are the rules for VictoriaMetrics (slo generate -target
	// victoriametrics); without groups, rules.
	vmRules    ruleFile
	start, end time.Time
	// prepare, when set, runs first on every engine, on a server without
	// counters: load evaluates rules over [from, to] as the scenario's
	// rules will be (through the same file, so at the same instants), and
	// prepare returns the counters to load instead of openMetrics or
	// promText, written in format.
	prepare func(t *testing.T, engine string, api *queryAPI, format counterFormat, load ruleLoader) []string
}

// A ruleLoader evaluates the rules of f over [from, to] in an engine and
// stores what they record.
type ruleLoader func(f ruleFile, from, to time.Time)

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
		dir := t.TempDir()
		load := func(f ruleFile, from, to time.Time) { backfillRules(t, prom, dir, run.name, f, from, to) }
		counters := run.openMetrics
		if run.prepare != nil {
			prom.start()
			counters = run.prepare(t, e.Name, &prom.queryAPI, openMetrics, load)
			prom.stop()
		}
		for _, path := range counters {
			promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", path, prom.dataDir)
		}
		prom.start()
		promtool(t, e, "check", "rules", run.rulesPath)
		load(run.rules, run.start, run.end)
		check(t, e.Name, &prom.queryAPI)
		t.Logf("%s: the %s scenario took %v", e.Name, run.name, time.Since(began).Round(time.Second))
	})
	t.Run(vmName, func(t *testing.T) {
		began := time.Now()
		vm := newVMServer(t)
		dir := t.TempDir()
		load := func(f ruleFile, from, to time.Time) {
			for l, part := range ruleLevels(t, f) {
				vm.replay(writeRuleFile(t, filepath.Join(dir, fmt.Sprintf("%s.level%d.yml", run.name, l)), part), from, to)
			}
		}
		counters := run.promText
		if run.prepare != nil {
			counters = run.prepare(t, vmName, &vm.queryAPI, promText, load)
		}
		for _, path := range counters {
			vm.importText(path)
		}
		rules := run.rules
		if run.vmRules.Groups != nil {
			rules = run.vmRules
		}
		load(rules, run.start, run.end)
		check(t, vmName, &vm.queryAPI)
		t.Logf("%s: the %s scenario took %v", vmName, run.name, time.Since(began).Round(time.Second))
	})
}

// generateRules runs slo generate with args on specPath twice: for
// Prometheus into rulesPath, and for VictoriaMetrics (-target
// victoriametrics) into a file beside it; it returns both rule files.
func generateRules(t *testing.T, cli, specPath, rulesPath string, args ...string) (prom, vm ruleFile) {
	t.Helper()
	vmPath := strings.TrimSuffix(rulesPath, ".yml") + ".vm.yml"
	runCLI(t, cli, append(append([]string{"generate"}, args...), "-o", rulesPath, specPath)...)
	runCLI(t, cli, append(append([]string{"generate", "-target", "victoriametrics"}, args...), "-o", vmPath, specPath)...)
	return readRules(t, rulesPath), readRules(t, vmPath)
}
